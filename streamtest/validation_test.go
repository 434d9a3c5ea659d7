package streamtest_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream/streamtest"
)

func TestStream_Validation(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "GetShardIterator answers bad parameters with ValidationException", run: func(t *testing.T, e *env) {
			e.s.Put(item("a", 1))
			root := e.s.ShardIDs()[0]
			seq := aws.String("100000000000000000000000")
			now := e.s.Now()
			cases := []struct {
				name string
				in   iteratorIn
			}{
				{"a short ARN", iteratorIn{StreamArn: aws.String("arn:aws:s3:::bucket"), ShardId: &root, ShardIteratorType: "LATEST"}},
				{"an ARN of another service", iteratorIn{StreamArn: aws.String(strings.Replace(e.s.ARN(), ":dynamodb:", ":kinesis:", 1)), ShardId: &root, ShardIteratorType: "LATEST"}},
				{"a table ARN", iteratorIn{StreamArn: aws.String(strings.Split(e.s.ARN(), "/stream/")[0] + "/index/x-and-more"), ShardId: &root, ShardIteratorType: "LATEST"}},
				{"a short shard ID", iteratorIn{ShardId: aws.String("shardId-1"), ShardIteratorType: "LATEST"}},
				{"a long shard ID", iteratorIn{ShardId: aws.String(strings.Repeat("s", 66)), ShardIteratorType: "LATEST"}},
				{"an unknown iterator type", iteratorIn{ShardId: &root, ShardIteratorType: "OLDEST"}},
				{"AT_SEQUENCE_NUMBER without a number", iteratorIn{ShardId: &root, ShardIteratorType: "AT_SEQUENCE_NUMBER"}},
				{"AFTER_SEQUENCE_NUMBER without a number", iteratorIn{ShardId: &root, ShardIteratorType: "AFTER_SEQUENCE_NUMBER"}},
				{"TRIM_HORIZON with a number", iteratorIn{ShardId: &root, ShardIteratorType: "TRIM_HORIZON", SequenceNumber: seq}},
				{"LATEST with a number", iteratorIn{ShardId: &root, ShardIteratorType: "LATEST", SequenceNumber: seq}},
				{"a number that is not one", iteratorIn{ShardId: &root, ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: aws.String("12345678901234567890x")}},
				{"a number too short", iteratorIn{ShardId: &root, ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: aws.String("12345")}},
				{"a number before the shard", iteratorIn{ShardId: &root, ShardIteratorType: "AT_SEQUENCE_NUMBER", SequenceNumber: aws.String("100000000000000000000")}},
				{"AT_TIMESTAMP without a time", iteratorIn{ShardId: &root, ShardIteratorType: "AT_TIMESTAMP"}},
				{"LATEST with a time", iteratorIn{ShardId: &root, ShardIteratorType: "LATEST", Timestamp: &now}},
			}
			for _, c := range cases {
				_, err := e.getIterator(t, &c.in)
				require.Error(t, err, c.name)
				requireValidation(t, err)
			}
		}},
		{name: "unknown streams and shards are ResourceNotFoundException", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			unknownARN := strings.Replace(e.s.ARN(), "Table1", "Nobody", 1)
			_, err := e.getIterator(t, &iteratorIn{StreamArn: &unknownARN, ShardId: &root, ShardIteratorType: "LATEST"})
			requireCode(t, err, "ResourceNotFoundException", 400)
			_, err = e.getIterator(t, &iteratorIn{ShardId: aws.String("shardId-00000000000000000000-00000000"), ShardIteratorType: "LATEST"})
			requireCode(t, err, "ResourceNotFoundException", 400)
			_, err = e.describe(t, &describeIn{StreamArn: &unknownARN})
			requireCode(t, err, "ResourceNotFoundException", 400)
			require.True(t, isType[*types.ResourceNotFoundException](err))
			_, err = e.describe(t, &describeIn{StreamArn: aws.String("arn:aws:dynamodb:us-east-1:123456789012:table/T")})
			requireValidation(t, err)
		}},
		{name: "GetRecords refuses iterators the service did not issue", run: func(t *testing.T, e *env) {
			elsewhere := streamtest.NewStream()
			defer elsewhere.Close()
			foreign, err := elsewhere.GetShardIterator(t.Context(), &iteratorIn{StreamArn: aws.String(elsewhere.ARN()),
				ShardId: aws.String(elsewhere.ShardIDs()[0]), ShardIteratorType: "LATEST"})
			require.NoError(t, err)
			real := e.iterator(t, e.s.ShardIDs()[0], types.ShardIteratorTypeLatest, "")
			arn, _, _ := strings.Cut(real, "|")
			for _, it := range []string{"garbage", "", real + "x", real[:len(real)-4], arn + "|1|" + "AAAA",
				*foreign.ShardIterator, strings.Repeat("i", 2049)} {
				_, err := e.c.GetRecords(t.Context(), &dynamodbstreams.GetRecordsInput{ShardIterator: aws.String(it)})
				requireValidation(t, err)
			}
		}},
		{name: "the SDK's own checks of required fields come first and are not counted", run: func(t *testing.T, e *env) {
			_, err := e.c.DescribeStream(t.Context(), &dynamodbstreams.DescribeStreamInput{})
			requireMissingParam(t, err, "StreamArn")
			_, err = e.c.DescribeStream(t.Context(), nil)
			requireMissingParam(t, err, "StreamArn")
			_, err = e.c.GetShardIterator(t.Context(), &dynamodbstreams.GetShardIteratorInput{})
			requireMissingParam(t, err, "ShardIteratorType")
			_, err = e.c.GetRecords(t.Context(), &dynamodbstreams.GetRecordsInput{})
			requireMissingParam(t, err, "ShardIterator")
			for _, op := range []streamtest.Op{streamtest.OpDescribeStream, streamtest.OpGetShardIterator, streamtest.OpGetRecords} {
				assert.Zero(t, e.s.Calls(op), "%s", op)
			}
		}},
		{name: "a call with a context already done fails without reaching the service", run: func(t *testing.T, e *env) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := e.c.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(e.s.ARN())})
			require.ErrorIs(t, err, context.Canceled)
			assert.Zero(t, e.s.Calls(streamtest.OpDescribeStream))
		}},
	})
}
