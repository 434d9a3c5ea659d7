package ddbstream_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
)

const (
	tokARN   = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-26T10:00:00.000"
	otherARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Invoices/stream/2026-11-26T10:00:00.000"
	shardA   = "shardId-00000001764100800000-9f8e7d6c" // parent of B and C
	shardB   = "shardId-00000001764115200000-0a1b2c3d"
	shardC   = "shardId-00000001764115200000-4e5f6a7b"
	shardD   = "shardId-00000001764086400000-11223344"
	shardE   = "shardId-00000001764086400000-55667788"
	shardF   = "shardId-00000001764072000000-deadbeef" // not in any token: trimmed or pruned
	seq99    = ddbstream.SequenceNumber("400000000000000000000000099")
	seq123   = ddbstream.SequenceNumber("400000000000000000000000123")
)

var tokTime = time.Date(2026, 11, 26, 10, 30, 0, 0, time.UTC)

// readToken reads a fixture from testdata/tokens. Fixtures are published formats: tests
// only read them, and nothing rewrites them.
func readToken(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "tokens", name))
	require.NoError(t, err)
	return b
}

func TestTokenFixtures_LoadForever(t *testing.T) {
	t.Parallel()
	t.Run("v1 shard", func(t *testing.T) {
		t.Parallel()
		var tok ddbstream.ShardToken
		require.NoError(t, json.Unmarshal(readToken(t, "v1_shard.json"), &tok))
		require.Equal(t, ddbstream.ShardToken{
			Version: 1, StreamARN: tokARN, ShardID: shardB, Parent: shardA,
			IteratorType: "after_sequence", SequenceNumber: seq123,
		}, tok)
		p, err := tok.Position()
		require.NoError(t, err)
		require.True(t, p == ddbstream.AfterSequenceNumber(seq123), "position %v", p)
	})
	t.Run("Python shard", func(t *testing.T) {
		t.Parallel()
		var tok ddbstream.ShardToken
		require.NoError(t, json.Unmarshal(readToken(t, "python_shard.json"), &tok))
		require.Equal(t, ddbstream.ShardToken{
			StreamARN: tokARN, ShardID: shardB, IteratorType: "at_sequence", SequenceNumber: seq123,
		}, tok)
		p, err := tok.Position()
		require.NoError(t, err)
		require.True(t, p == ddbstream.AtSequenceNumber(seq123), "position %v", p)
	})
	t.Run("v1 stream", func(t *testing.T) {
		t.Parallel()
		var tok ddbstream.StreamToken
		require.NoError(t, json.Unmarshal(readToken(t, "v1_stream.json"), &tok))
		require.NoError(t, tok.Validate())
		require.Equal(t, ddbstream.StreamToken{Version: 1, StreamARN: tokARN, Shards: []ddbstream.ShardToken{
			{Version: 1, StreamARN: tokARN, ShardID: shardA, IteratorType: "after_sequence", SequenceNumber: seq99, Exhausted: true},
			{Version: 1, StreamARN: tokARN, ShardID: shardB, Parent: shardA, IteratorType: "after_sequence", SequenceNumber: seq123},
			{Version: 1, StreamARN: tokARN, ShardID: shardC, Parent: shardA, IteratorType: "trim_horizon"},
			{Version: 1, ShardID: shardD, IteratorType: "at_timestamp", Timestamp: tokTime},
			{Version: 1, ShardID: shardE, Parent: shardF, IteratorType: "latest"},
		}}, tok)
		want := []ddbstream.Position{
			ddbstream.AfterSequenceNumber(seq99), ddbstream.AfterSequenceNumber(seq123), ddbstream.TrimHorizon(),
			ddbstream.AtTimestamp(tokTime), ddbstream.Latest(),
		}
		for i, s := range tok.Shards {
			p, err := s.Position()
			require.NoError(t, err, "shard %d", i)
			require.True(t, p == want[i], "shard %d: position %v, want %v", i, p, want[i])
		}
	})
	t.Run("Python stream", func(t *testing.T) {
		t.Parallel()
		var tok ddbstream.StreamToken
		require.NoError(t, json.Unmarshal(readToken(t, "python_stream.json"), &tok))
		require.NoError(t, tok.Validate())
		// The shards not listed as active had been read to their end.
		require.Equal(t, ddbstream.StreamToken{Version: ddbstream.TokenVersion, StreamARN: tokARN, Shards: []ddbstream.ShardToken{
			{ShardID: shardA, IteratorType: "after_sequence", SequenceNumber: seq99, Exhausted: true},
			{ShardID: shardB, Parent: shardA, IteratorType: "after_sequence", SequenceNumber: seq123},
			{ShardID: shardC, Parent: shardA, IteratorType: "trim_horizon"},
		}}, tok)
	})
}

