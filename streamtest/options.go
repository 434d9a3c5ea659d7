package streamtest

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// An Option configures [NewStream] or [Stream.AddStream]. A value outside an option's
// range is a mistake in the test, so the option function panics with a message that
// names it. Options marked "service-wide" shape the whole service (the endpoint) and are
// accepted by NewStream only; AddStream panics on them.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config holds every setting; defaultConfig is the one place defaults live.
type config struct {
	// Per stream.
	table      string // "" means "Table<n>", n counting the service's streams from 1
	hashKey    string
	rangeKey   string
	viewType   types.StreamViewType
	shards     int
	retention  time.Duration
	seqStart   string // "" means a random 21-digit number
	emptyPages int

	// Service-wide: names of those set, so that AddStream can refuse them.
	serviceWide   []string
	region        string
	noTimestamp   bool
	noShardFilter bool
	seed          uint64
	seeded        bool
}

func defaultConfig() config {
	return config{
		hashKey:   "pk",
		viewType:  types.StreamViewTypeNewAndOldImages,
		shards:    1,
		retention: 24 * time.Hour,
		region:    "us-east-1",
	}
}

func newConfig(opts []Option) config {
	c := defaultConfig()
	for _, o := range opts {
		if o == nil {
			panic("streamtest: nil Option")
		}
		o.apply(&c)
	}
	return c
}

func (c *config) setServiceWide(name string) {
	if !slices.Contains(c.serviceWide, name) {
		c.serviceWide = append(c.serviceWide, name)
	}
}

// TableName sets the name of the stream's table: 3 to 255 letters, digits, '_', '-'
// and '.', as DynamoDB requires. It appears in the ARN, in DescribeStream and in
// ListStreams. Default "Table1" for the service's first stream, "Table2" for the second,
// and so on.
func TableName(name string) Option {
	if err := checkTableName(name); err != nil {
		panic(fmt.Sprintf("streamtest: TableName(%q): %v", name, err))
	}
	return optionFunc(func(c *config) { c.table = name })
}

// KeySchema sets the names of the table's key attributes: the partition (hash) key and,
// unless rangeKey is "", the sort (range) key. Written items must carry them as S, N or B
// values. Records' Keys hold exactly these attributes, and the partition key alone
// decides the shard. Default: hash key "pk", no range key.
func KeySchema(hash, rangeKey string) Option {
	if hash == "" || hash == rangeKey {
		panic(fmt.Sprintf("streamtest: KeySchema(%q, %q): want a non-empty hash key distinct from the range key", hash, rangeKey))
	}
	return optionFunc(func(c *config) { c.hashKey, c.rangeKey = hash, rangeKey })
}

// StreamViewType sets what records carry besides keys: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE
// or NEW_AND_OLD_IMAGES. Default NEW_AND_OLD_IMAGES.
func StreamViewType(v types.StreamViewType) Option {
	if !slices.Contains(v.Values(), v) {
		panic(fmt.Sprintf("streamtest: StreamViewType(%q): want one of %v", v, v.Values()))
	}
	return optionFunc(func(c *config) { c.viewType = v })
}

// Shards sets how many open shards the stream starts with; the partition key hash space
// is divided evenly among them. Valid values are 1 to 1000. Default 1.
func Shards(n int) Option {
	if n < 1 || n > 1000 {
		panic(fmt.Sprintf("streamtest: Shards(%d): want 1 to 1000", n))
	}
	return optionFunc(func(c *config) { c.shards = n })
}

// Retention sets how long records stay readable. A record older than this is trimmed:
// TRIM_HORIZON starts after it and positions at or before it answer
// TrimmedDataAccessException. A closed shard disappears from DescribeStream once it has
// been closed for longer than this. Default 24 hours, as on AWS.
func Retention(d time.Duration) Option {
	if d <= 0 {
		panic(fmt.Sprintf("streamtest: Retention(%v): want a positive duration", d))
	}
	return optionFunc(func(c *config) { c.retention = d })
}

// SequenceStart sets the first sequence number the stream hands out: the first shard's
// StartingSequenceNumber. Every later number, for a record or a shard, is larger by a
// random gap of 2 to 10. Starting just below a power of ten, such as
// "999999999999999999990", makes the stream cross a digit-length boundary within a few
// records, which proves that a reader compares sequence numbers as numbers. Valid values
// are 21 to 38 decimal digits (the service's sequence numbers have 21 to 40). Default: a
// random 21-digit number, different per stream.
func SequenceStart(s string) Option {
	if len(s) < 21 || len(s) > 38 || !isDigits(s) || s[0] == '0' {
		panic(fmt.Sprintf("streamtest: SequenceStart(%q): want 21 to 38 decimal digits, not starting with 0", s))
	}
	return optionFunc(func(c *config) { c.seqStart = s })
}

// EmptyPages sets how many empty pages, each with a non-nil NextShardIterator, a new
// iterator on an open shard answers before it reaches records, as DynamoDB Streams
// often does. Iterators taken on closed shards, and the iterators that GetRecords
// returns after a page with records, answer at once. Valid values are 0 to 100.
// Default 0.
func EmptyPages(n int) Option {
	if n < 0 || n > 100 {
		panic(fmt.Sprintf("streamtest: EmptyPages(%d): want 0 to 100", n))
	}
	return optionFunc(func(c *config) { c.emptyPages = n })
}

// NoTimestamp makes the service behave like an endpoint that predates AT_TIMESTAMP
// iterators: GetShardIterator answers them with ValidationException. Service-wide.
// Default: AT_TIMESTAMP is supported.
func NoTimestamp() Option {
	return optionFunc(func(c *config) { c.noTimestamp = true; c.setServiceWide("NoTimestamp") })
}

// NoShardFilter makes the service behave like an endpoint that predates DescribeStream's
// ShardFilter: a request with one answers ValidationException. Service-wide. Default:
// the CHILD_SHARDS filter is supported.
func NoShardFilter() Option {
	return optionFunc(func(c *config) { c.noShardFilter = true; c.setServiceWide("NoShardFilter") })
}

// Region sets the service's AWS region, which appears in stream ARNs and in records'
// awsRegion. Service-wide. Default "us-east-1".
func Region(r string) Option {
	if r == "" || !isRegion(r) {
		panic(fmt.Sprintf("streamtest: Region(%q): want a region name such as us-east-1", r))
	}
	return optionFunc(func(c *config) { c.region = r; c.setServiceWide("Region") })
}

// Seed seeds the service's random numbers: shard ID suffixes, event IDs, sequence number
// starts and gaps, request IDs. Two services built with the same seed and given the same
// writes and splits in the same order produce the same values, apart from times, which
// come from the clock; request IDs have a generator of their own, so how many calls were
// made, in process or over HTTP, changes none of the others. Service-wide. Default: a
// different seed for each service in the process.
func Seed(n uint64) Option {
	return optionFunc(func(c *config) { c.seed, c.seeded = n, true; c.setServiceWide("Seed") })
}

func checkTableName(name string) error {
	if len(name) < 3 || len(name) > 255 {
		return fmt.Errorf("%d characters; table names have 3 to 255", len(name))
	}
	for _, c := range []byte(name) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.') {
			return fmt.Errorf("character %q; table names have letters, digits, '_', '-' and '.'", c)
		}
	}
	return nil
}

func isRegion(r string) bool {
	for _, c := range []byte(r) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
