package streamtest_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

// This file runs one scenario table against both ways of reaching a stream: the
// in-process Session, inside a testing/synctest bubble, and a real SDK client on the
// loopback endpoint, outside one. A scenario sees only the api interface and env.wait,
// so the two cannot drift apart.

// api is what both a *streamtest.Stream and a *dynamodbstreams.Client offer.
type api interface {
	ddbstream.Session
	ListStreams(ctx context.Context, in *dynamodbstreams.ListStreamsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error)
}

var (
	_ api = (*streamtest.Stream)(nil)
	_ api = (*dynamodbstreams.Client)(nil)
)

// env is what a scenario works with.
type env struct {
	s    *streamtest.Stream
	c    api
	http bool
	// wait moves the stream's clock by d: time.Sleep in the bubble, Advance over HTTP.
	wait func(d time.Duration)
}

type scenario struct {
	name string
	opts []streamtest.Option
	run  func(t *testing.T, e *env)
}

// runScenarios runs each scenario in process (in a synctest bubble) and over HTTP.
func runScenarios(t *testing.T, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			t.Run("session", func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					s := streamtest.NewStream(sc.opts...)
					t.Cleanup(s.Close)
					sc.run(t, &env{s: s, c: s, wait: time.Sleep})
				})
			})
			t.Run("http", func(t *testing.T) {
				t.Parallel()
				s := streamtest.NewStream(sc.opts...)
				t.Cleanup(s.Close)
				sc.run(t, &env{s: s, c: newClient(s.URL(), 1), http: true, wait: s.Advance})
			})
		})
	}
}

// newClient returns an SDK client for a loopback endpoint; attempts 0 keeps the SDK's
// default retries.
func newClient(url string, attempts int) *dynamodbstreams.Client {
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: attempts,
		HTTPClient:       streamtest.HTTPClient(),
	})
}

// Items and keys.

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func num(v int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

// item is an item with partition key pk and attribute v.
func item(pk string, v int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk), "v": num(v)}
}

func key(pk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"pk": str(pk)}
}

// Calls.

func (e *env) iterator(t *testing.T, shardID string, typ types.ShardIteratorType, seq ddbstream.SequenceNumber) string {
	t.Helper()
	it, err := e.getIterator(t, &dynamodbstreams.GetShardIteratorInput{ShardId: &shardID, ShardIteratorType: typ, SequenceNumber: optSeq(seq)})
	require.NoError(t, err)
	return it
}

// getIterator fills in the stream ARN when in.StreamArn is nil.
func (e *env) getIterator(t *testing.T, in *dynamodbstreams.GetShardIteratorInput) (string, error) {
	t.Helper()
	if in.StreamArn == nil {
		in.StreamArn = aws.String(e.s.ARN())
	}
	out, err := e.c.GetShardIterator(t.Context(), in)
	if err != nil {
		return "", err
	}
	require.NotNil(t, out.ShardIterator)
	require.LessOrEqual(t, len(*out.ShardIterator), 2048)
	return *out.ShardIterator, nil
}

func (e *env) page(t *testing.T, it string, limit int32) (*dynamodbstreams.GetRecordsOutput, error) {
	t.Helper()
	in := &dynamodbstreams.GetRecordsInput{ShardIterator: &it}
	if limit > 0 {
		in.Limit = &limit
	}
	return e.c.GetRecords(t.Context(), in)
}

// drain reads a shard from TRIM_HORIZON until a nil iterator or an empty page.
func (e *env) drain(t *testing.T, shardID string) (recs []types.Record, closed bool) {
	t.Helper()
	it := e.iterator(t, shardID, types.ShardIteratorTypeTrimHorizon, "")
	return e.readOn(t, it)
}

// readOn reads from it until a nil iterator or an empty page.
func (e *env) readOn(t *testing.T, it string) (recs []types.Record, closed bool) {
	t.Helper()
	for {
		out, err := e.page(t, it, 0)
		require.NoError(t, err)
		recs = append(recs, out.Records...)
		if out.NextShardIterator == nil {
			return recs, true
		}
		if len(out.Records) == 0 {
			return recs, false
		}
		it = *out.NextShardIterator
	}
}

// drainAll reads every listed shard, in ID order.
func (e *env) drainAll(t *testing.T) map[string][]types.Record {
	t.Helper()
	out := map[string][]types.Record{}
	for _, id := range e.s.ShardIDs() {
		out[id], _ = e.drain(t, id)
	}
	return out
}

func (e *env) describe(t *testing.T, in *dynamodbstreams.DescribeStreamInput) (*types.StreamDescription, error) {
	t.Helper()
	if in.StreamArn == nil {
		in.StreamArn = aws.String(e.s.ARN())
	}
	out, err := e.c.DescribeStream(t.Context(), in)
	if err != nil {
		return nil, err
	}
	require.NotNil(t, out.StreamDescription)
	return out.StreamDescription, nil
}

// Errors.

// requireCode checks that err is an API error with the code, as the SDK delivers it,
// with the HTTP status the service would send.
func requireCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	require.Error(t, err)
	var ae smithy.APIError
	require.ErrorAs(t, err, &ae, "error %v", err)
	require.Equal(t, code, ae.ErrorCode(), "error %v", err)
	var hs interface{ HTTPStatusCode() int }
	require.ErrorAs(t, err, &hs, "error %v", err)
	require.Equal(t, status, hs.HTTPStatusCode(), "error %v", err)
	var oe *smithy.OperationError
	require.ErrorAs(t, err, &oe, "error %v", err)
	require.Equal(t, "DynamoDB Streams", oe.Service())
}

func requireValidation(t *testing.T, err error) {
	t.Helper()
	requireCode(t, err, "ValidationException", 400)
}

// requireMissingParam checks the SDK's own refusal of a missing required field.
func requireMissingParam(t *testing.T, err error, field string) {
	t.Helper()
	var ipe smithy.InvalidParamsError
	require.ErrorAs(t, err, &ipe, "error %v", err)
	require.ErrorContains(t, err, "missing required field")
	require.ErrorContains(t, err, field)
}

func optSeq(seq ddbstream.SequenceNumber) *string {
	if seq == "" {
		return nil
	}
	return aws.String(string(seq))
}

func seqOf(r types.Record) ddbstream.SequenceNumber {
	return ddbstream.SequenceNumber(aws.ToString(r.Dynamodb.SequenceNumber))
}

func ids(recs []types.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Dynamodb.Keys["pk"].(*types.AttributeValueMemberS).Value
	}
	return out
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

type (
	describeIn = dynamodbstreams.DescribeStreamInput
	iteratorIn = dynamodbstreams.GetShardIteratorInput
)