func TestShardToken_JSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tok  ddbstream.ShardToken
		json string
		pos  ddbstream.Position
	}{
		{
			name: "after a sequence number, with a parent",
			tok: ddbstream.ShardToken{Version: 1, StreamARN: tokARN, ShardID: shardB, Parent: shardA,
				IteratorType: "after_sequence", SequenceNumber: seq123},
			json: `{"version":1,"stream_arn":"` + tokARN + `","shard_id":"` + shardB + `","parent":"` + shardA +
				`","iterator_type":"after_sequence","sequence_number":"400000000000000000000000123"}`,
			pos: ddbstream.AfterSequenceNumber(seq123),
		},
		{
			name: "at a sequence number",
			tok:  ddbstream.ShardToken{Version: 1, ShardID: shardB, IteratorType: "at_sequence", SequenceNumber: seq123},
			json: `{"version":1,"shard_id":"` + shardB + `","iterator_type":"at_sequence","sequence_number":"400000000000000000000000123"}`,
			pos:  ddbstream.AtSequenceNumber(seq123),
		},
		{
			name: "trim horizon, read to its end",
			tok:  ddbstream.ShardToken{Version: 1, ShardID: shardA, IteratorType: "trim_horizon", Exhausted: true},
			json: `{"version":1,"shard_id":"` + shardA + `","iterator_type":"trim_horizon","exhausted":true}`,
			pos:  ddbstream.TrimHorizon(),
		},
		{
			name: "latest",
			tok:  ddbstream.ShardToken{Version: 1, ShardID: shardA, IteratorType: "latest"},
			json: `{"version":1,"shard_id":"` + shardA + `","iterator_type":"latest"}`,
			pos:  ddbstream.Latest(),
		},
		{
			name: "a seek by time",
			tok:  ddbstream.ShardToken{Version: 1, ShardID: shardA, IteratorType: "at_timestamp", Timestamp: tokTime.Add(123 * time.Millisecond)},
			json: `{"version":1,"shard_id":"` + shardA + `","iterator_type":"at_timestamp","timestamp":"2026-11-26T10:30:00.123Z"}`,
			pos:  ddbstream.AtTimestamp(tokTime.Add(123 * time.Millisecond)),
		},
		{
			name: "the Python layout has no version",
			tok:  ddbstream.ShardToken{StreamARN: tokARN, ShardID: shardA, IteratorType: "trim_horizon"},
			json: `{"stream_arn":"` + tokARN + `","shard_id":"` + shardA + `","iterator_type":"trim_horizon"}`,
			pos:  ddbstream.TrimHorizon(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.NoError(t, tt.tok.Validate())
			b, err := json.Marshal(tt.tok)
			require.NoError(t, err)
			require.JSONEq(t, tt.json, string(b))
			require.Equal(t, tt.json, string(b), "field order is part of the format")
			var back ddbstream.ShardToken
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, tt.tok, back)
			p, err := back.Position()
			require.NoError(t, err)
			require.True(t, p == tt.pos, "position %v, want %v", p, tt.pos)
		})
	}
}

