package ddbstream_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

// Regression tests for what the review of the Stream found. Each opens with what broke.

// A stream opened at Latest: a record written after the open, while the token still
// said "latest" for its shard (nothing read yet), was lost when the token was resumed,
// because the resumed Stream took a new LATEST iterator. The token now says when.
func TestStream_LatestTokenKeepsRecordsWrittenBeforeTheFirstRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(30))
		defer s.Close()
		st, err := ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.Latest())
		require.NoError(t, err)
		synctest.Wait() // the pump has polled and sleeps until its next poll
		want := s.Put(item("k", 1))
		tok := roundTrip(t, st.Token())
		require.Equal(t, "at_timestamp", tok.Shards[0].IteratorType)
		require.NoError(t, st.Close())

		resumed, err := ddbstream.ResumeStream(t.Context(), s, tok)
		require.NoError(t, err)
		defer resumed.Close()
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		rec, err := resumed.Next(ctx)
		require.NoError(t, err, "record %s, written after OpenStream(Latest) and never returned, is lost", want)
		require.Equal(t, want, rec.SequenceNumber)
	})
}

// A child's iterator is taken ahead while its parent is read. When that GetShardIterator
// failed retryably, the schedule ignored the backoff and retried at once, in a loop.
func TestStream_ChildIteratorRetriedWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(31))
		defer s.Close()
		for i := range 20 {
			s.Put(item("k", i+1))
		}
		child := s.Split(s.OpenShardIDs()[0], 1)[0]
		s.Put(item("k", 21))
		start := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		s.Intercept(streamtest.OpGetShardIterator, func(in any) (any, error, bool) {
			if aws.ToString(in.(*dynamodbstreams.GetShardIteratorInput).ShardId) != child {
				return nil, nil, false
			}
			mu.Lock()
			defer mu.Unlock()
			if len(at) >= 20 { // let it through at last
				return nil, nil, false
			}
			at = append(at, time.Since(start))
			return nil, &types.LimitExceededException{Message: aws.String("Rate exceeded")}, true
		}).Keep()
		s.Latency(streamtest.OpGetRecords, 100*time.Millisecond).Keep()
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(1))
		readN(t, st, 21)
		mu.Lock()
		defer mu.Unlock()
		inFirstSecond := 0
		for _, d := range at {
			if d < time.Second {
				inFirstSecond++
			}
		}
		// Backoff(100ms, 30s) allows a handful of attempts in a second.
		require.LessOrEqual(t, inFirstSecond, 10, "%d throttled GetShardIterator calls for %s in the first second", inFirstSecond, child)
	})
}

// With the buffer full, a LATEST shard nearing 10 minutes gets a heartbeat. When that
// GetRecords failed retryably, the schedule ignored the backoff and retried at once.
func TestStream_HeartbeatRetriedWithBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Shards(2), streamtest.Seed(32))
		defer s.Close()
		start := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		s.Intercept(streamtest.OpGetRecords, func(in any) (any, error, bool) {
			if aws.ToInt32(in.(*dynamodbstreams.GetRecordsInput).Limit) != 1 { // only heartbeats
				return nil, nil, false
			}
			mu.Lock()
			defer mu.Unlock()
			if len(at) >= 200 {
				return nil, nil, false
			}
			at = append(at, time.Since(start))
			return nil, &types.LimitExceededException{Message: aws.String("Rate exceeded")}, true
		}).Keep()
		st := openStream(t, s, ddbstream.Latest(), ddbstream.BufferSize(1))
		// Fill the buffer from the first shard only; the consumer is away, so the
		// second shard, at LATEST with nothing read, needs heartbeats.
		for i, n := 0, 0; n < 3; i++ {
			if k := fmt.Sprintf("k%d", i); shardOfKey(t, k) == 0 {
				s.Put(item(k, 1))
				n++
			}
		}
		time.Sleep(12 * time.Minute)
		mu.Lock()
		n := len(at)
		var spread time.Duration
		if n > 0 {
			spread = at[n-1] - at[0]
		}
		mu.Unlock()
		_ = st
		require.Greater(t, n, 0, "a heartbeat was due")
		require.False(t, n >= 50 && spread < time.Second, "%d throttled heartbeats within %v", n, spread)
	})
}

