package ddbstream

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// MaxSequenceNumberLength is the longest sequence number DynamoDB Streams documents
// (40 digits). Longer strings are rejected wherever a sequence number is parsed.
const MaxSequenceNumberLength = 40

// A SequenceNumber identifies a record within a shard. It is a decimal string of up to
// 40 digits (21 or more on AWS), so it must not be converted to float64 or uint64; use
// [SequenceNumber.Compare] to order two of them.
type SequenceNumber string

// Compare returns -1, 0 or +1 as s is numerically less than, equal to or greater than o.
// Leading zeros do not count. Both must be valid (see [SequenceNumber.Validate]); for
// invalid input the result is a consistent total order but carries no meaning.
func (s SequenceNumber) Compare(o SequenceNumber) int {
	a, b := trimZeros(string(s)), trimZeros(string(o))
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return strings.Compare(a, b)
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// Validate reports whether s is a well-formed sequence number: 1 to 40 ASCII digits.
// The error wraps [ErrInvalidArgument].
func (s SequenceNumber) Validate() error {
	if problem := s.problem(); problem != "" {
		return fmt.Errorf("%w: %s", ErrInvalidArgument, problem)
	}
	return nil
}

// problem says what is wrong with s, or returns "" when s is valid. Callers that wrap
// another sentinel (tokens) use it to keep one "ddbstream:" prefix per message.
func (s SequenceNumber) problem() string {
	switch {
	case s == "":
		return "empty sequence number"
	case len(s) > MaxSequenceNumberLength:
		return fmt.Sprintf("sequence number has %d digits, more than %d", len(s), MaxSequenceNumberLength)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return fmt.Sprintf("sequence number %q is not a decimal number", truncate(string(s), 48))
		}
	}
	return ""
}

// positionKind is ordered so that the zero Position is TrimHorizon.
type positionKind uint8

const (
	kindTrimHorizon positionKind = iota
	kindLatest
	kindAtSequence
	kindAfterSequence
	kindAtTimestamp
)

// A Position says where reading a shard begins: the wire's shard iterator types as a
// value. The zero Position is [TrimHorizon]. Positions are comparable with ==.
type Position struct {
	kind positionKind
	seq  SequenceNumber
	at   time.Time // kindAtTimestamp only; UTC, so == compares instants
}

// TrimHorizon is the oldest record still in the shard (TRIM_HORIZON).
func TrimHorizon() Position { return Position{} }

// Latest is just after the newest record in the shard (LATEST). A write made right after
// the iterator is issued may be missed by the service; prefer [TrimHorizon] or
// [AtTimestamp] when start-up must not lose data.
func Latest() Position { return Position{kind: kindLatest} }

// AtSequenceNumber is the record with sequence number s (AT_SEQUENCE_NUMBER).
func AtSequenceNumber(s SequenceNumber) Position { return Position{kind: kindAtSequence, seq: s} }

// AfterSequenceNumber is the record after the one with sequence number s
// (AFTER_SEQUENCE_NUMBER).
func AfterSequenceNumber(s SequenceNumber) Position {
	return Position{kind: kindAfterSequence, seq: s}
}

// AtTimestamp is the first record created at or after t (AT_TIMESTAMP where the endpoint
// supports it; a [Shard] scans from the trim horizon where it does not). DynamoDB records
// carry creation times rounded down to the second, so a record made after t within t's
// second shows a time before t; such records count as at or after t. Records are compared
// with t rounded down to the second, then, and a seek never misses a change made after t.
func AtTimestamp(t time.Time) Position { return Position{kind: kindAtTimestamp, at: t.UTC()} }

// seekFloor is the creation time from which a seek to t returns records: t's second.
func seekFloor(t time.Time) time.Time { return t.Truncate(time.Second) }

// IteratorType returns the wire iterator type of p, such as TRIM_HORIZON.
func (p Position) IteratorType() types.ShardIteratorType {
	switch p.kind {
	case kindLatest:
		return types.ShardIteratorTypeLatest
	case kindAtSequence:
		return types.ShardIteratorTypeAtSequenceNumber
	case kindAfterSequence:
		return types.ShardIteratorTypeAfterSequenceNumber
	case kindAtTimestamp:
		return types.ShardIteratorTypeAtTimestamp
	}
	return types.ShardIteratorTypeTrimHorizon
}