func TestStreamToken_JSON(t *testing.T) {
	t.Parallel()
	tok := ddbstream.StreamToken{Version: 1, StreamARN: tokARN, Shards: []ddbstream.ShardToken{
		{Version: 1, ShardID: shardA, IteratorType: "after_sequence", SequenceNumber: seq99, Exhausted: true},
		{Version: 1, ShardID: shardB, Parent: shardA, IteratorType: "trim_horizon"},
	}}
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	require.Equal(t, `{"version":1,"stream_arn":"`+tokARN+`","shards":[`+
		`{"version":1,"shard_id":"`+shardA+`","iterator_type":"after_sequence","sequence_number":"400000000000000000000000099","exhausted":true},`+
		`{"version":1,"shard_id":"`+shardB+`","parent":"`+shardA+`","iterator_type":"trim_horizon"}]}`, string(b))
	var back ddbstream.StreamToken
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, tok, back)
	require.NoError(t, back.Validate())

	// A token with no shards is valid: a stream with none left to read.
	empty := ddbstream.StreamToken{Version: 1, StreamARN: tokARN, Shards: []ddbstream.ShardToken{}}
	b, err = json.Marshal(empty)
	require.NoError(t, err)
	require.Equal(t, `{"version":1,"stream_arn":"`+tokARN+`","shards":[]}`, string(b))
	back = ddbstream.StreamToken{}
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, empty, back)
	require.NoError(t, back.Validate())
}

// TestStreamToken_TimestampsInUTC: a timestamp is one instant whatever zone wrote it, so
// a decoded token holds it in UTC, the way AtTimestamp keeps positions. Before, a token
// with "+00:00", or the zero instant written in another zone, decoded to a value that
// did not survive a second round trip (found by FuzzStreamToken's invariant).
func TestStreamToken_TimestampsInUTC(t *testing.T) {
	t.Parallel()
	for _, ts := range []string{"2026-11-26T10:30:00Z", "2026-11-26T10:30:00+00:00", "2026-11-26T11:30:00+01:00", "2026-11-26T05:30:00-05:00"} {
		in := `{"version":1,"stream_arn":"` + tokARN + `","shards":[{"shard_id":"` + shardA + `","iterator_type":"at_timestamp","timestamp":"` + ts + `"}]}`
		var tok ddbstream.StreamToken
		require.NoError(t, json.Unmarshal([]byte(in), &tok), ts)
		require.Equal(t, tokTime, tok.Shards[0].Timestamp, ts)
		require.Equal(t, time.UTC, tok.Shards[0].Timestamp.Location(), ts)
	}
	// The zero instant written in another zone is no timestamp at all.
	in := `{"version":1,"stream_arn":"` + tokARN + `","shards":[{"shard_id":"` + shardA + `","iterator_type":"trim_horizon","timestamp":"0001-01-01T01:00:00+01:00"}]}`
	var tok ddbstream.StreamToken
	require.NoError(t, json.Unmarshal([]byte(in), &tok))
	require.Equal(t, time.Time{}, tok.Shards[0].Timestamp)
	require.NoError(t, tok.Validate())
}

// validShard is a token every case below breaks in one way.
func validShard() ddbstream.ShardToken {
	return ddbstream.ShardToken{Version: 1, StreamARN: tokARN, ShardID: shardB, Parent: shardA,
		IteratorType: "after_sequence", SequenceNumber: seq123}
}

type tokenErrorCase struct {
	name      string
	err       error
	wantField string // the message names the offending field with this
}

