package streamtest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
)

// This file is the loopback endpoint: the DynamoDB Streams JSON 1.0 protocol over HTTP,
// decoding requests into the SDK's input types and encoding its output types by hand.

const (
	targetPrefix    = "DynamoDBStreams_20120810."
	errorTypePrefix = "com.amazonaws.dynamodb.v20120810#"
	contentType     = "application/x-amz-json-1.0"
	maxRequestBytes = 1 << 20

	// largeAnswer is the size past which an answer is held for largeAnswerDelay
	// before it is sent (see serveHTTP): net/http's client reads 4 KB at first.
	largeAnswer      = 2048
	largeAnswerDelay = time.Millisecond
)

// server is the running loopback endpoint of a service.
type server struct {
	url    string
	srv    *http.Server
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	closing bool
	conns   map[net.Conn]http.ConnState
}

func startServer(svc *service) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{
		url:    "http://" + ln.Addr().String(),
		cancel: cancel,
		done:   make(chan struct{}),
		conns:  make(map[net.Conn]http.ConnState),
	}
	s.srv = &http.Server{
		Handler:           http.HandlerFunc(svc.serveHTTP),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnState:         s.track,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Shutdown
	}()
	return s, nil
}

// track follows each connection's state, so that close can drop the ones that carry no
// request at once: Shutdown alone waits 5 seconds for a connection the client opened
// but never used, which the SDK's transport does when requests race.
func (s *server) track(c net.Conn, st http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case http.StateNew, http.StateIdle:
		if s.closing {
			c.Close()
			return
		}
		s.conns[c] = st
	case http.StateActive:
		s.conns[c] = st
	default:
		delete(s.conns, c)
	}
}

// close cancels the requests in flight (a Latency returns at once), waits until they
// are answered and closes every connection.
func (s *server) close() {
	s.cancel()
	s.mu.Lock()
	s.closing = true
	for c, st := range s.conns {
		if st != http.StateActive {
			c.Close()
		}
	}
	s.mu.Unlock()
	_ = s.srv.Shutdown(context.Background())
	<-s.done
}

func (svc *service) serveHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	op := Op(name)
	if r.Method != http.MethodPost || !ok || !op.valid() {
		svc.writeError(w, &smithy.GenericAPIError{Code: "UnknownOperationException",
			Message: fmt.Sprintf("%s %s with X-Amz-Target %q is not an operation of DynamoDB Streams",
				r.Method, r.URL.Path, truncate(r.Header.Get("X-Amz-Target"), 80))})
		return
	}
	svc.count(op)
	defer func() {
		// A panic here is a mistake in the test (an interception answering the wrong
		// type); say so to the client rather than drop the connection.
		if v := recover(); v != nil {
			svc.writeError(w, &types.InternalServerError{Message: aws.String(fmt.Sprintf("streamtest: panic serving %s: %v", op, v))})
		}
	}()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBytes))
	if err != nil {
		svc.writeError(w, serializationError("reading the request body: %v", err))
		return
	}
	var out []byte
	ctx := r.Context()
	switch op {
	case OpDescribeStream:
		out, err = handle(ctx, svc, op, body, decodeDescribeStreamInput, (*service).describeStream, appendDescribeStreamOutput)
	case OpGetShardIterator:
		out, err = handle(ctx, svc, op, body, decodeGetShardIteratorInput, (*service).getShardIterator, appendGetShardIteratorOutput)
	case OpGetRecords:
		out, err = handle(ctx, svc, op, body, decodeGetRecordsInput, (*service).getRecords, appendGetRecordsOutput)
	case OpListStreams:
		out, err = handle(ctx, svc, op, body, decodeListStreamsInput, (*service).listStreams, appendListStreamsOutput)
	}
	if err != nil {
		svc.writeError(w, err)
		return
	}
	if len(out) > largeAnswer {
		// Make the race described at HTTPClient rare for clients without the fix:
		// answers that fit in the client's first read survive it; larger ones wait a
		// moment, so the client's writer is usually done with the request by then.
		time.Sleep(largeAnswerDelay)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Requestid", svc.requestID())
	h.Set("Content-Length", strconv.Itoa(len(out)))
	_, _ = w.Write(out)
}

