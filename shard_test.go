package ddbstream_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

func newTestShard(t *testing.T, f *fakeSession, opts ...ddbstream.Option) *ddbstream.Shard {
	t.Helper()
	sh, err := ddbstream.NewShard(f, testARN, testShard, opts...)
	require.NoError(t, err)
	return sh
}

func TestNewShard_RejectsBadInput(t *testing.T) {
	t.Parallel()
	f := &fakeSession{}
	tests := []struct {
		name    string
		session ddbstream.Session
		arn, id string
		opts    []ddbstream.Option
		want    error
		text    string
	}{
		{"nil session", nil, testARN, testShard, nil, ddbstream.ErrInvalidArgument, "nil Session"},
		{"empty ARN", f, "", testShard, nil, ddbstream.ErrInvalidArgument, "stream ARN: empty"},
		{"ARN of another service", f, "arn:aws:kinesis:us-east-1:1:stream/x", testShard, nil, ddbstream.ErrInvalidArgument, "not a DynamoDB ARN"},
		{"table ARN without a stream", f, "arn:aws:dynamodb:us-east-1:123456789012:table/Orders", testShard, nil, ddbstream.ErrInvalidArgument, "not a stream's"},
		{"empty shard ID", f, testARN, "", nil, ddbstream.ErrInvalidArgument, "shard ID: empty"},
		{"short shard ID", f, testARN, "shardId-1", nil, ddbstream.ErrInvalidArgument, "28 to 65"},
		{"shard ID with a slash", f, testARN, "shardId-00000001764151200000/aaaaaaa", nil, ddbstream.ErrInvalidArgument, "character '/'"},
		{"nil option", f, testARN, testShard, []ddbstream.Option{nil}, ddbstream.ErrInvalidOption, "nil Option"},
		{"option out of range", f, testARN, testShard, []ddbstream.Option{ddbstream.MaxEmptyPages(0)}, ddbstream.ErrInvalidOption, "MaxEmptyPages(0)"},
		{"limit out of range", f, testARN, testShard, []ddbstream.Option{ddbstream.GetRecordsLimit(1001)}, ddbstream.ErrInvalidOption, "want 1 to 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sh, err := ddbstream.NewShard(tt.session, tt.arn, tt.id, tt.opts...)
			require.ErrorIs(t, err, tt.want)
			require.ErrorContains(t, err, tt.text)
			require.Nil(t, sh)
		})
	}
	require.Empty(t, f.Calls(), "nothing is called for bad input")
}

func TestShard_JumpToSendsPosition(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pos  ddbstream.Position
		want string
	}{
		{"trim horizon", ddbstream.TrimHorizon(), "GetShardIterator TRIM_HORIZON"},
		{"latest", ddbstream.Latest(), "GetShardIterator LATEST"},
		{"at a sequence number", ddbstream.AtSequenceNumber("100000000000000000001"), "GetShardIterator AT_SEQUENCE_NUMBER 100000000000000000001"},
		{"after a sequence number", ddbstream.AfterSequenceNumber("100000000000000000001"), "GetShardIterator AFTER_SEQUENCE_NUMBER 100000000000000000001"},
		{"at a time", ddbstream.AtTimestamp(t0), "GetShardIterator AT_TIMESTAMP 2026-11-26T10:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeSession{}
			sh := newTestShard(t, f)
			require.NoError(t, sh.JumpTo(t.Context(), tt.pos))
			require.Equal(t, []string{tt.want}, f.Calls())
			require.Equal(t, tt.pos, sh.Position(), "nothing read: the position is the one jumped to")
		})
	}
}