func shardTokenErrorCases() []tokenErrorCase {
	bad := func(name, wantField string, change func(*ddbstream.ShardToken)) tokenErrorCase {
		tok := validShard()
		change(&tok)
		return tokenErrorCase{name: name, err: tok.Validate(), wantField: wantField}
	}
	return []tokenErrorCase{
		bad("unknown version", "version 2", func(t *ddbstream.ShardToken) { t.Version = 2 }),
		bad("negative version", "version -1", func(t *ddbstream.ShardToken) { t.Version = -1 }),
		bad("empty shard_id", "shard_id: empty", func(t *ddbstream.ShardToken) { t.ShardID = "" }),
		bad("short shard_id", "shard_id:", func(t *ddbstream.ShardToken) { t.ShardID = "shardId-1" }),
		bad("shard_id with a slash", "shard_id:", func(t *ddbstream.ShardToken) { t.ShardID = "shardId-00000001764115200000/0a1b2c3d" }),
		bad("shard_id of 66 characters", "shard_id:", func(t *ddbstream.ShardToken) { t.ShardID = "shardId-" + strings.Repeat("0", 58) }),
		bad("stream_arn of another service", "stream_arn:", func(t *ddbstream.ShardToken) { t.StreamARN = "arn:aws:kinesis:us-east-1:123456789012:stream/Orders" }),
		bad("stream_arn of a table", "stream_arn:", func(t *ddbstream.ShardToken) { t.StreamARN = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders" }),
		bad("stream_arn that is not an ARN", "stream_arn:", func(t *ddbstream.ShardToken) { t.StreamARN = "Orders" }),
		bad("malformed parent", "parent:", func(t *ddbstream.ShardToken) { t.Parent = "parent" }),
		bad("parent is the shard itself", "parent: the shard is its own parent", func(t *ddbstream.ShardToken) { t.Parent = t.ShardID }),
		bad("unknown iterator_type", `iterator_type "AFTER_SEQUENCE_NUMBER" is unknown`, func(t *ddbstream.ShardToken) { t.IteratorType = "AFTER_SEQUENCE_NUMBER" }),
		bad("empty iterator_type", `iterator_type "" is unknown`, func(t *ddbstream.ShardToken) { t.IteratorType = "" }),
		bad("at_sequence without sequence_number", "iterator_type at_sequence needs a sequence_number", func(t *ddbstream.ShardToken) {
			t.IteratorType, t.SequenceNumber = "at_sequence", ""
		}),
		bad("after_sequence without sequence_number", "iterator_type after_sequence needs a sequence_number", func(t *ddbstream.ShardToken) { t.SequenceNumber = "" }),
		bad("sequence_number on trim_horizon", "iterator_type trim_horizon takes no sequence_number", func(t *ddbstream.ShardToken) { t.IteratorType = "trim_horizon" }),
		bad("sequence_number on latest", "iterator_type latest takes no sequence_number", func(t *ddbstream.ShardToken) { t.IteratorType = "latest" }),
		bad("non-numeric sequence_number", "sequence_number:", func(t *ddbstream.ShardToken) { t.SequenceNumber = "40000000000000000000012x" }),
		bad("negative sequence_number", "sequence_number:", func(t *ddbstream.ShardToken) { t.SequenceNumber = "-1" }),
		bad("41-digit sequence_number", "sequence_number:", func(t *ddbstream.ShardToken) { t.SequenceNumber = ddbstream.SequenceNumber(strings.Repeat("4", 41)) }),
		bad("at_timestamp without timestamp", "iterator_type at_timestamp needs a timestamp", func(t *ddbstream.ShardToken) {
			t.IteratorType, t.SequenceNumber = "at_timestamp", ""
		}),
		bad("timestamp on after_sequence", "iterator_type after_sequence takes no timestamp", func(t *ddbstream.ShardToken) { t.Timestamp = tokTime }),
		bad("timestamp before the year 0", "timestamp", func(t *ddbstream.ShardToken) {
			t.IteratorType, t.SequenceNumber, t.Timestamp = "at_timestamp", "", time.Date(0, 1, 1, 0, 30, 0, 0, time.FixedZone("", 3600))
		}),
		bad("timestamp after the year 9999", "timestamp", func(t *ddbstream.ShardToken) {
			t.IteratorType, t.SequenceNumber, t.Timestamp = "at_timestamp", "", time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		}),
	}
}

func streamTokenErrorCases() []tokenErrorCase {
	shard := func(id, parent string) ddbstream.ShardToken {
		return ddbstream.ShardToken{Version: 1, ShardID: id, Parent: parent, IteratorType: "trim_horizon"}
	}
	bad := func(name, wantField string, tok ddbstream.StreamToken) tokenErrorCase {
		return tokenErrorCase{name: name, err: tok.Validate(), wantField: wantField}
	}
	v1 := func(shards ...ddbstream.ShardToken) ddbstream.StreamToken {
		return ddbstream.StreamToken{Version: 1, StreamARN: tokARN, Shards: shards}
	}
	otherStream := shard(shardB, shardA)
	otherStream.StreamARN = otherARN
	badShard := shard(shardB, "")
	badShard.IteratorType = "oldest"
	return []tokenErrorCase{
		bad("the zero token", "version 0", ddbstream.StreamToken{}),
		bad("unknown stream version", "version 2", ddbstream.StreamToken{Version: 2, StreamARN: tokARN}),
		bad("empty stream_arn", "stream_arn: empty", ddbstream.StreamToken{Version: 1}),
		bad("stream_arn of a table", "stream_arn:", ddbstream.StreamToken{Version: 1, StreamARN: "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"}),
		bad("a bad shard inside", `iterator_type "oldest"`, v1(shard(shardA, ""), badShard)),
		bad("tokens of two streams in one set", "stream_arn", v1(shard(shardA, ""), otherStream)),
		bad("duplicate shard", "shard_id", v1(shard(shardA, ""), shard(shardB, shardA), shard(shardA, ""))),
		bad("parent cycle of length 2", "parent cycle", v1(shard(shardA, shardB), shard(shardB, shardA))),
		bad("parent cycle of length 3", "parent cycle", v1(shard(shardD, ""), shard(shardA, shardC), shard(shardB, shardA), shard(shardC, shardB))),
		bad("parent cycle below a root", "parent cycle", v1(shard(shardD, ""), shard(shardE, shardA), shard(shardA, shardB), shard(shardB, shardA))),
	}
}

func TestShardToken_ValidateErrors(t *testing.T) {
	t.Parallel()
	require.NoError(t, validShard().Validate())
	for _, tt := range shardTokenErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorIs(t, tt.err, ddbstream.ErrInvalidToken)
			require.ErrorContains(t, tt.err, tt.wantField)
			require.ErrorContains(t, tt.err, "shard ", "names the shard")
			require.Equal(t, 1, strings.Count(tt.err.Error(), "ddbstream:"), "one prefix: %v", tt.err)
		})
	}
	// Position fails the same way and returns the zero Position.
	tok := validShard()
	tok.SequenceNumber = ""
	p, err := tok.Position()
	require.ErrorIs(t, err, ddbstream.ErrInvalidToken)
	require.True(t, p == ddbstream.Position{})
}

