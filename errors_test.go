package ddbstream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sentinels are all of this package's sentinel errors.
var sentinels = []error{
	ErrIteratorExpired, ErrTrimmed, ErrStreamNotFound, ErrShardNotFound, ErrInvalidToken,
	ErrInvalidArgument, ErrInvalidOption, ErrNoImage, ErrStreamDisabled, ErrClosed,
}

// overHTTP wraps an API error the way the SDK client returns it: an operation error
// around a response error carrying the HTTP status and request ID.
func overHTTP(op string, status int, err error) error {
	return &smithy.OperationError{
		ServiceID:     "DynamoDB Streams",
		OperationName: op,
		Err: &awshttp.ResponseError{
			RequestID: "0123456789ABCDEF",
			ResponseError: &smithyhttp.ResponseError{
				Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
				Err:      err,
			},
		},
	}
}

type apiErrorCase struct {
	name      string
	call      string
	err       error // what the Session returned
	sentinel  error // nil: none of ours
	as        func(error) bool
	retryable bool
}

// asType returns a check that errors.As reaches a *T.
func asType[T error]() func(error) bool {
	return func(err error) bool {
		var target T
		return errors.As(err, &target)
	}
}

func apiErrorCases() []apiErrorCase {
	base := []apiErrorCase{
		{name: "expired iterator", call: "GetRecords", sentinel: ErrIteratorExpired,
			err: &types.ExpiredIteratorException{Message: ptr("Iterator expired")}, as: asType[*types.ExpiredIteratorException]()},
		{name: "trimmed data on GetRecords", call: "GetRecords", sentinel: ErrTrimmed,
			err: &types.TrimmedDataAccessException{Message: ptr("trimmed")}, as: asType[*types.TrimmedDataAccessException]()},
		{name: "trimmed data on GetShardIterator", call: "GetShardIterator AT_SEQUENCE_NUMBER 400000000000000000001", sentinel: ErrTrimmed,
			err: &types.TrimmedDataAccessException{Message: ptr("trimmed")}, as: asType[*types.TrimmedDataAccessException]()},
		{name: "resource not found on DescribeStream is the stream", call: "DescribeStream", sentinel: ErrStreamNotFound,
			err: &types.ResourceNotFoundException{Message: ptr("Requested resource not found")}, as: asType[*types.ResourceNotFoundException]()},
		{name: "resource not found on GetShardIterator is the shard", call: "GetShardIterator TRIM_HORIZON", sentinel: ErrShardNotFound,
			err: &types.ResourceNotFoundException{Message: ptr("Requested resource not found")}, as: asType[*types.ResourceNotFoundException]()},
		{name: "resource not found on GetRecords is the shard", call: "GetRecords", sentinel: ErrShardNotFound,
			err: &types.ResourceNotFoundException{Message: ptr("Requested resource not found")}, as: asType[*types.ResourceNotFoundException]()},
		{name: "limit exceeded is a throttle", call: "GetRecords", retryable: true,
			err: &types.LimitExceededException{Message: ptr("More than 2 processes are reading from the same streams shard")}, as: asType[*types.LimitExceededException]()},
		{name: "internal server error", call: "DescribeStream", retryable: true,
			err: &types.InternalServerError{Message: ptr("Internal server error")}, as: asType[*types.InternalServerError]()},
		{name: "validation exception", call: "GetShardIterator AT_TIMESTAMP 2026-11-26T10:00:00Z", sentinel: ErrInvalidArgument,
			err: &smithy.GenericAPIError{Code: "ValidationException", Message: "1 validation error detected"}, as: asType[*smithy.GenericAPIError]()},
		{name: "throttling exception", call: "DescribeStream", retryable: true,
			err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}, as: asType[*smithy.GenericAPIError]()},
		{name: "an unmodelled error code", call: "GetRecords",
			err: &smithy.GenericAPIError{Code: "AccessDeniedException", Message: "not authorized"}, as: asType[*smithy.GenericAPIError]()},
	}
	var cases []apiErrorCase
	for _, c := range base {
		// An in-process Session (streamtest) returns the typed exception itself.
		inProcess := c
		inProcess.name += " (in process)"
		cases = append(cases, inProcess)

		// The SDK client wraps it; the service answers 500 only for InternalServerError.
		status := http.StatusBadRequest
		if _, ok := c.err.(*types.InternalServerError); ok {
			status = http.StatusInternalServerError
		}
		overWire := c
		overWire.name += fmt.Sprintf(" (over HTTP, %d)", status)
		overWire.err = overHTTP(strings.Fields(c.call)[0], status, c.err)
		cases = append(cases, overWire)
	}
	return append(cases,
		apiErrorCase{name: "a 503 without a modelled error", call: "GetRecords", retryable: true,
			err: overHTTP("GetRecords", http.StatusServiceUnavailable, &smithy.GenericAPIError{Code: "ServiceUnavailable", Message: "slow down"}),
			as:  asType[*smithy.GenericAPIError]()},
		apiErrorCase{name: "a cancelled context (in process)", call: "GetRecords",
			err: context.Canceled, as: func(err error) bool { return errors.Is(err, context.Canceled) }},
		apiErrorCase{name: "a cancelled context (SDK client)", call: "GetRecords",
			err: &smithy.OperationError{ServiceID: "DynamoDB Streams", OperationName: "GetRecords",
				Err: &smithy.CanceledError{Err: context.Canceled}},
			as: asType[*smithy.CanceledError]()},
	)
}

