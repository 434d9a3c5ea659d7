package streamtest

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"

	"github.com/ddbstream/ddbstream"
)

// maxPageBytes is the most a GetRecords page holds, summing records' SizeBytes (1 MB).
const maxPageBytes = 1 << 20

// GetRecords answers as DynamoDB Streams does, with the SDK's types: up to Limit records
// (1 to 1000, default 1000) and at most 1 MB of them by SizeBytes, but always at least
// one when there is one. NextShardIterator is nil on the page that reaches the end of a
// closed shard, whether or not that page holds records; on an open shard it is always
// set, even on an empty page. A new iterator on an open shard first answers the empty
// pages of [EmptyPages].
//
// Errors: ExpiredIteratorException for an iterator issued 15 minutes ago or more;
// TrimmedDataAccessException when the records it points at have been trimmed;
// ResourceNotFoundException when its shard is gone; ValidationException (a
// *smithy.GenericAPIError) for a bad Limit or an iterator the service did not issue.
// optFns are ignored.
func (s *Stream) GetRecords(ctx context.Context, in *dynamodbstreams.GetRecordsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error) {
	return inProcess(ctx, s, OpGetRecords, in, requiredGetRecords, (*service).getRecords)
}

// requiredGetRecords is the SDK's client-side check (validators.go).
func requiredGetRecords(in *dynamodbstreams.GetRecordsInput) error {
	if in.ShardIterator == nil {
		e := smithy.InvalidParamsError{Context: "GetRecordsInput"}
		e.Add(smithy.NewErrParamRequired("ShardIterator"))
		return e
	}
	return nil
}

func (svc *service) getRecords(in *dynamodbstreams.GetRecordsInput) (*dynamodbstreams.GetRecordsOutput, error) {
	if in.ShardIterator == nil {
		return nil, missing("shardIterator")
	}
	if n := len(*in.ShardIterator); n < 1 || n > maxIteratorLength {
		return nil, constraint("shardIterator", *in.ShardIterator, "Member must have length less than or equal to 2048")
	}
	limit := 1000
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 1000 {
			return nil, constraint("limit", strconv.Itoa(int(*in.Limit)), "Member must have value between 1 and 1000")
		}
		limit = int(*in.Limit)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	now := svc.now()
	it, ok := svc.decodeIterator(*in.ShardIterator)
	if !ok {
		return nil, validationError("Invalid ShardIterator")
	}
	st := svc.stream(it.arn)
	if st == nil {
		return nil, notFound("Requested resource not found: Stream: %s not found", it.arn)
	}
	st.maintain(now)
	sh := st.shards[it.shard]
	if sh == nil {
		return nil, notFound("Requested resource not found: Shard: %s in Stream: %s not found", it.shard, st.arn)
	}
	if age := now.Sub(it.issued); age >= ddbstream.IteratorLifetime {
		return nil, expiredError("Iterator expired. The iterator was created at time %s while right now it is %s which is further in the future than the tolerated delay of %d milliseconds.",
			it.issued.UTC().Format(time.RFC1123), now.UTC().Format(time.RFC1123), ddbstream.IteratorLifetime.Milliseconds())
	}
	if it.pos < sh.base {
		return nil, trimmedError("Attempted to access data that has been trimmed: the iterator points at record %d of shard %s, which is behind the trim horizon", it.pos, sh.id)
	}
	it.pos = min(it.pos, sh.top()) // we never issue one past the end; a guard all the same
	out := &dynamodbstreams.GetRecordsOutput{Records: []types.Record{}}
	next := iterator{arn: st.arn, shard: sh.id, pos: it.pos, issued: now}
	if it.empty > 0 && !sh.closed {
		next.empty = it.empty - 1
		out.NextShardIterator = aws.String(svc.encodeIterator(next))
		return out, nil
	}
	var bytes int64
	for _, rec := range sh.recs[it.pos-sh.base:] {
		size := aws.ToInt64(rec.r.Dynamodb.SizeBytes)
		if len(out.Records) == limit || len(out.Records) > 0 && bytes+size > maxPageBytes {
			break
		}
		bytes += size
		out.Records = append(out.Records, rec.served())
	}
	next.pos += len(out.Records)
	if !sh.closed || next.pos < sh.top() {
		out.NextShardIterator = aws.String(svc.encodeIterator(next))
	}
	return out, nil
}
