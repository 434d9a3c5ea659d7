package ddbstream

import (
	"context"
	"fmt"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
)

// Session is the part of the DynamoDB Streams API that this package calls; it is not an
// AWS credentials session. The methods have exactly the signatures of
// *dynamodbstreams.Client, so a client is passed as it is; *streamtest.Stream satisfies
// it too, for tests. An implementation must be safe for concurrent use: a [Stream] calls
// it from several goroutines.
type Session interface {
	DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

var _ Session = (*dynamodbstreams.Client)(nil)

// NewSession returns a DynamoDB Streams client built from the default AWS configuration,
// config.LoadDefaultConfig(ctx, optFns...): environment, shared files, then the
// instance's role. It is a convenience; any *dynamodbstreams.Client will do, and this is
// the only place the package builds one.
func NewSession(ctx context.Context, optFns ...func(*awsconfig.LoadOptions) error) (*dynamodbstreams.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, optFns...)
	if err != nil {
		return nil, fmt.Errorf("ddbstream: load AWS configuration: %w", err)
	}
	return dynamodbstreams.NewFromConfig(cfg), nil
}
