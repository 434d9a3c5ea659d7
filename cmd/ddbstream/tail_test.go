package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

// tailArgs are the arguments of a tail of sc's stream over its loopback endpoint.
func (sc *scenario) tailArgs(extra ...string) []string {
	return append([]string{"tail", "--endpoint", sc.s.URL(), "--stream-arn", sc.s.ARN()}, extra...)
}

func TestTail_GoldenJSONL(t *testing.T) {
	sc := newScenario(t)
	res := runCLI(t, loopback(t), sc.tailArgs("--from", "trim_horizon", "--stop-at-head")...)
	require.Equal(t, 0, res.code, res.stderr)
	golden(t, "tail_jsonl", sc.normalize(res.stdout))
	for _, l := range lines(res.stdout) {
		require.True(t, json.Valid([]byte(l)), "not JSON: %s", l)
	}
	assert.Equal(t, []string{
		"ddbstream: reading " + sc.s.ARN() + " from TRIM_HORIZON",
		"ddbstream: 8 records; caught up",
	}, lines(res.stderr))
}

func TestTail_GoldenText(t *testing.T) {
	sc := newScenario(t)
	res := runCLI(t, loopback(t), sc.tailArgs("--from", "trim_horizon", "--stop-at-head", "--format", "text")...)
	require.Equal(t, 0, res.code, res.stderr)
	golden(t, "tail_text", sc.normalize(res.stdout))
}

// --table finds the table's newest stream, paging through ListStreams: re-enabling a
// table's stream makes a new one, and the old ones stay listed.
func TestTail_TableReadsNewestStream(t *testing.T) {
	sc := newScenario(t)
	var newest *streamtest.Stream
	for range 120 { // more than one ListStreams page of 100
		newest = sc.s.AddStream(streamtest.TableName("Orders"))
	}
	sc.s.AddStream(streamtest.TableName("Other"))
	newest.Put(item("order-9", "new"))

	res := runCLI(t, loopback(t), "tail", "--endpoint", sc.s.URL(), "--table", "Orders", "--from", "trim_horizon", "--stop-at-head", "--format", "text")
	require.Equal(t, 0, res.code, res.stderr)
	require.Len(t, lines(res.stdout), 1)
	assert.Contains(t, res.stdout, `{"pk":"order-9"}`)
	assert.Contains(t, res.stderr, "table Orders: stream "+newest.ARN())
}

// Two runs with one token file print every record once: the first stops after 3 records,
// more are written and the shard splits while it is stopped, and the second resumes
// (ignoring --from) and reads to the head.
func TestTail_TokenFileResumesWithNothingLostOrRepeated(t *testing.T) {
	s := streamtest.NewStream(streamtest.TableName("Orders"))
	t.Cleanup(s.Close)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "orders.token")
	args := []string{"tail", "--endpoint", s.URL(), "--stream-arn", s.ARN(), "--token-file", tokenFile}
	for i := range 5 {
		s.Put(item(fmt.Sprintf("order-%d", i), "new"))
	}

	first := runCLI(t, loopback(t), append(args, "--from", "trim_horizon", "--max-records", "3")...)
	require.Equal(t, 0, first.code, first.stderr)
	require.Len(t, lines(first.stdout), 3)
	assert.Contains(t, first.stderr, "3 records; stopped at --max-records; position saved in "+tokenFile)

	s.Split(s.ShardIDs()[0], 2)
	for i := range 5 {
		s.Put(item(fmt.Sprintf("order-%d", i), "paid"))
	}
	second := runCLI(t, loopback(t), append(args, "--from", "latest", "--stop-at-head")...)
	require.Equal(t, 0, second.code, second.stderr)
	assert.Contains(t, second.stderr, "resuming "+s.ARN()+" from "+tokenFile)
	require.Len(t, lines(second.stdout), 7)

	all := runCLI(t, loopback(t), "tail", "--endpoint", s.URL(), "--stream-arn", s.ARN(), "--from", "trim_horizon", "--stop-at-head")
	require.Equal(t, 0, all.code, all.stderr)
	require.Equal(t, all.stdout, first.stdout+second.stdout)

	third := runCLI(t, loopback(t), append(args, "--stop-at-head")...)
	require.Equal(t, 0, third.code, third.stderr)
	assert.Empty(t, third.stdout)
	assert.Contains(t, third.stderr, "0 records; caught up")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "temporary files left behind")
	assert.Equal(t, "orders.token", entries[0].Name())
}

