package streamtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/ddbstream/ddbstream"
)

// Account is the AWS account ID in every ARN the service makes.
const Account = "123456789012"

// A Stream is one table's stream on an in-memory DynamoDB Streams service. It is a
// [ddbstream.Session] (plus ListStreams) answering with the SDK's own types and typed
// exceptions, and its [Stream.URL] is a loopback endpoint for a real
// *dynamodbstreams.Client. Write to it with [Stream.Put], [Stream.Delete] and
// [Stream.ExpireTTL]; shape its lineage with [Stream.Split] and [Stream.Disable]; move
// its clock with [Stream.Advance]; inject faults with [Stream.Intercept].
//
// A service may hold several streams ([Stream.AddStream]). Each Stream is a handle on
// the whole service: its Session methods answer for every stream of the service,
// routing by the ARN (or iterator) in the request, and its clock, call counts and
// interceptions are the service's. Writing and lineage methods act on the handle's own
// stream.
//
// A Stream is safe for concurrent use by multiple goroutines. The zero value is not
// usable; call [NewStream].
type Stream struct {
	svc *service
	st  *stream
}

var _ ddbstream.Session = (*Stream)(nil)

// service is the shared state behind every handle of one service. mu guards everything
// but the clock offset (atomic), the HTTP server (srvMu) and the interceptions (hookMu
// and runMu, see faults.go).
type service struct {
	mu      sync.Mutex
	cfg     config // the service-wide part of the first stream's options
	offset  atomic.Int64
	rng     *rand.Rand // the data's random numbers: IDs, sequence numbers, gaps
	reqRNG  *rand.Rand // request IDs only, so that calls do not shift the data's numbers
	key     [32]byte   // signs iterators, so garbage is told from real ones
	streams []*stream
	byARN   map[string]*stream
	calls   map[Op]int

	runMu  sync.Mutex // one interception function runs at a time
	hookMu sync.Mutex
	hooks  []*Interception
	sleeps []*Interception

	srvMu  sync.Mutex
	srv    *server
	closed bool
}

// seeds gives each service a distinct default seed.
var seeds atomic.Uint64

// NewStream starts a new in-memory service holding one stream, configured by opts, with
// its shards open and no records. It starts no goroutine: the HTTP listener starts on
// the first call of [Stream.URL]. Close it when done: t.Cleanup(s.Close) in a test,
// defer s.Close() in an example. It panics on an invalid option.
func NewStream(opts ...Option) *Stream {
	cfg := newConfig(opts)
	seed := cfg.seed
	if !cfg.seeded {
		seed = seeds.Add(1)*0x9e3779b97f4a7c15 + uint64(time.Now().UnixNano())
	}
	svc := &service{
		cfg:    cfg,
		rng:    rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)),
		reqRNG: rand.New(rand.NewPCG(seed^0x2545f4914f6cdd1d, seed)),
		byARN:  make(map[string]*stream),
		calls:  make(map[Op]int),
	}
	for i := range svc.key {
		svc.key[i] = byte(svc.rng.Uint32())
	}
	return svc.addStream(cfg)
}

// AddStream adds another table's stream, configured by opts, to the service s belongs
// to, and returns a handle on it. It shares s's clock, URL, call counts and
// interceptions; its ARN, shard IDs and sequence numbers are its own. Passing the name of
// an existing table gives that table a second stream, as re-enabling a stream does on
// AWS (the new stream shares no items with the first). It panics on an invalid or
// service-wide option (see [Option]).
func (s *Stream) AddStream(opts ...Option) *Stream {
	cfg := newConfig(opts)
	if len(cfg.serviceWide) > 0 {
		panic(fmt.Sprintf("streamtest: AddStream: %v configures the whole service; pass it to NewStream", cfg.serviceWide))
	}
	return s.svc.addStream(cfg)
}

func (svc *service) addStream(cfg config) *Stream {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	now := svc.now()
	st := newStream(svc, cfg, now)
	svc.streams = append(svc.streams, st)
	svc.byARN[st.arn] = st
	return &Stream{svc: svc, st: st}
}

// now is the service's clock: time.Now, so it runs on virtual time inside a
// testing/synctest bubble, plus what Advance added.
func (svc *service) now() time.Time {
	return time.Now().Add(time.Duration(svc.offset.Load()))
}

// Now returns the time on the stream's clock: time.Now plus every [Stream.Advance] so
// far. Records, iterators, shards and trimming all use this clock.
func (s *Stream) Now() time.Time { return s.svc.now() }

