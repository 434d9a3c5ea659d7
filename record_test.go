package ddbstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testShardID = "shardId-00000001764115200000-0a1b2c3d"
	testSeq     = "400000000000000000000000001"
)

// testCreated is a record creation time as the SDK decodes it: whole epoch seconds, in
// the local zone (time.Unix).
var testCreated = time.Unix(1764151200, 0)

// ttlIdentity is the identity DynamoDB Streams puts on a TTL delete.
func ttlIdentity() *types.Identity {
	return &types.Identity{PrincipalId: aws.String("dynamodb.amazonaws.com"), Type: aws.String("Service")}
}

func orderKeys(n int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: fmt.Sprintf("customer#%04d", n%97)},
		"sk": &types.AttributeValueMemberS{Value: fmt.Sprintf("order#%08d", n)},
	}
}

func orderImage(n int, status string) map[string]types.AttributeValue {
	img := orderKeys(n)
	img["status"] = &types.AttributeValueMemberS{Value: status}
	img["total"] = &types.AttributeValueMemberN{Value: fmt.Sprintf("%d.%02d", 10+n%900, n%100)}
	img["paid"] = &types.AttributeValueMemberBOOL{Value: status != "NEW"}
	img["tags"] = &types.AttributeValueMemberSS{Value: []string{"web", "gift"}}
	return img
}

// sdkRecord is a MODIFY record of a NEW_AND_OLD_IMAGES stream, as GetRecords returns it.
func sdkRecord(n int) types.Record {
	return types.Record{
		AwsRegion:    aws.String("us-east-1"),
		EventID:      aws.String(fmt.Sprintf("c81e728d9d4c2f636f067f89cc1486%02x", n%256)),
		EventName:    types.OperationTypeModify,
		EventSource:  aws.String("aws:dynamodb"),
		EventVersion: aws.String("1.1"),
		Dynamodb: &types.StreamRecord{
			ApproximateCreationDateTime: aws.Time(testCreated.Add(time.Duration(n) * time.Second)),
			Keys:                        orderKeys(n),
			NewImage:                    orderImage(n, "SHIPPED"),
			OldImage:                    orderImage(n, "NEW"),
			SequenceNumber:              aws.String(fmt.Sprintf("4000000000000000000%08d", n)),
			SizeBytes:                   aws.Int64(212),
			StreamViewType:              types.StreamViewTypeNewAndOldImages,
		},
	}
}

