package ddbstream

import (
	"fmt"
	"log/slog"
	"time"
)

// An Option configures [NewShard], [OpenStream] or [ResumeStream]. Options that only
// concern a whole stream are accepted, and ignored, by NewShard. A value outside an
// option's range makes the constructor fail with an error wrapping [ErrInvalidOption].
type Option interface {
	apply(*config) error
}

type optionFunc func(*config) error

func (f optionFunc) apply(c *config) error { return f(c) }

// config holds every setting; defaultConfig is the one place defaults live.
type config struct {
	// one shard
	maxEmptyPages int
	limit         int32
	refreshLatest bool
	logger        *slog.Logger

	// whole stream
	concurrency    int
	bufferSize     int
	pollInterval   time.Duration
	idleInterval   time.Duration
	backoffBase    time.Duration
	backoffMax     time.Duration
	describeRate   float64
	onTrimmed      func(Gap)
	skipTrimmedSet bool
	stopAtHead     bool
}

func defaultConfig() config {
	return config{
		maxEmptyPages: 5,
		limit:         1000,
		logger:        slog.New(slog.DiscardHandler),

		concurrency:  16,
		bufferSize:   10_000,
		pollInterval: time.Second,
		idleInterval: 5 * time.Second,
		backoffBase:  100 * time.Millisecond,
		backoffMax:   30 * time.Second,
		describeRate: 5,
	}
}

func newConfig(opts []Option) (config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if o == nil {
			return config{}, fmt.Errorf("%w: nil Option", ErrInvalidOption)
		}
		if err := o.apply(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

// MaxEmptyPages sets how many empty pages in a row one read of an open shard follows
// before it returns no records. DynamoDB Streams often answers an open shard with several
// empty pages before its records; the count restarts whenever records arrive. Valid
// values are 1 to 100. Default 5.
func MaxEmptyPages(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 || n > 100 {
			return fmt.Errorf("%w: MaxEmptyPages(%d): want 1 to 100", ErrInvalidOption, n)
		}
		c.maxEmptyPages = n
		return nil
	})
}

// GetRecordsLimit sets the Limit sent with each GetRecords call: the most records one
// page may hold. Valid values are 1 to 1000, the service's maximum. Default 1000.
func GetRecordsLimit(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 || n > 1000 {
			return fmt.Errorf("%w: GetRecordsLimit(%d): want 1 to 1000", ErrInvalidOption, n)
		}
		c.limit = int32(n)
		return nil
	})
}

// RefreshLatest lets a shard replace an expired iterator taken at LATEST before any
// record was read, by taking a new LATEST iterator. Records written while the old
// iterator was unused are then skipped, so by default such a refresh is refused with
// [ErrIteratorExpired]. Default false.
func RefreshLatest(allow bool) Option {
	return optionFunc(func(c *config) error {
		c.refreshLatest = allow
		return nil
	})
}

// WithLogger sets the logger for events worth a line: refreshed iterators, retries,
// skipped gaps, discovered shards. Default: discard everything.
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil): pass slog.New(slog.DiscardHandler) to log nothing", ErrInvalidOption)
		}
		c.logger = l
		return nil
	})
}

// Concurrency sets how many calls a [Stream] makes at once, across all its shards. A
// round of reads then costs the slowest call rather than the sum. Valid values are 1 to
// 1024. Default 16.
func Concurrency(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 || n > 1024 {
			return fmt.Errorf("%w: Concurrency(%d): want 1 to 1024", ErrInvalidOption, n)
		}
		c.concurrency = n
		return nil
	})
}

// BufferSize sets how many records a [Stream] holds that [Stream.Next] has not returned
// yet. No new page is fetched while the buffer holds this many, so memory is bounded by
// BufferSize plus one page per concurrent call, whatever the stream's size. Valid values
// are 1 to 10,000,000. Default 10,000.
func BufferSize(n int) Option {
	return optionFunc(func(c *config) error {
		if n < 1 || n > 10_000_000 {
			return fmt.Errorf("%w: BufferSize(%d): want 1 to 10000000", ErrInvalidOption, n)
		}
		c.bufferSize = n
		return nil
	})
}

