package streamtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

func TestStream_Faults(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "Throttle fails the next n calls with LimitExceededException", run: func(t *testing.T, e *env) {
			it := e.iterator(t, e.s.ShardIDs()[0], types.ShardIteratorTypeTrimHorizon, "")
			e.s.Throttle(streamtest.OpGetRecords, 2)
			for range 2 {
				_, err := e.page(t, it, 0)
				requireCode(t, err, "LimitExceededException", 400)
				require.True(t, isType[*types.LimitExceededException](err))
				assert.True(t, ddbstream.IsRetryable(err))
			}
			_, err := e.page(t, it, 0)
			require.NoError(t, err)
			assert.Equal(t, 3, e.s.Calls(streamtest.OpGetRecords))
			assert.Equal(t, 1, e.s.Calls(streamtest.OpGetShardIterator), "other operations are not affected")
		}},
		{name: "FailInternal answers InternalServerError with status 500", run: func(t *testing.T, e *env) {
			e.s.FailInternal(streamtest.OpDescribeStream, 1)
			_, err := e.describe(t, &describeIn{})
			requireCode(t, err, "InternalServerError", 500)
			require.True(t, isType[*types.InternalServerError](err))
			assert.True(t, ddbstream.IsRetryable(err), "retryable by its status, in process too")
			_, err = e.describe(t, &describeIn{})
			require.NoError(t, err)
		}},
		{name: "Fail answers any API error and removes itself", run: func(t *testing.T, e *env) {
			throttling := &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}
			i := e.s.Fail(streamtest.OpListStreams, throttling, 3)
			_, err := e.c.ListStreams(t.Context(), nil)
			requireCode(t, err, "ThrottlingException", 400)
			assert.True(t, ddbstream.IsRetryable(err))
			i.Remove() // sooner than 3
			_, err = e.c.ListStreams(t.Context(), nil)
			require.NoError(t, err)
		}},
		{name: "an interception fires once, on the first call it handles", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			seen := 0
			e.s.Intercept(streamtest.OpGetShardIterator, func(in any) (any, error, bool) {
				seen++
				gi := in.(*dynamodbstreams.GetShardIteratorInput)
				if gi.ShardIteratorType != types.ShardIteratorTypeLatest {
					return nil, nil, false // not this one
				}
				return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String("intercepted")}, nil, true
			})
			got := e.iterator(t, root, types.ShardIteratorTypeTrimHorizon, "")
			assert.NotEqual(t, "intercepted", got)
			got = e.iterator(t, root, types.ShardIteratorTypeLatest, "")
			assert.Equal(t, "intercepted", got, "its answer replaces the service's")
			got = e.iterator(t, root, types.ShardIteratorTypeLatest, "")
			assert.NotEqual(t, "intercepted", got, "used up")
			assert.Equal(t, 2, seen)
			assert.Equal(t, 3, e.s.Calls(streamtest.OpGetShardIterator), "intercepted calls count")
		}},
		{name: "an interception kept lasts until removed", run: func(t *testing.T, e *env) {
			i := e.s.Intercept(streamtest.OpDescribeStream, func(any) (any, error, bool) {
				return nil, &types.ResourceNotFoundException{Message: aws.String("gone")}, true
			}).Keep()
			for range 3 {
				_, err := e.describe(t, &describeIn{})
				requireCode(t, err, "ResourceNotFoundException", 400)
			}
			i.Remove()
			i.Remove()
			_, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
		}},
		{name: "an interception may register another", run: func(t *testing.T, e *env) {
			e.s.Intercept(streamtest.OpListStreams, func(any) (any, error, bool) {
				e.s.Throttle(streamtest.OpListStreams, 1)
				return nil, nil, false
			})
			_, err := e.c.ListStreams(t.Context(), nil)
			require.NoError(t, err, "the first call registers the throttle")
			_, err = e.c.ListStreams(t.Context(), nil)
			requireCode(t, err, "LimitExceededException", 400)
		}},
		{name: "an interception may answer an empty output", run: func(t *testing.T, e *env) {
			e.s.Intercept(streamtest.OpGetRecords, func(any) (any, error, bool) { return nil, nil, true })
			it := e.iterator(t, e.s.ShardIDs()[0], types.ShardIteratorTypeLatest, "")
			p, err := e.page(t, it, 0)
			require.NoError(t, err)
			assert.Empty(t, p.Records)
			assert.Nil(t, p.NextShardIterator, "as if the shard had ended")
		}},
		{name: "FailFraction fails about that share of calls, the same ones for a seed", run: func(t *testing.T, e *env) {
			pattern := func() []bool {
				i := e.s.FailFraction(streamtest.OpListStreams, &types.LimitExceededException{Message: aws.String("x")}, 0.3, 42)
				defer i.Remove()
				var failed []bool
				for range 100 {
					_, err := e.c.ListStreams(t.Context(), nil)
					failed = append(failed, err != nil)
				}
				return failed
			}
			first := pattern()
			count := 0
			for _, f := range first {
				if f {
					count++
				}
			}
			assert.InDelta(t, 30, count, 15)
			assert.Equal(t, first, pattern())
		}},
		{name: "Latency delays each call and gives way to the context", run: func(t *testing.T, e *env) {
			e.s.Latency(streamtest.OpDescribeStream, 50*time.Millisecond)
			start := time.Now()
			_, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond)

			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
			defer cancel()
			_, err = e.c.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(e.s.ARN())})
			require.ErrorIs(t, err, context.DeadlineExceeded)

			_, err = e.c.ListStreams(t.Context(), nil)
			require.NoError(t, err, "other operations are not delayed")
		}},
		{name: "Calls counts every call that reached the service and ResetCalls clears them", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			_, _ = e.describe(t, &describeIn{})
			_, _ = e.describe(t, &describeIn{Limit: aws.Int32(0)}) // refused, still counted
			it := e.iterator(t, root, types.ShardIteratorTypeLatest, "")
			_, _ = e.page(t, it, 0)
			_, _ = e.page(t, "garbage", 0)
			_, _ = e.c.ListStreams(t.Context(), nil)
			assert.Equal(t, 2, e.s.Calls(streamtest.OpDescribeStream))
			assert.Equal(t, 1, e.s.Calls(streamtest.OpGetShardIterator))
			assert.Equal(t, 2, e.s.Calls(streamtest.OpGetRecords))
			assert.Equal(t, 1, e.s.Calls(streamtest.OpListStreams))
			other := e.s.AddStream()
			_, err := e.describe(t, &describeIn{StreamArn: aws.String(other.ARN())})
			require.NoError(t, err)
			assert.Equal(t, 3, other.Calls(streamtest.OpDescribeStream), "counts are the service's")
			e.s.ResetCalls()
			assert.Zero(t, e.s.Calls(streamtest.OpDescribeStream))
			assert.Zero(t, other.Calls(streamtest.OpGetRecords))
		}},
	})
}

// TestStream_InterceptErrors checks how an error that is not an API error goes out: as
// it is in process, as InternalServerError over HTTP.
func TestStream_InterceptErrors(t *testing.T) {
	boom := errors.New("boom")
	s := streamtest.NewStream()
	t.Cleanup(s.Close)
	s.Fail(streamtest.OpListStreams, boom, 2)

	_, err := s.ListStreams(t.Context(), nil)
	require.ErrorIs(t, err, boom)
	var oe *smithy.OperationError
	require.ErrorAs(t, err, &oe)

	_, err = newClient(s.URL(), 1).ListStreams(t.Context(), nil)
	requireCode(t, err, "InternalServerError", 500)
	require.ErrorContains(t, err, "boom")
}