// Advance moves the clock of the stream's service forward by d, so that a test outside
// a testing/synctest bubble can expire iterators and trim records; inside a bubble,
// time.Sleep does the same. It panics if d is negative.
func (s *Stream) Advance(d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("streamtest: Advance(%v): the clock only moves forward", d))
	}
	s.svc.offset.Add(int64(d))
}

// ARN returns the stream's ARN, such as
// arn:aws:dynamodb:us-east-1:123456789012:table/Table1/stream/2026-11-26T15:55:17.123.
func (s *Stream) ARN() string { return s.st.arn }

// TableName returns the name of the stream's table.
func (s *Stream) TableName() string { return s.st.table }

// ShardIDs returns the IDs of every shard DescribeStream lists now, in lexical order
// (which is also creation order). Closed shards are listed until the retention period
// after they closed.
func (s *Stream) ShardIDs() []string {
	return s.shardIDs(func(*shard) bool { return true })
}

// OpenShardIDs returns the IDs of the open shards, in lexical order.
func (s *Stream) OpenShardIDs() []string {
	return s.shardIDs(func(sh *shard) bool { return !sh.closed })
}

func (s *Stream) shardIDs(keep func(*shard) bool) []string {
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	s.st.maintain(s.svc.now())
	var ids []string
	for _, sh := range s.st.order {
		if keep(sh) {
			ids = append(ids, sh.id)
		}
	}
	return ids
}

// Close stops the service's HTTP listener, if [Stream.URL] started one, and waits for
// the requests in flight, whose contexts it cancels. It is idempotent, and closing any
// handle of a service closes the service's listener. The in-process Session methods
// keep working after Close.
func (s *Stream) Close() {
	s.svc.srvMu.Lock()
	srv := s.svc.srv
	s.svc.closed = true
	s.svc.srv = nil
	s.svc.srvMu.Unlock()
	if srv != nil {
		srv.close()
	}
}

// URL returns the base URL of the service's loopback endpoint, "http://127.0.0.1:PORT",
// for a client's BaseEndpoint. The first call starts the listener, bound to 127.0.0.1
// only; later calls return the same URL. Do not call it inside a testing/synctest
// bubble: a goroutine waiting on a socket is not durably blocked, so the bubble's clock
// would never advance. It panics after [Stream.Close] or if no port can be opened.
func (s *Stream) URL() string {
	s.svc.srvMu.Lock()
	defer s.svc.srvMu.Unlock()
	if s.svc.closed {
		panic("streamtest: URL called after Close")
	}
	if s.svc.srv == nil {
		srv, err := startServer(s.svc)
		if err != nil {
			panic(fmt.Sprintf("streamtest: start the loopback endpoint: %v", err))
		}
		s.svc.srv = srv
	}
	return s.svc.srv.url
}

// stream is one table's stream and the table's items. The service's mu guards it.
type stream struct {
	svc      *service
	cfg      config
	arn      string
	label    string
	table    string
	created  time.Time
	status   types.StreamStatus
	seq      seqGen
	shards   map[string]*shard // every listed shard
	order    []*shard          // the same, by ID
	lastMs   int64             // creation milliseconds in the newest shard ID
	lastTime time.Time         // newest record's time, so record times never go back
	items    map[string]map[string]types.AttributeValue
}

func newStream(svc *service, cfg config, now time.Time) *stream {
	st := &stream{
		svc:     svc,
		cfg:     cfg,
		table:   cfg.table,
		created: now.Truncate(time.Millisecond).UTC(),
		status:  types.StreamStatusEnabled,
		shards:  make(map[string]*shard),
		items:   make(map[string]map[string]types.AttributeValue),
	}
	if st.table == "" {
		st.table = fmt.Sprintf("Table%d", len(svc.streams)+1)
	}
	// Two streams of one table created in the same millisecond would share an ARN.
	for {
		st.label = st.created.Format("2006-01-02T15:04:05.000")
		st.arn = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s/stream/%s", svc.cfg.region, Account, st.table, st.label)
		if svc.byARN[st.arn] == nil {
			break
		}
		st.created = st.created.Add(time.Millisecond)
	}
	st.seq = newSeqGen(cfg.seqStart, svc.rng)
	for _, r := range splitRange(fullRange, cfg.shards) {
		st.newShard("", r, now)
	}
	return st
}

// stream returns the stream named by arn, or nil. The caller holds mu.
func (svc *service) stream(arn string) *stream { return svc.byARN[arn] }

// sleep waits d or until ctx is done, on the (possibly virtual) clock of time.Sleep.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
