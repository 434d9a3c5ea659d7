package streamtest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

// Tests of one path only: misuse, the HTTP layer itself, the SDK's retries, concurrency.

func TestStream_PanicsOnMisuse(t *testing.T) {
	t.Parallel()
	s := streamtest.NewStream()
	t.Cleanup(s.Close)
	root := s.ShardIDs()[0]
	cases := []struct {
		name string
		f    func()
	}{
		{"a split of an unknown shard", func() { s.Split("shardId-00000000000000000000-00000000", 1) }},
		{"a split into three", func() { s.Split(root, 3) }},
		{"an item without its key", func() { s.Put(map[string]types.AttributeValue{"id": str("a")}) }},
		{"a key of the wrong type", func() { s.Put(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberBOOL{Value: true}}) }},
		{"an empty string key", func() { s.Put(map[string]types.AttributeValue{"pk": str("")}) }},
		{"a nil value", func() { s.Put(map[string]types.AttributeValue{"pk": str("a"), "x": nil}) }},
		{"a delete without the key", func() { s.Delete(map[string]types.AttributeValue{"v": num(1)}) }},
		{"a service-wide option for AddStream", func() { s.AddStream(streamtest.NoTimestamp()) }},
		{"a bad option", func() { streamtest.NewStream(streamtest.Shards(0)) }},
		{"a short sequence start", func() { streamtest.SequenceStart("12345") }},
		{"a bad table name", func() { streamtest.TableName("a b") }},
		{"a bad view type", func() { streamtest.StreamViewType("ALL") }},
		{"a nil option", func() { streamtest.NewStream(nil) }},
		{"a negative Advance", func() { s.Advance(-time.Second) }},
		{"an unknown Op", func() { s.Throttle("PutRecord", 1) }},
		{"a nil interception", func() { s.Intercept(streamtest.OpGetRecords, nil) }},
		{"a bad fraction", func() { s.FailFraction(streamtest.OpGetRecords, io.EOF, 1.5, 1) }},
	}
	for _, c := range cases {
		assert.Panics(t, c.f, c.name)
	}

	// A closed shard cannot be split again, and a key whose shard closed with no
	// children cannot be written while the stream is enabled.
	s.Split(root, 0)
	assert.Panics(t, func() { s.Split(root, 1) })
	assert.Panics(t, func() { s.Put(item("a", 1)) })
	s.Disable()
	assert.NotPanics(t, func() { s.Put(item("a", 1)) }, "a disabled stream takes writes without records")

	// An interception answering the wrong type is a bug in the test.
	s.Intercept(streamtest.OpListStreams, func(any) (any, error, bool) {
		return &dynamodbstreams.GetRecordsOutput{}, nil, true
	})
	assert.Panics(t, func() { _, _ = s.ListStreams(t.Context(), nil) })
	// Over HTTP the panic comes back as a server error that says what happened.
	s.Intercept(streamtest.OpListStreams, func(any) (any, error, bool) {
		return &dynamodbstreams.GetRecordsOutput{}, nil, true
	})
	_, err := newClient(s.URL(), 1).ListStreams(t.Context(), nil)
	requireCode(t, err, "InternalServerError", 500)
	assert.ErrorContains(t, err, "an interception of ListStreams answered *dynamodbstreams.GetRecordsOutput")
}

func TestStream_PutCopiesAndAnswersCopy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream()
		defer s.Close()
		it := item("a", 1)
		s.Put(it)
		it["v"] = num(99) // the caller's map is the caller's
		read := func() types.Record {
			out, err := s.GetShardIterator(t.Context(), &iteratorIn{StreamArn: aws.String(s.ARN()), ShardId: aws.String(s.ShardIDs()[0]), ShardIteratorType: "TRIM_HORIZON"})
			require.NoError(t, err)
			p, err := s.GetRecords(t.Context(), &dynamodbstreams.GetRecordsInput{ShardIterator: out.ShardIterator})
			require.NoError(t, err)
			return p.Records[0]
		}
		r := read()
		assert.Equal(t, item("a", 1), r.Dynamodb.NewImage)
		delete(r.Dynamodb.NewImage, "v") // a reader's map is the reader's
		assert.Equal(t, item("a", 1), read().Dynamodb.NewImage)
	})
}

func TestStream_SDKRetriesInternalServerError(t *testing.T) {
	t.Parallel()
	s := streamtest.NewStream()
	t.Cleanup(s.Close)
	c := newClient(s.URL(), 0) // the SDK's default retries
	s.FailInternal(streamtest.OpDescribeStream, 1)
	out, err := c.DescribeStream(t.Context(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(s.ARN())})
	require.NoError(t, err)
	assert.Equal(t, s.ARN(), aws.ToString(out.StreamDescription.StreamArn))
	assert.Equal(t, 2, s.Calls(streamtest.OpDescribeStream))
}

