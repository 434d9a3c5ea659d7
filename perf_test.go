package ddbstream_test

// Performance figures for BENCHMARKS.md. The TestPerf_ tests measure what is
// deterministic (virtual time under testing/synctest, API calls, heap) and assert the
// goals; the Benchmark functions measure CPU. Run them with
//
//	go test -run 'TestPerf' -v .
//	go test -run XXX -bench . -benchmem .

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

// lineageStream builds chains×generations shards: each of chains initial shards rolls
// over generations-1 times, and each shard gets about perShard records, written evenly
// over between, then the roll-over. It returns how many records it wrote and, per shard, how many
// pages of pageSize reading it takes.
func lineageStream(t *testing.T, s *streamtest.Stream, generations, perShard, pageSize int, between time.Duration) (int, map[string]int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	total := 0
	for g := range generations {
		n := len(s.OpenShardIDs()) * perShard
		for range n { // spread over the generation's time
			s.Put(item(strconv.FormatUint(rng.Uint64(), 36), 1))
			total++
			time.Sleep(between / time.Duration(n))
		}
		if g < generations-1 {
			for _, id := range s.OpenShardIDs() {
				s.Split(id, 1)
			}
		}
	}
	pages := map[string]int{}
	for _, id := range s.ShardIDs() {
		sh, err := ddbstream.NewShard(s, s.ARN(), id, ddbstream.GetRecordsLimit(pageSize), ddbstream.MaxEmptyPages(1))
		require.NoError(t, err)
		n := 0
		for {
			recs, err := sh.GetRecords(t.Context())
			require.NoError(t, err)
			if len(recs) == 0 {
				break
			}
			n += len(recs)
		}
		pages[id] = max(1, (n+pageSize-1)/pageSize)
	}
	return total, pages
}

// longestChain returns the most pages on one root-to-leaf chain.
func longestChain(t *testing.T, s *streamtest.Stream, pages map[string]int) int {
	shards, err := ddbstream.LoadShards(t.Context(), s, s.ARN())
	require.NoError(t, err)
	var walk func(sh *ddbstream.Shard) int
	walk = func(sh *ddbstream.Shard) int {
		most := 0
		for _, c := range sh.Children() {
			most = max(most, walk(c))
		}
		return pages[sh.ID()] + most
	}
	longest := 0
	for _, r := range ddbstream.Roots(shards) {
		longest = max(longest, walk(r))
	}
	return longest
}

// TestPerf_CatchUp64Shards measures catching up a stream of 64 shards (16 lineages of
// four generations, five pages of 100 records each) with 10 ms per call, in virtual
// time. Goals: within 1.25× of the critical path, and at least 10× faster than reading
// the shards one call at a time.
func TestPerf_CatchUp64Shards(t *testing.T) {
	const latency = 10 * time.Millisecond
	var pagesOnChain, records int
	measure := func(concurrency int) (d time.Duration, calls int) {
		synctest.Test(t, func(t *testing.T) {
			s := streamtest.NewStream(streamtest.Shards(16), streamtest.Seed(21))
			defer s.Close()
			var pages map[string]int
			records, pages = lineageStream(t, s, 4, 500, 100, time.Minute)
			pagesOnChain = longestChain(t, s, pages)
			for _, op := range []streamtest.Op{streamtest.OpDescribeStream, streamtest.OpGetShardIterator, streamtest.OpGetRecords} {
				s.Latency(op, latency).Keep()
			}
			s.ResetCalls()
			start := time.Now()
			st := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(100), ddbstream.Concurrency(concurrency))
			readN(t, st, records)
			d = time.Since(start)
			calls = s.Calls(streamtest.OpDescribeStream) + s.Calls(streamtest.OpGetShardIterator) + s.Calls(streamtest.OpGetRecords)
		})
		return d, calls
	}
	parallel, pcalls := measure(16)
	serial, scalls := measure(1)
	bound := time.Duration(1+1+pagesOnChain) * latency // DescribeStream, then an iterator, then the chain's pages
	pagesOnly := time.Duration(pagesOnChain) * latency
	t.Logf("64 shards, %d records, %d pages on the longest chain, %v a call", records, pagesOnChain, latency)
	t.Logf("critical path (DescribeStream + GetShardIterator + chain pages): %v; pages alone: %v", bound, pagesOnly)
	t.Logf("Concurrency(16): %v, %d calls: %.2fx the critical path, %.2fx the pages alone", parallel, pcalls,
		float64(parallel)/float64(bound), float64(parallel)/float64(pagesOnly))
	t.Logf("Concurrency(1):  %v, %d calls: %.1fx slower than Concurrency(16)", serial, scalls, float64(serial)/float64(parallel))
	require.LessOrEqual(t, float64(parallel), 1.25*float64(bound))
	require.GreaterOrEqual(t, float64(serial), 10*float64(parallel))
}