// HTTPClient returns an *http.Client for SDK clients of the loopback endpoint, to pass
// as dynamodbstreams.Options.HTTPClient. It works around a race between the SDK and
// net/http that only a fast server reveals: the SDK (smithy-go) closes the request body
// as soon as the response headers arrive, and if net/http's writer has not yet made its
// last read of the body, that read fails (WriteTo on the closed body returns io.EOF), so
// the transport closes the connection while the response body is still being read. The
// call then fails with "deserialization failed … use of closed network connection", or
// is retried. AWS is never fast enough to lose the race; a loopback server sometimes is,
// for answers of more than a few kilobytes (the server delays those a little, which
// makes the race rare but not impossible). The returned client hides WriteTo from
// net/http, which then reads the body with Read, where a closed body is a clean EOF.
// Each call returns a new client with its own connections.
func HTTPClient() *http.Client {
	return &http.Client{Transport: readOnlyBody{http.DefaultTransport.(*http.Transport).Clone()}}
}

// readOnlyBody is a RoundTripper that passes request bodies on as plain io.ReadClosers.
type readOnlyBody struct{ base http.RoundTripper }

func (t readOnlyBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.base.RoundTrip(req)
	}
	r := *req // a RoundTripper must not change the caller's request
	r.Body = struct{ io.ReadCloser }{req.Body}
	return t.base.RoundTrip(&r)
}

// handle decodes one request, serves it and encodes the answer.
func handle[In, Out any](ctx context.Context, svc *service, op Op, body []byte,
	decode func([]byte) (*In, error), answer func(*service, *In) (*Out, error), encode func([]byte, *Out) []byte,
) ([]byte, error) {
	in, err := decode(body)
	if err != nil {
		return nil, err
	}
	out, err := serve(ctx, svc, op, in, answer)
	if err != nil {
		return nil, err
	}
	return encode(make([]byte, 0, 512), out), nil
}

