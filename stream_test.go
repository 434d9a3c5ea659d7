package ddbstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

// item is a table item with partition key pk and a version attribute v.
func item(pk string, v int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: pk},
		"v":  &types.AttributeValueMemberN{Value: strconv.Itoa(v)},
	}
}

func keyOf(r ddbstream.Record) string {
	return r.Keys["pk"].(*types.AttributeValueMemberS).Value
}

func versionOf(t *testing.T, r ddbstream.Record) int {
	t.Helper()
	img := r.NewImage
	if img == nil {
		img = r.OldImage
	}
	v, err := strconv.Atoi(img["v"].(*types.AttributeValueMemberN).Value)
	require.NoError(t, err)
	return v
}

// readN reads n records, failing the test if they do not come within an hour of
// (virtual) time.
func readN(t *testing.T, st *ddbstream.Stream, n int) []ddbstream.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	out := make([]ddbstream.Record, 0, n)
	for len(out) < n {
		rec, err := st.Next(ctx)
		require.NoError(t, err, "after %d of %d records", len(out), n)
		out = append(out, rec)
	}
	return out
}

// requireNoMore checks that nothing more comes within a (virtual) minute.
func requireNoMore(t *testing.T, st *ddbstream.Stream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	rec, err := st.Next(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded, "unexpected record %s in %s", rec.SequenceNumber, rec.ShardID)
}

func openStream(t *testing.T, s *streamtest.Stream, from ddbstream.Position, opts ...ddbstream.Option) *ddbstream.Stream {
	t.Helper()
	st, err := ddbstream.OpenStream(t.Context(), s, s.ARN(), from, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// roundTrip saves a token as JSON and loads it back, as a service would.
func roundTrip(t *testing.T, tok ddbstream.StreamToken) ddbstream.StreamToken {
	t.Helper()
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	var out ddbstream.StreamToken
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// lineage records each shard's parent as the service lists it.
func lineage(t *testing.T, s *streamtest.Stream) map[string]string {
	t.Helper()
	shards, err := ddbstream.LoadShards(t.Context(), s, s.ARN())
	require.NoError(t, err)
	parents := map[string]string{}
	for id, sh := range shards {
		parents[id] = sh.ParentID()
	}
	return parents
}

// checkOrder checks what must hold for any delivery: each record once, each key's
// versions increasing, and no record of a shard after a record of one of its
// descendants.
func checkOrder(t *testing.T, recs []ddbstream.Record, parents map[string]string) {
	t.Helper()
	seen := map[ddbstream.SequenceNumber]bool{}
	lastVersion := map[string]int{}
	lastIndex := map[string]int{} // by shard: index of its last record
	for i, r := range recs {
		require.False(t, seen[r.SequenceNumber], "record %s delivered twice", r.SequenceNumber)
		seen[r.SequenceNumber] = true
		if r.Operation != ddbstream.Remove {
			v := versionOf(t, r)
			require.Greater(t, v, lastVersion[keyOf(r)], "key %s out of order at record %d", keyOf(r), i)
			lastVersion[keyOf(r)] = v
		}
		lastIndex[r.ShardID] = i
	}
	for i, r := range recs {
		for p := parents[r.ShardID]; p != ""; p = parents[p] {
			if last, ok := lastIndex[p]; ok {
				require.Less(t, last, i, "record %d of %s came before the last record of its ancestor %s", i, r.ShardID, p)
			}
		}
	}
}

func TestStream_DeliversEveryRecordOnceInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(4), streamtest.Seed(1))
		defer s.Close()
		var want []string
		for i := range 200 {
			want = append(want, string(s.Put(item(fmt.Sprintf("k%02d", i%20), i+1))))
			if i%30 == 0 {
				time.Sleep(time.Second)
			}
		}
		st := openStream(t, s, ddbstream.TrimHorizon())
		got := readN(t, st, 200)
		// Every page was fetched in the first round, so the merge across the four shards
		// gives the exact order of creation.
		require.Equal(t, want, seqs(got))
		requireNoMore(t, st)
	})
}

func TestStream_ParentBeforeChildAcrossSplits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(2), streamtest.Seed(2))
		defer s.Close()
		v := 0
		write := func(n int) {
			for range n {
				v++
				s.Put(item(fmt.Sprintf("k%02d", v%13), v))
			}
			time.Sleep(time.Second)
		}
		write(60)
		a := s.Split(s.OpenShardIDs()[0], 2)
		write(60)
		s.Split(a[1], 1)
		s.Split(s.OpenShardIDs()[len(s.OpenShardIDs())-1], 2)
		write(60)
		// Small pages and slow calls, so parents and children are in flight together.
		s.Latency(streamtest.OpGetRecords, 20*time.Millisecond).Keep()
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(7))
		got := readN(t, st, 180)
		checkOrder(t, got, lineage(t, s))
		requireNoMore(t, st)
	})
}