func TestTail_FromTime(t *testing.T) {
	sc := newScenario(t)
	res := runCLI(t, loopback(t), sc.tailArgs("--from", sc.times[2].Format(time.RFC3339), "--stop-at-head", "--format", "text")...)
	require.Equal(t, 0, res.code, res.stderr)
	got := lines(sc.normalize(res.stdout))
	require.Len(t, got, 4)
	assert.True(t, strings.HasPrefix(got[0], "2026-11-26T10:02:00Z INSERT "), got[0])
	assert.True(t, strings.HasPrefix(got[3], "2026-11-26T10:03:00Z REMOVE "), got[3])
}

// A --from duration counts back from the time the command starts. It runs in process in
// a synctest bubble, where the command and the stream share a clock that only moves when
// the test sleeps.
func TestTail_FromDuration(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream()
		defer s.Close()
		s.Put(item("old", "new"))
		time.Sleep(20 * time.Minute)
		s.Put(item("recent", "new"))
		time.Sleep(time.Minute)

		res := runCLI(t, inProcess(s), "tail", "--stream-arn", s.ARN(), "--from", "15m", "--stop-at-head", "--format", "text")
		require.Equal(t, 0, res.code, res.stderr)
		require.Len(t, lines(res.stdout), 1)
		assert.Contains(t, res.stdout, `{"pk":"recent"}`)
		assert.Contains(t, res.stderr, "from AT_TIMESTAMP 2000-01-01T00:06:00Z")

		res = runCLI(t, inProcess(s), "tail", "--stream-arn", s.ARN(), "--from", "1h", "--stop-at-head")
		require.Equal(t, 0, res.code, res.stderr)
		require.Len(t, lines(res.stdout), 2)
	})
}

func TestTail_UnknownStream(t *testing.T) {
	sc := newScenario(t)
	other := strings.Replace(sc.s.ARN(), "table/Orders", "table/Nope", 1)
	for _, args := range [][]string{
		{"tail", "--endpoint", sc.s.URL(), "--stream-arn", other},
		{"tail", "--endpoint", sc.s.URL(), "--table", "Nope"},
		{"shards", "--endpoint", sc.s.URL(), "--stream-arn", other},
		{"shards", "--endpoint", sc.s.URL(), "--table", "Nope"},
	} {
		res := runCLI(t, loopback(t), args...)
		require.Equal(t, 1, res.code, "%v", args)
		assert.Empty(t, res.stdout, "%v", args)
		require.Len(t, lines(res.stderr), 1, "%v: %s", args, res.stderr)
		assert.True(t, strings.HasPrefix(res.stderr, "ddbstream: stream not found: "), "%v: %s", args, res.stderr)
	}
}