// TestPerf_SeekCalls counts the calls that seeking to the last hour of a day-long
// stream makes, against reading it all from the trim horizon, with and without
// AT_TIMESTAMP.
func TestPerf_SeekCalls(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts []streamtest.Option
	}{
		{"AT_TIMESTAMP", nil},
		{"no AT_TIMESTAMP (scan)", []streamtest.Option{streamtest.NoTimestamp()}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := streamtest.NewStream(append(tt.opts, streamtest.Shards(4), streamtest.Seed(22), streamtest.Retention(48*time.Hour))...)
				defer s.Close()
				total, _ := lineageStream(t, s, 6, 1000, 100, 4*time.Hour)
				since := time.Now().Add(-time.Hour)

				calls := func() int {
					return s.Calls(streamtest.OpDescribeStream) + s.Calls(streamtest.OpGetShardIterator) + s.Calls(streamtest.OpGetRecords)
				}
				s.ResetCalls()
				all := openStream(t, s, ddbstream.TrimHorizon(), ddbstream.GetRecordsLimit(100), ddbstream.StopAtHead())
				n := 0
				for _, err := range all.Records(t.Context()) {
					require.NoError(t, err)
					n++
				}
				require.Equal(t, total, n)
				scanCalls := calls()

				s.ResetCalls()
				sought, err := ddbstream.OpenStream(t.Context(), s, s.ARN(), ddbstream.AtTimestamp(since), ddbstream.GetRecordsLimit(100), ddbstream.StopAtHead())
				require.NoError(t, err)
				defer sought.Close()
				m := 0
				for rec, err := range sought.Records(t.Context()) {
					require.NoError(t, err)
					require.False(t, rec.CreatedAt.Before(since.Truncate(time.Second)))
					m++
				}
				seekCalls := calls()
				t.Logf("24 shards (4 lineages x 6 generations of 4 h), %d records; the last hour holds %d", total, m)
				t.Logf("read all from TRIM_HORIZON: %d calls; seek to the last hour: %d calls (%.1fx fewer)",
					scanCalls, seekCalls, float64(scanCalls)/float64(seekCalls))
				require.Less(t, seekCalls, scanCalls)
			})
		})
	}
}

// TestPerf_IdleCalls reports GetRecords calls per idle shard per minute.
func TestPerf_IdleCalls(t *testing.T) {
	for _, idle := range []time.Duration{time.Second, 5 * time.Second, 30 * time.Second} {
		synctest.Test(t, func(t *testing.T) {
			s := streamtest.NewStream(streamtest.Shards(8), streamtest.Seed(23))
			defer s.Close()
			openStream(t, s, ddbstream.TrimHorizon(), ddbstream.IdlePollInterval(idle))
			time.Sleep(time.Minute)
			s.ResetCalls()
			time.Sleep(10 * time.Minute)
			rate := float64(s.Calls(streamtest.OpGetRecords)) / 8 / 10
			t.Logf("IdlePollInterval(%v): %.1f GetRecords calls per idle shard per minute", idle, rate)
			require.LessOrEqual(t, rate, 60/idle.Seconds()+0.5)
		})
	}
}

// genSession is an endless stream of shards whose every page holds 1000 records, made
// up on demand, so that the heap measured is the reader's, not the data's.
type genSession struct {
	shards int
	arn    string
	limit  int
}

func (g *genSession) DescribeStream(_ context.Context, _ *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	d := &types.StreamDescription{StreamArn: aws.String(g.arn), StreamStatus: types.StreamStatusEnabled}
	for i := range g.shards {
		d.Shards = append(d.Shards, types.Shard{ShardId: aws.String(fmt.Sprintf("shardId-00000001764151200000-%08d", i)),
			SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String("100000000000000000000")}})
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: d}, nil
}

