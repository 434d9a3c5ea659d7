package streamtest

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
)

// DescribeStream answers as DynamoDB Streams does, with the SDK's types: the stream's
// status, view type, table, key schema and shards in lexical ID order (which is creation
// order), Limit of them per page (1 to 100, default 100), after ExclusiveStartShardId
// when given (after the last or an unknown ID: no shards, no error), with
// LastEvaluatedShardId set while more remain. ShardFilter {Type: CHILD_SHARDS, ShardId}
// lists that shard's children only (none for an unknown shard), unless the endpoint was
// built with [NoShardFilter]. A closed shard is listed until the retention period after
// it closed; its children's ParentShardId then names a shard no longer listed.
//
// Malformed parameters answer ValidationException (a *smithy.GenericAPIError); an
// unknown stream ResourceNotFoundException. optFns are ignored.
func (s *Stream) DescribeStream(ctx context.Context, in *dynamodbstreams.DescribeStreamInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error) {
	return inProcess(ctx, s, OpDescribeStream, in, requiredDescribeStream, (*service).describeStream)
}

// requiredDescribeStream is the SDK's client-side check (validators.go).
func requiredDescribeStream(in *dynamodbstreams.DescribeStreamInput) error {
	if in.StreamArn == nil {
		e := smithy.InvalidParamsError{Context: "DescribeStreamInput"}
		e.Add(smithy.NewErrParamRequired("StreamArn"))
		return e
	}
	return nil
}

func (svc *service) describeStream(in *dynamodbstreams.DescribeStreamInput) (*dynamodbstreams.DescribeStreamOutput, error) {
	if err := checkStreamARN("streamArn", in.StreamArn, true); err != nil {
		return nil, err
	}
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, constraint("limit", strconv.Itoa(int(*in.Limit)), "Member must have value between 1 and 100")
		}
		limit = int(*in.Limit)
	}
	if err := checkShardID("exclusiveStartShardId", in.ExclusiveStartShardId, false); err != nil {
		return nil, err
	}
	if f := in.ShardFilter; f != nil {
		switch {
		case svc.cfg.noShardFilter:
			return nil, validationError("ShardFilter is not supported by this endpoint")
		case f.Type != types.ShardFilterTypeChildShards:
			return nil, constraint("shardFilter.type", string(f.Type), "Member must satisfy enum value set: [CHILD_SHARDS]")
		}
		if err := checkShardID("shardFilter.shardId", f.ShardId, true); err != nil {
			return nil, err
		}
	}

	svc.mu.Lock()
	defer svc.mu.Unlock()
	st := svc.stream(*in.StreamArn)
	if st == nil {
		return nil, notFound("Requested resource not found: Stream: %s not found", *in.StreamArn)
	}
	st.maintain(svc.now())
	listed := st.order
	if in.ShardFilter != nil {
		listed = nil
		for _, sh := range st.order {
			if sh.parent == *in.ShardFilter.ShardId {
				listed = append(listed, sh)
			}
		}
	}
	if start := in.ExclusiveStartShardId; start != nil {
		if st.shards[*start] == nil {
			listed = nil // an unknown ID lists nothing, as on AWS
		}
		for len(listed) > 0 && listed[0].id <= *start {
			listed = listed[1:]
		}
	}
	d := &types.StreamDescription{
		CreationRequestDateTime: aws.Time(st.created),
		KeySchema:               []types.KeySchemaElement{{AttributeName: aws.String(st.cfg.hashKey), KeyType: types.KeyTypeHash}},
		Shards:                  []types.Shard{},
		StreamArn:               aws.String(st.arn),
		StreamLabel:             aws.String(st.label),
		StreamStatus:            st.status,
		StreamViewType:          st.cfg.viewType,
		TableName:               aws.String(st.table),
	}
	if st.cfg.rangeKey != "" {
		d.KeySchema = append(d.KeySchema, types.KeySchemaElement{AttributeName: aws.String(st.cfg.rangeKey), KeyType: types.KeyTypeRange})
	}
	for i, sh := range listed {
		if i == limit {
			d.LastEvaluatedShardId = aws.String(listed[i-1].id)
			break
		}
		out := types.Shard{
			ShardId:             aws.String(sh.id),
			SequenceNumberRange: &types.SequenceNumberRange{StartingSequenceNumber: aws.String(sh.start)},
		}
		if sh.parent != "" {
			out.ParentShardId = aws.String(sh.parent)
		}
		if sh.closed {
			out.SequenceNumberRange.EndingSequenceNumber = aws.String(sh.end)
		}
		d.Shards = append(d.Shards, out)
	}
	return &dynamodbstreams.DescribeStreamOutput{StreamDescription: d}, nil
}
