package ddbstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// IteratorLifetime is how long DynamoDB Streams honours a shard iterator after issuing it.
const IteratorLifetime = 15 * time.Minute

// endpoint is what the shards of one stream share: the session, the settings, and what
// was learnt about the endpoint. Shards of one tree may be read from different
// goroutines, so the learnt facts are atomic.
type endpoint struct {
	session   Session
	streamARN string
	cfg       config

	describeGate *gate // spaces DescribeStream calls; nil for a lone Shard

	noTimestamp   atomic.Bool // AT_TIMESTAMP answered ValidationException: scan instead
	noChildFilter atomic.Bool // the CHILD_SHARDS filter was refused: page DescribeStream
}

func newEndpoint(s Session, streamARN string, opts []Option) (*endpoint, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil Session; pass a *dynamodbstreams.Client or a *streamtest.Stream", ErrInvalidArgument)
	}
	if err := validateStreamARN(streamARN); err != nil {
		return nil, fmt.Errorf("%w: stream ARN: %v", ErrInvalidArgument, err)
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return &endpoint{session: s, streamARN: streamARN, cfg: cfg}, nil
}

// A Shard reads one shard of a DynamoDB stream: it takes iterators, reads pages, follows
// empty pages, refreshes expired iterators when that is safe, seeks by time, and knows
// its parent and children. Its position always names the first record it has not yet
// returned, so [Shard.Token] taken at any moment resumes exactly there.
//
// A Shard is not safe for concurrent use; distinct shards, even of one tree, may be used
// from different goroutines. Raw iterators never leave it.
type Shard struct {
	ep       *endpoint
	id       string
	parentID string
	parent   *Shard
	children []*Shard
	start    SequenceNumber // from DescribeStream; "" when not known
	end      SequenceNumber // set once the shard is closed

	position  Position  // the first record not yet returned
	seeking   bool      // position is AT_TIMESTAMP and no record at or after it was returned
	iterator  string    // "" means: take one at position before the next read
	issuedAt  time.Time // when iterator was issued
	latestAt  time.Time // when the LATEST iterator now followed was taken; zero if none
	exhausted bool      // the service said the shard is closed and drained
}

// NewShard returns a Shard for shardID of the stream streamARN, positioned at
// [TrimHorizon]. It does no I/O: the first read takes the iterator, or call
// [Shard.JumpTo] to start elsewhere. It fails, wrapping [ErrInvalidArgument] or
// [ErrInvalidOption], for a nil session, a malformed ARN or shard ID, or a bad option.
func NewShard(s Session, streamARN, shardID string, opts ...Option) (*Shard, error) {
	ep, err := newEndpoint(s, streamARN, opts)
	if err != nil {
		return nil, err
	}
	if err := validateShardID(shardID); err != nil {
		return nil, fmt.Errorf("%w: shard ID: %v", ErrInvalidArgument, err)
	}
	return &Shard{ep: ep, id: shardID}, nil
}

// ID returns the shard's ID, such as "shardId-00000001764115200000-0a1b2c3d".
func (s *Shard) ID() string { return s.id }

// StreamARN returns the ARN of the stream the shard belongs to.
func (s *Shard) StreamARN() string { return s.ep.streamARN }

// ParentID returns the ID of the shard's parent, or "" for a shard that has none. The
// parent may no longer be listed (trimmed), in which case [Shard.Parent] is nil.
func (s *Shard) ParentID() string { return s.parentID }

// Parent returns the parent shard when it is known, or nil.
func (s *Shard) Parent() *Shard { return s.parent }

// Children returns the children known so far, in ID order. See [Shard.LoadChildren].
func (s *Shard) Children() []*Shard { return append([]*Shard(nil), s.children...) }

// SequenceNumberRange returns the first and last sequence numbers of the shard as
// DescribeStream listed them. start is "" when the shard was not built from a listing;
// end is "" while the shard is open.
func (s *Shard) SequenceNumberRange() (start, end SequenceNumber) { return s.start, s.end }

// Position returns the position of the first record the shard has not returned yet.
func (s *Shard) Position() Position { return s.position }

// Exhausted reports whether the shard is closed and every record has been read. An
// exhausted shard makes no further calls.
func (s *Shard) Exhausted() bool { return s.exhausted }