func TestNewRecords(t *testing.T) {
	t.Parallel()
	keys := orderKeys(1)
	oldImg := orderImage(1, "NEW")
	newImg := orderImage(1, "SHIPPED")
	withNil := orderImage(1, "SHIPPED")
	withNil["ghost"] = nil // the SDK leaves nil for an attribute type it does not know

	tests := []struct {
		name string
		in   types.Record
		want Record
	}{
		{
			name: "every field",
			in: types.Record{
				AwsRegion:    aws.String("eu-west-1"),
				EventID:      aws.String("e1"),
				EventName:    types.OperationTypeModify,
				EventSource:  aws.String("aws:dynamodb"),
				EventVersion: aws.String("1.1"),
				Dynamodb: &types.StreamRecord{
					ApproximateCreationDateTime: aws.Time(testCreated),
					Keys:                        keys,
					NewImage:                    newImg,
					OldImage:                    oldImg,
					SequenceNumber:              aws.String(testSeq),
					SizeBytes:                   aws.Int64(212),
					StreamViewType:              types.StreamViewTypeNewAndOldImages,
				},
			},
			want: Record{
				ShardID: testShardID, SequenceNumber: testSeq, EventID: "e1", EventVersion: "1.1",
				EventSource: "aws:dynamodb", AWSRegion: "eu-west-1", Operation: Modify,
				CreatedAt: testCreated, SizeBytes: 212, StreamViewType: "NEW_AND_OLD_IMAGES",
				Keys: keys, OldImage: oldImg, NewImage: newImg,
			},
		},
		{
			name: "no stream record at all",
			in:   types.Record{EventID: aws.String("e2"), EventName: types.OperationTypeInsert},
			want: Record{ShardID: testShardID, EventID: "e2", Operation: Insert},
		},
		{
			name: "nothing set",
			in:   types.Record{},
			want: Record{ShardID: testShardID},
		},
		{
			name: "a keys-only stream has no images",
			in: types.Record{
				EventName: types.OperationTypeInsert,
				Dynamodb: &types.StreamRecord{
					Keys: keys, SequenceNumber: aws.String(testSeq), StreamViewType: types.StreamViewTypeKeysOnly,
				},
			},
			want: Record{ShardID: testShardID, SequenceNumber: testSeq, Operation: Insert,
				StreamViewType: "KEYS_ONLY", Keys: keys},
		},
		{
			name: "nil entries in an image are kept",
			in: types.Record{
				EventName: types.OperationTypeInsert,
				Dynamodb:  &types.StreamRecord{Keys: keys, NewImage: withNil, StreamViewType: types.StreamViewTypeNewImage},
			},
			want: Record{ShardID: testShardID, Operation: Insert, StreamViewType: "NEW_IMAGE",
				Keys: keys, NewImage: withNil},
		},
		{
			name: "a TTL delete carries the service identity",
			in: types.Record{
				EventName:    types.OperationTypeRemove,
				UserIdentity: ttlIdentity(),
				Dynamodb:     &types.StreamRecord{Keys: keys, OldImage: oldImg, StreamViewType: types.StreamViewTypeOldImage},
			},
			want: Record{ShardID: testShardID, Operation: Remove, StreamViewType: "OLD_IMAGE",
				Keys: keys, OldImage: oldImg,
				UserIdentity: &Identity{PrincipalID: "dynamodb.amazonaws.com", Type: "Service"}},
		},
		{
			name: "an identity with nil fields",
			in:   types.Record{EventName: types.OperationTypeRemove, UserIdentity: &types.Identity{}},
			want: Record{ShardID: testShardID, Operation: Remove, UserIdentity: &Identity{}},
		},
		{
			name: "an unknown operation name is kept",
			in:   types.Record{EventName: "UPSERT"},
			want: Record{ShardID: testShardID, Operation: "UPSERT"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := newRecords(testShardID, []types.Record{tt.in})
			require.Len(t, got, 1)
			require.Equal(t, tt.want, got[0])
		})
	}
}

func TestNewRecords_Page(t *testing.T) {
	t.Parallel()
	require.Nil(t, newRecords(testShardID, nil), "no page")
	require.Nil(t, newRecords(testShardID, []types.Record{}), "an empty page")

	page := []types.Record{sdkRecord(0), sdkRecord(1), sdkRecord(2)}
	got := newRecords(testShardID, page)
	require.Len(t, got, len(page))
	for i, r := range got {
		assert.Equal(t, testShardID, r.ShardID, "record %d", i)
		assert.Equal(t, SequenceNumber(*page[i].Dynamodb.SequenceNumber), r.SequenceNumber, "record %d", i)
		// The images are the page's maps, not copies.
		assert.Equal(t, reflect.ValueOf(page[i].Dynamodb.NewImage).Pointer(), reflect.ValueOf(r.NewImage).Pointer(), "record %d", i)
	}
	// The identity is a copy: changing the page afterwards does not reach the record.
	page[0].UserIdentity = ttlIdentity()
	got = newRecords(testShardID, page)
	*page[0].UserIdentity.Type = "User"
	require.Equal(t, "Service", got[0].UserIdentity.Type)
}