// Each failure is one line naming its cause, and the token file still covers what was
// printed.
func TestTail_RuntimeErrors(t *testing.T) {
	t.Run("trimmed position", func(t *testing.T) {
		s := streamtest.NewStream()
		t.Cleanup(s.Close)
		tokenFile := filepath.Join(t.TempDir(), "token")
		args := []string{"tail", "--endpoint", s.URL(), "--stream-arn", s.ARN(), "--token-file", tokenFile, "--stop-at-head"}
		s.Put(item("a", "new"))
		s.Put(item("b", "new"))
		res := runCLI(t, loopback(t), append(args, "--from", "trim_horizon", "--max-records", "1")...)
		require.Equal(t, 0, res.code, res.stderr)
		s.Advance(25 * time.Hour)

		res = runCLI(t, loopback(t), args...)
		require.Equal(t, 1, res.code)
		last := lines(res.stderr)[len(lines(res.stderr))-1]
		assert.True(t, strings.HasPrefix(last, "ddbstream: trimmed position: shard "), last)
		assert.Contains(t, last, "TrimmedDataAccessException")
		assert.Contains(t, last, "(records older than 24 hours are gone;")
		assert.Contains(t, res.stderr, "0 records; position saved in "+tokenFile)
	})
	t.Run("access denied", func(t *testing.T) {
		s := streamtest.NewStream()
		t.Cleanup(s.Close)
		s.Fail(streamtest.OpDescribeStream, &smithy.GenericAPIError{
			Code: "AccessDeniedException", Message: "User: arn:aws:iam::123456789012:user/x is not authorized to perform: dynamodb:DescribeStream",
		}, 1)
		res := runCLI(t, loopback(t), "tail", "--endpoint", s.URL(), "--stream-arn", s.ARN())
		require.Equal(t, 1, res.code)
		require.Len(t, lines(res.stderr), 1, res.stderr)
		assert.True(t, strings.HasPrefix(res.stderr, "ddbstream: access denied: "), res.stderr)
		assert.Contains(t, res.stderr, "is not authorized to perform: dynamodb:DescribeStream")
	})
	t.Run("unreachable endpoint", func(t *testing.T) {
		s := streamtest.NewStream()
		url, arn := s.URL(), s.ARN()
		s.Close()
		res := runCLI(t, loopback(t), "shards", "--endpoint", url, "--stream-arn", arn)
		require.Equal(t, 1, res.code)
		require.Len(t, lines(res.stderr), 1, res.stderr)
		assert.True(t, strings.HasPrefix(res.stderr, "ddbstream: cannot reach the endpoint: "), res.stderr)
	})
	t.Run("invalid token file", func(t *testing.T) {
		sc := newScenario(t)
		tokenFile := filepath.Join(t.TempDir(), "token")
		require.NoError(t, os.WriteFile(tokenFile, []byte(`{"version":1,"stream_arn":`), 0o644))
		res := runCLI(t, loopback(t), sc.tailArgs("--token-file", tokenFile)...)
		require.Equal(t, 1, res.code)
		require.Len(t, lines(res.stderr), 1, res.stderr)
		assert.True(t, strings.HasPrefix(res.stderr, "ddbstream: invalid token: "+tokenFile+": "), res.stderr)
	})
	t.Run("token of another stream", func(t *testing.T) {
		sc := newScenario(t)
		other := sc.s.AddStream(streamtest.TableName("Other"))
		tokenFile := filepath.Join(t.TempDir(), "token")
		res := runCLI(t, loopback(t), "tail", "--endpoint", sc.s.URL(), "--stream-arn", other.ARN(), "--token-file", tokenFile, "--stop-at-head")
		require.Equal(t, 0, res.code, res.stderr)
		res = runCLI(t, loopback(t), sc.tailArgs("--token-file", tokenFile)...)
		require.Equal(t, 1, res.code)
		assert.Equal(t, fmt.Sprintf("ddbstream: invalid token: %s holds a position in stream %s, not in %s; delete it to start afresh\n",
			tokenFile, other.ARN(), sc.s.ARN()), res.stderr)
	})
	t.Run("token file cannot be written", func(t *testing.T) {
		sc := newScenario(t)
		tokenFile := filepath.Join(t.TempDir(), "missing-dir", "token")
		res := runCLI(t, loopback(t), sc.tailArgs("--token-file", tokenFile, "--from", "trim_horizon", "--max-records", "2")...)
		require.Equal(t, 1, res.code)
		require.Len(t, lines(res.stdout), 2)
		last := lines(res.stderr)[len(lines(res.stderr))-1]
		assert.True(t, strings.HasPrefix(last, "ddbstream: token file: "), last)
	})
}

