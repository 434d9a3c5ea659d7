package ddbstream_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
)

// TestIntegration runs against a real DynamoDB endpoint (AWS, DynamoDB Local, ...) named
// by DDBSTREAM_TEST_ENDPOINT, with credentials and region from the usual AWS
// configuration (region defaults to us-east-1). It makes its own uniquely named table
// with a stream, writes to it, reads the changes back with a Stream, resumes from a
// token, and deletes the table. Without the variable it is skipped, saying so.
func TestIntegration(t *testing.T) {
	endpoint := os.Getenv("DDBSTREAM_TEST_ENDPOINT")
	if endpoint == "" {
		t.Skip("set DDBSTREAM_TEST_ENDPOINT (for example http://localhost:8000) to run against a real endpoint")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithBaseEndpoint(endpoint))
	require.NoError(t, err)
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	db := dynamodb.NewFromConfig(cfg)
	streams := dynamodbstreams.NewFromConfig(cfg)

	table := fmt.Sprintf("ddbstream-it-%d-%06d", time.Now().Unix(), rand.IntN(1e6))
	out, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest,
		StreamSpecification:  &ddbtypes.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: ddbtypes.StreamViewTypeNewAndOldImages},
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := db.DeleteTable(context.WithoutCancel(ctx), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		if err != nil {
			t.Logf("delete table %s: %v", table, err)
		}
	})
	require.NoError(t, dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 2*time.Minute))
	arn := aws.ToString(out.TableDescription.LatestStreamArn)
	require.NotEmpty(t, arn, "the table has a stream")

	put := func(pk, status string) {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: map[string]ddbtypes.AttributeValue{
			"pk": &ddbtypes.AttributeValueMemberS{Value: pk}, "status": &ddbtypes.AttributeValueMemberS{Value: status},
		}})
		require.NoError(t, err)
	}
	put("order#1", "new")
	put("order#1", "paid")
	put("order#2", "new")

	st, err := ddbstream.OpenStream(ctx, streams, arn, ddbstream.TrimHorizon())
	require.NoError(t, err)
	var got []string
	for len(got) < 2 {
		rec, err := st.Next(ctx)
		require.NoError(t, err)
		var o order
		require.NoError(t, rec.UnmarshalNewImage(&o))
		got = append(got, fmt.Sprint(rec.Operation, " ", o.ID, " ", o.Status))
	}
	tok := st.Token()
	require.NoError(t, st.Close())

	resumed, err := ddbstream.ResumeStream(ctx, streams, tok)
	require.NoError(t, err)
	defer resumed.Close()
	rec, err := resumed.Next(ctx)
	require.NoError(t, err)
	var o order
	require.NoError(t, rec.UnmarshalNewImage(&o))
	got = append(got, fmt.Sprint(rec.Operation, " ", o.ID, " ", o.Status))
	require.Equal(t, []string{"INSERT order#1 new", "MODIFY order#1 paid", "INSERT order#2 new"}, got)
}