func (g *genSession) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	shard := (*in.ShardId)[len(*in.ShardId)-8:]
	pos := "0"
	if in.SequenceNumber != nil {
		n, _ := strconv.ParseUint(strings.TrimLeft(*in.SequenceNumber, "1"), 10, 64)
		pos = strconv.FormatUint(n+1, 10)
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(shard + ":" + pos)}, nil
}

func (g *genSession) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	shard, p, _ := strings.Cut(*in.ShardIterator, ":")
	pos, _ := strconv.ParseUint(p, 10, 64)
	recs := make([]types.Record, int(*in.Limit))
	for i := range recs {
		n := pos + uint64(i)
		seq := "1" + fmt.Sprintf("%020d", n) // 21 digits, increasing
		recs[i] = types.Record{
			EventID:   aws.String(seq),
			EventName: types.OperationTypeModify,
			Dynamodb: &types.StreamRecord{
				SequenceNumber:              aws.String(seq),
				ApproximateCreationDateTime: aws.Time(t0.Add(time.Duration(n/1000) * time.Second)),
				Keys:                        map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: shard}},
				NewImage:                    map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: shard}, "n": &types.AttributeValueMemberN{Value: p}},
				SizeBytes:                   aws.Int64(40),
				StreamViewType:              types.StreamViewTypeNewImage,
			},
		}
	}
	next := shard + ":" + strconv.FormatUint(pos+uint64(len(recs)), 10)
	return &dynamodbstreams.GetRecordsOutput{Records: recs, NextShardIterator: &next}, nil
}

// TestPerf_HeapFlat consumes 1,000,000 records from four endless shards and samples the
// live heap every 100,000: it must stay flat (bounded by BufferSize and Concurrency,
// not by how much was read).
func TestPerf_HeapFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("consumes a million records; run without -short")
	}
	g := &genSession{shards: 4, arn: testARN}
	st, err := ddbstream.OpenStream(t.Context(), g, testARN, ddbstream.TrimHorizon())
	require.NoError(t, err)
	defer st.Close()
	var samples []uint64
	var ms runtime.MemStats
	for i := range 1_000_000 {
		if i%100_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			samples = append(samples, ms.HeapAlloc)
		}
		_, err := st.Next(t.Context())
		require.NoError(t, err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	samples = append(samples, ms.HeapAlloc)
	lo, hi := samples[0], samples[0]
	var line []string
	for _, s := range samples {
		lo, hi = min(lo, s), max(hi, s)
		line = append(line, fmt.Sprintf("%.1f", float64(s)/(1<<20)))
	}
	t.Logf("live heap (MiB) every 100,000 records: %s", strings.Join(line, " "))
	t.Logf("spread %.1f MiB over 1,000,000 records (BufferSize 10,000, Concurrency 16)", float64(hi-lo)/(1<<20))
	require.Less(t, hi-lo, uint64(32<<20), "the heap must not grow with the records read")
	last, first := samples[len(samples)-1], samples[1]
	require.Less(t, last, first+16<<20, "no growth from the first 100,000 records to the last")
}

// loopbackClient is a real SDK client for a streamtest endpoint.
func loopbackClient(url string) *dynamodbstreams.Client {
	return dynamodbstreams.New(dynamodbstreams.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(url),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       streamtest.HTTPClient(), // see its doc: a fast loopback server races the SDK's default client
	})
}

