package streamtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream/streamtest"
)

func TestStream_Listing(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "DescribeStream describes the stream", opts: []streamtest.Option{streamtest.TableName("Orders")}, run: func(t *testing.T, e *env) {
			d, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			assert.Equal(t, e.s.ARN(), aws.ToString(d.StreamArn))
			assert.Equal(t, "Orders", aws.ToString(d.TableName))
			assert.Equal(t, types.StreamStatusEnabled, d.StreamStatus)
			assert.Equal(t, types.StreamViewTypeNewAndOldImages, d.StreamViewType)
			assert.Regexp(t, `^arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$`, e.s.ARN())
			label := aws.ToString(d.StreamLabel)
			assert.True(t, strings.HasSuffix(e.s.ARN(), "/stream/"+label))
			created, err := time.Parse("2006-01-02T15:04:05.000", label)
			require.NoError(t, err)
			assert.WithinDuration(t, created, aws.ToTime(d.CreationRequestDateTime), time.Millisecond)
			assert.Equal(t, []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}}, d.KeySchema)
			assert.Nil(t, d.LastEvaluatedShardId)
			require.Len(t, d.Shards, 1)
			assert.NotNil(t, d.Shards[0].SequenceNumberRange.StartingSequenceNumber)
		}},
		{name: "DescribeStream pages in lexical order", opts: []streamtest.Option{streamtest.Shards(5)}, run: func(t *testing.T, e *env) {
			all := e.s.ShardIDs()
			var got []string
			var start *string
			pages := 0
			for {
				d, err := e.describe(t, &describeIn{Limit: aws.Int32(2), ExclusiveStartShardId: start})
				require.NoError(t, err)
				pages++
				for _, sh := range d.Shards {
					got = append(got, aws.ToString(sh.ShardId))
				}
				if d.LastEvaluatedShardId == nil {
					break
				}
				assert.Len(t, d.Shards, 2)
				assert.Equal(t, got[len(got)-1], aws.ToString(d.LastEvaluatedShardId))
				start = d.LastEvaluatedShardId
			}
			assert.Equal(t, all, got)
			assert.Equal(t, 3, pages)

			d, err := e.describe(t, &describeIn{ExclusiveStartShardId: aws.String(all[4])})
			require.NoError(t, err)
			assert.Empty(t, d.Shards, "after the last shard")
			assert.Nil(t, d.LastEvaluatedShardId)
			d, err = e.describe(t, &describeIn{ExclusiveStartShardId: aws.String("shardId-00000000000000000000-00000000")})
			require.NoError(t, err)
			assert.Empty(t, d.Shards, "after an unknown shard")
			d, err = e.describe(t, &describeIn{Limit: aws.Int32(5)})
			require.NoError(t, err)
			assert.Len(t, d.Shards, 5)
			assert.Nil(t, d.LastEvaluatedShardId, "exactly Limit shards: nothing more")

			for _, limit := range []int32{0, -1, 101} {
				_, err := e.describe(t, &describeIn{Limit: aws.Int32(limit)})
				requireValidation(t, err)
			}
		}},
		{name: "the CHILD_SHARDS filter lists a shard's children", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			kids := e.s.Split(root, 2)
			children := func(parent string) ([]string, error) {
				d, err := e.describe(t, &describeIn{ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeChildShards, ShardId: &parent}})
				if err != nil {
					return nil, err
				}
				var out []string
				for _, sh := range d.Shards {
					out = append(out, aws.ToString(sh.ShardId))
				}
				return out, nil
			}
			got, err := children(root)
			require.NoError(t, err)
			assert.Equal(t, kids, got)
			got, err = children(kids[0])
			require.NoError(t, err)
			assert.Empty(t, got, "no children yet")
			grand := e.s.Split(kids[0], 1)
			got, err = children(kids[0])
			require.NoError(t, err)
			assert.Equal(t, grand, got)

			_, err = e.describe(t, &describeIn{ShardFilter: &types.ShardFilter{Type: "PARENT_SHARDS", ShardId: &root}})
			requireValidation(t, err)
			_, err = e.describe(t, &describeIn{ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeChildShards}})
			requireValidation(t, err)
		}},
		{name: "an endpoint without ShardFilter refuses it", opts: []streamtest.Option{streamtest.NoShardFilter()}, run: func(t *testing.T, e *env) {
			_, err := e.describe(t, &describeIn{ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeChildShards, ShardId: aws.String(e.s.ShardIDs()[0])}})
			requireValidation(t, err)
		}},
		{name: "ListStreams lists the service's streams", opts: []streamtest.Option{streamtest.TableName("Orders")}, run: func(t *testing.T, e *env) {
			other := e.s.AddStream(streamtest.TableName("Users"))
			e.wait(time.Hour)
			again := e.s.AddStream(streamtest.TableName("Users")) // re-enabled: a second stream
			other.Disable()
			list := func(in *dynamodbstreams.ListStreamsInput) []string {
				t.Helper()
				out, err := e.c.ListStreams(t.Context(), in)
				require.NoError(t, err)
				var arns []string
				for _, st := range out.Streams {
					arns = append(arns, aws.ToString(st.StreamArn))
					assert.True(t, strings.HasSuffix(aws.ToString(st.StreamArn), "/stream/"+aws.ToString(st.StreamLabel)))
					assert.Contains(t, aws.ToString(st.StreamArn), ":table/"+aws.ToString(st.TableName)+"/")
				}
				return arns
			}
			assert.Equal(t, []string{e.s.ARN(), other.ARN(), again.ARN()}, list(nil))
			assert.Equal(t, []string{other.ARN(), again.ARN()}, list(&dynamodbstreams.ListStreamsInput{TableName: aws.String("Users")}))
			assert.Empty(t, list(&dynamodbstreams.ListStreamsInput{TableName: aws.String("Nobody")}))

			out, err := e.c.ListStreams(t.Context(), &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(2)})
			require.NoError(t, err)
			require.Len(t, out.Streams, 2)
			assert.Equal(t, other.ARN(), aws.ToString(out.LastEvaluatedStreamArn))
			assert.Equal(t, []string{again.ARN()}, list(&dynamodbstreams.ListStreamsInput{ExclusiveStartStreamArn: out.LastEvaluatedStreamArn}))
			assert.Empty(t, list(&dynamodbstreams.ListStreamsInput{ExclusiveStartStreamArn: aws.String(strings.Replace(e.s.ARN(), "Orders", "Nobody", 1))}))

			_, err = e.c.ListStreams(t.Context(), &dynamodbstreams.ListStreamsInput{Limit: aws.Int32(101)})
			requireValidation(t, err)
			_, err = e.c.ListStreams(t.Context(), &dynamodbstreams.ListStreamsInput{TableName: aws.String("x")})
			requireValidation(t, err)
			_, err = e.c.ListStreams(t.Context(), &dynamodbstreams.ListStreamsInput{ExclusiveStartStreamArn: aws.String("not an arn at all, but long enough to pass")})
			requireValidation(t, err)
		}},
	})
}