func TestStreamToken_Validate(t *testing.T) {
	t.Parallel()
	shard := func(id, parent string) ddbstream.ShardToken {
		return ddbstream.ShardToken{Version: 1, ShardID: id, Parent: parent, IteratorType: "trim_horizon"}
	}
	tests := []struct {
		name string
		tok  ddbstream.StreamToken
	}{
		{name: "no shards", tok: ddbstream.StreamToken{Version: 1, StreamARN: tokARN}},
		{name: "an unknown parent is taken as a root", tok: ddbstream.StreamToken{Version: 1, StreamARN: tokARN,
			Shards: []ddbstream.ShardToken{shard(shardB, shardF), shard(shardC, shardF)}}},
		{name: "a chain of three", tok: ddbstream.StreamToken{Version: 1, StreamARN: tokARN,
			Shards: []ddbstream.ShardToken{shard(shardC, shardB), shard(shardB, shardA), shard(shardA, "")}}},
		{name: "shards that name the stream", tok: ddbstream.StreamToken{Version: 1, StreamARN: tokARN,
			Shards: []ddbstream.ShardToken{validShard()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.NoError(t, tt.tok.Validate())
		})
	}
	for _, tt := range streamTokenErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorIs(t, tt.err, ddbstream.ErrInvalidToken)
			require.ErrorContains(t, tt.err, tt.wantField)
			require.Equal(t, 1, strings.Count(tt.err.Error(), "ddbstream:"), "one prefix: %v", tt.err)
		})
	}
}

