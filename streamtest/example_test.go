package streamtest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/ddbstream/ddbstream/streamtest"
)

// A real SDK client reads the stream over the loopback endpoint.
func Example() {
	s := streamtest.NewStream(streamtest.TableName("Orders"))
	defer s.Close()
	order := func(status string) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"pk":     &types.AttributeValueMemberS{Value: "order-1"},
			"status": &types.AttributeValueMemberS{Value: status},
		}
	}
	s.Put(order("new"))
	s.Put(order("paid"))
	s.Delete(order("paid"))

	ctx := context.Background()
	c := dynamodbstreams.New(dynamodbstreams.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(s.URL()),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       streamtest.HTTPClient(),
	})
	it, err := c.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{
		StreamArn:         aws.String(s.ARN()),
		ShardId:           aws.String(s.ShardIDs()[0]),
		ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
	})
	if err != nil {
		panic(err)
	}
	page, err := c.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it.ShardIterator})
	if err != nil {
		panic(err)
	}
	status := func(img map[string]types.AttributeValue) string {
		if img == nil {
			return "-"
		}
		return img["status"].(*types.AttributeValueMemberS).Value
	}
	for _, r := range page.Records {
		fmt.Println(r.EventName, status(r.Dynamodb.OldImage), "->", status(r.Dynamodb.NewImage))
	}
	// Output:
	// INSERT - -> new
	// MODIFY new -> paid
	// REMOVE paid -> -
}

// Splitting a shard closes it; its children take its keys, and DescribeStream's
// CHILD_SHARDS filter finds them. The stream itself is the Session.
func ExampleStream_Split() {
	s := streamtest.NewStream()
	defer s.Close()
	parent := s.ShardIDs()[0]
	children := s.Split(parent, 2)

	out, err := s.DescribeStream(context.Background(), &dynamodbstreams.DescribeStreamInput{
		StreamArn:   aws.String(s.ARN()),
		ShardFilter: &types.ShardFilter{Type: types.ShardFilterTypeChildShards, ShardId: aws.String(parent)},
	})
	if err != nil {
		panic(err)
	}
	for i, sh := range out.StreamDescription.Shards {
		fmt.Println(aws.ToString(sh.ShardId) == children[i], aws.ToString(sh.ParentShardId) == parent)
	}
	fmt.Println(len(s.OpenShardIDs()), "open shards of", len(s.ShardIDs()))
	// Output:
	// true true
	// true true
	// 2 open shards of 3
}

// Faults are injected per operation; the errors are the SDK's typed exceptions.
func ExampleStream_Throttle() {
	s := streamtest.NewStream()
	defer s.Close()
	s.Throttle(streamtest.OpDescribeStream, 1)
	in := &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(s.ARN())}

	_, err := s.DescribeStream(context.Background(), in)
	var throttled *types.LimitExceededException
	fmt.Println(errors.As(err, &throttled))
	_, err = s.DescribeStream(context.Background(), in)
	fmt.Println(err, s.Calls(streamtest.OpDescribeStream))
	// Output:
	// true
	// <nil> 2
}
