package streamtest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream/streamtest"
)

// BenchmarkGetRecords measures what the kit costs a reader: full pages of 1000 records
// of about 150 bytes, in process and through the SDK client over loopback HTTP.
func BenchmarkGetRecords(b *testing.B) {
	s := streamtest.NewStream()
	b.Cleanup(s.Close)
	for i := range 1000 {
		s.Put(map[string]types.AttributeValue{
			"pk":    &types.AttributeValueMemberS{Value: fmt.Sprintf("key-%06d", i)},
			"n":     &types.AttributeValueMemberN{Value: "12345"},
			"text":  &types.AttributeValueMemberS{Value: strings.Repeat("x", 64)},
			"flags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		})
	}
	for _, c := range []struct {
		name string
		api  api
	}{{"session", s}, {"http", newClient(s.URL(), 1)}} {
		b.Run(c.name, func(b *testing.B) {
			out, err := c.api.GetShardIterator(b.Context(), &dynamodbstreams.GetShardIteratorInput{
				StreamArn: aws.String(s.ARN()), ShardId: aws.String(s.ShardIDs()[0]), ShardIteratorType: types.ShardIteratorTypeTrimHorizon,
			})
			require.NoError(b, err)
			in := &dynamodbstreams.GetRecordsInput{ShardIterator: out.ShardIterator}
			records := 0
			for b.Loop() {
				page, err := c.api.GetRecords(b.Context(), in)
				if err != nil {
					b.Fatal(err)
				}
				records += len(page.Records)
			}
			b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
