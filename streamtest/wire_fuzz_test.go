package streamtest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"
)

// FuzzServeHTTP feeds arbitrary request bodies to every operation of the loopback
// endpoint. Invariants: it never panics; it answers 200, 400 or 500; the body is valid
// JSON, and an error body has a __type of the service's namespace and a message.
func FuzzServeHTTP(f *testing.F) {
	s := NewStream(Seed(1), Shards(2), EmptyPages(1))
	defer s.Close()
	s.Put(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}})
	shard := s.ShardIDs()[0]
	s.Split(shard, 2)
	arn := s.ARN()
	seeds := []struct {
		op   byte
		body string
	}{
		{0, `{"StreamArn":"` + arn + `"}`},
		{0, `{"StreamArn":"` + arn + `","Limit":1,"ExclusiveStartShardId":"` + shard + `"}`},
		{0, `{"StreamArn":"` + arn + `","ShardFilter":{"ShardId":"` + shard + `","Type":"CHILD_SHARDS"}}`},
		{0, `{"StreamArn":"` + arn + `","ShardFilter":null,"Limit":null}`},
		{1, `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"TRIM_HORIZON"}`},
		{1, `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"AT_SEQUENCE_NUMBER","SequenceNumber":"100000000000000000000"}`},
		{1, `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1795651200.48}`},
		{1, `{"StreamArn":"` + arn + `","ShardId":"` + shard + `","ShardIteratorType":"AT_TIMESTAMP","Timestamp":1e300}`},
		{2, `{"ShardIterator":"` + arn + `|1|AAAA","Limit":1000}`},
		{2, `{"ShardIterator":"garbage"}`},
		{3, `{"TableName":"Table1","Limit":100}`},
		{3, `{"ExclusiveStartStreamArn":"` + arn + `"}`},
		{3, ``},
		{3, `{`},
		{3, `[]`},
		{3, `null`},
		{3, `"x"`},
		{0, `{"StreamArn":{"S":"x"}}`},
		{2, `{"Limit":-1e400}`},
		{1, `{"Timestamp":-9.3e18}`},
	}
	for _, sd := range seeds {
		f.Add(sd.op, []byte(sd.body))
	}
	// A real iterator, so the fuzzer starts from bodies that reach the records.
	iter := s.svc.encodeIterator(iterator{arn: arn, shard: shard, issued: s.Now()})
	f.Add(byte(2), []byte(`{"ShardIterator":"`+iter+`","Limit":1}`))

	f.Fuzz(func(t *testing.T, op byte, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(body)))
		req.Header.Set("X-Amz-Target", targetPrefix+string(ops[int(op)%len(ops)]))
		rec := httptest.NewRecorder()
		s.svc.serveHTTP(rec, req)
		switch rec.Code {
		case 200, 400, 500:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("answer is not JSON: %q", rec.Body.String())
		}
		if rec.Code != 200 {
			var e struct {
				Type    string `json:"__type"`
				Message *string
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || !strings.HasPrefix(e.Type, errorTypePrefix) || e.Message == nil {
				t.Fatalf("bad error body %q", rec.Body.String())
			}
		}
	})
}

// TestDecodeTimestamp pins how epoch seconds from the wire become times.
func TestDecodeTimestamp(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64 // Unix milliseconds; -1: an error
	}{
		{`1795651200.48`, 1795651200480},
		{`1795651200`, 1795651200000},
		{`1.79565120048E9`, 1795651200480},
		{`1795651200.4805`, 1795651200481},
		{`1e12`, -1},
		{`"1795651200"`, -1},
	} {
		got, err := fields{"T": json.RawMessage(c.in)}.time("T")
		if c.want < 0 {
			require.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		require.Equal(t, c.want, got.UnixMilli(), c.in)
	}
}
