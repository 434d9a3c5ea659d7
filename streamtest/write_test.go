package streamtest_test

import (
	"math/big"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

func TestStream_Writing(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "put inserts then modifies and delete removes", run: func(t *testing.T, e *env) {
			s1 := e.s.Put(item("a", 1))
			s2 := e.s.Put(item("a", 2))
			s3, ok := e.s.Delete(key("a"))
			require.True(t, ok)

			recs, closed := e.drain(t, e.s.ShardIDs()[0])
			require.False(t, closed)
			require.Len(t, recs, 3)
			assert.Equal(t, []types.OperationType{"INSERT", "MODIFY", "REMOVE"},
				[]types.OperationType{recs[0].EventName, recs[1].EventName, recs[2].EventName})
			assert.Equal(t, []ddbstream.SequenceNumber{s1, s2, s3}, []ddbstream.SequenceNumber{seqOf(recs[0]), seqOf(recs[1]), seqOf(recs[2])})
			eventIDs := map[string]bool{}
			for _, r := range recs {
				assert.Equal(t, "aws:dynamodb", aws.ToString(r.EventSource))
				assert.Equal(t, "1.1", aws.ToString(r.EventVersion))
				assert.Equal(t, "us-east-1", aws.ToString(r.AwsRegion))
				assert.Regexp(t, `^[0-9a-f]{32}$`, aws.ToString(r.EventID))
				eventIDs[aws.ToString(r.EventID)] = true
				assert.Equal(t, types.StreamViewTypeNewAndOldImages, r.Dynamodb.StreamViewType)
				assert.Equal(t, key("a"), r.Dynamodb.Keys)
				assert.Positive(t, aws.ToInt64(r.Dynamodb.SizeBytes))
				assert.Nil(t, r.UserIdentity)
			}
			assert.Len(t, eventIDs, 3, "event IDs are unique")
			assert.Equal(t, item("a", 1), recs[0].Dynamodb.NewImage)
			assert.Nil(t, recs[0].Dynamodb.OldImage)
			assert.Equal(t, item("a", 2), recs[1].Dynamodb.NewImage)
			assert.Equal(t, item("a", 1), recs[1].Dynamodb.OldImage)
			assert.Nil(t, recs[2].Dynamodb.NewImage)
			assert.Equal(t, item("a", 2), recs[2].Dynamodb.OldImage)
		}},
		{name: "a no-op put and a delete of a missing item make no record", run: func(t *testing.T, e *env) {
			require.NotEmpty(t, e.s.Put(item("a", 1)))
			assert.Empty(t, e.s.Put(item("a", 1)), "an identical put")
			set := func(vs ...string) map[string]types.AttributeValue {
				return map[string]types.AttributeValue{"pk": str("b"), "ss": &types.AttributeValueMemberSS{Value: vs}}
			}
			require.NotEmpty(t, e.s.Put(set("x", "y")))
			assert.Empty(t, e.s.Put(set("y", "x")), "sets compare in any order")
			seq, ok := e.s.Delete(key("nobody"))
			assert.False(t, ok)
			assert.Empty(t, seq)
			recs, _ := e.drain(t, e.s.ShardIDs()[0])
			assert.Equal(t, []string{"a", "b"}, ids(recs))
		}},
		{name: "a TTL delete carries the service's identity", run: func(t *testing.T, e *env) {
			e.s.Put(item("a", 1))
			_, ok := e.s.ExpireTTL(item("a", 1)) // a whole item is fine: only keys are read
			require.True(t, ok)
			_, ok = e.s.ExpireTTL(key("a"))
			require.False(t, ok)
			recs, _ := e.drain(t, e.s.ShardIDs()[0])
			require.Len(t, recs, 2)
			require.NotNil(t, recs[1].UserIdentity)
			assert.Equal(t, types.OperationTypeRemove, recs[1].EventName)
			assert.Equal(t, "Service", aws.ToString(recs[1].UserIdentity.Type))
			assert.Equal(t, "dynamodb.amazonaws.com", aws.ToString(recs[1].UserIdentity.PrincipalId))
		}},
		{name: "every attribute type survives the trip", run: func(t *testing.T, e *env) {
			it := map[string]types.AttributeValue{
				"pk":   str("a \"quoted\" \\ key\n\u00e9\u2028"),
				"n":    &types.AttributeValueMemberN{Value: "-12345678901234567890.5"},
				"b":    &types.AttributeValueMemberB{Value: []byte{0, 1, 0xff}},
				"t":    &types.AttributeValueMemberBOOL{Value: true},
				"null": &types.AttributeValueMemberNULL{Value: true},
				"ss":   &types.AttributeValueMemberSS{Value: []string{"x", "y"}},
				"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
				"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
				"l":    &types.AttributeValueMemberL{Value: []types.AttributeValue{str("x"), num(1), &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}}},
				"m":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"inner": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}}},
			}
			e.s.Put(it)
			recs, _ := e.drain(t, e.s.ShardIDs()[0])
			require.Len(t, recs, 1)
			assert.Equal(t, it, recs[0].Dynamodb.NewImage)
		}},
		{name: "a range key is part of the key", opts: []streamtest.Option{streamtest.KeySchema("pk", "sk")}, run: func(t *testing.T, e *env) {
			e.s.Put(map[string]types.AttributeValue{"pk": str("a"), "sk": num(1), "v": num(1)})
			e.s.Put(map[string]types.AttributeValue{"pk": str("a"), "sk": num(2), "v": num(1)})
			e.s.Put(map[string]types.AttributeValue{"pk": str("a"), "sk": num(1), "v": num(2)})
			recs, _ := e.drain(t, e.s.ShardIDs()[0])
			require.Len(t, recs, 3)
			assert.Equal(t, []types.OperationType{"INSERT", "INSERT", "MODIFY"},
				[]types.OperationType{recs[0].EventName, recs[1].EventName, recs[2].EventName})
			assert.Equal(t, map[string]types.AttributeValue{"pk": str("a"), "sk": num(1)}, recs[2].Dynamodb.Keys)
			d, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			require.Len(t, d.KeySchema, 2)
			assert.Equal(t, "pk", aws.ToString(d.KeySchema[0].AttributeName))
			assert.Equal(t, types.KeyTypeHash, d.KeySchema[0].KeyType)
			assert.Equal(t, "sk", aws.ToString(d.KeySchema[1].AttributeName))
			assert.Equal(t, types.KeyTypeRange, d.KeySchema[1].KeyType)
		}},
		{name: "creation times are the clock rounded down to the second", run: func(t *testing.T, e *env) {
			e.wait(1500 * time.Millisecond)
			e.s.Put(item("a", 1))
			now := e.s.Now()
			recs, _ := e.drain(t, e.s.ShardIDs()[0])
			at := aws.ToTime(recs[0].Dynamodb.ApproximateCreationDateTime)
			assert.Equal(t, at, at.Truncate(time.Second), "whole seconds")
			assert.False(t, at.After(now))
			assert.Less(t, now.Sub(at), time.Second+100*time.Millisecond)
		}},
		{name: "sequence numbers are long, increasing across shards and not contiguous", opts: []streamtest.Option{streamtest.Shards(4)},
			run: func(t *testing.T, e *env) {
				var written []ddbstream.SequenceNumber
				for i := range 40 {
					written = append(written, e.s.Put(item(string(rune('a'+i%26))+string(rune('A'+i/26)), i)))
				}
				var read []ddbstream.SequenceNumber
				for _, recs := range e.drainAll(t) {
					for _, r := range recs {
						read = append(read, seqOf(r))
					}
				}
				slices.SortFunc(read, ddbstream.SequenceNumber.Compare)
				require.Equal(t, written, read, "read back every number, in write order")
				for i, sq := range written {
					require.NoError(t, sq.Validate())
					require.GreaterOrEqual(t, len(sq), 21)
					if i > 0 {
						gap := new(big.Int).Sub(bigOf(sq), bigOf(written[i-1]))
						require.GreaterOrEqual(t, gap.Int64(), int64(2), "gap between %s and %s", written[i-1], sq)
					}
				}
			}},
		{name: "sequence numbers compare as numbers across a digit boundary",
			opts: []streamtest.Option{streamtest.SequenceStart("999999999999999999960")},
			run: func(t *testing.T, e *env) {
				for i := range 25 {
					e.s.Put(item("a", i))
				}
				recs, _ := e.drain(t, e.s.ShardIDs()[0])
				require.Len(t, recs, 25)
				assert.Len(t, string(seqOf(recs[0])), 21)
				assert.Len(t, string(seqOf(recs[24])), 22)
				assert.Less(t, string(seqOf(recs[24])), string(seqOf(recs[0])), "as strings the order is wrong")
				for i := 1; i < len(recs); i++ {
					require.Equal(t, -1, seqOf(recs[i-1]).Compare(seqOf(recs[i])))
				}
				// An AFTER_SEQUENCE_NUMBER across the boundary still works.
				it := e.iterator(t, e.s.ShardIDs()[0], types.ShardIteratorTypeAfterSequenceNumber, seqOf(recs[0]))
				rest, _ := e.readOn(t, it)
				assert.Len(t, rest, 24)
			}},
		{name: "shard IDs look real and sort in creation order", opts: []streamtest.Option{streamtest.Shards(3)}, run: func(t *testing.T, e *env) {
			first := e.s.ShardIDs()
			require.Len(t, first, 3)
			children := e.s.Split(first[1], 2)
			all := e.s.ShardIDs()
			require.Len(t, all, 5)
			assert.True(t, slices.IsSorted(all))
			assert.Equal(t, append(slices.Clone(first), children...), all, "children sort after their elders")
			re := regexp.MustCompile(`^shardId-\d{20}-[0-9a-f]{8}$`)
			for _, id := range all {
				assert.Regexp(t, re, id)
			}
			d, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			var listed []string
			for _, sh := range d.Shards {
				listed = append(listed, aws.ToString(sh.ShardId))
			}
			assert.Equal(t, all, listed)
		}},
		{name: "Region names the region in ARNs and records", opts: []streamtest.Option{streamtest.Region("eu-west-1")}, run: func(t *testing.T, e *env) {
			assert.Contains(t, e.s.ARN(), "arn:aws:dynamodb:eu-west-1:123456789012:table/")
			e.s.Put(item("a", 1))
			recs, _ := e.drain(t, e.s.ShardIDs()[0])
			assert.Equal(t, "eu-west-1", aws.ToString(recs[0].AwsRegion))
		}},
		{name: "streams of one service have their own ARNs, shards and sequence numbers", run: func(t *testing.T, e *env) {
			other := e.s.AddStream(streamtest.TableName("Other"))
			assert.NotEqual(t, e.s.ARN(), other.ARN())
			assert.Equal(t, "Table1", e.s.TableName())
			assert.Equal(t, "Other", other.TableName())
			assert.NotEqual(t, e.s.ShardIDs(), other.ShardIDs())
			a := e.s.Put(item("a", 1))
			b := other.Put(item("a", 1))
			assert.NotEqual(t, a, b)

			// The api answers for both streams, routing by ARN and iterator.
			d, err := e.describe(t, &describeIn{StreamArn: aws.String(other.ARN())})
			require.NoError(t, err)
			assert.Equal(t, "Other", aws.ToString(d.TableName))
			it, err := e.getIterator(t, &iteratorIn{StreamArn: aws.String(other.ARN()), ShardId: aws.String(other.ShardIDs()[0]),
				ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			require.NoError(t, err)
			recs, _ := e.readOn(t, it)
			require.Len(t, recs, 1)
			assert.Equal(t, b, seqOf(recs[0]))
			// A shard of one stream is unknown in the other.
			_, err = e.getIterator(t, &iteratorIn{ShardId: aws.String(other.ShardIDs()[0]), ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			requireCode(t, err, "ResourceNotFoundException", 400)
		}},
	})
}

// TestStream_ViewTypes checks which images each stream view type carries (reference §4).
func TestStream_ViewTypes(t *testing.T) {
	const (
		keys = 0
		newI = 1
		oldI = 2
	)
	cases := []struct {
		view types.StreamViewType
		want [3][3]bool // for INSERT, MODIFY, REMOVE: keys, new image, old image
	}{
		{types.StreamViewTypeKeysOnly, [3][3]bool{{true, false, false}, {true, false, false}, {true, false, false}}},
		{types.StreamViewTypeNewImage, [3][3]bool{{true, true, false}, {true, true, false}, {true, false, false}}},
		{types.StreamViewTypeOldImage, [3][3]bool{{true, false, false}, {true, false, true}, {true, false, true}}},
		{types.StreamViewTypeNewAndOldImages, [3][3]bool{{true, true, false}, {true, true, true}, {true, false, true}}},
	}
	var scs []scenario
	for _, c := range cases {
		scs = append(scs, scenario{name: string(c.view), opts: []streamtest.Option{streamtest.StreamViewType(c.view)}, run: func(t *testing.T, e *env) {
			e.s.Put(item("a", 1))
			e.s.Put(item("a", 2))
			e.s.Delete(key("a"))
			recs, _ := e.drain(t, e.s.ShardIDs()[0])
			require.Len(t, recs, 3)
			for i, r := range recs {
				d := r.Dynamodb
				assert.Equal(t, c.view, d.StreamViewType)
				assert.Equal(t, c.want[i][keys], d.Keys != nil, "%s keys", r.EventName)
				assert.Equal(t, c.want[i][newI], d.NewImage != nil, "%s new image", r.EventName)
				assert.Equal(t, c.want[i][oldI], d.OldImage != nil, "%s old image", r.EventName)
			}
			d, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			assert.Equal(t, c.view, d.StreamViewType)
		}})
	}
	runScenarios(t, scs)
}

func bigOf(sq ddbstream.SequenceNumber) *big.Int {
	n, _ := new(big.Int).SetString(string(sq), 10)
	return n
}