func ptr[T any](v T) *T { return &v }

// whereFor names the resource the way the callers of apiError do: the stream for
// DescribeStream, the shard for the rest.
func whereFor(call string) string {
	if call == "DescribeStream" {
		return "stream arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-26T10:00:00.000"
	}
	return "shard shardId-00000001764115200000-0a1b2c3d"
}

func TestAPIError(t *testing.T) {
	t.Parallel()
	for _, tt := range apiErrorCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			where := whereFor(tt.call)
			err := apiError(where, tt.call, tt.err)
			require.Error(t, err)
			for _, s := range sentinels {
				assert.Equal(t, s == tt.sentinel, errors.Is(err, s), "errors.Is(err, %v)", s)
			}
			assert.True(t, tt.as(err), "errors.As reaches the SDK error: %v", err)
			assert.True(t, errors.Is(err, tt.err), "the Session's error is in the chain")
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "ddbstream: "), "message starts with the prefix: %s", msg)
			assert.Equal(t, 1, strings.Count(msg, "ddbstream:"), "one prefix: %s", msg)
			assert.Contains(t, msg, where, "names the resource")
			assert.Contains(t, msg, tt.call, "names the call")
			assert.Equal(t, tt.retryable, IsRetryable(err), "IsRetryable of the wrapped error")
			assert.Equal(t, tt.retryable, IsRetryable(tt.err), "IsRetryable of the Session's error")
		})
	}
}

func TestAPIError_Golden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	for _, tt := range apiErrorCases() {
		err := apiError(whereFor(tt.call), tt.call, tt.err)
		fmt.Fprintf(&b, "%s:\n\t%v\n", tt.name, err)
	}
	golden(t, "errors", b.Bytes())
}

func TestIsRetryable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "nil", err: nil},
		{name: "a cancelled context", err: context.Canceled},
		{name: "a cancelled context, wrapped", err: fmt.Errorf("ddbstream: shard x: GetRecords: %w", context.Canceled)},
		{name: "a plain error", err: errors.New("boom")},
		{name: "one of our sentinels", err: ErrTrimmed},
		{name: "expired iterator", err: &types.ExpiredIteratorException{}},
		{name: "trimmed data", err: &types.TrimmedDataAccessException{}},
		{name: "resource not found", err: &types.ResourceNotFoundException{}},
		{name: "validation exception", err: &smithy.GenericAPIError{Code: "ValidationException"}},
		{name: "limit exceeded", err: &types.LimitExceededException{}, want: true},
		{name: "throttling exception", err: &smithy.GenericAPIError{Code: "ThrottlingException"}, want: true},
		{name: "internal server error, in process", err: &types.InternalServerError{}, want: true},
		{name: "internal server error over HTTP", err: overHTTP("GetRecords", 500, &types.InternalServerError{}), want: true},
		{name: "HTTP 502", err: overHTTP("GetRecords", 502, &smithy.GenericAPIError{Code: "BadGateway"}), want: true},
		{name: "HTTP 504", err: overHTTP("GetRecords", 504, &smithy.GenericAPIError{Code: "GatewayTimeout"}), want: true},
		{name: "HTTP 429 without a modelled error", err: overHTTP("GetRecords", 429, &smithy.GenericAPIError{Code: "TooManyRequests"}), want: true},
		{name: "HTTP 400 validation", err: overHTTP("GetRecords", 400, &smithy.GenericAPIError{Code: "ValidationException"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, IsRetryable(tt.err))
		})
	}
}

func TestIsThrottleAndIsValidation(t *testing.T) {
	t.Parallel()
	assert.True(t, isThrottle(&types.LimitExceededException{}))
	assert.True(t, isThrottle(overHTTP("DescribeStream", 400, &smithy.GenericAPIError{Code: "ThrottlingException"})))
	assert.False(t, isThrottle(&types.InternalServerError{}))
	assert.False(t, isThrottle(context.Canceled))
	assert.False(t, isThrottle(nil))

	assert.True(t, isValidation(&smithy.GenericAPIError{Code: "ValidationException"}))
	assert.True(t, isValidation(overHTTP("GetShardIterator", 400, &smithy.GenericAPIError{Code: "ValidationException"})))
	assert.False(t, isValidation(&types.ResourceNotFoundException{}))
	assert.False(t, isValidation(errors.New("ValidationException")))
	assert.False(t, isValidation(nil))
}