func TestShard_JumpToRejectsIncompletePosition(t *testing.T) {
	t.Parallel()
	f := &fakeSession{}
	sh := newTestShard(t, f)
	for _, p := range []ddbstream.Position{
		ddbstream.AtSequenceNumber(""),
		ddbstream.AfterSequenceNumber("12x"),
		ddbstream.AtSequenceNumber(ddbstream.SequenceNumber(strings.Repeat("9", 41))),
		ddbstream.AtTimestamp(time.Time{}),
	} {
		err := sh.JumpTo(t.Context(), p)
		require.ErrorIs(t, err, ddbstream.ErrInvalidArgument, "%v", p)
		require.ErrorContains(t, err, testShard)
	}
	require.Empty(t, f.Calls())
	require.Equal(t, ddbstream.TrimHorizon(), sh.Position(), "a refused jump changes nothing")
}

func TestShard_GetRecordsFollowsEmptyPages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		empties   int
		maxEmpty  int
		wantSeqs  []string
		wantCalls int
	}{
		{"records after three empty pages", 3, 5, []string{"100000000000000000001"}, 1 + 4},
		{"gives up after the bound", 3, 2, nil, 1 + 2},
		{"records on the first page", 0, 1, []string{"100000000000000000001"}, 1 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := script{}
			it := "TRIM_HORIZON"
			for i := range tt.empties {
				next := "empty-" + string(rune('a'+i))
				sc[it] = page{next: next}
				it = next
			}
			sc[it] = page{recs: []types.Record{rec("100000000000000000001", 0)}, next: "after-1"}
			f := &fakeSession{records: sc.records}
			sh := newTestShard(t, f, ddbstream.MaxEmptyPages(tt.maxEmpty))
			recs, err := sh.GetRecords(t.Context())
			require.NoError(t, err)
			require.Equal(t, tt.wantSeqs, nilIfEmpty(seqs(recs)))
			require.Len(t, f.Calls(), tt.wantCalls)
			require.False(t, sh.Exhausted())
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestShard_EmptyPageCountRestartsWhenRecordsArrive(t *testing.T) {
	t.Parallel()
	// Two empty pages, records, then two empty pages and records again: with a bound of
	// 3, both reads succeed, because the count restarts after the first records.
	sc := script{
		"TRIM_HORIZON": {next: "e1"},
		"e1":           {next: "r1"},
		"r1":           {recs: []types.Record{rec("100000000000000000001", 0)}, next: "e2"},
		"e2":           {next: "e3"},
		"e3":           {next: "r2"},
		"r2":           {recs: []types.Record{rec("100000000000000000005", 1)}, next: "tail"},
	}
	f := &fakeSession{records: sc.records}
	sh := newTestShard(t, f, ddbstream.MaxEmptyPages(3))
	for _, want := range []string{"100000000000000000001", "100000000000000000005"} {
		recs, err := sh.GetRecords(t.Context())
		require.NoError(t, err)
		require.Equal(t, []string{want}, seqs(recs))
	}
}

func TestShard_ExhaustedMakesNoCalls(t *testing.T) {
	t.Parallel()
	// The last page holds records and no next iterator: the shard is closed and drained.
	sc := script{"TRIM_HORIZON": {recs: []types.Record{rec("100000000000000000001", 0), rec("100000000000000000002", 0)}}}
	f := &fakeSession{records: sc.records}
	sh := newTestShard(t, f)
	recs, err := sh.Next(t.Context())
	require.NoError(t, err)
	require.Len(t, recs, 2)
	require.True(t, sh.Exhausted())
	calls := len(f.Calls())
	for range 3 {
		recs, err = sh.Next(t.Context())
		require.NoError(t, err)
		require.Empty(t, recs)
	}
	require.Len(t, f.Calls(), calls, "an exhausted shard makes no calls")
	tok := sh.Token()
	require.True(t, tok.Exhausted)
	require.Equal(t, "after_sequence", tok.IteratorType)
	require.Equal(t, ddbstream.SequenceNumber("100000000000000000002"), tok.SequenceNumber)
}

func TestShard_TokenResumesExactly(t *testing.T) {
	t.Parallel()
	sc := script{
		"TRIM_HORIZON": {recs: []types.Record{rec("100000000000000000001", 0), rec("100000000000000000002", 0)}, next: "i2"},
		"i2":           {recs: []types.Record{rec("100000000000000000007", 1)}, next: "i3"},
		// What a resumed shard asks for: after the last record returned.
		"AFTER_SEQUENCE_NUMBER:100000000000000000002": {recs: []types.Record{rec("100000000000000000007", 1)}, next: "i3"},
	}
	f := &fakeSession{records: sc.records}
	sh := newTestShard(t, f)
	before := sh.Token()
	require.Equal(t, "trim_horizon", before.IteratorType, "nothing read: the token keeps the original position")

	recs, err := sh.Next(t.Context())
	require.NoError(t, err)
	require.Len(t, recs, 2)
	tok := sh.Token()

	shards, err := ddbstream.UnpackShards(f, testARN, []ddbstream.ShardToken{tok})
	require.NoError(t, err)
	resumed := shards[testShard]
	require.Equal(t, sh.Position(), resumed.Position())
	got, err := resumed.Next(t.Context())
	require.NoError(t, err)
	want, err := sh.Next(t.Context())
	require.NoError(t, err)
	require.Equal(t, seqs(want), seqs(got), "the resumed shard continues where the original stands")
	require.Contains(t, f.Calls(), "GetShardIterator AFTER_SEQUENCE_NUMBER 100000000000000000002")
}

func TestShard_NextRefreshesExpiredIterator(t *testing.T) {
	t.Parallel()
	expired := &types.ExpiredIteratorException{Message: aws.String("Iterator expired")}
	tests := []struct {
		name      string
		first     string // what the shard read before the iterator expired: "" for nothing
		jump      ddbstream.Position
		wantTaken string
	}{
		{"after a record: from that record", "100000000000000000002", ddbstream.TrimHorizon(), "GetShardIterator AFTER_SEQUENCE_NUMBER 100000000000000000002"},
		{"nothing read from trim horizon: from trim horizon", "", ddbstream.TrimHorizon(), "GetShardIterator TRIM_HORIZON"},
		{"nothing read at a sequence number: from there", "", ddbstream.AtSequenceNumber("100000000000000000002"), "GetShardIterator AT_SEQUENCE_NUMBER 100000000000000000002"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sc := script{}
			f := &fakeSession{records: sc.records}
			sh := newTestShard(t, f)
			require.NoError(t, sh.JumpTo(t.Context(), tt.jump))
			it := f.Calls()[0][len("GetShardIterator "):]
			it = strings.ReplaceAll(it, " ", ":")
			if tt.first != "" {
				sc[it] = page{recs: []types.Record{rec(tt.first, 0)}, next: "stale"}
				_, err := sh.Next(t.Context())
				require.NoError(t, err)
				it = "stale"
			}
			sc[it] = page{err: expired}
			refreshed := strings.ReplaceAll(tt.wantTaken[len("GetShardIterator "):], " ", ":")
			sc[refreshed] = page{recs: []types.Record{rec("100000000000000000009", 5)}, next: "fresh"}

			recs, err := sh.Next(t.Context())
			require.NoError(t, err)
			require.Equal(t, []string{"100000000000000000009"}, seqs(recs))
			require.Equal(t, tt.wantTaken, f.Calls()[len(f.Calls())-2])
		})
	}
}

func TestShard_NextRefusesUnsafeLatestRefresh(t *testing.T) {
	t.Parallel()
	expired := &types.ExpiredIteratorException{Message: aws.String("Iterator expired")}
	sc := script{"LATEST": {err: expired}, "LATEST-2": {next: "tail"}, "tail": {next: "tail"}}
	f := &fakeSession{records: sc.records}
	sh := newTestShard(t, f)
	require.NoError(t, sh.JumpTo(t.Context(), ddbstream.Latest()))

	_, err := sh.Next(t.Context())
	require.ErrorIs(t, err, ddbstream.ErrIteratorExpired)
	var eie *types.ExpiredIteratorException
	require.ErrorAs(t, err, &eie)
	require.ErrorContains(t, err, testShard)
	require.ErrorContains(t, err, "RefreshLatest(true)")
	require.Equal(t, ddbstream.Latest(), sh.Position())

	// Opted in, the shard takes a new LATEST iterator.
	f2 := &fakeSession{records: sc.records}
	n := 0
	f2.iterator = func(in *dynamodbstreams.GetShardIteratorInput) (*dynamodbstreams.GetShardIteratorOutput, error) {
		n++
		if n == 1 {
			return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String("LATEST")}, nil
		}
		return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String("LATEST-2")}, nil
	}
	sh2 := newTestShard(t, f2, ddbstream.RefreshLatest(true))
	require.NoError(t, sh2.JumpTo(t.Context(), ddbstream.Latest()))
	recs, err := sh2.Next(t.Context())
	require.NoError(t, err)
	require.Empty(t, recs)
	require.Equal(t, []string{"GetShardIterator LATEST", "GetRecords LATEST", "GetShardIterator LATEST"}, f2.Calls()[:3])
}

