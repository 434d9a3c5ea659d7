package ddbstream_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
)

// wireServer answers the DynamoDB Streams JSON 1.0 protocol from the pages in
// testdata/wire, as captured from the service's documented shapes. It proves the path
// through the real SDK client: serialization, deserialization, error typing, retries.
type wireServer struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	hits map[string]int // by "Operation" and "Operation body-key"
	// fault, when set, may answer a request instead of the pages.
	fault func(op string, body map[string]any, attempt int) (status int, errType string, ok bool)
}

func newWireServer(t *testing.T) *wireServer {
	w := &wireServer{t: t, hits: map[string]int{}}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *wireServer) client(maxAttempts int) *dynamodbstreams.Client {
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(w.srv.URL),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: maxAttempts,
	})
}

func (w *wireServer) serve(rw http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, "DynamoDBStreams_20120810.")
	if r.Method != http.MethodPost || !ok || r.Header.Get("Content-Type") != "application/x-amz-json-1.0" {
		http.Error(rw, "not the JSON 1.0 protocol: "+target, http.StatusBadRequest)
		return
	}
	var body map[string]any
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	w.mu.Lock()
	w.hits[op]++
	attempt := w.hits[op]
	fault := w.fault
	w.mu.Unlock()
	if fault != nil {
		if status, errType, ok := fault(op, body, attempt); ok {
			rw.Header().Set("Content-Type", "application/x-amz-json-1.0")
			rw.WriteHeader(status)
			fmt.Fprintf(rw, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected %s"}`, errType, errType)
			return
		}
	}
	var file string
	switch op {
	case "DescribeStream":
		file = "describe_stream_1.json"
		if body["ExclusiveStartShardId"] != nil {
			file = "describe_stream_2.json"
		}
	case "GetShardIterator":
		file = "get_shard_iterator.json"
	case "GetRecords":
		file = "get_records_1.json"
		if strings.HasSuffix(fmt.Sprint(body["ShardIterator"]), "EXAMPLE2") {
			file = "get_records_2.json"
		}
	default:
		http.Error(rw, "unknown operation "+op, http.StatusBadRequest)
		return
	}
	page, err := os.ReadFile(filepath.Join("testdata", "wire", file))
	require.NoError(w.t, err)
	rw.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = rw.Write(page)
}

func TestSDK_ReadsThroughTheRealClient(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	w := newWireServer(t)
	c := w.client(1)

	shards, err := ddbstream.LoadShards(t.Context(), c, testARN)
	require.NoError(t, err)
	require.Len(t, shards, 3, "two DescribeStream pages")
	root := ddbstream.Roots(shards)
	require.Len(t, root, 1)
	require.Len(t, root[0].Children(), 2)

	sh := root[0]
	require.NoError(t, sh.JumpTo(t.Context(), ddbstream.TrimHorizon()))
	var out bytes.Buffer
	for !sh.Exhausted() {
		recs, err := sh.Next(t.Context())
		require.NoError(t, err)
		for _, r := range recs {
			line, err := json.Marshal(r)
			require.NoError(t, err)
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	tok, err := json.Marshal(sh.Token())
	require.NoError(t, err)
	out.WriteString("token: ")
	out.Write(tok)
	out.WriteByte('\n')
	ddbstream.Golden(t, "sdk_records", out.Bytes())
	require.Equal(t, 2, w.hits["GetRecords"])
}

func TestSDK_ErrorsKeepTheirTypes(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	w := newWireServer(t)
	w.fault = func(op string, body map[string]any, _ int) (int, string, bool) {
		if op == "GetShardIterator" && body["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER" {
			return http.StatusBadRequest, "TrimmedDataAccessException", true
		}
		return 0, "", false
	}
	sh, err := ddbstream.NewShard(w.client(1), testARN, testShard)
	require.NoError(t, err)
	err = sh.JumpTo(t.Context(), ddbstream.AfterSequenceNumber("100000000000000000001"))
	require.ErrorIs(t, err, ddbstream.ErrTrimmed)
	var tde *types.TrimmedDataAccessException
	require.ErrorAs(t, err, &tde)
	require.Equal(t, "injected TrimmedDataAccessException", tde.ErrorMessage())
	var re *awshttp.ResponseError
	require.ErrorAs(t, err, &re)
	require.Equal(t, http.StatusBadRequest, re.HTTPStatusCode())
	require.ErrorContains(t, err, testShard)
	require.ErrorContains(t, err, "GetShardIterator AFTER_SEQUENCE_NUMBER 100000000000000000001")
}

func TestSDK_RetriesServerErrors(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	w := newWireServer(t)
	w.fault = func(op string, _ map[string]any, attempt int) (int, string, bool) {
		return http.StatusInternalServerError, "InternalServerError", op == "GetRecords" && attempt == 1
	}
	sh, err := ddbstream.NewShard(w.client(0), testARN, testShard) // 0: the SDK's default, 4 attempts
	require.NoError(t, err)
	recs, err := sh.Next(t.Context())
	require.NoError(t, err)
	require.Len(t, recs, 3)
	require.Equal(t, 2, w.hits["GetRecords"], "the SDK retried the 500 once")

	// With retries used up, the typed error reaches the caller, and it is retryable.
	w.fault = func(op string, _ map[string]any, _ int) (int, string, bool) {
		return http.StatusInternalServerError, "InternalServerError", op == "GetRecords"
	}
	sh2, err := ddbstream.NewShard(w.client(1), testARN, testShard)
	require.NoError(t, err)
	_, err = sh2.Next(t.Context())
	var ise *types.InternalServerError
	require.ErrorAs(t, err, &ise)
	require.True(t, ddbstream.IsRetryable(err))
	require.False(t, errors.Is(err, ddbstream.ErrTrimmed))
}