func unmarshalErrorCases() []tokenErrorCase {
	python := `{"stream_arn":"` + tokARN + `","active":["` + shardB + `"],"shards":[{"shard_id":"` + shardB + `","iterator_type":"trim_horizon","sequence_number":null,"parent":null}]}`
	bad := func(name, wantField, in string) tokenErrorCase {
		tok := ddbstream.StreamToken{Version: 1, StreamARN: otherARN}
		before := tok
		err := tok.UnmarshalJSON([]byte(in))
		if tok.Version != before.Version || tok.StreamARN != before.StreamARN || tok.Shards != nil {
			err = fmt.Errorf("receiver changed to %+v by a failed UnmarshalJSON (error %w)", tok, err)
		}
		return tokenErrorCase{name: name, err: err, wantField: wantField}
	}
	return []tokenErrorCase{
		bad("both version and active", "either a version or an active list",
			`{"version":1,"stream_arn":"`+tokARN+`","active":[],"shards":[]}`),
		bad("active shard missing from shards", `active shard "`+shardC+`"`,
			strings.Replace(python, `"active":["`+shardB+`"]`, `"active":["`+shardB+`","`+shardC+`"]`, 1)),
		bad("several active shards missing, the first is named", `active shard "`+shardC+`"`,
			strings.Replace(python, `"active":["`+shardB+`"]`, `"active":["`+shardC+`","`+shardD+`","`+shardE+`","`+shardB+`"]`, 1)),
		bad("a version inside a Python-layout shard", "version in a Python-layout token",
			strings.Replace(python, `{"shard_id"`, `{"version":1,"shard_id"`, 1)),
		bad("no version and no active", "no version field", `{"stream_arn":"`+tokARN+`","shards":[]}`),
		bad("a null version and no active", "no version field", `{"version":null,"stream_arn":"`+tokARN+`","shards":[]}`),
		bad("an empty object", "no version field", `{}`),
		bad("JSON null", "no version field", `null`),
		bad("empty input", "unexpected end of JSON input", ``),
		bad("truncated JSON", "unexpected end of JSON input", `{"version":1,"stream_arn":"`),
		bad("an array", "cannot unmarshal array", `[]`),
		bad("version as a string", "version", `{"version":"1","stream_arn":"`+tokARN+`","shards":[]}`),
		bad("shards as an object", "shards", `{"version":1,"stream_arn":"`+tokARN+`","shards":{}}`),
		bad("sequence_number as a number", "sequence_number", `{"version":1,"stream_arn":"`+tokARN+`","shards":[{"shard_id":"`+shardA+`","iterator_type":"at_sequence","sequence_number":4000000000000000000000}]}`),
		// encoding/json does not name the field when a field's own UnmarshalJSON fails.
		bad("timestamp as epoch seconds", "Time.UnmarshalJSON", `{"version":1,"stream_arn":"`+tokARN+`","shards":[{"shard_id":"`+shardA+`","iterator_type":"at_timestamp","timestamp":1764153000}]}`),
		bad("active as a string", "active", strings.Replace(python, `["`+shardB+`"]`, `"`+shardB+`"`, 1)),
		bad("data after the token", "after top-level value", `{"version":1,"stream_arn":"`+tokARN+`","shards":[]} {}`),
		bad("two tokens", "after top-level value", `{"version":1,"stream_arn":"`+tokARN+`","shards":[]}{"version":1,"stream_arn":"`+tokARN+`","shards":[]}`),
	}
}

