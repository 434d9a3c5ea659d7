package ddbstream_test

import (
	"bytes"
	"encoding"
	"flag"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
)

// Positions print and parse as text, so flag.TextVar can take them.
var (
	_ encoding.TextMarshaler   = ddbstream.Position{}
	_ encoding.TextUnmarshaler = (*ddbstream.Position)(nil)
)

func TestSequenceNumber_Compare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b ddbstream.SequenceNumber
		want int
	}{
		{name: "equal numbers", a: "400000000000000000001", b: "400000000000000000001", want: 0},
		{name: "single digits", a: "1", b: "2", want: -1},
		{name: "same length compares digit by digit", a: "400000000000000000009", b: "400000000000000000010", want: -1},
		{name: "shorter is smaller even when its digits are larger", a: "9", b: "10", want: -1},
		{name: "21 nines is less than the first 22-digit number", a: "999999999999999999999", b: "1000000000000000000000", want: -1},
		{name: "22 digits is more than 21", a: "1000000000000000000001", b: "999999999999999999999", want: 1},
		{name: "leading zeros do not count", a: "0001", b: "1", want: 0},
		{name: "leading zeros do not make a number longer", a: "000000009", b: "10", want: -1},
		{name: "zero with leading zeros equals zero", a: "000", b: "0", want: 0},
		{name: "a padded 21-digit number against a 22-digit one", a: "0999999999999999999999", b: "1000000000000000000000", want: -1},
		{name: "40 digits", a: ddbstream.SequenceNumber(strings.Repeat("9", 40)), b: ddbstream.SequenceNumber("1" + strings.Repeat("0", 39)), want: 1},
		{name: "beyond uint64", a: "18446744073709551616", b: "18446744073709551615", want: 1},
		{name: "beyond float64 precision", a: "9007199254740993", b: "9007199254740992", want: 1},
		{name: "empty sorts before zero", a: "", b: "0", want: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.a.Compare(tt.b), "%s.Compare(%s)", tt.a, tt.b)
			assert.Equal(t, -tt.want, tt.b.Compare(tt.a), "%s.Compare(%s)", tt.b, tt.a)
		})
	}
}

func TestSequenceNumber_Validate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		seq     ddbstream.SequenceNumber
		wantErr string // "" for valid
	}{
		{name: "one digit", seq: "0"},
		{name: "21 digits as on AWS", seq: "400000000000000000001"},
		{name: "40 digits, the longest documented", seq: ddbstream.SequenceNumber(strings.Repeat("9", 40))},
		{name: "leading zeros", seq: "0000000000000000000042"},
		{name: "empty", seq: "", wantErr: "empty sequence number"},
		{name: "41 digits", seq: ddbstream.SequenceNumber(strings.Repeat("1", 41)), wantErr: "41 digits, more than 40"},
		{name: "a letter", seq: "40000000000000000000a1", wantErr: `"40000000000000000000a1" is not a decimal number`},
		{name: "a sign", seq: "-1", wantErr: "not a decimal number"},
		{name: "a plus sign", seq: "+1", wantErr: "not a decimal number"},
		{name: "a decimal point", seq: "1.0", wantErr: "not a decimal number"},
		{name: "an exponent", seq: "1e21", wantErr: "not a decimal number"},
		{name: "a space", seq: " 1", wantErr: "not a decimal number"},
		{name: "non-ASCII digits", seq: "١٢٣", wantErr: "not a decimal number"},
		{name: "long garbage is shortened in the message", seq: ddbstream.SequenceNumber(strings.Repeat("x", 40)), wantErr: strings.Repeat("x", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.seq.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ddbstream.ErrInvalidArgument)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// at is a fixed instant with a fraction of a second, in a zone that is not UTC.
var at = time.Date(2026, 11, 26, 11, 30, 15, 123456789, time.FixedZone("CET", 3600))

func TestPosition_Constructors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		pos      ddbstream.Position
		wantType types.ShardIteratorType
		wantSeq  ddbstream.SequenceNumber
		wantTime time.Time
		wantText string
	}{
		{name: "the zero position is the trim horizon", pos: ddbstream.Position{},
			wantType: types.ShardIteratorTypeTrimHorizon, wantText: "TRIM_HORIZON"},
		{name: "trim horizon", pos: ddbstream.TrimHorizon(),
			wantType: types.ShardIteratorTypeTrimHorizon, wantText: "TRIM_HORIZON"},
		{name: "latest", pos: ddbstream.Latest(),
			wantType: types.ShardIteratorTypeLatest, wantText: "LATEST"},
		{name: "at a sequence number", pos: ddbstream.AtSequenceNumber("400000000000000000001"),
			wantType: types.ShardIteratorTypeAtSequenceNumber, wantSeq: "400000000000000000001",
			wantText: "AT_SEQUENCE_NUMBER 400000000000000000001"},
		{name: "after a sequence number", pos: ddbstream.AfterSequenceNumber("4000000000000123"),
			wantType: types.ShardIteratorTypeAfterSequenceNumber, wantSeq: "4000000000000123",
			wantText: "AFTER_SEQUENCE_NUMBER 4000000000000123"},
		{name: "at a time, kept in UTC to the nanosecond", pos: ddbstream.AtTimestamp(at),
			wantType: types.ShardIteratorTypeAtTimestamp, wantTime: at.UTC(),
			wantText: "AT_TIMESTAMP 2026-11-26T10:30:15.123456789Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.wantType, tt.pos.IteratorType())
			assert.Equal(t, tt.wantSeq, tt.pos.SequenceNumber())
			assert.Equal(t, tt.wantTime, tt.pos.Timestamp())
			assert.Equal(t, tt.wantText, tt.pos.String())
			assert.NoError(t, tt.pos.Validate())

			text, err := tt.pos.MarshalText()
			require.NoError(t, err)
			require.Equal(t, tt.wantText, string(text))
			var back ddbstream.Position
			require.NoError(t, back.UnmarshalText(text))
			require.True(t, back == tt.pos, "%v round-tripped to %v", tt.pos, back)
		})
	}
}