func TestShard_HeartbeatPinsLatest(t *testing.T) {
	t.Parallel()
	sc := script{
		"LATEST": {recs: []types.Record{rec("100000000000000000004", 3)}, next: "more"},
		"AT_SEQUENCE_NUMBER:100000000000000000004": {recs: []types.Record{rec("100000000000000000004", 3), rec("100000000000000000006", 4)}, next: "tail"},
	}
	f := &fakeSession{records: sc.records}
	sh := newTestShard(t, f)
	require.NoError(t, sh.JumpTo(t.Context(), ddbstream.Latest()))
	require.NoError(t, sh.Heartbeat(t.Context()))
	require.Equal(t, ddbstream.AtSequenceNumber("100000000000000000004"), sh.Position(),
		"a record seen by the heartbeat pins the position without being returned")
	recs, err := sh.Next(t.Context())
	require.NoError(t, err)
	require.Equal(t, []string{"100000000000000000004", "100000000000000000006"}, seqs(recs))

	// At any other position a heartbeat is not needed and calls nothing.
	calls := len(f.Calls())
	require.NoError(t, sh.Heartbeat(t.Context()))
	require.Len(t, f.Calls(), calls)
}

func TestShard_ErrorsNameShardCallAndKeepSDKType(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		err      error
		sentinel error
		as       any
		text     string
	}{
		{"trimmed", &types.TrimmedDataAccessException{Message: aws.String("trimmed")}, ddbstream.ErrTrimmed, new(*types.TrimmedDataAccessException), "jump to TrimHorizon()"},
		{"unknown shard", &types.ResourceNotFoundException{Message: aws.String("no shard")}, ddbstream.ErrShardNotFound, new(*types.ResourceNotFoundException), "GetShardIterator AFTER_SEQUENCE_NUMBER"},
		{"validation", &smithy.GenericAPIError{Code: "ValidationException", Message: "bad"}, ddbstream.ErrInvalidArgument, new(smithy.APIError), "ValidationException"},
		{"throttled", &types.LimitExceededException{Message: aws.String("slow down")}, nil, new(*types.LimitExceededException), "LimitExceededException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fakeSession{iterator: func(*dynamodbstreams.GetShardIteratorInput) (*dynamodbstreams.GetShardIteratorOutput, error) {
				return nil, tt.err
			}}
			sh := newTestShard(t, f)
			err := sh.JumpTo(t.Context(), ddbstream.AfterSequenceNumber("100000000000000000002"))
			require.Error(t, err)
			if tt.sentinel != nil {
				require.ErrorIs(t, err, tt.sentinel)
			}
			require.ErrorAs(t, err, tt.as)
			require.ErrorContains(t, err, "shard "+testShard)
			require.ErrorContains(t, err, tt.text)
			require.Equal(t, 1, strings.Count(err.Error(), "ddbstream:"), "one prefix: %v", err)
			require.Equal(t, ddbstream.TrimHorizon(), sh.Position(), "a failed jump keeps the position")
			require.Equal(t, ddbstream.IsRetryable(err), errors.As(err, new(*types.LimitExceededException)))
		})
	}
}

