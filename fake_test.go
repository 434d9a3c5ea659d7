package ddbstream_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"

	"github.com/ddbstream/ddbstream"
)

// fakeSession is a scripted Session for the Shard's error paths and exact call
// sequences: each operation is a func field, and every call is logged in a short form.
// Behavioural tests use streamtest instead.
type fakeSession struct {
	describe func(*dynamodbstreams.DescribeStreamInput) (*dynamodbstreams.DescribeStreamOutput, error)
	iterator func(*dynamodbstreams.GetShardIteratorInput) (*dynamodbstreams.GetShardIteratorOutput, error)
	records  func(*dynamodbstreams.GetRecordsInput) (*dynamodbstreams.GetRecordsOutput, error)

	mu    sync.Mutex
	calls []string
}

var _ ddbstream.Session = (*fakeSession)(nil)

func (f *fakeSession) log(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeSession) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeSession) DescribeStream(_ context.Context, in *dynamodbstreams.DescribeStreamInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	desc := "DescribeStream"
	if in.ExclusiveStartShardId != nil {
		desc += " after " + *in.ExclusiveStartShardId
	}
	if in.ShardFilter != nil {
		desc += " children of " + aws.ToString(in.ShardFilter.ShardId)
	}
	f.log("%s", desc)
	if f.describe == nil {
		panic("fakeSession: unexpected DescribeStream")
	}
	return f.describe(in)
}

func (f *fakeSession) GetShardIterator(_ context.Context, in *dynamodbstreams.GetShardIteratorInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	desc := "GetShardIterator " + string(in.ShardIteratorType)
	if in.SequenceNumber != nil {
		desc += " " + *in.SequenceNumber
	}
	if in.Timestamp != nil {
		desc += " " + in.Timestamp.UTC().Format(time.RFC3339)
	}
	f.log("%s", desc)
	if f.iterator == nil {
		// By default the iterator names what it was asked for, so pages can be keyed on it.
		return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(strings.ReplaceAll(desc[len("GetShardIterator "):], " ", ":"))}, nil
	}
	return f.iterator(in)
}

func (f *fakeSession) GetRecords(_ context.Context, in *dynamodbstreams.GetRecordsInput, _ ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	f.log("GetRecords %s", aws.ToString(in.ShardIterator))
	if f.records == nil {
		panic("fakeSession: unexpected GetRecords")
	}
	return f.records(in)
}

// script answers GetRecords from a table of pages keyed by iterator. A page's Next is
// the iterator of the following call; "" means the shard ends there (nil iterator).
type script map[string]page

type page struct {
	recs []types.Record
	next string
	err  error
}

func (s script) records(in *dynamodbstreams.GetRecordsInput) (*dynamodbstreams.GetRecordsOutput, error) {
	p, ok := s[aws.ToString(in.ShardIterator)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "ValidationException", Message: "Invalid ShardIterator"}
	}
	if p.err != nil {
		return nil, p.err
	}
	out := &dynamodbstreams.GetRecordsOutput{Records: p.recs}
	if p.next != "" {
		out.NextShardIterator = aws.String(p.next)
	}
	return out, nil
}

const (
	testARN   = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-26T10:00:00.000"
	testShard = "shardId-00000001764151200000-aaaaaaaa"
)

var t0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// rec builds an SDK record with sequence number seq, created at t0 plus sec seconds.
func rec(seq string, sec int) types.Record {
	return types.Record{
		EventID:   aws.String("ev-" + seq),
		EventName: types.OperationTypeInsert,
		Dynamodb: &types.StreamRecord{
			SequenceNumber:              aws.String(seq),
			ApproximateCreationDateTime: aws.Time(t0.Add(time.Duration(sec) * time.Second)),
			Keys:                        map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: seq}},
			SizeBytes:                   aws.Int64(10),
			StreamViewType:              types.StreamViewTypeKeysOnly,
		},
	}
}

func seqs(recs []ddbstream.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.SequenceNumber)
	}
	return out
}

func shardDesc(id, parent, start, end string) types.Shard {
	s := types.Shard{ShardId: aws.String(id), SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String(start)}}
	if parent != "" {
		s.ParentShardId = aws.String(parent)
	}
	if end != "" {
		s.SequenceNumberRange.EndingSequenceNumber = aws.String(end)
	}
	return s
}

// shardID returns a well-formed shard ID ending in tag.
func shardID(tag string) string {
	return "shardId-00000001764151200000-" + tag
}