func TestOperation_String(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "INSERT", Insert.String())
	assert.Equal(t, "MODIFY", Modify.String())
	assert.Equal(t, "REMOVE", Remove.String())
	assert.Equal(t, "UPSERT", Operation("UPSERT").String())
	// The constants are the SDK's wire names.
	assert.Equal(t, string(types.OperationTypeInsert), string(Insert))
	assert.Equal(t, string(types.OperationTypeModify), string(Modify))
	assert.Equal(t, string(types.OperationTypeRemove), string(Remove))
}

func TestRecord_IsTTLDelete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rec  Record
		want bool
	}{
		{name: "a remove by the TTL service", want: true,
			rec: Record{Operation: Remove, UserIdentity: &Identity{PrincipalID: "dynamodb.amazonaws.com", Type: "Service"}}},
		{name: "a remove by a caller has no identity",
			rec: Record{Operation: Remove}},
		{name: "a remove by another principal",
			rec: Record{Operation: Remove, UserIdentity: &Identity{PrincipalID: "someone", Type: "Service"}}},
		{name: "a remove by a user type",
			rec: Record{Operation: Remove, UserIdentity: &Identity{PrincipalID: "dynamodb.amazonaws.com", Type: "User"}}},
		{name: "an insert with the service identity",
			rec: Record{Operation: Insert, UserIdentity: &Identity{PrincipalID: "dynamodb.amazonaws.com", Type: "Service"}}},
		{name: "the zero record", rec: Record{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.rec.IsTTLDelete())
		})
	}
	// Through the conversion, as the service sends it.
	in := sdkRecord(1)
	in.EventName, in.UserIdentity = types.OperationTypeRemove, ttlIdentity()
	require.True(t, newRecords(testShardID, []types.Record{in})[0].IsTTLDelete())
}

