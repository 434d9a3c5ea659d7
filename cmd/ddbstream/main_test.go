package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream/streamtest"
)

// update rewrites golden files instead of comparing with them:
//
//	go test ./cmd/ddbstream -run TestTail_Golden -update
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/<name>.golden, or writes it there with -update.
func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test -run '%s' -update", t.Name())
	require.Equal(t, string(want), got, "output differs from %s; if intended, run go test -run '%s' -update and review the diff", path, t.Name())
}

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

// lines returns the non-empty lines of s.
func lines(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == '\n' })
}

// runCLI runs the command with args and returns its exit code and output.
func runCLI(t *testing.T, newSession sessionFunc, args ...string) result {
	t.Helper()
	return runCLICtx(t.Context(), newSession, args...)
}

func runCLICtx(ctx context.Context, newSession sessionFunc, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr, newSession)
	return result{code, stdout.String(), stderr.String()}
}

// loopback returns a sessionFunc that builds a real SDK client for the endpoint the
// command was given with --endpoint (a streamtest loopback URL), as main's does for
// AWS, but with static credentials and no retries.
func loopback(t *testing.T) sessionFunc {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return func(_ context.Context, region, endpoint string) (api, error) {
		require.NotEmpty(t, endpoint, "a test against the loopback endpoint passes --endpoint")
		if region == "" {
			region = "us-east-1"
		}
		return dynamodbstreams.New(dynamodbstreams.Options{
			Region:           region,
			BaseEndpoint:     aws.String(endpoint),
			Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
			RetryMaxAttempts: 1,
			HTTPClient:       streamtest.HTTPClient(), // see its doc: a race only a fast server shows
		}), nil
	}
}

// inProcess returns a sessionFunc answering with s itself, for tests where the loopback
// adds nothing (inside a synctest bubble, where it cannot run).
func inProcess(s *streamtest.Stream) sessionFunc {
	return func(context.Context, string, string) (api, error) { return s, nil }
}

// noSession is a sessionFunc for command lines that must fail before connecting.
func noSession(t *testing.T) sessionFunc {
	return func(context.Context, string, string) (api, error) {
		t.Error("the command connected, but it should have stopped at its flags")
		return nil, fmt.Errorf("no session in this test")
	}
}

// item is an Orders item: a key and attributes of every type, so the goldens show how
// each prints.
func item(id, status string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":     &types.AttributeValueMemberS{Value: id},
		"status": &types.AttributeValueMemberS{Value: status},
	}
}

// A scenario is a stream with a known history, written before any read, so that with a
// fixed seed its sequence numbers, event IDs and shard suffixes never change: over
// HTTP, streamtest draws each answer's request ID from the seeded generator, so a write
// made after a read would get values depending on how many calls were made.
//
// What still comes from the real clock (the stream's clock is time.Now plus Advance) is
// normalized: the ARN's label, the milliseconds in shard IDs and the records' creation
// times. Each batch of writes is made right after the clock is moved to a whole second,
// so all of its records share that second, and normalize maps batch i's second to
// 10:0i:00 on a fixed day.
type scenario struct {
	t     *testing.T
	s     *streamtest.Stream
	times []time.Time // the second of each batch
}

// newScenario writes the Orders history the goldens show: two inserts; a modify and a
// delete a minute later; a split; then writes on both children; then a TTL delete.
func newScenario(t *testing.T) *scenario {
	s := streamtest.NewStream(streamtest.TableName("Orders"), streamtest.Seed(42),
		streamtest.SequenceStart("100000000000000000000"))
	t.Cleanup(s.Close)
	sc := &scenario{t: t, s: s}
	sc.batch(func() {
		s.Put(richItem("order-1"))
		s.Put(item("order-2", "new"))
	})
	s.Advance(time.Minute)
	sc.batch(func() {
		s.Put(item("order-1", "paid"))
		s.Delete(item("order-2", ""))
	})
	s.Advance(time.Minute)
	s.Split(s.ShardIDs()[0], 2)
	sc.batch(func() {
		s.Put(item("order-3", "new"))
		s.Put(item("order-4", "new"))
		s.Put(item("order-1", "shipped"))
	})
	s.Advance(time.Minute)
	sc.batch(func() { s.ExpireTTL(item("order-3", "")) })
	return sc
}

// richItem has an attribute of each type DynamoDB knows.
func richItem(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":       &types.AttributeValueMemberS{Value: id},
		"status":   &types.AttributeValueMemberS{Value: "new"},
		"total":    &types.AttributeValueMemberN{Value: "12345678901234567890.50"},
		"gift":     &types.AttributeValueMemberBOOL{Value: true},
		"note":     &types.AttributeValueMemberNULL{Value: true},
		"tags":     &types.AttributeValueMemberSS{Value: []string{"blue", "big"}},
		"sizes":    &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"receipt":  &types.AttributeValueMemberB{Value: []byte("ok")},
		"lines":    &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberS{Value: "pen"}, &types.AttributeValueMemberN{Value: "2"}}},
		"shipping": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"city": &types.AttributeValueMemberS{Value: "Oslo"}}},
	}
}