func TestStreamToken_UnmarshalJSONErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range unmarshalErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.ErrorIs(t, tt.err, ddbstream.ErrInvalidToken)
			require.ErrorContains(t, tt.err, tt.wantField)
			require.Equal(t, 1, strings.Count(tt.err.Error(), "ddbstream:"), "one prefix: %v", tt.err)
		})
	}
	// Through encoding/json, which checks the syntax first, the receiver is unchanged too.
	tok := ddbstream.StreamToken{Version: 1, StreamARN: otherARN}
	require.ErrorIs(t, json.Unmarshal([]byte(`{"stream_arn":"`+tokARN+`"}`), &tok), ddbstream.ErrInvalidToken)
	require.Equal(t, ddbstream.StreamToken{Version: 1, StreamARN: otherARN}, tok)
}

func TestStreamToken_UnmarshalPython(t *testing.T) {
	t.Parallel()
	// As the Python design writes it: nulls for no sequence number and no parent, every
	// shard of the tree listed, the ones being read named in active.
	in := `{"stream_arn": "` + tokARN + `", "active": ["` + shardC + `", "` + shardB + `"], "shards": [
		{"shard_id": "` + shardA + `", "iterator_type": "after_sequence", "sequence_number": "400000000000000000000000099", "parent": null},
		{"shard_id": "` + shardB + `", "iterator_type": "at_sequence", "sequence_number": "400000000000000000000000123", "parent": "` + shardA + `"},
		{"shard_id": "` + shardC + `", "iterator_type": "latest", "sequence_number": null, "parent": "` + shardA + `"},
		{"shard_id": "` + shardD + `", "iterator_type": "trim_horizon", "sequence_number": null, "parent": null}
	]}`
	var tok ddbstream.StreamToken
	require.NoError(t, tok.UnmarshalJSON([]byte(in)))
	require.NoError(t, tok.Validate())
	require.Equal(t, ddbstream.StreamToken{Version: ddbstream.TokenVersion, StreamARN: tokARN, Shards: []ddbstream.ShardToken{
		{ShardID: shardA, IteratorType: "after_sequence", SequenceNumber: seq99, Exhausted: true},
		{ShardID: shardB, Parent: shardA, IteratorType: "at_sequence", SequenceNumber: seq123},
		{ShardID: shardC, Parent: shardA, IteratorType: "latest"},
		{ShardID: shardD, IteratorType: "trim_horizon", Exhausted: true},
	}}, tok)

	// Saved again, it is written in this package's format and reads back the same.
	b, err := json.Marshal(tok)
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(b, []byte(`{"version":1,`)), "%s", b)
	var back ddbstream.StreamToken
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, tok, back)

	// An empty Python token: nothing active, nothing listed.
	var empty ddbstream.StreamToken
	require.NoError(t, empty.UnmarshalJSON([]byte(`{"stream_arn":"`+tokARN+`","active":[],"shards":[]}`)))
	require.NoError(t, empty.Validate())
	assert.Equal(t, ddbstream.TokenVersion, empty.Version)
	assert.Empty(t, empty.Shards)
}

func TestToken_ErrorsGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	for _, group := range []struct {
		title string
		cases []tokenErrorCase
	}{
		{"ShardToken.Validate", shardTokenErrorCases()},
		{"StreamToken.Validate", streamTokenErrorCases()},
		{"StreamToken.UnmarshalJSON", unmarshalErrorCases()},
	} {
		fmt.Fprintf(&b, "# %s\n", group.title)
		for _, tt := range group.cases {
			require.Error(t, tt.err, tt.name)
			fmt.Fprintf(&b, "%s:\n\t%v\n", tt.name, tt.err)
		}
	}
	ddbstream.Golden(t, "token_errors", b.Bytes())
}