func TestStream_HTTP(t *testing.T) {
	t.Parallel()
	s := streamtest.NewStream()
	t.Cleanup(s.Close)
	url := s.URL()
	assert.Equal(t, url, s.URL(), "one listener")
	assert.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), url)

	post := func(target, body string) (int, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		assert.Equal(t, "application/x-amz-json-1.0", resp.Header.Get("Content-Type"))
		assert.Len(t, resp.Header.Get("X-Amzn-Requestid"), 52)
		return resp.StatusCode, string(b)
	}
	const errPrefix = `{"__type":"com.amazonaws.dynamodb.v20120810#`
	cases := []struct {
		name, target, body string
		status             int
		prefix             string
	}{
		{"no target", "", `{}`, 400, errPrefix + `UnknownOperationException"`},
		{"an unknown operation", "DynamoDBStreams_20120810.PutRecord", `{}`, 400, errPrefix + `UnknownOperationException"`},
		{"DynamoDB's own target", "DynamoDB_20120810.ListStreams", `{}`, 400, errPrefix + `UnknownOperationException"`},
		{"malformed JSON", "DynamoDBStreams_20120810.ListStreams", `{"Limit":`, 400, errPrefix + `SerializationException"`},
		{"not an object", "DynamoDBStreams_20120810.ListStreams", `[1]`, 400, errPrefix + `SerializationException"`},
		{"a string limit", "DynamoDBStreams_20120810.ListStreams", `{"Limit":"5"}`, 400, errPrefix + `SerializationException"`},
		{"a fractional limit", "DynamoDBStreams_20120810.GetRecords", `{"Limit":1.5,"ShardIterator":"x"}`, 400, errPrefix + `SerializationException"`},
		{"a string timestamp", "DynamoDBStreams_20120810.GetShardIterator", `{"Timestamp":"2026-01-01T00:00:00Z"}`, 400, errPrefix + `SerializationException"`},
		{"a missing ARN", "DynamoDBStreams_20120810.DescribeStream", `{}`, 400, errPrefix + `ValidationException"`},
		{"a missing iterator", "DynamoDBStreams_20120810.GetRecords", `{"ShardIterator":null}`, 400, errPrefix + `ValidationException"`},
		{"keys are case-sensitive", "DynamoDBStreams_20120810.DescribeStream", `{"streamArn":"` + s.ARN() + `"}`, 400, errPrefix + `ValidationException"`},
		{"an empty body", "DynamoDBStreams_20120810.ListStreams", ``, 200, `{"Streams":[{"StreamArn":"` + s.ARN() + `"`},
		{"a good request", "DynamoDBStreams_20120810.DescribeStream", `{"StreamArn":"` + s.ARN() + `","Limit":1}`, 200, `{"StreamDescription":{"CreationRequestDateTime":`},
	}
	for _, c := range cases {
		status, body := post(c.target, c.body)
		assert.Equal(t, c.status, status, "%s: %s", c.name, body)
		assert.True(t, strings.HasPrefix(body, c.prefix), "%s: %s", c.name, body)
	}

	// GET is not the protocol.
	resp, err := http.Get(url)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 400, resp.StatusCode)
}

