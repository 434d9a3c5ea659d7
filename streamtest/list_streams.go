package streamtest

import (
	"context"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// ListStreams answers as DynamoDB Streams does, with the SDK's types: the service's
// streams in creation order, disabled ones included, only TableName's when it is set,
// Limit per page (1 to 100, default 100), after ExclusiveStartStreamArn when given
// (after an unknown ARN: none), with LastEvaluatedStreamArn set while more remain.
// Malformed parameters answer ValidationException. optFns are ignored.
func (s *Stream) ListStreams(ctx context.Context, in *dynamodbstreams.ListStreamsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error) {
	return inProcess(ctx, s, OpListStreams, in, func(*dynamodbstreams.ListStreamsInput) error { return nil }, (*service).listStreams)
}

func (svc *service) listStreams(in *dynamodbstreams.ListStreamsInput) (*dynamodbstreams.ListStreamsOutput, error) {
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, constraint("limit", strconv.Itoa(int(*in.Limit)), "Member must have value between 1 and 100")
		}
		limit = int(*in.Limit)
	}
	if t := in.TableName; t != nil && checkTableName(*t) != nil {
		return nil, constraint("tableName", *t, "Member must have length between 3 and 255 and satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	}
	if err := checkStreamARN("exclusiveStartStreamArn", in.ExclusiveStartStreamArn, false); err != nil {
		return nil, err
	}

	svc.mu.Lock()
	defer svc.mu.Unlock()
	var listed []*stream
	for _, st := range svc.streams {
		if in.TableName == nil || st.table == *in.TableName {
			listed = append(listed, st)
		}
	}
	if start := in.ExclusiveStartStreamArn; start != nil {
		i := 0
		for i < len(listed) && listed[i].arn != *start {
			i++
		}
		listed = listed[min(i+1, len(listed)):]
	}
	out := &dynamodbstreams.ListStreamsOutput{Streams: []types.Stream{}}
	for i, st := range listed {
		if i == limit {
			out.LastEvaluatedStreamArn = aws.String(listed[i-1].arn)
			break
		}
		out.Streams = append(out.Streams, types.Stream{
			StreamArn:   aws.String(st.arn),
			StreamLabel: aws.String(st.label),
			TableName:   aws.String(st.table),
		})
	}
	return out, nil
}