// failingWriter accepts n writes, then cancels the command's ctx (Ctrl-C) or fails
// with err.
type failingWriter struct {
	lines  []string
	n      int
	err    error
	cancel context.CancelFunc
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(w.lines) == w.n {
		if w.cancel != nil {
			w.cancel()
		} else {
			return 0, w.err
		}
	}
	w.lines = append(w.lines, string(p))
	return len(p), nil
}

// Ctrl-C and a closed stdout both stop cleanly, and the token covers exactly the records
// printed: after a failed write, the record that was not printed comes first on resume.
func TestTail_StopsCleanlySavingExactlyWhatWasPrinted(t *testing.T) {
	for _, tc := range []struct {
		name      string
		w         *failingWriter
		wantEnd   string
		wantLines int
	}{
		{"Ctrl-C", &failingWriter{n: 4}, "5 records; interrupted", 5},
		{"stdout closed", &failingWriter{n: 4, err: fmt.Errorf("write /dev/stdout: %w", syscall.EPIPE)}, "4 records; stdout was closed", 4},
		{"stdout failing", &failingWriter{n: 4, err: errors.New("disk full")}, "4 records", 4},
		// The 4th record is the last of the split shard, which leaves the token once read.
		{"stdout failing on a closed shard's last record", &failingWriter{n: 3, err: errors.New("disk full")}, "3 records", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := newScenario(t)
			tokenFile := filepath.Join(t.TempDir(), "token")
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tc.w.err == nil {
				tc.w.cancel = cancel
			}
			var stderr strings.Builder
			code := run(ctx, sc.tailArgs("--token-file", tokenFile, "--from", "trim_horizon", "--stop-at-head"), tc.w, &stderr, loopback(t))
			if strings.HasPrefix(tc.name, "stdout failing") {
				require.Equal(t, 1, code)
				assert.Contains(t, stderr.String(), "ddbstream: cannot write output: disk full\n")
			} else {
				require.Equal(t, 0, code, stderr.String())
			}
			assert.Contains(t, stderr.String(), tc.wantEnd+"; position saved in "+tokenFile)
			require.Len(t, tc.w.lines, tc.wantLines)

			rest := runCLI(t, loopback(t), sc.tailArgs("--token-file", tokenFile, "--stop-at-head")...)
			require.Equal(t, 0, rest.code, rest.stderr)
			all := runCLI(t, loopback(t), sc.tailArgs("--from", "trim_horizon", "--stop-at-head")...)
			require.Equal(t, all.stdout, strings.Join(tc.w.lines, "")+rest.stdout)
		})
	}
}

func TestParseFrom(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want ddbstream.Position
	}{
		{"trim_horizon", ddbstream.TrimHorizon()},
		{"TRIM_HORIZON", ddbstream.TrimHorizon()},
		{"latest", ddbstream.Latest()},
		{"2026-11-26T09:30:00Z", ddbstream.AtTimestamp(now.Add(-30 * time.Minute))},
		{"2026-11-26T11:30:00+02:00", ddbstream.AtTimestamp(now.Add(-30 * time.Minute))},
		{"2026-11-26T09:30:00.5Z", ddbstream.AtTimestamp(now.Add(-29*time.Minute - 59500*time.Millisecond))},
		{"15m", ddbstream.AtTimestamp(now.Add(-15 * time.Minute))},
		{"1h30m", ddbstream.AtTimestamp(now.Add(-90 * time.Minute))},
		{"0s", ddbstream.AtTimestamp(now)},
	} {
		got, err := parseFrom(tc.in, now)
		require.NoError(t, err, tc.in)
		require.True(t, tc.want.Timestamp().Equal(got.Timestamp()), "%s: got %v, want %v", tc.in, got, tc.want)
		require.Equal(t, tc.want.IteratorType(), got.IteratorType(), tc.in)
	}
	for _, in := range []string{"", "yesterday", "-15m", "2026-11-26", "15", "at_sequence"} {
		_, err := parseFrom(in, now)
		require.Error(t, err, in)
	}
}