// FuzzStreamToken checks decoding of saved stream tokens. For any bytes:
//   - UnmarshalJSON and Validate never panic, and their errors wrap ErrInvalidToken;
//   - when UnmarshalJSON fails, the receiver is unchanged;
//   - when both succeed, json.Marshal succeeds, and UnmarshalJSON of its output gives
//     an equal token (require.Equal) that still validates and marshals to the same
//     bytes: a token that was accepted once can be saved and resumed forever.
func FuzzStreamToken(f *testing.F) {
	for _, name := range []string{"v1_stream.json", "python_stream.json", "v1_shard.json", "python_shard.json"} {
		b := readToken(f, name)
		f.Add(b)
		for _, n := range []int{1, len(b) / 4, len(b) / 2, len(b) - 2} {
			f.Add(b[:n]) // truncated
		}
	}
	for _, s := range []string{
		`{"version":1,"stream_arn":"` + tokARN + `","shards":[]}`,
		`{"version":1,"stream_arn":"` + tokARN + `","shards":[{"shard_id":"` + shardA + `","iterator_type":"at_timestamp","timestamp":"2026-11-26T10:30:00+00:00"}]}`,
		`{"version":1,"stream_arn":"` + tokARN + `","shards":[{"shard_id":"` + shardA + `","iterator_type":"trim_horizon","timestamp":"0001-01-01T01:00:00+01:00"}]}`,
		`{"version":1,"stream_arn":"` + tokARN + `","shards":[{"shard_id":"` + shardA + `","iterator_type":"at_timestamp","timestamp":"0000-01-01T00:30:00+01:00"}]}`,
		`{"version":1,"stream_arn":"` + tokARN + `","shards":[{"shard_id":"` + shardA + `","parent":"` + shardB + `","iterator_type":"latest"},{"shard_id":"` + shardB + `","parent":"` + shardA + `","iterator_type":"latest"}]}`,
		`{"stream_arn":"` + tokARN + `","active":[],"shards":null}`,
		`{"version":1,"active":null}`,
		"", "null", "{}", "[]", `"token"`, "{\"version\":1e400}", "\xff\xfe{", `{"shards":[{}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		before := ddbstream.StreamToken{Version: 7, StreamARN: "before"}
		tok := before
		if err := tok.UnmarshalJSON(in); err != nil {
			require.ErrorIs(t, err, ddbstream.ErrInvalidToken)
			require.Equal(t, before, tok, "a failed UnmarshalJSON changed the receiver")
			return
		}
		if err := tok.Validate(); err != nil {
			require.ErrorIs(t, err, ddbstream.ErrInvalidToken)
			return
		}
		out, err := json.Marshal(tok)
		require.NoError(t, err, "a valid token must marshal: %+v", tok)
		var back ddbstream.StreamToken
		require.NoError(t, back.UnmarshalJSON(out), "%s", out)
		require.Equal(t, tok, back, "%s re-marshalled as %s", in, out)
		require.NoError(t, back.Validate())
		again, err := json.Marshal(back)
		require.NoError(t, err)
		require.Equal(t, string(out), string(again))
	})
}

func TestStreamToken_LongParentChainValidatesInLinearTime(t *testing.T) {
	t.Parallel()
	// Regression: the cycle check followed every chain to its end from every shard,
	// so a hostile token with one long chain took quadratic time.
	const n = 100_000
	tok := ddbstream.StreamToken{Version: 1, StreamARN: tokARN}
	id := func(i int) string { return fmt.Sprintf("shardId-00000001764100800000-%08d", i) }
	for i := range n {
		s := ddbstream.ShardToken{ShardID: id(i), IteratorType: "trim_horizon"}
		if i > 0 {
			s.Parent = id(i - 1)
		}
		tok.Shards = append(tok.Shards, s)
	}
	start := time.Now()
	require.NoError(t, tok.Validate())
	require.Less(t, time.Since(start), 5*time.Second)
	tok.Shards[0].Parent = id(n - 1) // close the chain into a cycle
	require.ErrorContains(t, tok.Validate(), "parent cycle")
}