// Token returns a token that resumes the shard at its position. One position is not
// written as it is: a shard at LATEST with nothing returned yet, once its iterator was
// taken, is written as at_timestamp a second before that moment (rounded down to the
// second, a margin for clocks that disagree). Resuming at a new LATEST would skip what
// was written between the token and the resume; resuming at that time skips nothing,
// and may return a few records from just before the shard was positioned at LATEST.
func (s *Shard) Token() ShardToken {
	p := s.position
	if p.kind == kindLatest && !s.latestAt.IsZero() {
		p = AtTimestamp(seekFloor(s.latestAt).Add(-latestMargin))
	}
	return newShardToken(s.ep.streamARN, s.id, s.parentID, p, s.exhausted)
}

// latestMargin is how far before a LATEST iterator was taken a token resumes, for
// clocks (ours and the service's) that disagree by up to this much.
const latestMargin = time.Second

// String describes the shard for logs: "shardId-… at AFTER_SEQUENCE_NUMBER 4000…123",
// with ", exhausted" or ", seeking" when that applies.
func (s *Shard) String() string {
	var b strings.Builder
	b.WriteString(s.id)
	b.WriteString(" at ")
	b.WriteString(s.position.String())
	switch {
	case s.exhausted:
		b.WriteString(", exhausted")
	case s.seeking:
		b.WriteString(", seeking")
	}
	return b.String()
}

func (s *Shard) where() string { return "shard " + s.id }

// JumpTo positions the shard at p and takes an iterator there. An [AtTimestamp] position
// uses AT_TIMESTAMP where the endpoint accepts it and otherwise starts a scan from the
// trim horizon that the following reads continue, skipping records created before the
// time; either way reads start at the first record created at or after it.
//
// It fails with [ErrInvalidArgument] for a position without its sequence number or time,
// [ErrTrimmed] when the records at p were trimmed, [ErrShardNotFound] for a shard the
// endpoint does not know, or the SDK's error. On failure the shard keeps its position
// and takes a new iterator on the next read.
func (s *Shard) JumpTo(ctx context.Context, p Position) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%w (%s: JumpTo)", err, s.where())
	}
	if err := s.takeIterator(ctx, p); err != nil {
		return err
	}
	s.position = p
	s.seeking = p.kind == kindAtTimestamp
	return nil
}

// takeIterator replaces the shard's iterator with one at p. On failure the old iterator
// is dropped, so the next read takes one at the shard's position.
func (s *Shard) takeIterator(ctx context.Context, p Position) error {
	s.iterator = ""
	in := &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         &s.ep.streamARN,
		ShardId:           &s.id,
		ShardIteratorType: p.IteratorType(),
	}
	switch p.kind {
	case kindAtSequence, kindAfterSequence:
		in.SequenceNumber = aws.String(string(p.seq))
	case kindAtTimestamp:
		in.Timestamp = aws.Time(seekFloor(p.at))
		if s.ep.noTimestamp.Load() {
			in.ShardIteratorType, in.Timestamp = TrimHorizon().IteratorType(), nil
		}
	}
	out, err := s.ep.session.GetShardIterator(ctx, in)
	if err != nil && in.Timestamp != nil && isValidation(err) {
		// The endpoint lacks AT_TIMESTAMP, or the time is ahead of its clock. Scanning from
		// the trim horizon finds the same first record either way; only the first case is
		// a property of the endpoint worth remembering.
		if !p.at.After(time.Now()) {
			s.ep.noTimestamp.Store(true)
		}
		s.ep.cfg.logger.Debug("ddbstream: AT_TIMESTAMP refused, scanning from the trim horizon",
			"shard", s.id, "time", p.at, "error", err)
		in.ShardIteratorType, in.Timestamp = TrimHorizon().IteratorType(), nil
		out, err = s.ep.session.GetShardIterator(ctx, in)
	}
	if err != nil {
		return apiError(s.where(), "GetShardIterator "+p.String(), err)
	}
	s.exhausted = false
	s.iterator, s.issuedAt = aws.ToString(out.ShardIterator), time.Now()
	s.latestAt = time.Time{}
	if p.kind == kindLatest {
		s.latestAt = s.issuedAt
	}
	if s.iterator == "" {
		// No iterator means nothing can be read from there: a closed shard's end.
		s.exhausted = true
	}
	return nil
}