// writeError sends err as the service does: 400 (500 for server faults) with
// {"__type": "com.amazonaws.dynamodb.v20120810#Code", "message": "…"}. An error that is
// not an API error is a fault of the server: InternalServerError.
func (svc *service) writeError(w http.ResponseWriter, err error) {
	code, msg, status := "InternalServerError", err.Error(), http.StatusInternalServerError
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code, msg, status = ae.ErrorCode(), ae.ErrorMessage(), statusOf(ae)
	}
	b := []byte(`{"__type":`)
	b = appendString(b, errorTypePrefix+code)
	b = append(b, `,"message":`...)
	b = appendString(b, msg)
	b = append(b, '}')
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Requestid", svc.requestID())
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func serializationError(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "SerializationException", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// Decoding requests. Members are matched by exact, case-sensitive name, as the service
// does; unknown members are ignored; null is the same as absent.

type fields map[string]json.RawMessage

func decodeObject(what string, b []byte) (fields, error) {
	if len(strings.TrimSpace(string(b))) == 0 {
		return fields{}, nil
	}
	var f fields
	if err := json.Unmarshal(b, &f); err != nil || f == nil {
		return nil, serializationError("%s is not a JSON object", what)
	}
	return f, nil
}

func (f fields) present(name string) bool {
	raw, ok := f[name]
	return ok && string(raw) != "null"
}

func (f fields) string(name string) (*string, error) {
	if !f.present(name) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(f[name], &s); err != nil {
		return nil, serializationError("%s must be a string", name)
	}
	return &s, nil
}

func (f fields) int32(name string) (*int32, error) {
	if !f.present(name) {
		return nil, nil
	}
	var n int32
	if err := json.Unmarshal(f[name], &n); err != nil {
		return nil, serializationError("%s must be an integer", name)
	}
	return &n, nil
}

// time decodes a timestamp sent as epoch seconds, a JSON number with a fraction of up to
// milliseconds, as the SDK sends it.
func (f fields) time(name string) (*time.Time, error) {
	if !f.present(name) {
		return nil, nil
	}
	var secs float64
	if err := json.Unmarshal(f[name], &secs); err != nil || math.Abs(secs) > 1e11 {
		return nil, serializationError("%s must be a number of seconds since the epoch", name)
	}
	t := time.UnixMilli(int64(math.Round(secs * 1000))).UTC()
	return &t, nil
}

func decodeDescribeStreamInput(b []byte) (*dynamodbstreams.DescribeStreamInput, error) {
	f, err := decodeObject("DescribeStream input", b)
	if err != nil {
		return nil, err
	}
	in := &dynamodbstreams.DescribeStreamInput{}
	if in.StreamArn, err = f.string("StreamArn"); err != nil {
		return nil, err
	}
	if in.Limit, err = f.int32("Limit"); err != nil {
		return nil, err
	}
	if in.ExclusiveStartShardId, err = f.string("ExclusiveStartShardId"); err != nil {
		return nil, err
	}
	if f.present("ShardFilter") {
		sf, err := decodeObject("ShardFilter", f["ShardFilter"])
		if err != nil {
			return nil, err
		}
		in.ShardFilter = &types.ShardFilter{}
		if in.ShardFilter.ShardId, err = sf.string("ShardId"); err != nil {
			return nil, err
		}
		typ, err := sf.string("Type")
		if err != nil {
			return nil, err
		}
		if typ != nil {
			in.ShardFilter.Type = types.ShardFilterType(*typ)
		}
	}
	return in, nil
}

func decodeGetShardIteratorInput(b []byte) (*dynamodbstreams.GetShardIteratorInput, error) {
	f, err := decodeObject("GetShardIterator input", b)
	if err != nil {
		return nil, err
	}
	in := &dynamodbstreams.GetShardIteratorInput{}
	if in.StreamArn, err = f.string("StreamArn"); err != nil {
		return nil, err
	}
	if in.ShardId, err = f.string("ShardId"); err != nil {
		return nil, err
	}
	typ, err := f.string("ShardIteratorType")
	if err != nil {
		return nil, err
	}
	if typ != nil {
		in.ShardIteratorType = types.ShardIteratorType(*typ)
	}
	if in.SequenceNumber, err = f.string("SequenceNumber"); err != nil {
		return nil, err
	}
	if in.Timestamp, err = f.time("Timestamp"); err != nil {
		return nil, err
	}
	return in, nil
}

func decodeGetRecordsInput(b []byte) (*dynamodbstreams.GetRecordsInput, error) {
	f, err := decodeObject("GetRecords input", b)
	if err != nil {
		return nil, err
	}
	in := &dynamodbstreams.GetRecordsInput{}
	if in.ShardIterator, err = f.string("ShardIterator"); err != nil {
		return nil, err
	}
	if in.Limit, err = f.int32("Limit"); err != nil {
		return nil, err
	}
	return in, nil
}

func decodeListStreamsInput(b []byte) (*dynamodbstreams.ListStreamsInput, error) {
	f, err := decodeObject("ListStreams input", b)
	if err != nil {
		return nil, err
	}
	in := &dynamodbstreams.ListStreamsInput{}
	if in.TableName, err = f.string("TableName"); err != nil {
		return nil, err
	}
	if in.Limit, err = f.int32("Limit"); err != nil {
		return nil, err
	}
	if in.ExclusiveStartStreamArn, err = f.string("ExclusiveStartStreamArn"); err != nil {
		return nil, err
	}
	return in, nil
}

// Encoding answers. Members go out in alphabetical order and nil members are left out,
// as the service does; timestamps are epoch seconds as JSON numbers, binary is base64.

// object writes the members of one JSON object, minding the commas.
type object struct {
	b []byte
	n int
}

func (o *object) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	} else {
		o.b = append(o.b, '{')
	}
	o.n++
	o.b = appendString(o.b, k)
	o.b = append(o.b, ':')
}