func TestPosition_AtTimestampComparesInstants(t *testing.T) {
	t.Parallel()
	require.True(t, ddbstream.AtTimestamp(at) == ddbstream.AtTimestamp(at.UTC()), "one instant in two zones")
	require.True(t, ddbstream.AtTimestamp(time.Now()) != ddbstream.AtTimestamp(time.Now().Add(time.Second)))
	// time.Now carries a monotonic reading, which must not make equal instants unequal.
	now := time.Now()
	require.True(t, ddbstream.AtTimestamp(now) == ddbstream.AtTimestamp(now.Round(0)))
}

func TestPosition_Validate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		pos     ddbstream.Position
		wantErr string
	}{
		{name: "at without a sequence number", pos: ddbstream.AtSequenceNumber(""), wantErr: "empty sequence number (position AT_SEQUENCE_NUMBER)"},
		{name: "after a non-numeric sequence number", pos: ddbstream.AfterSequenceNumber("abc"), wantErr: "(position AFTER_SEQUENCE_NUMBER)"},
		{name: "at a zero time", pos: ddbstream.AtTimestamp(time.Time{}), wantErr: "AT_TIMESTAMP position without a time"},
		{name: "at a time after the year 9999", pos: ddbstream.AtTimestamp(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)), wantErr: "outside the years 0 to 9999"},
		{name: "at a time before the year 0", pos: ddbstream.AtTimestamp(time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC)), wantErr: "outside the years 0 to 9999"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.pos.Validate()
			require.ErrorIs(t, err, ddbstream.ErrInvalidArgument)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestPosition_UnmarshalText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want ddbstream.Position
	}{
		{name: "upper case", text: "TRIM_HORIZON", want: ddbstream.TrimHorizon()},
		{name: "lower case", text: "latest", want: ddbstream.Latest()},
		{name: "mixed case", text: "After_Sequence_Number 4000000000000123", want: ddbstream.AfterSequenceNumber("4000000000000123")},
		{name: "leading zeros are kept", text: "AT_SEQUENCE_NUMBER 000123", want: ddbstream.AtSequenceNumber("000123")},
		{name: "a time with an offset", text: "AT_TIMESTAMP 2026-11-26T11:30:15.123456789+01:00", want: ddbstream.AtTimestamp(at)},
		{name: "a time in whole seconds", text: "at_timestamp 2026-11-26T10:30:15Z", want: ddbstream.AtTimestamp(time.Date(2026, 11, 26, 10, 30, 15, 0, time.UTC))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var p ddbstream.Position
			require.NoError(t, p.UnmarshalText([]byte(tt.text)))
			require.True(t, p == tt.want, "got %v, want %v", p, tt.want)
		})
	}
}

