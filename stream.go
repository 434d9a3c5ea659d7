package ddbstream

import (
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"sync"
	"time"
)

// A Gap is a stretch of a shard that a [Stream] skipped because its records were trimmed
// (older than the stream's 24-hour retention) or the shard was gone; see [SkipTrimmed].
type Gap struct {
	ShardID string
	From    Position // the first record that was not read
	To      Position // where reading goes on: TRIM_HORIZON, or the seek time of a seek not yet satisfied
	Err     error    // what revealed the gap (wraps ErrTrimmed or ErrShardNotFound)
}

// A Stream reads every shard of a DynamoDB stream and returns their records one at a
// time, in order: a child shard's records never before all of its parent's (so each
// item's changes keep their order across shard splits), and across shards by creation
// time then sequence number, as far as the pages fetched so far allow. Each record is
// returned once; [Stream.Token] taken at any moment resumes with exactly the records not
// returned yet.
//
// A Stream reads ahead in a background goroutine: it reads up to [Concurrency] shards at
// once, polls idle shards less often, keeps iterators alive, retries throttled and failed
// calls with backoff, and discovers child shards as parents close. The goroutine runs
// until [Stream.Close] is called or the context given to [OpenStream] or [ResumeStream]
// is done; call Close when finished.
//
// A Stream is safe for concurrent use, but records keep their order only for a single
// caller of Next.
type Stream struct {
	ep      *endpoint
	life    context.Context // ends at Close or when the opening ctx is done
	stop    context.CancelCauseFunc
	unwatch func() bool // stops watching the opening ctx

	moveMu   sync.Mutex // serializes MoveTo, Heartbeat and Close, which replace or stop the pump
	reportMu sync.Mutex // one SkipTrimmed report at a time

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever Next may have something new
	wake     chan struct{} // pokes the pump; capacity 1
	shards   map[string]*streamShard
	ready    shardHeap // deliverable shards with records, ordered by their first record
	blocking int       // deliverable shards whose next page must arrive before delivering
	buffered int       // records fetched and not returned
	running  int       // tasks in flight
	err      error     // a failure that stops the stream; Next returns it
	gaps     []Gap     // skipped gaps not yet reported (see reportGaps)
	disabled bool      // the stream is DISABLED: closed shards get no children

	pumpDone chan struct{} // closed when the current pump has stopped with all its tasks
	pumpStop context.CancelFunc
	relistAt time.Time // when an empty shard set next asks DescribeStream for shards
}

// OpenStream starts reading the stream streamARN at from: [TrimHorizon] (every record
// still held, oldest first), [Latest] (only changes made from now on) or [AtTimestamp]
// (the first records created at or after a time; see [Stream.SeekTo]). It lists the
// shards with DescribeStream, then reads in the background until [Stream.Close] or until
// ctx is done, so give it a context that lives as long as the Stream.
//
// It fails with [ErrInvalidArgument] for a nil session, a malformed ARN or a position at a
// sequence number (which names a record of one shard, not a place in a stream),
// [ErrInvalidOption] for a bad option, [ErrStreamNotFound], or the SDK's error.
func OpenStream(ctx context.Context, s Session, streamARN string, from Position, opts ...Option) (*Stream, error) {
	ep, err := newStreamEndpoint(s, streamARN, opts)
	if err != nil {
		return nil, err
	}
	if err := checkStreamPosition(from); err != nil {
		return nil, err
	}
	l, shards, err := ep.open(ctx, func(ctx context.Context, l listing) (map[string]*streamShard, error) {
		return ep.planFrom(ctx, l, from)
	})
	if err != nil {
		return nil, err
	}
	return startStream(ctx, ep, l, shards), nil
}

// ResumeStream continues reading where tok was taken: each record that had not been
// returned when the token was taken is returned, and no other. The token is validated
// completely before anything is done. Otherwise it works and fails as [OpenStream]
// does; a malformed token fails with [ErrInvalidToken].
func ResumeStream(ctx context.Context, s Session, tok StreamToken, opts ...Option) (*Stream, error) {
	if err := tok.Validate(); err != nil {
		return nil, err
	}
	ep, err := newStreamEndpoint(s, tok.StreamARN, opts)
	if err != nil {
		return nil, err
	}
	l, shards, err := ep.open(ctx, func(_ context.Context, l listing) (map[string]*streamShard, error) {
		return ep.planToken(l, tok)
	})
	if err != nil {
		return nil, err
	}
	return startStream(ctx, ep, l, shards), nil
}