// batch moves the clock to the next whole second and makes the writes there.
func (sc *scenario) batch(write func()) {
	now := sc.s.Now()
	sec := now.Truncate(time.Second).Add(time.Second)
	sc.s.Advance(sec.Sub(now))
	write()
	require.Equal(sc.t, sec, sc.s.Now().Truncate(time.Second), "a batch of writes took more than a second")
	sc.times = append(sc.times, sec)
}

// day0 is where normalize puts the first batch.
var day0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// normalize replaces what the real clock decided in out with fixed values.
func (sc *scenario) normalize(out string) string {
	r := []string{sc.s.ARN(), "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-26T09:59:00.000"}
	for i, id := range sc.s.ShardIDs() {
		r = append(r, id, fmt.Sprintf("shardId-%020d-%s", day0.UnixMilli()+int64(i), id[len(id)-8:]))
	}
	for i, tm := range sc.times {
		r = append(r, tm.UTC().Format(time.RFC3339), day0.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
	}
	return strings.NewReplacer(r...).Replace(out)
}

func TestRun_Help(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		res := runCLI(t, noSession(t), args...)
		assert.Equal(t, 0, res.code, "%v", args)
		assert.Contains(t, res.stdout, "Commands:\n  tail ", "%v", args)
		assert.Empty(t, res.stderr, "%v", args)
	}
	for _, name := range []string{"tail", "shards", "demo"} {
		for _, args := range [][]string{{"help", name}, {name, "-h"}} {
			res := runCLI(t, noSession(t), args...)
			assert.Equal(t, 0, res.code, "%v", args)
			assert.Contains(t, res.stdout, "Usage: ddbstream "+name, "%v", args)
		}
	}
}

func TestRun_UsageErrors(t *testing.T) {
	const arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-26T10:00:00.000"
	for _, tc := range []struct {
		name string
		args []string
		want string // on stderr, before the usage
	}{
		{"no command", nil, "Commands:"},
		{"an unknown command", []string{"follow"}, `unknown command "follow"`},
		{"help for an unknown command", []string{"help", "follow"}, `unknown command "follow"`},
		{"an unknown flag", []string{"tail", "--stream-arn", arn, "--bogus"}, "flag provided but not defined: -bogus"},
		{"neither --stream-arn nor --table", []string{"tail"}, "name the stream with --stream-arn ARN or --table NAME"},
		{"both --stream-arn and --table", []string{"tail", "--stream-arn", arn, "--table", "Orders"}, "not both"},
		{"a bogus format", []string{"tail", "--table", "Orders", "--format", "bogus"}, `invalid value "bogus" for flag -format: want jsonl or text`},
		{"a bogus --from", []string{"tail", "--table", "Orders", "--from", "yesterday"}, `invalid value "yesterday" for flag -from`},
		{"a negative --from duration", []string{"tail", "--table", "Orders", "--from", "-15m"}, "without a sign"},
		{"a negative --max-records", []string{"tail", "--table", "Orders", "--max-records", "-1"}, "--max-records -1"},
		{"a stray argument", []string{"tail", "--table", "Orders", "now"}, `unexpected argument "now"`},
		{"shards without a stream", []string{"shards", "--region", "eu-west-1"}, "--stream-arn ARN or --table NAME"},
		{"demo with a bogus format", []string{"demo", "--format", "yaml"}, "want jsonl or text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCLI(t, noSession(t), tc.args...)
			require.Equal(t, 2, res.code)
			assert.Empty(t, res.stdout)
			assert.Contains(t, res.stderr, tc.want)
			assert.Contains(t, res.stderr, "Usage:")
		})
	}
}

// main's session reads the usual AWS configuration; --endpoint and --region override it.
// Here the environment holds static credentials and no region, and every file the SDK
// would read is missing, so the run shows that the flags reach the client.
func TestNewAWSSession_FlagsOverrideConfiguration(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_ACCESS_KEY_ID":           "AKID",
		"AWS_SECRET_ACCESS_KEY":       "SECRET",
		"AWS_PROFILE":                 "",
		"AWS_REGION":                  "",
		"AWS_DEFAULT_REGION":          "",
		"AWS_ENDPOINT_URL":            "",
	} {
		t.Setenv(k, v)
	}
	sc := newScenario(t)

	res := runCLI(t, newAWSSession, "shards", "--stream-arn", sc.s.ARN(), "--endpoint", sc.s.URL(), "--region", "eu-west-1")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Len(t, lines(res.stdout), 3)

	res = runCLI(t, newAWSSession, "shards", "--stream-arn", sc.s.ARN())
	require.Equal(t, 1, res.code)
	assert.Equal(t, "ddbstream: no region (pass --region or set AWS_REGION)\n", res.stderr)
}
