package ddbstream_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

var (
	randomSeed = flag.Uint64("seed", 0, "run TestStream_Random with this seed only")
	randomRuns = flag.Int("runs", 6, "how many seeds TestStream_Random tries")
)

// TestStream_Random drives a stream through random writes, updates and deletes on many
// keys, roll-overs, splits, pauses long enough to expire iterators and to trim records
// already read (so trimmed parents leave the listing), throttling and server errors,
// while a consumer reads at random paces and, at random points, saves a token, closes
// its Stream and resumes in a new one. At the end the stream is disabled and drained.
// It checks that every record written was delivered exactly once, that each key's
// changes came in the order they were made, and that no shard's record came after a
// record of one of its descendants. A failure prints its seed; rerun it with
// go test -run TestStream_Random -seed N.
func TestStream_Random(t *testing.T) {
	seeds := []uint64{*randomSeed}
	if *randomSeed == 0 {
		seeds = seeds[:0]
		base := uint64(time.Now().UnixNano())
		for i := range *randomRuns {
			seeds = append(seeds, base+uint64(i))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("reproduce with: go test -race -run 'TestStream_Random' -seed %d .", seed)
				}
			})
			synctest.Test(t, func(t *testing.T) { randomRun(t, seed) })
		})
	}
}

// written is what the test knows of one record it caused.
type written struct {
	key string
	seq ddbstream.SequenceNumber
}

func randomRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))
	var opts []streamtest.Option
	opts = append(opts, streamtest.Seed(seed), streamtest.Shards(1+rng.IntN(4)), streamtest.EmptyPages(rng.IntN(3)))
	if rng.IntN(3) == 0 {
		opts = append(opts, streamtest.NoTimestamp())
	}
	if rng.IntN(3) == 0 {
		opts = append(opts, streamtest.SequenceStart("999999999999999999900"))
	}
	s := streamtest.NewStream(opts...)
	defer s.Close()

	streamOpts := []ddbstream.Option{
		ddbstream.GetRecordsLimit(1 + rng.IntN(20)),
		ddbstream.BufferSize(1 + rng.IntN(50)),
		ddbstream.Concurrency(1 + rng.IntN(8)),
		ddbstream.MaxEmptyPages(1 + rng.IntN(5)),
		ddbstream.IdlePollInterval(time.Minute), // days pass in this test: keep idle polls few
	}
	parents := map[string]string{}
	var all []written
	byKey := map[string][]ddbstream.SequenceNumber{}
	exists := map[string]bool{}
	version := 0
	write := func() {
		key := fmt.Sprintf("k%02d", rng.IntN(25))
		var seq ddbstream.SequenceNumber
		ok := true
		switch r := rng.IntN(10); {
		case r < 7:
			version++
			seq = s.Put(map[string]types.AttributeValue{
				"pk": &types.AttributeValueMemberS{Value: key},
				"v":  &types.AttributeValueMemberN{Value: fmt.Sprint(version)},
			})
			exists[key] = true
		case r < 9:
			seq, ok = s.Delete(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}})
			delete(exists, key)
		default:
			seq, ok = s.ExpireTTL(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: key}})
			delete(exists, key)
		}
		if ok {
			all = append(all, written{key, seq})
			byKey[key] = append(byKey[key], seq)
		}
	}

	st, err := ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.TrimHorizon(), streamOpts...)
	require.NoError(t, err)
	var got []ddbstream.Record
	// consume reads up to n records, stopping early when none comes for a while.
	consume := func(n int) {
		for range n {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			rec, err := st.Next(ctx)
			cancel()
			if errors.Is(err, context.DeadlineExceeded) {
				return
			}
			require.NoError(t, err)
			got = append(got, rec)
		}
	}
	resumes := 0
	fault := s.Throttle(streamtest.OpListStreams, 1) // a placeholder the first fault removes
	for range 250 {
		switch r := rng.IntN(100); {
		case r < 45:
			for range 1 + rng.IntN(5) {
				write()
			}
		case r < 52:
			ids := s.OpenShardIDs()
			if len(ids) < 12 {
				id := ids[rng.IntN(len(ids))]
				for _, c := range s.Split(id, 1+rng.IntN(2)) {
					parents[c] = id
				}
			}
		case r < 70:
			consume(1 + rng.IntN(30))
		case r < 78:
			time.Sleep(time.Duration(1+rng.IntN(20)) * time.Minute) // iterators expire
		case r < 81:
			// Catch up, then let a day pass: only records already read are trimmed, and
			// closed shards drop out of the listing, leaving their children as roots.
			for len(got) < len(all) {
				got = append(got, readN(t, st, len(all)-len(got))...)
			}
			time.Sleep(25 * time.Hour)
		case r < 86:
			// One fault at a time: stacked faults would outlast any retry policy, which
			// is a stream that is down, not one that is flaky.
			fault.Remove()
			op := []streamtest.Op{streamtest.OpGetRecords, streamtest.OpGetShardIterator, streamtest.OpDescribeStream}[rng.IntN(3)]
			if rng.IntN(2) == 0 {
				fault = s.Throttle(op, 1+rng.IntN(3))
			} else {
				fault = s.FailInternal(op, 1+rng.IntN(3))
			}
		default:
			tok := roundTrip(t, st.Token())
			require.NoError(t, st.Close())
			st, err = ddbstream.ResumeStream(t.Context(), s, tok, streamOpts...)
			require.NoError(t, err, "resume %d", resumes)
			resumes++
		}
	}
	s.Disable()
	for rec, err := range st.Records(t.Context()) {
		require.NoError(t, err)
		got = append(got, rec)
	}
	require.NoError(t, st.Close())
	t.Logf("%d records written, %d delivered, %d resumes, %d shards split off", len(all), len(got), resumes, len(parents))

	// Exactly once.
	delivered := map[ddbstream.SequenceNumber]int{}
	for _, r := range got {
		delivered[r.SequenceNumber]++
	}
	for _, w := range all {
		require.Equal(t, 1, delivered[w.seq], "record %s of key %s delivered %d times", w.seq, w.key, delivered[w.seq])
	}
	require.Len(t, got, len(all), "nothing delivered that was not written")
	// Each key's changes in the order made.
	gotByKey := map[string][]ddbstream.SequenceNumber{}
	for _, r := range got {
		gotByKey[keyOf(r)] = append(gotByKey[keyOf(r)], r.SequenceNumber)
	}
	for key, want := range byKey {
		require.Equal(t, want, gotByKey[key], "changes of key %s", key)
	}
	// Parents before children.
	last := map[string]int{}
	for i, r := range got {
		last[r.ShardID] = i
	}
	for i, r := range got {
		for p := parents[r.ShardID]; p != ""; p = parents[p] {
			if j, ok := last[p]; ok {
				require.Less(t, j, i, "record %d in %s came before the last record of its ancestor %s", i, r.ShardID, p)
			}
		}
	}
}