// A seek with SkipTrimmed: one TrimmedDataAccessException while the shard was still
// seeking reset it to TRIM_HORIZON as a plain position, so the Stream then delivered
// records created before the seek time. The seek now goes on.
func TestStream_TrimmedSkipKeepsAnUnfinishedSeek(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(33))
		defer s.Close()
		for m := range 60 {
			s.Put(item("k", m+1))
			time.Sleep(time.Minute)
		}
		at := time.Now().Add(-30 * time.Minute)
		// The first GetRecords, made while the shard still seeks, answers trimmed.
		s.Fail(streamtest.OpGetRecords, &types.TrimmedDataAccessException{Message: aws.String("trimmed")}, 1)
		st := openStream(t, s, ddbstream.AtTimestamp(at), ddbstream.SkipTrimmed(nil))
		rec := readN(t, st, 1)[0]
		require.False(t, rec.CreatedAt.Before(at.Truncate(time.Second)),
			"opened at AtTimestamp(%v), the first record returned was created at %v", at, rec.CreatedAt)
	})
}

// The SkipTrimmed report was called with the Stream's lock held: a report that saved a
// token (st.Token()) deadlocked the Stream. Run without synctest: a goroutine blocked on
// a sync.Mutex is not durably blocked, so a bubble would hang instead of failing.
func TestStream_GapReportMayTakeAToken(t *testing.T) {
	s := streamtest.NewStream(streamtest.Seed(34))
	defer s.Close()
	for i := range 3 {
		s.Put(item("k", i+1))
	}
	var stp atomic.Pointer[ddbstream.Stream]
	ready := make(chan struct{})
	deadlocked := make(chan bool, 1)
	report := func(ddbstream.Gap) {
		<-ready
		done := make(chan struct{})
		go func() { stp.Load().Token(); close(done) }()
		select {
		case <-done:
			deadlocked <- false
		case <-time.After(2 * time.Second):
			deadlocked <- true
		}
	}
	s.Fail(streamtest.OpGetRecords, &types.TrimmedDataAccessException{Message: aws.String("trimmed")}, 1)
	st, err := ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.TrimHorizon(), ddbstream.SkipTrimmed(report))
	require.NoError(t, err)
	defer st.Close()
	stp.Store(st)
	close(ready)
	require.False(t, <-deadlocked, "Stream.Token() called from the SkipTrimmed report never returns")
}

// With PollInterval(1m) and the default IdlePollInterval(5s), idle shards were polled
// twelve times as often as caught-up ones. The idle wait is now at least PollInterval.
func TestStream_IdlePollIntervalIsAtLeastPollInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(35))
		defer s.Close()
		st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.PollInterval(time.Minute))
		_ = st
		time.Sleep(time.Minute)
		s.ResetCalls()
		time.Sleep(10 * time.Minute)
		// Ten polls a minute apart, eleven when the window catches both ends.
		require.LessOrEqual(t, s.Calls(streamtest.OpGetRecords), 11,
			"an idle shard polled %d times in 10 minutes with PollInterval(1m)", s.Calls(streamtest.OpGetRecords))
	})
}

// A skipped gap was reported only when the next page came; a Close in between left a
// trim_horizon token, and the resumed Stream never reported the gap. Gaps are now
// reported when found.
func TestStream_GapReportedEvenWhenClosedBeforeTheNextPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream(streamtest.Seed(36))
		defer s.Close()
		for i := range 5 {
			s.Put(item("k", i+1))
		}
		var mu sync.Mutex
		gaps := 0
		report := func(ddbstream.Gap) { mu.Lock(); gaps++; mu.Unlock() }
		s.Latency(streamtest.OpGetShardIterator, time.Minute).Keep()
		s.Fail(streamtest.OpGetRecords, &types.TrimmedDataAccessException{Message: aws.String("trimmed")}, 1)
		st, err := ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.TrimHorizon(), ddbstream.SkipTrimmed(report))
		require.NoError(t, err)
		time.Sleep(90 * time.Second) // the read failed at 1m; the new iterator comes at 2m
		tok := roundTrip(t, st.Token())
		require.NoError(t, st.Close())
		resumed, err := ddbstream.ResumeStream(t.Context(), s, tok, ddbstream.SkipTrimmed(report))
		require.NoError(t, err)
		defer resumed.Close()
		readN(t, resumed, 5)
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, 1, gaps, "the skipped gap was never reported")
	})
}

// A token whose stream_arn was missing or malformed failed with ErrInvalidArgument, not
// the documented ErrInvalidToken, because the ARN was checked before the token.
func TestStream_TokenWithBadStreamARNIsAnInvalidToken(t *testing.T) {
	s := streamtest.NewStream()
	defer s.Close()
	for _, arn := range []string{"", "not-an-arn"} {
		_, err := ddbstream.ResumeStream(t.Context(), s, ddbstream.StreamToken{Version: 1, StreamARN: arn})
		require.ErrorIs(t, err, ddbstream.ErrInvalidToken, "stream_arn %q", arn)
	}
}