func TestStream_FindsChildrenOfShardsThatCloseWhileReading(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(1), streamtest.Seed(3))
		defer s.Close()
		st := openStream(t, s, ddbstream.TrimHorizon())
		for i := range 5 {
			s.Put(item("a", 3*i+1))
			s.Put(item("b", 3*i+2))
			s.Put(item("c", 3*i+3))
			ids := s.OpenShardIDs()
			s.Split(ids[i%len(ids)], 1+i%2)
		}
		got := readN(t, st, 15)
		checkOrder(t, got, lineage(t, s))
		requireNoMore(t, st)
	})
}

func TestStream_TokenResumesWithExactlyTheUnreturned(t *testing.T) {
	for _, cut := range []int{0, 1, 37, 90, 149, 150} {
		t.Run(fmt.Sprintf("after %d records", cut), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := streamtest.NewStream(streamtest.Shards(3), streamtest.Seed(4))
				defer s.Close()
				for i := range 100 {
					s.Put(item(fmt.Sprintf("k%d", i%7), i+1))
					if i == 60 {
						s.Split(s.OpenShardIDs()[1], 2)
					}
				}
				first := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(10))
				got := readN(t, first, min(cut, 100))
				for i := 100; i < cut; i++ { // writes after the stream was opened
					s.Put(item(fmt.Sprintf("k%d", i%7), i+1))
					got = append(got, readN(t, first, 1)...)
				}
				tok := roundTrip(t, first.Token())
				require.NoError(t, first.Close())
				for i := max(cut, 100); i < 150; i++ {
					s.Put(item(fmt.Sprintf("k%d", i%7), i+1))
				}

				second, err := ddbstream.ResumeStream(t.Context(), s, tok)
				require.NoError(t, err)
				defer second.Close()
				got = append(got, readN(t, second, 150-cut)...)
				requireNoMore(t, second)
				require.Len(t, got, 150)
				checkOrder(t, got, lineage(t, s))
			})
		})
	}
}

func TestStream_TokenCarriesOnlyLiveShards(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(5))
		defer s.Close()
		for i := range 6 { // a chain of six roll-overs
			s.Put(item("k", i+1))
			s.Split(s.OpenShardIDs()[0], 1)
		}
		st := openStream(t, s, ddbstream.TrimHorizon())
		require.Len(t, st.Token().Shards, 7, "before reading, the whole chain is unread")
		readN(t, st, 6)
		synctest.Wait()
		tok := st.Token()
		require.Len(t, tok.Shards, 1, "finished ancestors are pruned: %+v", tok.Shards)
		require.Equal(t, s.OpenShardIDs()[0], tok.Shards[0].ShardID)
	})
}

func TestStream_Latest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(2), streamtest.Seed(6))
		defer s.Close()
		for i := range 10 {
			s.Put(item(fmt.Sprintf("old%d", i), 1))
		}
		s.Split(s.OpenShardIDs()[0], 1) // a closed shard and its open child
		st := openStream(t, s, ddbstream.Latest())
		var want []string
		for i := range 5 {
			want = append(want, string(s.Put(item(fmt.Sprintf("new%d", i), 1))))
		}
		got := readN(t, st, 5)
		require.ElementsMatch(t, want, seqs(got))
		requireNoMore(t, st)
	})
}

func TestStream_LatestIsKeptAliveWhileTheConsumerPauses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(2), streamtest.Seed(7))
		defer s.Close()
		st := openStream(t, s, ddbstream.Latest(), ddbstream.BufferSize(1))
		// Fill the buffer from one shard, so the other is not read while the consumer
		// is away: only the heartbeat can keep its LATEST iterator alive.
		var want []string
		for i := 0; len(want) < 3; i++ {
			seq := s.Put(item(fmt.Sprintf("k%d", i), 1))
			want = append(want, string(seq))
		}
		time.Sleep(40 * time.Minute)
		want = append(want, string(s.Put(item("late", 1))), string(s.Put(item("later", 1))))
		time.Sleep(40 * time.Minute)
		got := readN(t, st, len(want))
		require.ElementsMatch(t, want, seqs(got))
		requireNoMore(t, st)
	})
}