func (o *object) string(k string, v *string) {
	if v != nil {
		o.key(k)
		o.b = appendString(o.b, *v)
	}
}

func (o *object) enum(k, v string) {
	if v != "" {
		o.key(k)
		o.b = appendString(o.b, v)
	}
}

func (o *object) time(k string, t *time.Time) {
	if t != nil {
		o.key(k)
		o.b = appendEpochSeconds(o.b, *t)
	}
}

func (o *object) end() []byte {
	if o.n == 0 {
		return append(o.b, '{', '}')
	}
	return append(o.b, '}')
}

func appendGetShardIteratorOutput(b []byte, out *dynamodbstreams.GetShardIteratorOutput) []byte {
	o := object{b: b}
	o.string("ShardIterator", out.ShardIterator)
	return o.end()
}

func appendGetRecordsOutput(b []byte, out *dynamodbstreams.GetRecordsOutput) []byte {
	o := object{b: b}
	o.string("NextShardIterator", out.NextShardIterator)
	if out.Records != nil {
		o.key("Records")
		o.b = appendArray(o.b, out.Records, appendRecord)
	}
	return o.end()
}

func appendRecord(b []byte, r types.Record) []byte {
	o := object{b: b}
	o.string("awsRegion", r.AwsRegion)
	if d := r.Dynamodb; d != nil {
		o.key("dynamodb")
		s := object{b: o.b}
		s.time("ApproximateCreationDateTime", d.ApproximateCreationDateTime)
		for _, img := range []struct {
			name string
			m    map[string]types.AttributeValue
		}{{"Keys", d.Keys}, {"NewImage", d.NewImage}, {"OldImage", d.OldImage}} {
			if img.m != nil {
				s.key(img.name)
				s.b = appendAttributeMap(s.b, img.m)
			}
		}
		s.string("SequenceNumber", d.SequenceNumber)
		if d.SizeBytes != nil {
			s.key("SizeBytes")
			s.b = strconv.AppendInt(s.b, *d.SizeBytes, 10)
		}
		s.enum("StreamViewType", string(d.StreamViewType))
		o.b = s.end()
	}
	o.string("eventID", r.EventID)
	o.enum("eventName", string(r.EventName))
	o.string("eventSource", r.EventSource)
	o.string("eventVersion", r.EventVersion)
	if id := r.UserIdentity; id != nil {
		o.key("userIdentity")
		u := object{b: o.b}
		u.string("PrincipalId", id.PrincipalId)
		u.string("Type", id.Type)
		o.b = u.end()
	}
	return o.end()
}

func appendDescribeStreamOutput(b []byte, out *dynamodbstreams.DescribeStreamOutput) []byte {
	o := object{b: b}
	if d := out.StreamDescription; d != nil {
		o.key("StreamDescription")
		s := object{b: o.b}
		s.time("CreationRequestDateTime", d.CreationRequestDateTime)
		if d.KeySchema != nil {
			s.key("KeySchema")
			s.b = appendArray(s.b, d.KeySchema, func(b []byte, k types.KeySchemaElement) []byte {
				e := object{b: b}
				e.string("AttributeName", k.AttributeName)
				e.enum("KeyType", string(k.KeyType))
				return e.end()
			})
		}
		s.string("LastEvaluatedShardId", d.LastEvaluatedShardId)
		if d.Shards != nil {
			s.key("Shards")
			s.b = appendArray(s.b, d.Shards, appendShard)
		}
		s.string("StreamArn", d.StreamArn)
		s.string("StreamLabel", d.StreamLabel)
		s.enum("StreamStatus", string(d.StreamStatus))
		s.enum("StreamViewType", string(d.StreamViewType))
		s.string("TableName", d.TableName)
		o.b = s.end()
	}
	return o.end()
}