// SequenceNumber returns the sequence number of an AT_ or AFTER_SEQUENCE_NUMBER position
// and "" for the others.
func (p Position) SequenceNumber() SequenceNumber { return p.seq }

// Timestamp returns the time of an AT_TIMESTAMP position and the zero time for the others.
func (p Position) Timestamp() time.Time { return p.at }

// Validate reports whether p can be sent to the service: AT_ and AFTER_SEQUENCE_NUMBER
// need a valid sequence number and AT_TIMESTAMP a non-zero time in the years 0 to 9999
// (UTC), which RFC 3339 can write. The error wraps
// [ErrInvalidArgument].
func (p Position) Validate() error {
	switch p.kind {
	case kindAtSequence, kindAfterSequence:
		if err := p.seq.Validate(); err != nil {
			return fmt.Errorf("%w (position %s)", err, p.IteratorType())
		}
	case kindAtTimestamp:
		if p.at.IsZero() {
			return fmt.Errorf("%w: AT_TIMESTAMP position without a time", ErrInvalidArgument)
		}
		// Outside these years the time has no RFC 3339 form: the position could not be
		// printed and parsed back, nor saved in a token.
		if y := p.at.Year(); y < 0 || y > 9999 {
			return fmt.Errorf("%w: AT_TIMESTAMP time %s is outside the years 0 to 9999",
				ErrInvalidArgument, p.at.Format(time.RFC3339Nano))
		}
	}
	return nil
}

// String returns the wire iterator type, followed by the sequence number or the RFC 3339
// time where the position has one: "AFTER_SEQUENCE_NUMBER 4000000000000123".
func (p Position) String() string {
	b, _ := p.MarshalText()
	return string(b)
}

// MarshalText encodes p as [Position.String] does; it never fails.
func (p Position) MarshalText() ([]byte, error) {
	t := string(p.IteratorType())
	switch p.kind {
	case kindAtSequence, kindAfterSequence:
		return []byte(t + " " + string(p.seq)), nil
	case kindAtTimestamp:
		return []byte(t + " " + p.at.Format(time.RFC3339Nano)), nil
	}
	return []byte(t), nil
}

// UnmarshalText parses the form [Position.MarshalText] writes. The iterator type is
// case-insensitive; the argument is separated by one space. On error p is unchanged and
// the error wraps [ErrInvalidArgument].
func (p *Position) UnmarshalText(b []byte) error {
	name, arg, hasArg := bytes.Cut(b, []byte{' '})
	var q Position
	switch types.ShardIteratorType(strings.ToUpper(string(name))) {
	case types.ShardIteratorTypeTrimHorizon:
		q = TrimHorizon()
	case types.ShardIteratorTypeLatest:
		q = Latest()
	case types.ShardIteratorTypeAtSequenceNumber:
		q = AtSequenceNumber(SequenceNumber(arg))
	case types.ShardIteratorTypeAfterSequenceNumber:
		q = AfterSequenceNumber(SequenceNumber(arg))
	case types.ShardIteratorTypeAtTimestamp:
		t, err := time.Parse(time.RFC3339Nano, string(arg))
		if err != nil {
			return fmt.Errorf("%w: position %q: time is not RFC 3339", ErrInvalidArgument, truncate(string(b), 80))
		}
		q = AtTimestamp(t)
	default:
		return fmt.Errorf("%w: position %q: unknown iterator type (want TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER n, AFTER_SEQUENCE_NUMBER n or AT_TIMESTAMP t)",
			ErrInvalidArgument, truncate(string(b), 80))
	}
	wantArg := q.kind >= kindAtSequence
	if hasArg != wantArg {
		if wantArg {
			return fmt.Errorf("%w: position %q needs an argument", ErrInvalidArgument, truncate(string(b), 80))
		}
		return fmt.Errorf("%w: position %q takes no argument", ErrInvalidArgument, truncate(string(b), 80))
	}
	if err := q.Validate(); err != nil {
		return err
	}
	*p = q
	return nil
}

// truncate shortens untrusted input before it goes into an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
