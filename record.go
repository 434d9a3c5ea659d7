package ddbstream

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodbstreams/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// An Operation is the kind of change a record describes. It holds the wire name, so an
// operation this package does not know is kept rather than rejected.
type Operation string

// The operations DynamoDB Streams reports.
const (
	Insert Operation = "INSERT" // a new item was added
	Modify Operation = "MODIFY" // an existing item was changed
	Remove Operation = "REMOVE" // an item was deleted, by a caller or by TTL
)

// String returns the wire name, such as INSERT.
func (o Operation) String() string { return string(o) }

// An Identity says who made a change. DynamoDB Streams only sets it for changes the
// system made: a TTL delete has Type "Service" and PrincipalID "dynamodb.amazonaws.com".
type Identity struct {
	PrincipalID string
	Type        string
}

// A Record is one change to one item, as read from a shard. Keys are always present;
// which images are present depends on the stream's view type and the operation
// (KEYS_ONLY: none; NEW_IMAGE: NewImage on inserts and modifies; OLD_IMAGE: OldImage on
// modifies and removes; NEW_AND_OLD_IMAGES: both where they exist). Image values are the
// SDK's dynamodbstreams types and may contain nil entries, which the service sends for
// attribute types the SDK does not know.
//
// A Record is a plain value; the maps are shared with the page it was read from, so treat
// them as read-only.
type Record struct {
	ShardID        string
	SequenceNumber SequenceNumber
	EventID        string
	EventVersion   string
	EventSource    string // "aws:dynamodb"
	AWSRegion      string
	Operation      Operation
	CreatedAt      time.Time // approximate, rounded down to the second by the service
	SizeBytes      int64
	StreamViewType string // KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES
	Keys           map[string]types.AttributeValue
	OldImage       map[string]types.AttributeValue
	NewImage       map[string]types.AttributeValue
	UserIdentity   *Identity // nil unless the system made the change
}

// IsTTLDelete reports whether r is the removal of an item whose time to live expired.
func (r Record) IsTTLDelete() bool {
	return r.Operation == Remove && r.UserIdentity != nil &&
		r.UserIdentity.Type == "Service" && r.UserIdentity.PrincipalID == "dynamodb.amazonaws.com"
}

// UnmarshalKeys decodes r.Keys into out, a pointer to a struct (fields tagged
// `dynamodbav`) or a map, with feature/dynamodbstreams/attributevalue.
func (r Record) UnmarshalKeys(out any) error { return r.unmarshalImage("keys", r.Keys, out) }

// UnmarshalNewImage decodes r.NewImage into out as [Record.UnmarshalKeys] does. It fails
// with an error wrapping [ErrNoImage] when the record carries no new image.
func (r Record) UnmarshalNewImage(out any) error {
	return r.unmarshalImage("new image", r.NewImage, out)
}

// UnmarshalOldImage decodes r.OldImage into out as [Record.UnmarshalKeys] does. It fails
// with an error wrapping [ErrNoImage] when the record carries no old image.
func (r Record) UnmarshalOldImage(out any) error {
	return r.unmarshalImage("old image", r.OldImage, out)
}

func (r Record) unmarshalImage(what string, img map[string]types.AttributeValue, out any) error {
	if img == nil {
		return fmt.Errorf("%w: %s record %s in shard %s has no %s (stream view type %s)",
			ErrNoImage, r.Operation, r.SequenceNumber, r.ShardID, what, r.StreamViewType)
	}
	if err := attributevalue.UnmarshalMap(img, out); err != nil {
		return fmt.Errorf("ddbstream: decode %s of record %s in shard %s: %w", what, r.SequenceNumber, r.ShardID, err)
	}
	return nil
}

// newRecords converts one GetRecords page. It allocates the slice and, per record, only
// an Identity where the service sent one; the images are shared with the page.
func newRecords(shardID string, page []types.Record) []Record {
	if len(page) == 0 {
		return nil
	}
	out := make([]Record, len(page))
	for i := range page {
		fillRecord(&out[i], shardID, &page[i])
	}
	return out
}

func fillRecord(r *Record, shardID string, in *types.Record) {
	*r = Record{
		ShardID:      shardID,
		EventID:      aws.ToString(in.EventID),
		EventVersion: aws.ToString(in.EventVersion),
		EventSource:  aws.ToString(in.EventSource),
		AWSRegion:    aws.ToString(in.AwsRegion),
		Operation:    Operation(in.EventName),
	}
	if d := in.Dynamodb; d != nil {
		r.SequenceNumber = SequenceNumber(aws.ToString(d.SequenceNumber))
		r.CreatedAt = aws.ToTime(d.ApproximateCreationDateTime)
		r.SizeBytes = aws.ToInt64(d.SizeBytes)
		r.StreamViewType = string(d.StreamViewType)
		r.Keys, r.OldImage, r.NewImage = d.Keys, d.OldImage, d.NewImage
	}
	if id := in.UserIdentity; id != nil {
		r.UserIdentity = &Identity{PrincipalID: aws.ToString(id.PrincipalId), Type: aws.ToString(id.Type)}
	}
}