func TestShard_SeekToUsesAtTimestamp(t *testing.T) {
	t.Parallel()
	at := t0.Add(10 * time.Second)
	// AT_TIMESTAMP may start a little early (records carry whole seconds): the shard still
	// returns only records at or after the time.
	sc := script{
		"AT_TIMESTAMP:2026-11-26T10:00:10Z": {recs: []types.Record{rec("100000000000000000009", 9), rec("100000000000000000010", 10), rec("100000000000000000011", 12)}, next: "tail"},
	}
	f := &fakeSession{records: sc.records}
	sh := newTestShard(t, f)
	recs, err := sh.SeekTo(t.Context(), at)
	require.NoError(t, err)
	require.Equal(t, []string{"100000000000000000010", "100000000000000000011"}, seqs(recs))
	require.Equal(t, ddbstream.AfterSequenceNumber("100000000000000000011"), sh.Position())
	require.Equal(t, []string{"GetShardIterator AT_TIMESTAMP 2026-11-26T10:00:10Z", "GetRecords AT_TIMESTAMP:2026-11-26T10:00:10Z"}, f.Calls())
}

func TestShard_SeekToScansWhereAtTimestampIsRefused(t *testing.T) {
	t.Parallel()
	at := t0.Add(10 * time.Second)
	// A sparse shard: empty pages between records, more of them than MaxEmptyPages allows
	// in one read. The scan must not give up, and must skip what came before the time.
	sc := script{
		"TRIM_HORIZON": {recs: []types.Record{rec("100000000000000000001", 1)}, next: "e1"},
		"e1":           {next: "e2"},
		"e2":           {next: "e3"},
		"e3":           {recs: []types.Record{rec("100000000000000000003", 5)}, next: "e4"},
		"e4":           {next: "e5"},
		"e5":           {next: "e6"},
		"e6":           {next: "e7"},
		"e7":           {recs: []types.Record{rec("100000000000000000008", 9), rec("100000000000000000012", 11)}, next: "tail"},
		"tail":         {next: "tail"},
	}
	refused := &smithy.GenericAPIError{Code: "ValidationException", Message: "AT_TIMESTAMP is not supported"}
	f := &fakeSession{records: sc.records}
	f.iterator = func(in *dynamodbstreams.GetShardIteratorInput) (*dynamodbstreams.GetShardIteratorOutput, error) {
		if in.ShardIteratorType == types.ShardIteratorTypeAtTimestamp {
			return nil, refused
		}
		return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(string(in.ShardIteratorType))}, nil
	}
	sh := newTestShard(t, f, ddbstream.MaxEmptyPages(2))

	recs, err := sh.SeekTo(t.Context(), at)
	require.NoError(t, err)
	require.Empty(t, recs, "two empty pages in a row end this read")
	require.Equal(t, ddbstream.AtTimestamp(at), sh.Position(), "nothing returned: the token keeps the seek time")
	assert.Contains(t, sh.String(), "seeking")

	var got []string
	for range 4 {
		recs, err = sh.GetRecords(t.Context())
		require.NoError(t, err)
		got = append(got, seqs(recs)...)
	}
	require.Equal(t, []string{"100000000000000000012"}, got, "the seek goes on in later reads, skipping records before the time")
	require.Equal(t, ddbstream.AfterSequenceNumber("100000000000000000012"), sh.Position())
	require.Equal(t, 1, countPrefix(f.Calls(), "GetShardIterator AT_TIMESTAMP"), "one refusal is remembered")
	require.Equal(t, 1, countPrefix(f.Calls(), "GetShardIterator TRIM_HORIZON"))

	// A second seek on the same shard scans at once.
	_, err = sh.SeekTo(t.Context(), at)
	require.NoError(t, err)
	require.Equal(t, 1, countPrefix(f.Calls(), "GetShardIterator AT_TIMESTAMP"))
}