func TestStream_SurvivesExpiryThrottlingAndServerErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(3), streamtest.Seed(8), streamtest.EmptyPages(2))
		defer s.Close()
		for i := range 60 {
			s.Put(item(fmt.Sprintf("k%d", i%9), i+1))
		}
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(5), ddbstream.BufferSize(5))
		s.Throttle(streamtest.OpGetRecords, 4)
		s.FailInternal(streamtest.OpGetShardIterator, 2)
		var got []ddbstream.Record
		for len(got) < 60 {
			got = append(got, readN(t, st, 10)...)
			time.Sleep(20 * time.Minute) // every iterator expires while the consumer is away
		}
		checkOrder(t, got, lineage(t, s))
		requireNoMore(t, st)
	})
}

func TestStream_TrimmedPositionFailsClearly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(9))
		defer s.Close()
		for i := range 10 {
			s.Put(item("k", i+1))
		}
		st := openStream(t, s, ddbstream.TrimHorizon())
		readN(t, st, 4)
		tok := roundTrip(t, st.Token())
		require.NoError(t, st.Close())
		time.Sleep(25 * time.Hour) // the six unread records are trimmed
		s.Put(item("k", 11))

		resumed, err := ddbstream.ResumeStream(t.Context(), s, tok)
		require.NoError(t, err)
		defer resumed.Close()
		_, err = resumed.Next(t.Context())
		require.ErrorIs(t, err, ddbstream.ErrTrimmed)
		var tde *types.TrimmedDataAccessException
		require.ErrorAs(t, err, &tde)
		require.ErrorContains(t, err, tok.Shards[0].ShardID)
		pos, err2 := tok.Shards[0].Position()
		require.NoError(t, err2)
		require.ErrorContains(t, err, pos.String())
		require.ErrorContains(t, err, "SkipTrimmed")
		require.Equal(t, tok, roundTrip(t, resumed.Token()), "a failed stream's token still resumes where it stood")
	})
}

func TestStream_SkipTrimmedReportsTheGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(10))
		defer s.Close()
		for i := range 10 {
			s.Put(item("k", i+1))
		}
		st := openStream(t, s, ddbstream.TrimHorizon())
		readN(t, st, 4)
		tok := st.Token()
		require.NoError(t, st.Close())
		time.Sleep(25 * time.Hour)
		after := s.Put(item("k", 11))

		var mu sync.Mutex
		var gaps []ddbstream.Gap
		resumed, err := ddbstream.ResumeStream(t.Context(), s, tok, ddbstream.SkipTrimmed(func(g ddbstream.Gap) {
			mu.Lock()
			defer mu.Unlock()
			gaps = append(gaps, g)
		}))
		require.NoError(t, err)
		defer resumed.Close()
		got := readN(t, resumed, 1)
		require.Equal(t, after, got[0].SequenceNumber)
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, gaps, 1)
		assert.Equal(t, tok.Shards[0].ShardID, gaps[0].ShardID)
		from, err := tok.Shards[0].Position()
		require.NoError(t, err)
		assert.Equal(t, from, gaps[0].From)
		assert.Equal(t, ddbstream.TrimHorizon(), gaps[0].To, "reading goes on from the trim horizon")
		assert.ErrorIs(t, gaps[0].Err, ddbstream.ErrTrimmed)
	})
}

func TestStream_SeekTo(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []streamtest.Option
	}{
		{"with AT_TIMESTAMP", nil},
		{"scanning where AT_TIMESTAMP is refused", []streamtest.Option{streamtest.NoTimestamp()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := streamtest.NewStream(append(tt.opts, streamtest.Shards(2), streamtest.Seed(11))...)
				defer s.Close()
				// Ten records a minute for an hour, with a roll-over every twenty minutes.
				var all []ddbstream.SequenceNumber
				var times []time.Time
				for m := range 60 {
					for i := range 10 {
						all = append(all, s.Put(item(fmt.Sprintf("k%d", i), m*10+i+1)))
						times = append(times, time.Now().Truncate(time.Second))
					}
					if m%20 == 19 {
						for _, id := range s.OpenShardIDs() {
							s.Split(id, 1)
						}
					}
					time.Sleep(time.Minute)
				}
				at := times[0].Add(30*time.Minute + 30*time.Second)
				first := 0
				for times[first].Before(at) {
					first++
				}
				st := openStream(t, s, ddbstream.TrimHorizon())
				s.ResetCalls()
				require.NoError(t, st.SeekTo(t.Context(), at))
				got := readN(t, st, len(all)-first)
				require.ElementsMatch(t, all[first:], sequences(got))
				require.False(t, got[0].CreatedAt.Before(at))
				requireNoMore(t, st)
				tok := st.Token()
				for _, sh := range tok.Shards {
					require.NotEqual(t, "at_timestamp", sh.IteratorType, "no shard is still seeking")
				}
			})
		})
	}
}