type orderKey struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`
}

type order struct {
	PK     string    `dynamodbav:"pk"`
	SK     string    `dynamodbav:"sk"`
	Status string    `dynamodbav:"status"`
	Total  string    `dynamodbav:"total"` // N into a string keeps every digit
	Paid   bool      `dynamodbav:"paid"`
	Tags   []string  `dynamodbav:"tags"`
	Blob   []byte    `dynamodbav:"blob,omitempty"`
	Expiry time.Time `dynamodbav:"expiry,unixtime,omitempty"`
}

func TestRecord_Unmarshal(t *testing.T) {
	t.Parallel()
	rec := newRecords(testShardID, []types.Record{sdkRecord(7)})[0]

	var k orderKey
	require.NoError(t, rec.UnmarshalKeys(&k))
	require.Equal(t, orderKey{PK: "customer#0007", SK: "order#00000007"}, k)

	var n, o order
	require.NoError(t, rec.UnmarshalNewImage(&n))
	require.NoError(t, rec.UnmarshalOldImage(&o))
	assert.Equal(t, order{PK: "customer#0007", SK: "order#00000007", Status: "SHIPPED", Total: "17.07", Paid: true, Tags: []string{"web", "gift"}}, n)
	assert.Equal(t, order{PK: "customer#0007", SK: "order#00000007", Status: "NEW", Total: "17.07", Tags: []string{"web", "gift"}}, o)

	// A map works as well, and the digits of a long number survive.
	rec.NewImage = map[string]types.AttributeValue{
		"total":  &types.AttributeValueMemberN{Value: "123456789012345678901234567890.5"},
		"blob":   &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}},
		"expiry": &types.AttributeValueMemberN{Value: "1764151200"},
		"ghost":  nil, // tolerated
	}
	var full order
	require.NoError(t, rec.UnmarshalNewImage(&full))
	assert.Equal(t, "123456789012345678901234567890.5", full.Total)
	assert.Equal(t, []byte{0, 1, 0xff}, full.Blob)
	assert.True(t, full.Expiry.Equal(testCreated), "expiry %v", full.Expiry)
}

func TestRecord_UnmarshalErrors(t *testing.T) {
	t.Parallel()
	keysOnly := Record{ShardID: testShardID, SequenceNumber: testSeq, Operation: Insert,
		StreamViewType: "KEYS_ONLY", Keys: orderKeys(1)}
	tests := []struct {
		name      string
		call      func(out any) error
		wantNoImg bool
		wantErr   string
	}{
		{name: "no new image", call: keysOnly.UnmarshalNewImage, wantNoImg: true,
			wantErr: "INSERT record " + testSeq + " in shard " + testShardID + " has no new image (stream view type KEYS_ONLY)"},
		{name: "no old image", call: keysOnly.UnmarshalOldImage, wantNoImg: true, wantErr: "has no old image"},
		{name: "no keys", call: Record{ShardID: testShardID}.UnmarshalKeys, wantNoImg: true, wantErr: "has no keys"},
		{name: "a string into a number", wantErr: "ddbstream: decode keys of record " + testSeq + " in shard " + testShardID + ":",
			call: func(out any) error {
				return keysOnly.UnmarshalKeys(&struct {
					PK int `dynamodbav:"pk"`
				}{})
			}},
		{name: "not a pointer", wantErr: "decode keys", call: func(any) error { return keysOnly.UnmarshalKeys(orderKey{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out order
			err := tt.call(&out)
			require.Error(t, err)
			if tt.wantNoImg {
				require.ErrorIs(t, err, ErrNoImage)
			} else {
				require.NotErrorIs(t, err, ErrNoImage)
			}
			require.ErrorContains(t, err, tt.wantErr)
			require.Equal(t, 1, strings.Count(err.Error(), "ddbstream:"), "one prefix: %v", err)
		})
	}
}

func TestAppendPlainJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   types.AttributeValue
		want string
	}{
		{name: "a string", in: &types.AttributeValueMemberS{Value: "héllo"}, want: `"héllo"`},
		{name: "a string that needs escaping", in: &types.AttributeValueMemberS{Value: "a\"b\\c\n\t<&>\u2028"}, want: `"a\"b\\c\n\t\u003c\u0026\u003e\u2028"`},
		{name: "invalid UTF-8 is replaced", in: &types.AttributeValueMemberS{Value: "a\xffb"}, want: `"a\ufffdb"`},
		{name: "an empty string", in: &types.AttributeValueMemberS{}, want: `""`},
		{name: "an integer", in: &types.AttributeValueMemberN{Value: "42"}, want: `42`},
		{name: "a number with many digits", in: &types.AttributeValueMemberN{Value: "123456789012345678901234567890.5"}, want: `123456789012345678901234567890.5`},
		{name: "a negative fraction", in: &types.AttributeValueMemberN{Value: "-0.001"}, want: `-0.001`},
		{name: "an exponent", in: &types.AttributeValueMemberN{Value: "1E+30"}, want: `1E+30`},
		{name: "a number JSON cannot write becomes a string", in: &types.AttributeValueMemberN{Value: "+1"}, want: `"+1"`},
		{name: "NaN becomes a string", in: &types.AttributeValueMemberN{Value: "NaN"}, want: `"NaN"`},
		{name: "an empty number becomes a string", in: &types.AttributeValueMemberN{}, want: `""`},
		{name: "binary as base64", in: &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 0xfb, 0xff}}, want: `"AAEC+/8="`},
		{name: "empty binary", in: &types.AttributeValueMemberB{}, want: `""`},
		{name: "true", in: &types.AttributeValueMemberBOOL{Value: true}, want: `true`},
		{name: "false", in: &types.AttributeValueMemberBOOL{}, want: `false`},
		{name: "NULL", in: &types.AttributeValueMemberNULL{Value: true}, want: `null`},
		{name: "a typed nil string", in: (*types.AttributeValueMemberS)(nil), want: `null`},
		{name: "a typed nil map", in: (*types.AttributeValueMemberM)(nil), want: `null`},
		{name: "a typed nil list", in: (*types.AttributeValueMemberL)(nil), want: `null`},
		{name: "a string set", in: &types.AttributeValueMemberSS{Value: []string{"b", "a"}}, want: `["b","a"]`},
		{name: "an empty string set", in: &types.AttributeValueMemberSS{}, want: `[]`},
		{name: "a number set", in: &types.AttributeValueMemberNS{Value: []string{"1", "2.5", "99999999999999999999999"}}, want: `[1,2.5,99999999999999999999999]`},
		{name: "a number set with a bad number", in: &types.AttributeValueMemberNS{Value: []string{"1", "0x10"}}, want: `[1,"0x10"]`},
		{name: "a binary set", in: &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}}, want: `["AQ==","AgM="]`},
		{name: "a list of mixed values", in: &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "1"}, nil,
			&types.AttributeValueMemberL{}, &types.AttributeValueMemberM{},
		}}, want: `["x",1,null,[],{}]`},
		{name: "a map with sorted keys", in: &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"b": &types.AttributeValueMemberN{Value: "2"}, "a": &types.AttributeValueMemberS{Value: "1"},
			"Z": &types.AttributeValueMemberBOOL{Value: true}, "é": &types.AttributeValueMemberNULL{Value: true},
		}}, want: `{"Z":true,"a":"1","b":2,"é":null}`},
		{name: "a nested map", in: &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"outer": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"y": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": nil}}}},
				"x": &types.AttributeValueMemberSS{Value: []string{"s"}},
			}},
		}}, want: `{"outer":{"x":["s"],"y":[{"k":null}]}}`},
		{name: "a map key that needs escaping", in: &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"a\"<b>": &types.AttributeValueMemberS{Value: "v"},
		}}, want: `{"a\"\u003cb\u003e":"v"}`},
		{name: "an empty map", in: &types.AttributeValueMemberM{}, want: `{}`},
		{name: "a nil member", in: nil, want: `null`},
		{name: "an unknown union member", in: &types.UnknownUnionMember{Tag: "ZZ", Value: []byte(`"v"`)}, want: `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := AppendPlainJSON(nil, tt.in)
			require.Equal(t, tt.want, string(got))
			require.True(t, json.Valid(got), "invalid JSON %s", got)
			// It appends.
			require.Equal(t, "prefix:"+tt.want, string(AppendPlainJSON([]byte("prefix:"), tt.in)))
		})
	}
}