func countPrefix(calls []string, prefix string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func TestShard_String(t *testing.T) {
	t.Parallel()
	sc := script{"TRIM_HORIZON": {recs: []types.Record{rec("100000000000000000001", 0)}}}
	sh := newTestShard(t, &fakeSession{records: sc.records})
	require.Equal(t, testShard+" at TRIM_HORIZON", sh.String())
	_, err := sh.Next(t.Context())
	require.NoError(t, err)
	require.Equal(t, testShard+" at AFTER_SEQUENCE_NUMBER 100000000000000000001, exhausted", sh.String())
}

func TestLoadShards_FollowsPagesAndLinksLineage(t *testing.T) {
	t.Parallel()
	// root's parent was trimmed; root split into a and b; a rolled over into c.
	all := []types.Shard{
		shardDesc(shardID("00000001"), shardID("00000000"), "100", "200"),
		shardDesc(shardID("0000000a"), shardID("00000001"), "300", "400"),
		shardDesc(shardID("0000000b"), shardID("00000001"), "310", ""),
		shardDesc(shardID("0000000c"), shardID("0000000a"), "500", ""),
	}
	f := &fakeSession{}
	f.describe = func(in *dynamodbstreams.DescribeStreamInput) (*dynamodbstreams.DescribeStreamOutput, error) {
		// Pages of two, in ID order, resuming after ExclusiveStartShardId.
		i := 0
		if in.ExclusiveStartShardId != nil {
			i = slices.IndexFunc(all, func(s types.Shard) bool { return *s.ShardId == *in.ExclusiveStartShardId }) + 1
		}
		j := min(i+2, len(all))
		d := &types.StreamDescription{Shards: all[i:j], StreamStatus: types.StreamStatusEnabled}
		if j < len(all) {
			d.LastEvaluatedShardId = all[j-1].ShardId
		}
		return &dynamodbstreams.DescribeStreamOutput{StreamDescription: d}, nil
	}
	shards, err := ddbstream.LoadShards(t.Context(), f, testARN)
	require.NoError(t, err)
	require.Len(t, shards, 4)
	require.Equal(t, []string{"DescribeStream", "DescribeStream after " + shardID("0000000a")}, f.Calls())

	roots := ddbstream.Roots(shards)
	require.Len(t, roots, 1)
	root := roots[0]
	require.Equal(t, shardID("00000001"), root.ID())
	require.Nil(t, root.Parent(), "a trimmed parent makes its child a root")
	require.Equal(t, shardID("00000000"), root.ParentID())

	var order []string
	for s := range root.WalkTree() {
		order = append(order, s.ID())
	}
	require.Equal(t, []string{shardID("00000001"), shardID("0000000a"), shardID("0000000b"), shardID("0000000c")}, order, "breadth first")

	start, end := shards[shardID("0000000b")].SequenceNumberRange()
	assert.Equal(t, ddbstream.SequenceNumber("310"), start)
	assert.Empty(t, end, "an open shard has no end")
	assert.Same(t, shards[shardID("0000000a")], shards[shardID("0000000c")].Parent())
}

func TestLoadShards_StreamNotFound(t *testing.T) {
	t.Parallel()
	f := &fakeSession{describe: func(*dynamodbstreams.DescribeStreamInput) (*dynamodbstreams.DescribeStreamOutput, error) {
		return nil, &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
	}}
	_, err := ddbstream.LoadShards(t.Context(), f, testARN)
	require.ErrorIs(t, err, ddbstream.ErrStreamNotFound)
	var rnf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &rnf)
	require.ErrorContains(t, err, testARN)
}