func newStreamEndpoint(s Session, streamARN string, opts []Option) (*endpoint, error) {
	ep, err := newEndpoint(s, streamARN, opts)
	if err != nil {
		return nil, err
	}
	ep.describeGate = &gate{every: time.Duration(float64(time.Second) / ep.cfg.describeRate)}
	return ep, nil
}

func checkStreamPosition(p Position) error {
	if p.kind == kindAtSequence || p.kind == kindAfterSequence {
		return fmt.Errorf("%w: %s names a record in one shard; a stream starts at TrimHorizon, Latest or AtTimestamp",
			ErrInvalidArgument, p.IteratorType())
	}
	return p.Validate()
}

func startStream(ctx context.Context, ep *endpoint, l listing, shards map[string]*streamShard) *Stream {
	life, stop := context.WithCancelCause(context.WithoutCancel(ctx))
	s := &Stream{
		ep:      ep,
		life:    life,
		stop:    stop,
		changed: make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
	// The Stream lives until Close or until the opening ctx is done.
	s.unwatch = context.AfterFunc(ctx, func() { stop(context.Cause(ctx)) })
	s.install(l, shards)
	s.startPump()
	return s
}

// install replaces the shard set; the pump must be stopped.
func (s *Stream) install(l listing, shards map[string]*streamShard) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shards, s.ready, s.blocking, s.buffered, s.err = shards, nil, 0, 0, nil
	s.disabled = l.status == streamDisabled
	for _, ss := range shards {
		ss.heapIndex = -1
		ss.committed = ss.sh.Token()
	}
	for _, ss := range shards {
		s.update(ss)
	}
	s.signal()
}

// Next returns the next record, blocking until there is one. It fails in one of these
// ways, and a failed Next returns no record and loses none:
//   - with ctx's error when ctx is done first (call again with a live ctx);
//   - with [io.EOF] wrapped in an error wrapping [ErrStreamDisabled] once the stream was
//     disabled and every record has been returned;
//   - with [ErrClosed] after [Stream.Close], or the cause when the opening ctx is done;
//   - with [io.EOF] once caught up, when opened with [StopAtHead];
//   - with a stream error that ends the Stream, such as [ErrTrimmed] (unless
//     [SkipTrimmed]), [ErrStreamNotFound], [ErrIteratorExpired], or the SDK's error
//     (access denied, for example). Throttling and server faults are retried, not
//     returned.
//
// After any of these, [Stream.Token] still resumes exactly after the last record
// returned.
func (s *Stream) Next(ctx context.Context) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	s.mu.Lock()
	for {
		if err := s.endErr(); err != nil {
			s.mu.Unlock()
			return Record{}, err
		}
		if rec, ok := s.pop(); ok {
			s.mu.Unlock()
			return rec, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return Record{}, ctx.Err()
		case <-ch:
		}
		s.mu.Lock()
	}
}

// endErr returns why Next returns no record, or nil while one may come. s.mu held.
func (s *Stream) endErr() error {
	switch {
	case s.err != nil:
		return s.err
	case s.life.Err() != nil:
		if cause := context.Cause(s.life); !errors.Is(cause, ErrClosed) {
			return fmt.Errorf("%w: %w", ErrClosed, cause)
		}
		return ErrClosed
	case s.disabled && len(s.shards) == 0:
		return fmt.Errorf("%w: every record has been returned; the table's next stream, if any, has a new ARN: %w",
			ErrStreamDisabled, io.EOF)
	case s.ep.cfg.stopAtHead && s.atHead():
		return io.EOF
	}
	return nil
}

// atHead reports whether every shard has been read as far as the service had records
// and every record fetched has been returned. s.mu held.
func (s *Stream) atHead() bool {
	if s.buffered > 0 {
		return false
	}
	for _, ss := range s.shards {
		switch {
		case ss.busy || ss.fails > 0:
			return false
		case ss.committed.Exhausted:
			// Read to its end: caught up once its children are known, or were looked
			// for and not listed yet.
			if !ss.childrenKnown && ss.lookups == 0 {
				return false
			}
		case !ss.caughtUp:
			return false
		}
	}
	return true
}

// Records returns an iterator over the stream's records, a loop over [Stream.Next]. A
// non-nil error is the last pair yielded, except that the end of the stream (a disabled
// stream read to its end, or [StopAtHead] caught up: errors wrapping io.EOF) ends the
// loop without one. Breaking out is safe: [Stream.Token]
// then resumes after the last record yielded.
func (s *Stream) Records(ctx context.Context) iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for {
			rec, err := s.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}