// everyType is an image holding every attribute type, nested, with the values plain JSON
// finds hard.
func everyType() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"s":     &types.AttributeValueMemberS{Value: "Zoë says \"hi\" <b>\n"},
		"n":     &types.AttributeValueMemberN{Value: "123456789012345678901234567890.5"},
		"n_neg": &types.AttributeValueMemberN{Value: "-1E-130"},
		"b":     &types.AttributeValueMemberB{Value: []byte("\x00binary\xff")},
		"bool":  &types.AttributeValueMemberBOOL{Value: true},
		"null":  &types.AttributeValueMemberNULL{Value: true},
		"ss":    &types.AttributeValueMemberSS{Value: []string{"red", "green"}},
		"ns":    &types.AttributeValueMemberNS{Value: []string{"1", "99999999999999999999999999999999999999"}},
		"bs":    &types.AttributeValueMemberBS{Value: [][]byte{[]byte("a"), {0xff, 0xfe}}},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "first"},
			&types.AttributeValueMemberN{Value: "2"},
			nil,
			&types.UnknownUnionMember{Tag: "XX"},
		}},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"zeta":  &types.AttributeValueMemberN{Value: "0"},
			"alpha": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"deep": &types.AttributeValueMemberBOOL{}}},
			"Mid":   &types.AttributeValueMemberL{},
		}},
		"nil":     nil,
		"unknown": &types.UnknownUnionMember{Tag: "ZZ", Value: []byte(`"v"`)},
	}
}