func TestShard_LoadChildren(t *testing.T) {
	t.Parallel()
	parent := testShard
	kidA, kidB := shardID("0000000a"), shardID("0000000b")
	t.Run("with the CHILD_SHARDS filter, asking again until they appear", func(t *testing.T) {
		t.Parallel()
		listed := []types.Shard{}
		f := &fakeSession{describe: func(in *dynamodbstreams.DescribeStreamInput) (*dynamodbstreams.DescribeStreamOutput, error) {
			require.Equal(t, types.ShardFilterTypeChildShards, in.ShardFilter.Type)
			return &dynamodbstreams.DescribeStreamOutput{StreamDescription: &types.StreamDescription{Shards: listed}}, nil
		}}
		sh := newTestShard(t, f)
		kids, err := sh.LoadChildren(t.Context())
		require.NoError(t, err)
		require.Empty(t, kids, "no children yet")

		listed = []types.Shard{shardDesc(kidB, parent, "9", ""), shardDesc(kidA, parent, "8", "")}
		kids, err = sh.LoadChildren(t.Context())
		require.NoError(t, err)
		require.Len(t, kids, 2)
		require.Equal(t, kidA, kids[0].ID(), "in ID order")
		require.Same(t, sh, kids[0].Parent())
		require.Equal(t, ddbstream.TrimHorizon(), kids[0].Position())

		kids, err = sh.LoadChildren(t.Context())
		require.NoError(t, err)
		require.Len(t, kids, 2, "children found earlier are not added twice")
	})
	t.Run("paging DescribeStream where the filter is refused", func(t *testing.T) {
		t.Parallel()
		f := &fakeSession{describe: func(in *dynamodbstreams.DescribeStreamInput) (*dynamodbstreams.DescribeStreamOutput, error) {
			if in.ShardFilter != nil {
				return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "ShardFilter is not supported"}
			}
			d := &types.StreamDescription{}
			switch aws.ToString(in.ExclusiveStartShardId) {
			case parent:
				d.Shards = []types.Shard{shardDesc(kidA, parent, "8", "")}
				d.LastEvaluatedShardId = aws.String(kidA)
			case kidA:
				d.Shards = []types.Shard{shardDesc(kidB, parent, "9", ""), shardDesc(shardID("0000000c"), kidA, "10", "")}
			}
			return &dynamodbstreams.DescribeStreamOutput{StreamDescription: d}, nil
		}}
		sh := newTestShard(t, f)
		kids, err := sh.LoadChildren(t.Context())
		require.NoError(t, err)
		require.Len(t, kids, 2)
		_, err = sh.LoadChildren(t.Context())
		require.NoError(t, err)
		require.Equal(t, []string{
			"DescribeStream children of " + parent,
			"DescribeStream after " + parent,
			"DescribeStream after " + kidA,
			"DescribeStream after " + parent, // the refusal is remembered
			"DescribeStream after " + kidA,
		}, f.Calls())
	})
}