// Token returns a token that resumes the stream after the last record Next returned.
// It may be called at any moment, also after Close or a failure.
func (s *Stream) Token() StreamToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := StreamToken{Version: TokenVersion, StreamARN: s.ep.streamARN, Shards: make([]ShardToken, 0, len(s.shards))}
	for _, ss := range s.shards {
		t := ss.committed
		t.Version, t.StreamARN = 0, ""
		if !ss.drained() {
			t.IteratorType, t.SequenceNumber, t.Timestamp = tokAtSequence, ss.first().SequenceNumber, time.Time{}
			t.Exhausted = false
		}
		tok.Shards = append(tok.Shards, t)
	}
	slices.SortFunc(tok.Shards, func(a, b ShardToken) int { return cmp.Compare(a.ShardID, b.ShardID) })
	return tok
}

// MoveTo drops what is buffered and restarts the whole stream at p: [TrimHorizon],
// [Latest] or [AtTimestamp]. Tokens taken afterwards hold only the new positions. It
// fails as [OpenStream] does; on failure the Stream is left as it was.
func (s *Stream) MoveTo(ctx context.Context, p Position) error {
	if err := checkStreamPosition(p); err != nil {
		return err
	}
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	if s.life.Err() != nil {
		return ErrClosed
	}
	l, shards, err := s.ep.open(ctx, func(ctx context.Context, l listing) (map[string]*streamShard, error) {
		return s.ep.planFrom(ctx, l, p)
	})
	if err != nil {
		return err
	}
	s.stopPump()
	s.install(l, shards)
	s.startPump()
	return nil
}

// SeekTo moves the whole stream to the first records created at or after t, as
// MoveTo(ctx, AtTimestamp(t)) does. Shards whose successors already begin before t are
// skipped without reading them; the others are positioned with AT_TIMESTAMP where the
// endpoint supports it and scanned otherwise.
func (s *Stream) SeekTo(ctx context.Context, t time.Time) error {
	return s.MoveTo(ctx, AtTimestamp(t))
}

// Heartbeat renews, now, the iterators that could not be refreshed safely once expired
// and are old enough to need it (10 minutes): those of shards positioned at LATEST that
// have returned nothing yet. A Stream does this by itself in the background, so calling
// Heartbeat is never required; it is for callers who want it done at a moment of their
// choosing. It fails as [Shard.Heartbeat] does, and with [ErrClosed] after Close.
func (s *Stream) Heartbeat(ctx context.Context) error {
	s.moveMu.Lock() // the shards must stay the set's while they are renewed
	defer s.moveMu.Unlock()
	if s.life.Err() != nil {
		return ErrClosed
	}
	s.mu.Lock()
	var due []*streamShard
	for _, ss := range s.shards {
		if !ss.busy && ss.needsHeartbeat() {
			ss.busy = true
			due = append(due, ss)
		}
	}
	s.mu.Unlock()
	var errs []error
	for _, ss := range due {
		err := ss.sh.Heartbeat(ctx)
		s.mu.Lock()
		ss.busy = false
		ss.committed = ss.sh.Token()
		s.update(ss)
		s.mu.Unlock()
		errs = append(errs, err)
	}
	s.poke()
	return errors.Join(errs...)
}

// Close stops the background reading and waits for it. Records already buffered stay
// reachable only through the token: [Stream.Next] fails with [ErrClosed] afterwards, and
// [Stream.Token] resumes after the last record returned. Close is idempotent.
func (s *Stream) Close() error {
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	s.stop(ErrClosed)
	s.stopPump()
	s.unwatch()
	return nil
}

// streamShard is one shard of the stream's live set with what the Stream knows of it.
// Fields are guarded by Stream.mu, except sh, which belongs to the task running while busy.
type streamShard struct {
	sh        *Shard
	parent    *streamShard   // unfinished parent in the set, or nil
	children  []*streamShard // children in the set
	pages     [][]Record     // fetched, not returned: pages[0][head:], then the other pages
	head      int
	held      int        // records in pages not returned
	committed ShardToken // sh.Token() as of the end of its last task
	heapIndex int        // index in Stream.ready, or -1

	busy          bool      // a task is using sh
	due           time.Time // when sh may be read next
	emptyStreak   int       // empty pages in a row
	sawRecords    bool      // records arrived once: an empty page now means caught up, not catching up
	caughtUp      bool      // its last page was not full: it holds back no delivery
	fails         int       // retryable failures in a row
	childrenKnown bool      // all children are in the set (or the stream is disabled)
	lookups       int       // child lookups that found nothing, in a row
	lookupAt      time.Time // when to look for children next
	isBlocking    bool      // counted in Stream.blocking
}