func appendShard(b []byte, sh types.Shard) []byte {
	o := object{b: b}
	o.string("ParentShardId", sh.ParentShardId)
	if r := sh.SequenceNumberRange; r != nil {
		o.key("SequenceNumberRange")
		s := object{b: o.b}
		s.string("EndingSequenceNumber", r.EndingSequenceNumber)
		s.string("StartingSequenceNumber", r.StartingSequenceNumber)
		o.b = s.end()
	}
	o.string("ShardId", sh.ShardId)
	return o.end()
}

func appendListStreamsOutput(b []byte, out *dynamodbstreams.ListStreamsOutput) []byte {
	o := object{b: b}
	o.string("LastEvaluatedStreamArn", out.LastEvaluatedStreamArn)
	if out.Streams != nil {
		o.key("Streams")
		o.b = appendArray(o.b, out.Streams, func(b []byte, st types.Stream) []byte {
			e := object{b: b}
			e.string("StreamArn", st.StreamArn)
			e.string("StreamLabel", st.StreamLabel)
			e.string("TableName", st.TableName)
			return e.end()
		})
	}
	return o.end()
}

func appendArray[T any](b []byte, vs []T, appendOne func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(b, v)
	}
	return append(b, ']')
}

// appendAttributeMap writes an attribute map with sorted names, so answers are stable.
func appendAttributeMap(b []byte, m map[string]types.AttributeValue) []byte {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	b = append(b, '{')
	for i, k := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendAttributeValue(b, m[k])
	}
	return append(b, '}')
}

// appendAttributeValue writes the union with its one member, {"S":"…"}; nil, which a
// reader may find in an SDK-decoded image, as null.
func appendAttributeValue(b []byte, v types.AttributeValue) []byte {
	member := func(tag string) []byte {
		b = append(b, `{"`...)
		b = append(b, tag...)
		return append(b, `":`...)
	}
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		b = appendString(member("S"), v.Value)
	case *types.AttributeValueMemberN:
		b = appendString(member("N"), v.Value)
	case *types.AttributeValueMemberB:
		b = appendBase64(member("B"), v.Value)
	case *types.AttributeValueMemberBOOL:
		b = strconv.AppendBool(member("BOOL"), v.Value)
	case *types.AttributeValueMemberNULL:
		b = strconv.AppendBool(member("NULL"), v.Value)
	case *types.AttributeValueMemberSS:
		b = appendArray(member("SS"), v.Value, appendString)
	case *types.AttributeValueMemberNS:
		b = appendArray(member("NS"), v.Value, appendString)
	case *types.AttributeValueMemberBS:
		b = appendArray(member("BS"), v.Value, appendBase64)
	case *types.AttributeValueMemberL:
		b = appendArray(member("L"), v.Value, appendAttributeValue)
	case *types.AttributeValueMemberM:
		b = appendAttributeMap(member("M"), v.Value)
	case *types.UnknownUnionMember:
		if !json.Valid(v.Value) {
			return append(b, "null"...)
		}
		b = append(member(v.Tag), v.Value...) // the tag is the SDK's, from valid JSON
	default:
		return append(b, "null"...)
	}
	return append(b, '}')
}

func appendBase64(b, p []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}

// appendEpochSeconds writes t as the SDK writes timestamps: seconds since the epoch,
// with a fraction of milliseconds when there is one.
func appendEpochSeconds(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	if ms%1000 == 0 {
		return strconv.AppendInt(b, ms/1000, 10)
	}
	return strconv.AppendFloat(b, float64(ms)/1e3, 'f', -1, 64)
}

// appendString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