// BenchmarkLoopback reads the same 20,000 records (20 pages of 1000, one shard) through
// the real SDK client on the loopback endpoint three ways, interleaved in each
// iteration so machine noise hits all alike: a hand-written GetRecords loop, Shard.Next
// and Stream.Next. It reports records/s of each and the library's rate as a share of
// the raw loop's (median over iterations). Goal: shard/raw and stream/raw ≥ 0.95.
func BenchmarkLoopback(b *testing.B) {
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	s := streamtest.NewStream(streamtest.Seed(24))
	defer s.Close()
	const n = 20_000
	for i := range n {
		s.Put(item(strconv.Itoa(i), i))
	}
	c := loopbackClient(s.URL())
	ctx := context.Background()
	id := s.ShardIDs()[0]
	arn := s.ARN()

	// Each returns how long reading took. The Stream's clock starts once OpenStream has
	// listed the shards (one DescribeStream call, which the others do not make); like the
	// others, it then takes an iterator and reads the pages.
	raw := func() time.Duration {
		start := time.Now()
		it, err := c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &arn, ShardId: &id, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
		require.NoError(b, err)
		got, iter := 0, it.ShardIterator
		for got < n {
			out, err := c.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: iter, Limit: aws.Int32(1000)})
			require.NoError(b, err)
			got += len(out.Records)
			iter = out.NextShardIterator
		}
		require.Equal(b, n, got)
		return time.Since(start)
	}
	shard := func() time.Duration {
		start := time.Now()
		sh, err := ddbstream.NewShard(c, arn, id)
		require.NoError(b, err)
		got := 0
		for got < n {
			recs, err := sh.Next(ctx)
			require.NoError(b, err)
			got += len(recs)
		}
		require.Equal(b, n, got)
		return time.Since(start)
	}
	stream := func() time.Duration {
		st, err := ddbstream.OpenStream(ctx, c, arn, ddbstream.TrimHorizon())
		require.NoError(b, err)
		defer st.Close()
		start := time.Now()
		for range n {
			_, err := st.Next(ctx)
			require.NoError(b, err)
		}
		return time.Since(start)
	}
	// Each iteration times the three, in an order that rotates so none always runs
	// after the others' garbage; the ratios reported are medians of per-iteration ratios,
	// which a noisy neighbour disturbs less than a ratio of totals.
	ways := []func() time.Duration{raw, shard, stream}
	var total [3]time.Duration
	var shardRatio, streamRatio []float64
	for i := 0; b.Loop(); i++ {
		var d [3]time.Duration
		for k := range 3 {
			w := (i + k) % 3
			d[w] = ways[w]()
			total[w] += d[w]
		}
		shardRatio = append(shardRatio, d[0].Seconds()/d[1].Seconds())
		streamRatio = append(streamRatio, d[0].Seconds()/d[2].Seconds())
	}
	iters := len(shardRatio)
	rate := func(d time.Duration) float64 { return float64(n*iters) / d.Seconds() }
	median := func(xs []float64) float64 {
		slices.Sort(xs)
		return xs[len(xs)/2]
	}
	b.ReportMetric(rate(total[0]), "raw-rec/s")
	b.ReportMetric(rate(total[1]), "shard-rec/s")
	b.ReportMetric(rate(total[2]), "stream-rec/s")
	b.ReportMetric(median(shardRatio), "shard/raw")
	b.ReportMetric(median(streamRatio), "stream/raw")
}

// pageSession answers every GetRecords with the same page of 1000 records.
type pageSession struct {
	page *dynamodbstreams.GetRecordsOutput
}

func (p *pageSession) DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	return &dynamodbstreams.DescribeStreamOutput{}, nil
}

func (p *pageSession) GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String("it")}, nil
}

func (p *pageSession) GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	return p.page, nil
}

// BenchmarkShard_Next reads 1000-record pages from a fake session: the Shard's own
// cost per record, with the SDK's decoding taken out.
func BenchmarkShard_Next(b *testing.B) {
	g := &genSession{shards: 1, arn: testARN}
	page, err := g.GetRecords(context.Background(), &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String("00000000:0"), Limit: aws.Int32(1000)})
	require.NoError(b, err)
	sh, err := ddbstream.NewShard(&pageSession{page: page}, testARN, testShard)
	require.NoError(b, err)
	ctx := context.Background()
	b.ReportAllocs()
	records := 0
	for b.Loop() {
		recs, err := sh.Next(ctx)
		if err != nil || len(recs) != 1000 {
			b.Fatal(err, len(recs))
		}
		records += len(recs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
}

// BenchmarkStream_Next reads records through a whole Stream over the in-memory
// generator (four shards): the cost of ordering, buffering and the background reader
// per record.
func BenchmarkStream_Next(b *testing.B) {
	g := &genSession{shards: 4, arn: testARN}
	ctx := context.Background()
	st, err := ddbstream.OpenStream(ctx, g, testARN, ddbstream.TrimHorizon())
	require.NoError(b, err)
	defer st.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Next(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