func TestRecord_MarshalJSON(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	records := []Record{
		{ // every field and every attribute type
			ShardID: testShardID, SequenceNumber: testSeq, EventID: "c81e728d9d4c2f636f067f89cc14862c",
			EventVersion: "1.1", EventSource: "aws:dynamodb", AWSRegion: "us-east-1", Operation: Modify,
			CreatedAt: created.In(time.FixedZone("CET", 3600)), SizeBytes: 321, StreamViewType: "NEW_AND_OLD_IMAGES",
			Keys:     orderKeys(1),
			NewImage: everyType(),
			OldImage: orderImage(1, "NEW"),
		},
		{ // keys only: no images, no version
			ShardID: testShardID, SequenceNumber: "400000000000000000000000002", EventID: "e2",
			Operation: Insert, CreatedAt: created, SizeBytes: 40, StreamViewType: "KEYS_ONLY", Keys: orderKeys(2),
		},
		{ // a TTL delete, with an empty old image
			ShardID: testShardID, SequenceNumber: "400000000000000000000000003", EventID: "e3", EventVersion: "1.1",
			Operation: Remove, CreatedAt: created, SizeBytes: 40, StreamViewType: "OLD_IMAGE",
			Keys: orderKeys(3), OldImage: map[string]types.AttributeValue{},
			UserIdentity: &Identity{PrincipalID: "dynamodb.amazonaws.com", Type: "Service"},
		},
		{ // an unknown operation and strings that need escaping
			ShardID: "shard\"<x>", SequenceNumber: "1", EventID: "\u2028", Operation: "UPSERT",
		},
		{ // control characters and invalid UTF-8 from a broken endpoint
			ShardID: "shard\x01", SequenceNumber: "\x00", EventID: "\a\v", Operation: "\xff",
			StreamViewType: "\x1f", UserIdentity: &Identity{PrincipalID: "\xfe", Type: "\t"},
		},
		{}, // the zero record
		// Sizes from a broken endpoint must neither panic nor allocate what they say.
		{SizeBytes: -1},
		{SizeBytes: 1 << 62},
	}
	var all bytes.Buffer
	for i, r := range records {
		got, err := r.MarshalJSON()
		require.NoError(t, err, "record %d", i)
		require.True(t, json.Valid(got), "record %d: invalid JSON %s", i, got)

		// encoding/json accepts it and gives the same bytes.
		viaJSON, err := json.Marshal(r)
		require.NoError(t, err, "record %d", i)
		require.Equal(t, string(got), string(viaJSON), "record %d", i)

		all.Write(got)
		all.WriteByte('\n')
	}
	golden(t, "record", all.Bytes())

	// The many-digit number arrives whole for a reader that asks for it.
	dec := json.NewDecoder(bytes.NewReader(all.Bytes()))
	dec.UseNumber()
	var first struct {
		CreatedAt string `json:"created_at"`
		NewImage  struct {
			N json.Number `json:"n"`
		} `json:"new_image"`
	}
	require.NoError(t, dec.Decode(&first))
	require.Equal(t, json.Number("123456789012345678901234567890.5"), first.NewImage.N)
	require.Equal(t, "2026-11-26T10:00:00Z", first.CreatedAt, "times are written in UTC")
}

func TestIsJSONNumber(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want bool
	}{
		{"0", true}, {"-0", true}, {"7", true}, {"10", true}, {"-12", true},
		{"1.5", true}, {"0.5", true}, {"-0.0", true}, {"1e5", true}, {"1E5", true},
		{"1e+5", true}, {"1E-5", true}, {"-1.25e-10", true}, {"0e0", true},
		{"123456789012345678901234567890.5", true},
		{"", false}, {"-", false}, {"+1", false}, {"01", false}, {"-01", false}, {"00", false},
		{"1.", false}, {".5", false}, {"-.5", false}, {"1e", false}, {"1e+", false}, {"1E-", false},
		{"1.e5", false}, {"1e5.5", false}, {"0x10", false}, {"NaN", false}, {"Infinity", false},
		{"-Infinity", false}, {" 1", false}, {"1 ", false}, {"1_000", false}, {"1,5", false},
		{"١", false}, {"--1", false}, {"1-", false}, {"\x001", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.in), func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, isJSONNumber(tt.in))
		})
	}
}