func sequences(recs []ddbstream.Record) []ddbstream.SequenceNumber {
	out := make([]ddbstream.SequenceNumber, len(recs))
	for i, r := range recs {
		out[i] = r.SequenceNumber
	}
	return out
}

func TestStream_DisabledStreamEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(2), streamtest.Seed(12))
		defer s.Close()
		for i := range 10 {
			s.Put(item(fmt.Sprintf("k%d", i), 1))
		}
		st := openStream(t, s, ddbstream.TrimHorizon())
		readN(t, st, 4)
		s.Disable()
		n := 4
		for _, err := range st.Records(t.Context()) {
			require.NoError(t, err)
			n++
		}
		require.Equal(t, 10, n, "the loop ends cleanly after the last record")
		_, err := st.Next(t.Context())
		require.ErrorIs(t, err, ddbstream.ErrStreamDisabled)
		require.ErrorIs(t, err, io.EOF)
		require.Empty(t, st.Token().Shards, "nothing is left to read")
	})
}

func TestStream_CloseAndCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(13))
		defer s.Close()
		s.Put(item("k", 1))
		s.Put(item("k", 2))

		ctx, cancel := context.WithCancel(t.Context())
		st, err := ddbstream.OpenStream(ctx, s, s.ARN(), ddbstream.TrimHorizon())
		require.NoError(t, err)
		readN(t, st, 1)
		cancel()
		synctest.Wait()
		_, err = st.Next(t.Context())
		require.ErrorIs(t, err, ddbstream.ErrClosed)
		require.ErrorIs(t, err, context.Canceled)
		tok := st.Token()
		require.Equal(t, "at_sequence", tok.Shards[0].IteratorType, "the buffered record is still owed")

		// A cancelled Next returns at once, even with records buffered.
		st2 := openStream(t, s, ddbstream.TrimHorizon())
		readN(t, st2, 1)
		done, stop := context.WithCancel(t.Context())
		stop()
		_, err = st2.Next(done)
		require.ErrorIs(t, err, context.Canceled)
		require.NoError(t, st2.Close())
		require.NoError(t, st2.Close(), "Close is idempotent")
		_, err = st2.Next(t.Context())
		require.ErrorIs(t, err, ddbstream.ErrClosed)
		require.Equal(t, tok.Shards[0].SequenceNumber, st2.Token().Shards[0].SequenceNumber)
	})
}

func TestStream_RejectsBadInput(t *testing.T) {
	t.Parallel()
	s := streamtest.NewStream()
	t.Cleanup(s.Close)
	tests := []struct {
		name string
		open func() (*ddbstream.Stream, error)
		want error
		text string
	}{
		{"nil session", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), nil, s.ARN(), ddbstream.TrimHorizon())
		}, ddbstream.ErrInvalidArgument, "nil Session"},
		{"malformed ARN", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), s, "arn:aws:dynamodb:us-east-1:1:table/x", ddbstream.TrimHorizon())
		}, ddbstream.ErrInvalidArgument, "not a stream's"},
		{"a position in one shard", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.AfterSequenceNumber("100000000000000000001"))
		}, ddbstream.ErrInvalidArgument, "names a record in one shard"},
		{"unknown stream", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), s, strings.Replace(s.ARN(), "/stream/", "/stream/9", 1), ddbstream.TrimHorizon())
		}, ddbstream.ErrStreamNotFound, "DescribeStream"},
		{"bad concurrency", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.TrimHorizon(), ddbstream.Concurrency(0))
		}, ddbstream.ErrInvalidOption, "Concurrency(0): want 1 to 1024"},
		{"idle interval too long", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.TrimHorizon(), ddbstream.IdlePollInterval(time.Hour))
		}, ddbstream.ErrInvalidOption, "IdlePollInterval(1h0m0s)"},
		{"backoff upside down", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.TrimHorizon(), ddbstream.Backoff(time.Second, time.Millisecond))
		}, ddbstream.ErrInvalidOption, "base <= max"},
		{"describe rate above the service's", func() (*ddbstream.Stream, error) {
			return ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.TrimHorizon(), ddbstream.DescribeStreamRate(20))
		}, ddbstream.ErrInvalidOption, "at most 10"},
		{"token of a malformed shard", func() (*ddbstream.Stream, error) {
			return ddbstream.ResumeStream(t.Context(), s, ddbstream.StreamToken{Version: 1, StreamARN: s.ARN(),
				Shards: []ddbstream.ShardToken{{ShardID: "shardId-1", IteratorType: "latest"}}})
		}, ddbstream.ErrInvalidToken, "shard_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := tt.open()
			require.ErrorIs(t, err, tt.want)
			require.ErrorContains(t, err, tt.text)
			require.Nil(t, st)
		})
	}
}