// Regression: with the SDK's own HTTP client, about one large GetRecords answer in
// fifteen failed with "deserialization failed … use of closed network connection"
// (a race between smithy-go and net/http that only a fast server reveals; see
// HTTPClient). With HTTPClient every call succeeds.
func TestHTTPClient_LargeAnswers(t *testing.T) {
	t.Parallel()
	s := streamtest.NewStream(streamtest.StreamViewType(types.StreamViewTypeNewImage))
	t.Cleanup(s.Close)
	s.Put(map[string]types.AttributeValue{"pk": str("a"), "blob": str(strings.Repeat("x", 300_000))})
	c := newClient(s.URL(), 1)
	it, err := c.GetShardIterator(t.Context(), &iteratorIn{StreamArn: aws.String(s.ARN()), ShardId: aws.String(s.ShardIDs()[0]), ShardIteratorType: "TRIM_HORIZON"})
	require.NoError(t, err)
	for i := range 100 {
		p, err := c.GetRecords(t.Context(), &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
		require.NoError(t, err, "call %d", i)
		require.Len(t, p.Records, 1)
	}
}

func TestStream_CloseWaitsAndIsIdempotent(t *testing.T) {
	t.Parallel()
	s := streamtest.NewStream()
	s.Latency(streamtest.OpListStreams, time.Hour)
	c := newClient(s.URL(), 1)
	done := make(chan error)
	go func() {
		_, err := c.ListStreams(context.Background(), nil)
		done <- err
	}()
	require.Eventually(t, func() bool { return s.Calls(streamtest.OpListStreams) == 1 }, 5*time.Second, time.Millisecond)
	start := time.Now()
	s.Close() // cancels the hour-long wait and waits for the answer
	assert.Less(t, time.Since(start), 5*time.Second)
	require.Error(t, <-done)
	s.Close()
	assert.Panics(t, func() { s.URL() })

	other := s.AddStream()
	other.Close() // every handle closes the service; again, nothing
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	_, err := s.ListStreams(ctx, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded, "in process, calls still work: the latency applies")
}

func TestStream_Concurrent(t *testing.T) {
	t.Parallel()
	s := streamtest.NewStream(streamtest.Shards(4), streamtest.EmptyPages(1))
	t.Cleanup(s.Close)
	c := newClient(s.URL(), 1)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 200 {
				s.Put(item(string(rune('a'+w))+string(rune('a'+i%26)), i))
			}
		})
	}
	read := map[string]int{}
	var mu sync.Mutex
	for _, id := range s.ShardIDs() {
		for _, sess := range []api{s, c} {
			wg.Go(func() {
				out, err := sess.GetShardIterator(t.Context(), &iteratorIn{StreamArn: aws.String(s.ARN()), ShardId: aws.String(id), ShardIteratorType: "TRIM_HORIZON"})
				if !assert.NoError(t, err) {
					return
				}
				it := out.ShardIterator
				for range 50 {
					p, err := sess.GetRecords(t.Context(), &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(10)})
					if !assert.NoError(t, err) {
						return
					}
					mu.Lock()
					read[id] += len(p.Records)
					mu.Unlock()
					it = p.NextShardIterator
				}
			})
		}
	}
	wg.Wait()
	assert.NotEmpty(t, read)
}

func TestStream_SyncTestAdvancesWithSleep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream()
		defer s.Close()
		start := s.Now()
		time.Sleep(25 * time.Hour)
		assert.Equal(t, 25*time.Hour, s.Now().Sub(start))
		s.Advance(time.Minute)
		assert.Equal(t, 25*time.Hour+time.Minute, s.Now().Sub(start))

		s.Latency(streamtest.OpListStreams, 10*time.Second)
		before := time.Now()
		_, err := s.ListStreams(t.Context(), nil)
		require.NoError(t, err)
		assert.Equal(t, 10*time.Second, time.Since(before), "virtual latency, exactly")
	})
}

func TestStream_Seed(t *testing.T) {
	t.Parallel()
	run := func() []byte {
		var out []byte
		synctest.Test(t, func(t *testing.T) {
			s := streamtest.NewStream(streamtest.Seed(7), streamtest.Shards(3))
			defer s.Close()
			for i := range 10 {
				out = append(out, s.Put(item(string(rune('a'+i)), i))...)
			}
			out = append(out, strings.Join(s.ShardIDs(), ",")...)
		})
		return out
	}
	assert.True(t, bytes.Equal(run(), run()), "same seed, same numbers and IDs")
}

func TestSeed_CallsDoNotShiftTheData(t *testing.T) {
	// Regression (reported by the CLI's tests): request IDs came from the same generator
	// as sequence numbers and shard IDs, so a write made after some HTTP calls got other
	// numbers than the same write made after none.
	written := func(calls int) (ddbstream.SequenceNumber, []string) {
		s := streamtest.NewStream(streamtest.Seed(7))
		defer s.Close()
		s.Put(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}})
		c := dynamodbstreams.New(dynamodbstreams.Options{
			Region: "us-east-1", BaseEndpoint: aws.String(s.URL()), RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			HTTPClient:  streamtest.HTTPClient(),
		})
		for range calls {
			_, err := c.DescribeStream(t.Context(), &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(s.ARN())})
			require.NoError(t, err)
		}
		ids := s.Split(s.OpenShardIDs()[0], 2)
		return s.Put(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "b"}}), ids
	}
	seq0, ids0 := written(0)
	seq3, ids3 := written(3)
	require.Equal(t, seq0, seq3)
	require.Equal(t, ids0[0][len(ids0[0])-8:], ids3[0][len(ids3[0])-8:], "shard ID suffixes")
}