// FuzzPlainJSONNumber checks how an N value is written. For any string n:
//   - appendJSONNumber never panics and writes valid JSON;
//   - when isJSONNumber(n), it writes n unchanged, so no digit is lost;
//   - otherwise it writes a JSON string that decodes to n (for valid UTF-8);
//   - isJSONNumber(n) agrees with encoding/json: it holds exactly when n is valid JSON
//     that starts with '-' or a digit and ends with a digit (a number, no whitespace).
func FuzzPlainJSONNumber(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "42", "123456789012345678901234567890.5", "-1.25e-10", "1E+30",
		"1.", "1e", "-", "", "01", "+1", "NaN", "0x10", " 1", "1 ", "\"1\"", "1\x00", "\xff",
		"99999999999999999999999999999999999999", "-12345678901234567890123456789012345678.9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, n string) {
		got := appendJSONNumber(nil, n)
		require.True(t, json.Valid(got), "%q gave invalid JSON %s", n, got)
		isNum := isJSONNumber(n)
		wantNum := json.Valid([]byte(n)) && n != "" &&
			(n[0] == '-' || '0' <= n[0] && n[0] <= '9') && '0' <= n[len(n)-1] && n[len(n)-1] <= '9'
		require.Equal(t, wantNum, isNum, "isJSONNumber(%q)", n)
		if isNum {
			require.Equal(t, n, string(got))
			return
		}
		var s string
		require.NoError(t, json.Unmarshal(got, &s), "%q was written as %s, not a string", n, got)
		if strings.ToValidUTF8(n, "\uFFFD") == n {
			require.Equal(t, n, s)
		}
	})
}

// benchPage is a realistic GetRecords page: MODIFY records of a NEW_AND_OLD_IMAGES
// stream with keys and six-attribute images, one in ten a TTL delete with an identity.
func benchPage(n int) (page []types.Record, identities int) {
	page = make([]types.Record, n)
	for i := range page {
		page[i] = sdkRecord(i)
		if i%10 == 9 {
			page[i].EventName = types.OperationTypeRemove
			page[i].Dynamodb.NewImage = nil
			page[i].Dynamodb.StreamViewType = types.StreamViewTypeNewAndOldImages
			page[i].UserIdentity = ttlIdentity()
			identities++
		}
	}
	return page, identities
}

var recordsSink []Record

// TestNewRecords_Allocations holds newRecords to its budget: one slice per page and one
// Identity per record that carries one, well inside the design goal of at most 2
// allocations per record beyond the SDK's own. It is not parallel, so nothing else
// allocates while it counts.
func TestNewRecords_Allocations(t *testing.T) {
	page, identities := benchPage(1000)
	allocs := testing.AllocsPerRun(20, func() { recordsSink = newRecords(testShardID, page) })
	perRecord := allocs / float64(len(page))
	require.LessOrEqual(t, perRecord, 2.0, "design goal: at most 2 allocations per record (got %.3f)", perRecord)
	require.LessOrEqual(t, allocs, float64(1+identities),
		"newRecords allocates the page's slice and an Identity per record that has one (%d here), got %v", identities, allocs)
}

// BenchmarkNewRecords converts a page of 1000 realistic records (see benchPage) and
// reports the cost per record:
//
//	go test -run XXX -bench BenchmarkNewRecords -benchtime 2s .
func BenchmarkNewRecords(b *testing.B) {
	page, _ := benchPage(1000)
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		recordsSink = newRecords(testShardID, page)
	}
	runtime.ReadMemStats(&after)
	records := float64(b.N) * float64(len(page))
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/records, "ns/record")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/records, "allocs/record")
}