// MarshalJSON encodes r in plain JSON, for printing and logs:
//
//	{"shard_id":"…","sequence_number":"…","event_id":"…","event_name":"INSERT",
//	 "event_version":"1.1","created_at":"2026-11-26T10:00:00Z","size_bytes":42,
//	 "stream_view_type":"NEW_AND_OLD_IMAGES","keys":{…},"new_image":{…},"old_image":{…},
//	 "user_identity":{"principal_id":"dynamodb.amazonaws.com","type":"Service"}}
//
// Images are written as [AppendPlainJSON] does; absent images and identities are left
// out. It is one-way: the plain form loses the attribute types.
func (r Record) MarshalJSON() ([]byte, error) {
	// SizeBytes comes from the wire: trust it for a capacity hint only when plausible
	// (items are at most 400 KB, so a record with both images at most about 800 KB).
	size := 256
	if r.SizeBytes > 0 && r.SizeBytes <= 1<<20 {
		size += int(r.SizeBytes) * 2
	}
	b := make([]byte, 0, size)
	b = append(b, `{"shard_id":`...)
	b = appendJSONString(b, r.ShardID)
	b = append(b, `,"sequence_number":`...)
	b = appendJSONString(b, string(r.SequenceNumber))
	b = append(b, `,"event_id":`...)
	b = appendJSONString(b, r.EventID)
	b = append(b, `,"event_name":`...)
	b = appendJSONString(b, string(r.Operation))
	if r.EventVersion != "" {
		b = append(b, `,"event_version":`...)
		b = appendJSONString(b, r.EventVersion)
	}
	b = append(b, `,"created_at":"`...)
	b = r.CreatedAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","size_bytes":`...)
	b = strconv.AppendInt(b, r.SizeBytes, 10)
	if r.StreamViewType != "" {
		b = append(b, `,"stream_view_type":`...)
		b = appendJSONString(b, r.StreamViewType)
	}
	b = append(b, `,"keys":`...)
	b = AppendPlainJSON(b, &types.AttributeValueMemberM{Value: r.Keys})
	if r.NewImage != nil {
		b = append(b, `,"new_image":`...)
		b = AppendPlainJSON(b, &types.AttributeValueMemberM{Value: r.NewImage})
	}
	if r.OldImage != nil {
		b = append(b, `,"old_image":`...)
		b = AppendPlainJSON(b, &types.AttributeValueMemberM{Value: r.OldImage})
	}
	if id := r.UserIdentity; id != nil {
		b = append(b, `,"user_identity":{"principal_id":`...)
		b = appendJSONString(b, id.PrincipalID)
		b = append(b, `,"type":`...)
		b = appendJSONString(b, id.Type)
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// AppendPlainJSON appends v to b as plain JSON and returns the extended slice: S as a
// string, N as a number with its exact digits, B as a base64 string, BOOL as a boolean,
// NULL as null, SS, NS, BS and L as arrays, M as an object with sorted keys. A nil value,
// and a member the SDK did not recognise, become null. The output is always valid JSON.
func AppendPlainJSON(b []byte, v types.AttributeValue) []byte {
	// Each case checks for a typed nil member, which no decoder makes but a caller can.
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		if v != nil {
			return appendJSONString(b, v.Value)
		}
	case *types.AttributeValueMemberN:
		if v != nil {
			return appendJSONNumber(b, v.Value)
		}
	case *types.AttributeValueMemberB:
		if v != nil {
			return appendJSONBinary(b, v.Value)
		}
	case *types.AttributeValueMemberBOOL:
		if v != nil {
			return strconv.AppendBool(b, v.Value)
		}
	case *types.AttributeValueMemberSS:
		if v != nil {
			return appendJSONArray(b, v.Value, appendJSONString)
		}
	case *types.AttributeValueMemberNS:
		if v != nil {
			return appendJSONArray(b, v.Value, appendJSONNumber)
		}
	case *types.AttributeValueMemberBS:
		if v != nil {
			return appendJSONArray(b, v.Value, appendJSONBinary)
		}
	case *types.AttributeValueMemberL:
		if v != nil {
			return appendJSONArray(b, v.Value, AppendPlainJSON)
		}
	case *types.AttributeValueMemberM:
		if v != nil {
			return appendJSONObject(b, v.Value)
		}
	}
	return append(b, "null"...) // NULL, nil, and members the SDK did not recognise
}

func appendJSONObject(b []byte, m map[string]types.AttributeValue) []byte {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = AppendPlainJSON(b, m[k])
	}
	return append(b, '}')
}

func appendJSONArray[T any](b []byte, vs []T, appendOne func([]byte, T) []byte) []byte {
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(b, v)
	}
	return append(b, ']')
}

// appendJSONString quotes s as encoding/json does (HTML-safe, invalid UTF-8 replaced).
func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

// appendJSONNumber writes n verbatim when it is a valid JSON number, so no digit is lost,
// and as a string otherwise (DynamoDB normalizes numbers, so that is for foreign input).
func appendJSONNumber(b []byte, n string) []byte {
	if isJSONNumber(n) {
		return append(b, n...)
	}
	return appendJSONString(b, n)
}

func appendJSONBinary(b []byte, p []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, p)
	return append(b, '"')
}

// isJSONNumber reports whether s matches the JSON number grammar (RFC 8259, section 6).
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}
