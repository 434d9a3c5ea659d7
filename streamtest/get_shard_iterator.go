package streamtest

import (
	"context"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"

	"github.com/ddbstream/ddbstream"
)

// GetShardIterator answers as DynamoDB Streams does, with the SDK's types. The iterator
// expires 15 minutes after it is issued. Positions:
//   - TRIM_HORIZON: the oldest record not trimmed; LATEST: just after the newest record.
//   - AT_ and AFTER_SEQUENCE_NUMBER: the first record at or after (after) the number,
//     which must lie in the shard's SequenceNumberRange (else ValidationException); a
//     number at or behind a trimmed record answers TrimmedDataAccessException.
//   - AT_TIMESTAMP: the first record whose ApproximateCreationDateTime is at or after
//     Timestamp; a time before the trim horizon acts as TRIM_HORIZON; a time more than a
//     second ahead of the stream's clock, or an endpoint built with [NoTimestamp],
//     answers ValidationException.
//
// Malformed parameters answer ValidationException (a *smithy.GenericAPIError); an unknown
// stream or shard (also one forgotten after its retention) ResourceNotFoundException.
// optFns are ignored.
func (s *Stream) GetShardIterator(ctx context.Context, in *dynamodbstreams.GetShardIteratorInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error) {
	return inProcess(ctx, s, OpGetShardIterator, in, requiredGetShardIterator, (*service).getShardIterator)
}

// requiredGetShardIterator is the SDK's client-side check (validators.go).
func requiredGetShardIterator(in *dynamodbstreams.GetShardIteratorInput) error {
	e := smithy.InvalidParamsError{Context: "GetShardIteratorInput"}
	if in.StreamArn == nil {
		e.Add(smithy.NewErrParamRequired("StreamArn"))
	}
	if in.ShardId == nil {
		e.Add(smithy.NewErrParamRequired("ShardId"))
	}
	if len(in.ShardIteratorType) == 0 {
		e.Add(smithy.NewErrParamRequired("ShardIteratorType"))
	}
	if e.Len() > 0 {
		return e
	}
	return nil
}

// futureTolerance is how far ahead of the clock an AT_TIMESTAMP may be: timestamps cross
// the wire with millisecond precision, rounded, so "now" can arrive a little ahead.
const futureTolerance = time.Second

func (svc *service) getShardIterator(in *dynamodbstreams.GetShardIteratorInput) (*dynamodbstreams.GetShardIteratorOutput, error) {
	if err := checkStreamARN("streamArn", in.StreamArn, true); err != nil {
		return nil, err
	}
	if err := checkShardID("shardId", in.ShardId, true); err != nil {
		return nil, err
	}
	typ := in.ShardIteratorType
	if typ == "" {
		return nil, missing("shardIteratorType")
	}
	if !slices.Contains(typ.Values(), typ) || typ == types.ShardIteratorTypeAtTimestamp && svc.cfg.noTimestamp {
		valid := typ.Values()
		if svc.cfg.noTimestamp {
			valid = slices.DeleteFunc(valid, func(t types.ShardIteratorType) bool { return t == types.ShardIteratorTypeAtTimestamp })
		}
		return nil, constraint("shardIteratorType", string(typ), "Member must satisfy enum value set: "+enumList(valid))
	}
	bySeq := typ == types.ShardIteratorTypeAtSequenceNumber || typ == types.ShardIteratorTypeAfterSequenceNumber
	switch {
	case bySeq && in.SequenceNumber == nil:
		return nil, validationError("Invalid SequenceNumber: a sequence number is required for shard iterator type %s", typ)
	case !bySeq && in.SequenceNumber != nil:
		return nil, validationError("Invalid SequenceNumber: a sequence number cannot be given with shard iterator type %s", typ)
	case bySeq:
		if seq := *in.SequenceNumber; len(seq) < 21 || len(seq) > 40 || !isDigits(seq) {
			return nil, constraint("sequenceNumber", seq, "Member must be a number of 21 to 40 digits")
		}
	}
	atTime := typ == types.ShardIteratorTypeAtTimestamp
	switch {
	case atTime && in.Timestamp == nil:
		return nil, validationError("Invalid Timestamp: a timestamp is required for shard iterator type AT_TIMESTAMP")
	case !atTime && in.Timestamp != nil:
		return nil, validationError("Invalid Timestamp: a timestamp cannot be given with shard iterator type %s", typ)
	}

	svc.mu.Lock()
	defer svc.mu.Unlock()
	now := svc.now()
	if atTime && in.Timestamp.After(now.Add(futureTolerance)) {
		return nil, validationError("Invalid Timestamp: %s is in the future", in.Timestamp.UTC().Format(time.RFC3339Nano))
	}
	st := svc.stream(*in.StreamArn)
	if st == nil {
		return nil, notFound("Requested resource not found: Stream: %s not found", *in.StreamArn)
	}
	st.maintain(now)
	sh := st.shards[*in.ShardId]
	if sh == nil {
		return nil, notFound("Requested resource not found: Shard: %s in Stream: %s not found", *in.ShardId, st.arn)
	}
	var pos int
	switch typ {
	case types.ShardIteratorTypeTrimHorizon:
		pos = sh.base
	case types.ShardIteratorTypeLatest:
		pos = sh.top()
	case types.ShardIteratorTypeAtTimestamp:
		i, _ := slices.BinarySearchFunc(sh.recs, *in.Timestamp, func(r *record, t time.Time) int {
			if r.r.Dynamodb.ApproximateCreationDateTime.Before(t) {
				return -1
			}
			return 1
		})
		pos = sh.base + i
	default:
		var err error
		if pos, err = sh.seqPosition(typ, ddbstream.SequenceNumber(*in.SequenceNumber)); err != nil {
			return nil, err
		}
	}
	it := iterator{arn: st.arn, shard: sh.id, pos: pos, issued: now}
	if !sh.closed {
		it.empty = st.cfg.emptyPages
	}
	return &dynamodbstreams.GetShardIteratorOutput{ShardIterator: aws.String(svc.encodeIterator(it))}, nil
}

// seqPosition finds where an AT_ or AFTER_SEQUENCE_NUMBER iterator starts.
func (sh *shard) seqPosition(typ types.ShardIteratorType, seq ddbstream.SequenceNumber) (int, error) {
	after := typ == types.ShardIteratorTypeAfterSequenceNumber
	if seq.Compare(ddbstream.SequenceNumber(sh.start)) < 0 || sh.closed && seq.Compare(ddbstream.SequenceNumber(sh.end)) > 0 {
		end := sh.end
		if end == "" {
			end = "(open)"
		}
		return 0, validationError("Invalid SequenceNumber %s for shard %s: outside its range %s to %s", seq, sh.id, sh.start, end)
	}
	if sh.lastTrimmed != "" {
		c := seq.Compare(ddbstream.SequenceNumber(sh.lastTrimmed))
		if c < 0 || c == 0 && !after {
			return 0, trimmedError("Attempted to access data that has been trimmed: sequence number %s of shard %s is behind the trim horizon", seq, sh.id)
		}
	}
	i, _ := slices.BinarySearchFunc(sh.recs, seq, func(r *record, seq ddbstream.SequenceNumber) int {
		c := ddbstream.SequenceNumber(r.seq).Compare(seq)
		if c < 0 || c == 0 && after {
			return -1
		}
		return 1
	})
	return sh.base + i, nil
}

func enumList[T ~string](vs []T) string {
	b := []byte{'['}
	for i, v := range vs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, v...)
	}
	return string(append(b, ']'))
}