func TestStream_ReadsShardsConcurrently(t *testing.T) {
	// A round of reads costs the slowest call, not the sum: eight shards with 100ms
	// calls take about as long to drain as one shard does.
	elapsed := func(concurrency int) time.Duration {
		var d time.Duration
		synctest.Test(t, func(t *testing.T) {
			s := streamtest.NewStream(streamtest.Shards(8), streamtest.Seed(14))
			defer s.Close()
			for i := range 80 {
				s.Put(item(fmt.Sprintf("k%d", i), 1))
			}
			s.Latency(streamtest.OpGetRecords, 100*time.Millisecond).Keep()
			s.Latency(streamtest.OpGetShardIterator, 100*time.Millisecond).Keep()
			start := time.Now()
			st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.Concurrency(concurrency))
			readN(t, st, 80)
			d = time.Since(start)
		})
		return d
	}
	parallel, serial := elapsed(8), elapsed(1)
	require.LessOrEqual(t, parallel, 300*time.Millisecond, "one round of iterators, one of pages")
	require.GreaterOrEqual(t, serial, 1600*time.Millisecond, "16 calls one after another")
}

func TestStream_PollsIdleShardsLessOften(t *testing.T) {
	for _, tt := range []struct {
		idle    time.Duration
		maxRate float64 // GetRecords calls per shard per minute
	}{
		{5 * time.Second, 13},
		{30 * time.Second, 2.5},
	} {
		t.Run(tt.idle.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := streamtest.NewStream(streamtest.Shards(4), streamtest.Seed(15))
				defer s.Close()
				openStream(t, s, ddbstream.TrimHorizon(), ddbstream.IdlePollInterval(tt.idle))
				time.Sleep(time.Minute) // settle into the idle schedule
				s.ResetCalls()
				time.Sleep(10 * time.Minute)
				rate := float64(s.Calls(streamtest.OpGetRecords)) / 4 / 10
				require.LessOrEqual(t, rate, tt.maxRate)
				require.Greater(t, rate, 0.0, "idle shards are still polled")
			})
		})
	}
}

func TestStream_KeepsDescribeStreamUnderItsRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(40), streamtest.Seed(16))
		defer s.Close()
		var mu sync.Mutex
		var at []time.Time
		s.Intercept(streamtest.OpDescribeStream, func(any) (any, error, bool) {
			mu.Lock()
			defer mu.Unlock()
			at = append(at, time.Now())
			return nil, nil, false
		}).Keep()
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.DescribeStreamRate(5))
		for _, id := range s.OpenShardIDs() { // forty parents close at once: forty lookups
			s.Split(id, 1)
		}
		for i := range 40 {
			s.Put(item(fmt.Sprintf("k%d", i), 1))
		}
		readN(t, st, 40)
		time.Sleep(10 * time.Second) // children that got no record are found too
		mu.Lock()
		defer mu.Unlock()
		require.Len(t, at, 41, "one listing, then one lookup per closed parent")
		for i := 5; i < len(at); i++ {
			require.GreaterOrEqual(t, at[i].Sub(at[i-5]), time.Second-time.Millisecond, "six calls within a second at %d", i)
		}
	})
}

func TestStream_StopAtHead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(3), streamtest.Seed(17), streamtest.EmptyPages(3))
		defer s.Close()
		for i := range 30 {
			s.Put(item(fmt.Sprintf("k%d", i), 1))
		}
		s.Split(s.OpenShardIDs()[0], 2)
		for i := range 30 {
			s.Put(item(fmt.Sprintf("k%d", i), 2))
		}
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.StopAtHead(), ddbstream.GetRecordsLimit(4))
		n := 0
		for _, err := range st.Records(t.Context()) {
			require.NoError(t, err)
			n++
		}
		require.Equal(t, 60, n, "every record held, then the loop ends")
		_, err := st.Next(t.Context())
		require.ErrorIs(t, err, io.EOF)
	})
}