// GetRecords returns the next records of the shard, at most one page. On an open shard
// it reads on through up to [MaxEmptyPages] empty pages in a row and then returns none;
// the count restarts whenever records arrive. It returns nil, nil once the shard is
// exhausted, without calling the service. After records are returned, the shard's
// position is just after the last of them.
//
// It fails with [ErrIteratorExpired] when the iterator is more than 15 minutes old (see
// [Shard.Next], which refreshes it), [ErrTrimmed], [ErrShardNotFound], ctx's error, or the
// SDK's error. A failed read returns no records and leaves the position unchanged.
func (s *Shard) GetRecords(ctx context.Context) ([]Record, error) {
	return s.read(ctx, (*Shard).page)
}

// read calls page until it returns records, the shard is exhausted, or MaxEmptyPages
// empty pages came in a row. Pages whose records all precede a seek time are not empty.
func (s *Shard) read(ctx context.Context, page func(*Shard, context.Context) ([]Record, int, error)) ([]Record, error) {
	empty := 0
	for !s.exhausted {
		recs, raw, err := page(s, ctx)
		switch {
		case err != nil:
			return nil, err
		case len(recs) > 0:
			return recs, nil
		case raw > 0:
			empty = 0
		default:
			if empty++; empty >= s.ep.cfg.maxEmptyPages {
				return nil, nil
			}
		}
	}
	return nil, nil
}

// page makes one GetRecords call, taking an iterator first when the shard holds none. It
// returns the records to deliver and how many the page held before the seek filter.
func (s *Shard) page(ctx context.Context) (recs []Record, raw int, err error) {
	if s.exhausted {
		return nil, 0, nil
	}
	if s.iterator == "" {
		if err := s.takeIterator(ctx, s.position); err != nil || s.exhausted {
			return nil, 0, err
		}
	}
	out, err := s.ep.session.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{
		ShardIterator: &s.iterator,
		Limit:         &s.ep.cfg.limit,
	})
	if err != nil {
		return nil, 0, apiError(s.where(), "GetRecords", err)
	}
	s.iterator, s.issuedAt = aws.ToString(out.NextShardIterator), time.Now()
	s.exhausted = out.NextShardIterator == nil
	recs = newRecords(s.id, out.Records)
	if s.seeking {
		recs = s.skipBeforeSeek(recs)
	}
	if len(recs) > 0 {
		s.position = AfterSequenceNumber(recs[len(recs)-1].SequenceNumber)
	}
	return recs, len(out.Records), nil
}

// pageRefreshing is page that replaces an expired iterator when that is safe, as Next does.
func (s *Shard) pageRefreshing(ctx context.Context) ([]Record, int, error) {
	recs, raw, err := s.page(ctx)
	if !errors.Is(err, ErrIteratorExpired) {
		return recs, raw, err
	}
	if err := s.refusesRefresh(err); err != nil {
		return nil, 0, err
	}
	s.ep.cfg.logger.Info("ddbstream: iterator expired; taking a new one", "shard", s.id, "position", s.position.String())
	s.iterator = ""
	return s.page(ctx)
}

// skipBeforeSeek drops the records created before the seek time. Once one at or after
// it is found the seek is over: later records are kept whatever their time.
func (s *Shard) skipBeforeSeek(recs []Record) []Record {
	for i := range recs {
		if !recs[i].CreatedAt.Before(seekFloor(s.position.at)) {
			s.seeking = false
			return recs[i:]
		}
	}
	return nil
}

// Next is [Shard.GetRecords] that also refreshes an expired iterator when that can lose
// or repeat nothing: from the position after the last record returned, or from the
// starting position while nothing was returned. The one unsafe case is a shard
// positioned at LATEST with nothing returned yet: a new LATEST iterator would skip what
// was written meanwhile, so Next fails with [ErrIteratorExpired] unless
// [RefreshLatest] allows it. Call [Shard.Heartbeat] at least every 15 minutes to avoid
// that case. Otherwise Next fails as GetRecords does.
func (s *Shard) Next(ctx context.Context) ([]Record, error) {
	return s.read(ctx, (*Shard).pageRefreshing)
}

// refusesRefresh returns the error to report when the expired iterator (err) may not be
// replaced, and nil when it may.
func (s *Shard) refusesRefresh(err error) error {
	if s.position.kind != kindLatest || s.ep.cfg.refreshLatest {
		return nil
	}
	return fmt.Errorf("%w; nothing was read since LATEST, so a new LATEST iterator could skip records: "+
		"call Heartbeat within 15 minutes, JumpTo a position of your choice, or allow it with RefreshLatest(true)", err)
}