func (ss *streamShard) drained() bool  { return ss.held == 0 }
func (ss *streamShard) first() *Record { return &ss.pages[0][ss.head] }

// hold appends a fetched page. A shard holds at most about two pages: the one being
// returned and the next, fetched meanwhile.
func (ss *streamShard) hold(recs []Record) {
	ss.pages = append(ss.pages, recs)
	ss.held += len(recs)
}

func (ss *streamShard) deliverable() bool { return ss.parent == nil }

// finished reports whether the shard can leave the set: its parent is gone, it was read
// to the end, every record was returned and its children are in the set.
func (ss *streamShard) finished() bool {
	return ss.parent == nil && ss.committed.Exhausted && ss.drained() && ss.childrenKnown && !ss.busy
}

// needsHeartbeat reports whether sh is at LATEST with nothing returned and an iterator
// old enough that it must be renewed soon.
func (ss *streamShard) needsHeartbeat() bool {
	age, ok := ss.sh.IteratorAge(time.Now())
	return ok && ss.sh.position.kind == kindLatest && !ss.sh.exhausted && age >= heartbeatAfter
}

// heartbeatAfter is the iterator age at which a LATEST iterator is renewed: well inside
// the 15 minutes, so a slow call or a busy pump cannot let it lapse.
const heartbeatAfter = 10 * time.Minute

// update recomputes ss's place in the heap and the blocking count, and removes it from
// the set once finished. Call it with s.mu held after any change to ss.
func (s *Stream) update(ss *streamShard) {
	inReady := ss.deliverable() && !ss.drained()
	switch {
	case inReady && ss.heapIndex < 0:
		heap.Push(&s.ready, ss)
	case inReady:
		heap.Fix(&s.ready, ss.heapIndex)
	case ss.heapIndex >= 0:
		heap.Remove(&s.ready, ss.heapIndex)
	}
	blocking := ss.deliverable() && ss.drained() && !ss.committed.Exhausted && !ss.caughtUp && ss.fails == 0
	if blocking != ss.isBlocking {
		ss.isBlocking = blocking
		if blocking {
			s.blocking++
		} else {
			s.blocking--
		}
	}
	if ss.finished() { // exhausted, so not blocking: nothing to uncount
		delete(s.shards, ss.sh.id)
		for _, c := range ss.children {
			c.parent = nil
			s.update(c)
		}
		if len(s.shards) == 0 {
			s.relistAt = time.Now()
		}
	}
}

// pop returns the next record to deliver, if one may be delivered now.
func (s *Stream) pop() (Record, bool) {
	if len(s.ready) == 0 || s.err != nil {
		return Record{}, false
	}
	// While a deliverable shard's next page is on its way, it may hold an older record;
	// wait for it, unless the buffer is full and so that page cannot be fetched.
	if s.blocking > 0 && s.buffered < s.ep.cfg.bufferSize {
		return Record{}, false
	}
	ss := s.ready[0]
	page := ss.pages[0]
	rec := page[ss.head]
	page[ss.head] = Record{} // let the page's images be collected
	ss.head++
	ss.held--
	s.buffered--
	if ss.head == len(page) {
		ss.pages[0] = nil
		ss.pages, ss.head = ss.pages[1:], 0
	}
	if ss.held == int(s.ep.cfg.limit)-1 || s.buffered == s.ep.cfg.bufferSize-1 {
		s.poke() // room for the shard's next page, or for pages at all
	}
	s.update(ss)
	return rec, true
}

// signal wakes every Next waiting for a change. Call with s.mu held.
func (s *Stream) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// poke wakes the pump without blocking.
func (s *Stream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// shardHeap orders deliverable shards by their first unreturned record: creation time,
// then sequence number.
type shardHeap []*streamShard

func (h shardHeap) Len() int { return len(h) }
func (h shardHeap) Less(i, j int) bool {
	a, b := h[i].first(), h[j].first()
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c < 0
	}
	return a.SequenceNumber.Compare(b.SequenceNumber) < 0
}
func (h shardHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIndex, h[j].heapIndex = i, j
}
func (h *shardHeap) Push(x any) {
	ss := x.(*streamShard)
	ss.heapIndex = len(*h)
	*h = append(*h, ss)
}
func (h *shardHeap) Pop() any {
	old := *h
	ss := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	ss.heapIndex = -1
	return ss
}