func TestPosition_UnmarshalTextErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		wantErr string
	}{
		{name: "empty", text: "", wantErr: `position "": unknown iterator type`},
		{name: "unknown type", text: "OLDEST", wantErr: `position "OLDEST": unknown iterator type`},
		{name: "the token spelling of a type", text: "after_sequence 1", wantErr: "unknown iterator type"},
		{name: "a leading space", text: " LATEST", wantErr: "unknown iterator type"},
		{name: "extra argument to latest", text: "LATEST 400000000000000000001", wantErr: "takes no argument"},
		{name: "trailing space after trim horizon", text: "TRIM_HORIZON ", wantErr: "takes no argument"},
		{name: "missing sequence number", text: "AT_SEQUENCE_NUMBER", wantErr: "needs an argument"},
		{name: "missing sequence number after", text: "AFTER_SEQUENCE_NUMBER", wantErr: "needs an argument"},
		{name: "empty sequence number", text: "AT_SEQUENCE_NUMBER ", wantErr: "empty sequence number"},
		{name: "two spaces", text: "AT_SEQUENCE_NUMBER  1", wantErr: "not a decimal number"},
		{name: "two arguments", text: "AT_SEQUENCE_NUMBER 1 2", wantErr: "not a decimal number"},
		{name: "non-numeric sequence number", text: "AFTER_SEQUENCE_NUMBER 12x", wantErr: "not a decimal number"},
		{name: "41-digit sequence number", text: "AT_SEQUENCE_NUMBER " + strings.Repeat("1", 41), wantErr: "41 digits"},
		{name: "missing time", text: "AT_TIMESTAMP", wantErr: "time is not RFC 3339"},
		{name: "bad time", text: "AT_TIMESTAMP yesterday", wantErr: "time is not RFC 3339"},
		{name: "time without a zone", text: "AT_TIMESTAMP 2026-11-26T10:30:15", wantErr: "time is not RFC 3339"},
		{name: "epoch seconds instead of a time", text: "AT_TIMESTAMP 1764153015", wantErr: "time is not RFC 3339"},
		{name: "the zero time", text: "AT_TIMESTAMP 0001-01-01T00:00:00Z", wantErr: "without a time"},
		{name: "a time that is before the year 0 in UTC", text: "AT_TIMESTAMP 0000-01-01T00:30:00+01:00", wantErr: "outside the years 0 to 9999"},
		{name: "long input is shortened in the message", text: strings.Repeat("X", 200), wantErr: strings.Repeat("X", 80) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := ddbstream.AfterSequenceNumber("4000000000000123")
			p := before
			err := p.UnmarshalText([]byte(tt.text))
			require.ErrorIs(t, err, ddbstream.ErrInvalidArgument)
			require.ErrorContains(t, err, tt.wantErr)
			require.True(t, p == before, "a failed UnmarshalText changed the position to %v", p)
		})
	}
}

func TestPosition_FlagTextVar(t *testing.T) {
	t.Parallel()
	var from ddbstream.Position
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.TextVar(&from, "from", ddbstream.Latest(), "where to start")
	require.True(t, from == ddbstream.Latest(), "the default applies before parsing")
	require.NoError(t, fs.Parse([]string{"-from", "AFTER_SEQUENCE_NUMBER 400000000000000000001"}))
	require.True(t, from == ddbstream.AfterSequenceNumber("400000000000000000001"))
	require.Error(t, fs.Parse([]string{"-from", "SOMEWHERE"}))
}

func TestPosition_StringGolden(t *testing.T) {
	t.Parallel()
	positions := []ddbstream.Position{
		{},
		ddbstream.TrimHorizon(),
		ddbstream.Latest(),
		ddbstream.AtSequenceNumber("400000000000000000001"),
		ddbstream.AfterSequenceNumber("4000000000000123"),
		ddbstream.AfterSequenceNumber(ddbstream.SequenceNumber(strings.Repeat("9", 40))),
		ddbstream.AtTimestamp(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)),
		ddbstream.AtTimestamp(at),
		ddbstream.AtTimestamp(time.Date(2026, 11, 26, 10, 0, 0, 500_000_000, time.FixedZone("", -5*3600))),
		// Invalid positions still print, so a log line can show what was wrong.
		ddbstream.AtSequenceNumber(""),
		ddbstream.AtTimestamp(time.Time{}),
	}
	var b bytes.Buffer
	for _, p := range positions {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	ddbstream.Golden(t, "positions", b.Bytes())
}