// PollInterval sets how long a [Stream] waits before reading a shard again after a page
// that was not full: the shard has caught up, so reading at once would mostly return
// nothing. A full page is followed at once. Valid values are 1ms to 1 minute. Default 1s.
func PollInterval(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < time.Millisecond || d > time.Minute {
			return fmt.Errorf("%w: PollInterval(%v): want 1ms to 1m", ErrInvalidOption, d)
		}
		c.pollInterval = d
		return nil
	})
}

// IdlePollInterval sets the longest wait between reads of a shard that keeps returning
// nothing. The wait starts at [PollInterval] and doubles with each empty read up to this,
// so an idle shard costs about 60s/IdlePollInterval GetRecords calls a minute. Valid
// values are 1ms to 10 minutes, so iterators never expire unused; below [PollInterval],
// PollInterval is used. Default 5s.
func IdlePollInterval(d time.Duration) Option {
	return optionFunc(func(c *config) error {
		if d < time.Millisecond || d > 10*time.Minute {
			return fmt.Errorf("%w: IdlePollInterval(%v): want 1ms to 10m", ErrInvalidOption, d)
		}
		c.idleInterval = d
		return nil
	})
}

// Backoff sets the pause after a throttled (LimitExceededException, ThrottlingException)
// or failed (HTTP 5xx, broken connection) call, once the SDK's own retries are used up:
// base doubled for each failure in a row after the first, capped at max, of which a
// random half is taken off (so between half and all of it). Valid
// values: 1ms <= base <= max <= 10 minutes. Default 100ms and 30s.
func Backoff(base, max time.Duration) Option {
	return optionFunc(func(c *config) error {
		if base < time.Millisecond || max < base || max > 10*time.Minute {
			return fmt.Errorf("%w: Backoff(%v, %v): want 1ms <= base <= max <= 10m", ErrInvalidOption, base, max)
		}
		c.backoffBase, c.backoffMax = base, max
		return nil
	})
}

// DescribeStreamRate sets how many DescribeStream calls a second a [Stream] makes at
// most, when it looks for new shards. The service allows 10 a second per account and
// region, shared with every other reader. Valid values are more than 0 and at most 10.
// Default 5.
func DescribeStreamRate(perSecond float64) Option {
	return optionFunc(func(c *config) error {
		if !(perSecond > 0 && perSecond <= 10) {
			return fmt.Errorf("%w: DescribeStreamRate(%v): want more than 0 and at most 10", ErrInvalidOption, perSecond)
		}
		c.describeRate = perSecond
		return nil
	})
}

// SkipTrimmed makes a [Stream] skip forward when a shard's position has been trimmed
// (older than the stream's 24-hour retention) or the shard is gone: it continues from
// the shard's trim horizon (or, for a seek not yet satisfied, from the seek time again)
// and calls report with the gap as soon as it is found, before reading on. report is
// called from the Stream's reading goroutines, one call at a time, without the Stream's
// lock: it may call Token or Next, but not Close or MoveTo, and must not block for long.
// It may be nil to only log the gap. By default a Stream fails instead, with an error
// wrapping [ErrTrimmed] or [ErrShardNotFound] that names the shard and position.
func SkipTrimmed(report func(Gap)) Option {
	return optionFunc(func(c *config) error {
		c.onTrimmed, c.skipTrimmedSet = report, true
		return nil
	})
}

// StopAtHead makes [Stream.Next] return [io.EOF] once the stream has caught up: every
// record fetched has been returned and every shard has been read up to the newest record
// the service held (a page that was not full), or to its end. It suits batch jobs and
// "read what is there now" tools; [Stream.Records] then ends without an error. Without
// it, Next waits for new records. Default off.
func StopAtHead() Option {
	return optionFunc(func(c *config) error {
		c.stopAtHead = true
		return nil
	})
}