func TestUnpackShards(t *testing.T) {
	t.Parallel()
	f := &fakeSession{}
	parent, child, orphan := shardID("00000001"), shardID("00000002"), shardID("00000003")
	toks := []ddbstream.ShardToken{
		{ShardID: parent, IteratorType: "after_sequence", SequenceNumber: "100000000000000000005", Exhausted: true},
		{ShardID: child, Parent: parent, IteratorType: "trim_horizon"},
		{ShardID: orphan, Parent: shardID("00000000"), IteratorType: "at_sequence", SequenceNumber: "100000000000000000007"},
	}
	shards, err := ddbstream.UnpackShards(f, testARN, toks)
	require.NoError(t, err)
	require.Len(t, shards, 3)
	require.Same(t, shards[parent], shards[child].Parent())
	require.Nil(t, shards[orphan].Parent(), "an unknown parent makes a root")
	require.True(t, shards[parent].Exhausted())
	require.Equal(t, ddbstream.AtSequenceNumber("100000000000000000007"), shards[orphan].Position())
	for _, tok := range toks {
		got := shards[tok.ShardID].Token()
		tok.Version, tok.StreamARN = ddbstream.TokenVersion, testARN
		require.Equal(t, tok, got, "a shard's token is the token it was rebuilt from")
	}
	require.Empty(t, f.Calls(), "unpacking does no I/O")

	bad := []struct {
		name string
		toks []ddbstream.ShardToken
		text string
	}{
		{"two streams", []ddbstream.ShardToken{{ShardID: parent, IteratorType: "trim_horizon", StreamARN: strings.Replace(testARN, "Orders", "Users", 1)}}, "two streams"},
		{"a cycle", []ddbstream.ShardToken{{ShardID: parent, Parent: child, IteratorType: "trim_horizon"}, {ShardID: child, Parent: parent, IteratorType: "trim_horizon"}}, "cycle"},
		{"at without a number", []ddbstream.ShardToken{{ShardID: parent, IteratorType: "at_sequence"}}, "needs a sequence_number"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			shards, err := ddbstream.UnpackShards(f, testARN, tt.toks)
			require.ErrorIs(t, err, ddbstream.ErrInvalidToken)
			require.ErrorContains(t, err, tt.text)
			require.Nil(t, shards)
		})
	}
}