// FuzzSequenceNumberCompare checks that Compare is a total order that agrees with
// arithmetic. For any strings a, b and c (valid sequence numbers or not):
//   - Compare and Validate never panic, and Compare returns -1, 0 or +1;
//   - a.Compare(a) == 0 (reflexive);
//   - a.Compare(b) == -b.Compare(a) (antisymmetric);
//   - when a.Compare(b) == 0, a and b compare the same with c (equal is an equivalence);
//   - when a < b and b < c, a < c (transitive);
//   - when a and b are valid, Compare agrees with math/big, and zero-padding a does not
//     change its order.
func FuzzSequenceNumberCompare(f *testing.F) {
	seeds := [][3]string{
		{"400000000000000000001", "400000000000000000002", "400000000000000000001"},
		{"999999999999999999999", "1000000000000000000000", "0999999999999999999999"},
		{"0", "000", ""},
		{"1", "01", "10"},
		{strings.Repeat("9", 40), strings.Repeat("9", 41), "1" + strings.Repeat("0", 39)},
		{"18446744073709551616", "18446744073709551615", "9007199254740993"},
		{"4000000000", "40000000000000000000", "4000000000000000000"}, // truncations
		{"abc", "-1", "1e21"},
		{"\x00", "\xff\xfe", "٣"},
		{"0a", "00a", " 1"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, as, bs, cs string) {
		a, b, c := ddbstream.SequenceNumber(as), ddbstream.SequenceNumber(bs), ddbstream.SequenceNumber(cs)
		ab, ba, ac, bc := a.Compare(b), b.Compare(a), a.Compare(c), b.Compare(c)
		require.Contains(t, []int{-1, 0, 1}, ab)
		require.Zero(t, a.Compare(a), "reflexive")
		require.Equal(t, ab, -ba, "antisymmetric: %q vs %q", a, b)
		if ab == 0 {
			require.Equal(t, ac, bc, "%q == %q, so they compare the same with %q", a, b, c)
		}
		if ab < 0 && bc < 0 {
			require.Equal(t, -1, ac, "transitive: %q < %q < %q", a, b, c)
		}
		aValid, bValid := a.Validate() == nil, b.Validate() == nil
		_ = c.Validate()
		if aValid && bValid {
			x, ok := new(big.Int).SetString(as, 10)
			require.True(t, ok, "valid %q is a decimal number", a)
			y, ok := new(big.Int).SetString(bs, 10)
			require.True(t, ok, "valid %q is a decimal number", b)
			require.Equal(t, x.Cmp(y), ab, "math/big disagrees on %q vs %q", a, b)
			require.Equal(t, ab, ("000" + a).Compare(b), "padding %q with zeros", a)
		}
	})
}

// FuzzPositionUnmarshalText checks the text form of positions. For any input:
//   - UnmarshalText never panics;
//   - when it fails, the error wraps ErrInvalidArgument and the receiver is unchanged;
//   - when it succeeds, the position is valid, and its text (MarshalText, which equals
//     String) parses back to an equal Position and is a fixed point: marshalling that
//     again gives the same text.
func FuzzPositionUnmarshalText(f *testing.F) {
	for _, s := range []string{
		"TRIM_HORIZON", "LATEST", "trim_horizon", "Latest",
		"AT_SEQUENCE_NUMBER 400000000000000000001",
		"AFTER_SEQUENCE_NUMBER 0000000000000000000000000000000000000042",
		"AT_TIMESTAMP 2026-11-26T10:30:15.123456789Z",
		"AT_TIMESTAMP 2026-11-26T11:30:15+01:00",
		"AT_TIMESTAMP 0000-01-01T00:30:00+01:00",
		"AT_TIMESTAMP 9999-12-31T23:59:59-01:00",
		// Truncated.
		"AT_SEQUENCE_NUMBER", "AT_SEQUENCE_NUMBER ", "AFTER_SEQ", "AT_TIMESTAMP 2026-11-26T10:3", "TRIM_HORIZO",
		// Garbage.
		"", " ", "LATEST LATEST", "AT_SEQUENCE_NUMBER -1", "AT_TIMESTAMP \x00", "\xff\xfe", "ſ", "AT_SEQUENCE_NUMBER ١٢٣",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		before := ddbstream.AtSequenceNumber("17")
		p := before
		if err := p.UnmarshalText(in); err != nil {
			require.ErrorIs(t, err, ddbstream.ErrInvalidArgument)
			require.True(t, p == before, "a failed UnmarshalText changed the position to %v", p)
			return
		}
		require.NoError(t, p.Validate(), "parsed %q", in)
		text, err := p.MarshalText()
		require.NoError(t, err)
		require.Equal(t, string(text), p.String())
		var q ddbstream.Position
		require.NoError(t, q.UnmarshalText(text), "%q parsed, but its text %q does not", in, text)
		require.True(t, p == q, "%q parsed to %v, which re-parsed to %v", in, p, q)
		again, err := q.MarshalText()
		require.NoError(t, err)
		require.True(t, bytes.Equal(text, again), "text %q re-marshalled to %q", text, again)
	})
}