// Heartbeat keeps a shard readable past its iterator's 15 minutes where a refresh would
// not be safe: a shard at LATEST that has returned nothing yet. For such a shard it reads
// one record at most, without returning it: when there is one, the position is pinned to
// it (AT_SEQUENCE_NUMBER), so a later refresh is safe; when there is none, the iterator
// is renewed. For any other shard it does nothing, since [Shard.Next] refreshes those by
// itself. It fails as [Shard.Next] does.
func (s *Shard) Heartbeat(ctx context.Context) error {
	if s.exhausted || s.position.kind != kindLatest || s.iterator == "" {
		return nil
	}
	out, err := s.ep.session.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{
		ShardIterator: &s.iterator,
		Limit:         aws.Int32(1),
	})
	if err != nil {
		err = apiError(s.where(), "GetRecords (heartbeat)", err)
		if errors.Is(err, ErrIteratorExpired) {
			if rerr := s.refusesRefresh(err); rerr != nil {
				return rerr
			}
			s.iterator = ""
			return nil
		}
		return err
	}
	if len(out.Records) > 0 && out.Records[0].Dynamodb != nil {
		seq := SequenceNumber(aws.ToString(out.Records[0].Dynamodb.SequenceNumber))
		s.position, s.iterator = AtSequenceNumber(seq), ""
		return nil
	}
	s.iterator, s.issuedAt = aws.ToString(out.NextShardIterator), time.Now()
	s.exhausted = out.NextShardIterator == nil
	return nil
}

// reset moves the shard to p without I/O; the next read takes an iterator there.
func (s *Shard) reset(p Position) {
	s.position, s.seeking = p, p.kind == kindAtTimestamp
	s.iterator, s.exhausted, s.latestAt = "", false, time.Time{}
}

// IteratorAge returns how long ago the shard's current iterator was issued, and false
// when it holds none (before the first read, after a failed one, once exhausted).
func (s *Shard) IteratorAge(now time.Time) (time.Duration, bool) {
	if s.iterator == "" {
		return 0, false
	}
	return now.Sub(s.issuedAt), true
}

// SeekTo moves the shard to the first record created at or after t (in t's second or
// later: see [AtTimestamp]) and returns the records from there, like [Shard.GetRecords].
// It uses AT_TIMESTAMP where the endpoint accepts it and scans from the trim horizon
// where it does not. A scan does not stop early on a sparse shard: when it returns no
// records the seek goes on, and later reads still skip records created before t until
// the first one at or after it. While nothing has been returned the shard's token keeps
// the seek time; afterwards it names the record after the last one returned.
func (s *Shard) SeekTo(ctx context.Context, t time.Time) ([]Record, error) {
	if err := s.JumpTo(ctx, AtTimestamp(t)); err != nil {
		return nil, err
	}
	return s.GetRecords(ctx)
}

// validateStreamARN checks the shape arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL.
func validateStreamARN(arn string) error {
	if arn == "" {
		return errors.New("empty")
	}
	if len(arn) > 1024 {
		return fmt.Errorf("%d characters, more than 1024", len(arn))
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "dynamodb" {
		return fmt.Errorf("%q is not a DynamoDB ARN (arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL)", truncate(arn, 80))
	}
	table, label, ok := strings.Cut(parts[5], "/stream/")
	if !ok || !strings.HasPrefix(table, "table/") || len(table) == len("table/") || label == "" {
		return fmt.Errorf("%q is a DynamoDB ARN but not a stream's (…:table/NAME/stream/LABEL)", truncate(arn, 80))
	}
	return nil
}

// validateShardID checks the service's constraints on a shard ID: 28 to 65 characters,
// letters, digits, '-', '_' and '.'.
func validateShardID(id string) error {
	if id == "" {
		return errors.New("empty")
	}
	if len(id) < 28 || len(id) > 65 {
		return fmt.Errorf("%q has %d characters; shard IDs have 28 to 65", truncate(id, 80), len(id))
	}
	for _, c := range []byte(id) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return fmt.Errorf("%q has the character %q; shard IDs have letters, digits, '-', '_' and '.'", truncate(id, 80), c)
		}
	}
	return nil
}