func TestShard_NextRefreshesExpiredIteratorOnStreamtest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := streamtest.NewStream()
		defer s.Close()
		s.Put(item("a", 1))
		sh, err := ddbstream.NewShard(s, s.ARN(), s.ShardIDs()[0])
		require.NoError(t, err)
		require.NoError(t, sh.JumpTo(t.Context(), ddbstream.TrimHorizon()))
		time.Sleep(16 * time.Minute) // virtual time: the iterator has expired
		recs, err := sh.Next(t.Context())
		require.NoError(t, err)
		require.Len(t, recs, 1)
		assert.Equal(t, ddbstream.Insert, recs[0].Operation)

		s.Put(item("b", 1))
		time.Sleep(16 * time.Minute)
		_, err = sh.GetRecords(t.Context())
		require.ErrorIs(t, err, ddbstream.ErrIteratorExpired, "GetRecords reports expiry")
		recs, err = sh.Next(t.Context())
		require.NoError(t, err)
		require.Equal(t, "b", keyOf(recs[0]), "Next refreshes after the last record: nothing repeated")
	})
}

func TestShard_OverTheLoopbackEndpoint(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	s := streamtest.NewStream(streamtest.Shards(1), streamtest.EmptyPages(2))
	t.Cleanup(s.Close)
	for i := range 5 {
		s.Put(item(fmt.Sprintf("k%d", i), 1))
	}
	kids := s.Split(s.ShardIDs()[0], 2)
	c := loopbackClient(s.URL())

	shards, err := ddbstream.LoadShards(t.Context(), c, s.ARN())
	require.NoError(t, err)
	require.Len(t, shards, 3)
	root := ddbstream.Roots(shards)[0]
	var got []string
	for !root.Exhausted() {
		recs, err := root.Next(t.Context())
		require.NoError(t, err)
		got = append(got, seqs(recs)...)
	}
	require.Len(t, got, 5)
	loaded, err := root.LoadChildren(t.Context())
	require.NoError(t, err)
	require.Len(t, loaded, 2)
	require.ElementsMatch(t, kids, []string{loaded[0].ID(), loaded[1].ID()})

}

func TestShard_TrimmedOverTheLoopbackEndpoint(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	s := streamtest.NewStream()
	t.Cleanup(s.Close)
	first := s.Put(item("a", 1))
	s.Advance(25 * time.Hour) // the record is trimmed; the open shard stays listed
	sh, err := ddbstream.NewShard(loopbackClient(s.URL()), s.ARN(), s.ShardIDs()[0])
	require.NoError(t, err)
	err = sh.JumpTo(t.Context(), ddbstream.AtSequenceNumber(first))
	require.ErrorIs(t, err, ddbstream.ErrTrimmed)
	var tde *types.TrimmedDataAccessException
	require.ErrorAs(t, err, &tde)
	require.ErrorContains(t, err, "GetShardIterator AT_SEQUENCE_NUMBER "+string(first))
	require.NoError(t, sh.JumpTo(t.Context(), ddbstream.TrimHorizon()), "the advice in the message works")
}