func TestStream_GetRecordsLimits(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "Limit must be 1 to 1000", run: func(t *testing.T, e *env) {
			for i := range 3 {
				e.s.Put(item("a", i))
			}
			it := e.iterator(t, e.s.ShardIDs()[0], types.ShardIteratorTypeTrimHorizon, "")
			for _, limit := range []int32{0, -5, 1001} {
				_, err := e.c.GetRecords(t.Context(), &dynamodbstreams.GetRecordsInput{ShardIterator: &it, Limit: aws.Int32(limit)})
				requireValidation(t, err)
			}
			p, err := e.page(t, it, 1)
			require.NoError(t, err)
			assert.Len(t, p.Records, 1)
			p, err = e.page(t, *p.NextShardIterator, 1000)
			require.NoError(t, err)
			assert.Len(t, p.Records, 2)
		}},
		{name: "a page holds at most 1000 records", run: func(t *testing.T, e *env) {
			for i := range 1001 {
				e.s.Put(item("a", i))
			}
			p, err := e.page(t, e.iterator(t, e.s.ShardIDs()[0], types.ShardIteratorTypeTrimHorizon, ""), 0)
			require.NoError(t, err)
			assert.Len(t, p.Records, 1000)
		}},
		{name: "a page holds at most 1 MB, but at least one record", opts: []streamtest.Option{streamtest.StreamViewType(types.StreamViewTypeNewImage)},
			run: func(t *testing.T, e *env) {
				big := func(pk string, size int) map[string]types.AttributeValue {
					return map[string]types.AttributeValue{"pk": str(pk), "blob": str(strings.Repeat("x", size))}
				}
				for i := range 5 {
					e.s.Put(big(string(rune('a'+i)), 300_000))
				}
				e.s.Put(big("huge", 1_500_000))
				e.s.Put(big("z", 10))
				var sizes []int
				it := e.iterator(t, e.s.ShardIDs()[0], types.ShardIteratorTypeTrimHorizon, "")
				for {
					p, err := e.page(t, it, 0)
					require.NoError(t, err)
					if len(p.Records) == 0 {
						break
					}
					var total int64
					for _, r := range p.Records {
						total += aws.ToInt64(r.Dynamodb.SizeBytes)
					}
					if len(p.Records) > 1 {
						assert.LessOrEqual(t, total, int64(1<<20))
					}
					sizes = append(sizes, len(p.Records))
					it = *p.NextShardIterator
				}
				assert.Equal(t, []int{3, 2, 1, 1}, sizes)
			}},
	})
}
