package ddbstream

import (
	"fmt"
	"log/slog"
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
	maxEmptyPages int
	limit         int32
	refreshLatest bool
	logger        *slog.Logger
}

func defaultConfig() config {
	return config{
		maxEmptyPages: 5,
		limit:         1000,
		logger:        slog.New(slog.DiscardHandler),
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