func TestStream_ReadsChildrenOfASplitBeforeTheStreamWasDisabled(t *testing.T) {
	// Regression (found by TestStream_Random): once a Stream had learnt that the stream
	// was disabled, a shard it then read to its end was taken to have no children,
	// without asking, and the children of a split made before the disable were lost.
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(2), streamtest.Seed(18))
		defer s.Close()
		first := s.OpenShardIDs()[0]
		// Twenty records on the first shard and none on the second: read in slow pages
		// of one, the first takes two seconds, while the second is read to its end at its
		// second poll and shows the stream disabled.
		var keys []string
		for i := 0; len(keys) < 20; i++ {
			k := fmt.Sprintf("k%d", i)
			if shardOfKey(t, k) == 0 {
				keys = append(keys, k)
				s.Put(item(k, 1))
			}
		}
		s.Latency(streamtest.OpGetRecords, 100*time.Millisecond).Keep()
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(1))
		children := s.Split(first, 1)
		last := s.Put(item(keys[0], 2))
		s.Disable()
		var got []ddbstream.Record
		for rec, err := range st.Records(t.Context()) {
			require.NoError(t, err)
			got = append(got, rec)
		}
		require.Len(t, seqs(got), 21)
		require.Equal(t, last, got[20].SequenceNumber)
		require.Equal(t, children[0], got[20].ShardID)
	})
}

// shardOfKey tells which of two initial shards a key goes to, by writing it to a
// stream of two shards and finding it there.
func shardOfKey(t *testing.T, key string) int {
	t.Helper()
	s := streamtest.NewStream(streamtest.Shards(2))
	defer s.Close()
	s.Put(item(key, 1))
	for i, id := range s.OpenShardIDs() {
		sh, err := ddbstream.NewShard(s, s.ARN(), id)
		require.NoError(t, err)
		recs, err := sh.Next(t.Context())
		require.NoError(t, err)
		if len(recs) > 0 {
			return i
		}
	}
	t.Fatalf("key %s is in no shard", key)
	return -1
}

func TestStream_MoveToResetsCleanly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(2), streamtest.Seed(19))
		defer s.Close()
		for i := range 20 {
			s.Put(item(fmt.Sprintf("k%d", i), 1))
		}
		s.Split(s.OpenShardIDs()[0], 2)
		for i := range 20 {
			s.Put(item(fmt.Sprintf("k%d", i), 2))
		}
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(3))
		readN(t, st, 7)

		require.NoError(t, st.MoveTo(t.Context(), ddbstream.Latest()))
		tok := st.Token()
		require.Len(t, tok.Shards, len(s.OpenShardIDs()), "only the open shards, at latest: %+v", tok.Shards)
		for _, sh := range tok.Shards {
			// LATEST as of the move, written as the time of the move so a resume
			// misses nothing written after it.
			require.Equal(t, "at_timestamp", sh.IteratorType)
			require.False(t, sh.Timestamp.After(time.Now()))
			require.Contains(t, s.OpenShardIDs(), sh.ShardID)
		}
		after := s.Put(item("new", 1))
		require.Equal(t, after, readN(t, st, 1)[0].SequenceNumber, "nothing buffered before the move is returned")

		require.NoError(t, st.MoveTo(t.Context(), ddbstream.TrimHorizon()))
		require.Len(t, st.Token().Shards, len(s.ShardIDs()))
		got := readN(t, st, 41)
		checkOrder(t, got, lineage(t, s))
		requireNoMore(t, st)

		err := st.MoveTo(t.Context(), ddbstream.AtSequenceNumber("100000000000000000001"))
		require.ErrorIs(t, err, ddbstream.ErrInvalidArgument)
		require.NoError(t, st.Close())
		require.ErrorIs(t, st.MoveTo(t.Context(), ddbstream.Latest()), ddbstream.ErrClosed)
	})
}

func TestStream_LogsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(20))
		defer s.Close()
		s.Put(item("k", 1))
		var buf strings.Builder
		var mu sync.Mutex
		logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return buf.Write(p)
		}), &slog.HandlerOptions{Level: slog.LevelWarn}))
		s.Throttle(streamtest.OpGetRecords, 1)
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.WithLogger(logger))
		readN(t, st, 1)
		mu.Lock()
		defer mu.Unlock()
		require.Contains(t, buf.String(), "read failed; retrying")
		require.Contains(t, buf.String(), "LimitExceededException")
		require.Contains(t, buf.String(), s.ShardIDs()[0])
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
