package streamtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// This file is the path every call takes, in process or over HTTP: count, sleep,
// intercept, answer; and the errors the service answers with.

// An Op names an operation of the DynamoDB Streams API, for [Stream.Intercept] and
// [Stream.Calls]. Its value is the wire name, as in X-Amz-Target.
type Op string

// The operations the service answers.
const (
	OpDescribeStream   Op = "DescribeStream"
	OpGetShardIterator Op = "GetShardIterator"
	OpGetRecords       Op = "GetRecords"
	OpListStreams      Op = "ListStreams"
)

var ops = []Op{OpDescribeStream, OpGetShardIterator, OpGetRecords, OpListStreams}

func (op Op) valid() bool {
	switch op {
	case OpDescribeStream, OpGetShardIterator, OpGetRecords, OpListStreams:
		return true
	}
	return false
}

// serve runs one call that reached the service (already counted): latencies, then
// interceptions, then the operation itself. It returns the service's answer; errors are
// the bare exceptions, which the Session methods and the HTTP handler each wrap as the
// SDK would see them.
func serve[In, Out any](ctx context.Context, svc *service, op Op, in *In, answer func(*service, *In) (*Out, error)) (*Out, error) {
	if err := svc.sleepFor(ctx, op); err != nil {
		return nil, err
	}
	if out, err, handled := svc.intercept(op, in); handled {
		if err != nil {
			return nil, err
		}
		if out == nil {
			return new(Out), nil
		}
		o, ok := out.(*Out)
		if !ok {
			panic(fmt.Sprintf("streamtest: an interception of %s answered %T; want %T or nil", op, out, (*Out)(nil)))
		}
		return o, nil
	}
	return answer(svc, in)
}

// inProcess is a Session method: the SDK's own checks of required fields (made before
// anything is sent, so not counted), then the call, with errors wrapped as the SDK
// client wraps them.
func inProcess[In, Out any](ctx context.Context, s *Stream, op Op, in *In, required func(*In) error, answer func(*service, *In) (*Out, error)) (*Out, error) {
	if in == nil {
		in = new(In)
	}
	if err := required(in); err != nil {
		return nil, &smithy.OperationError{ServiceID: dynamodbstreams.ServiceID, OperationName: string(op), Err: err}
	}
	if err := ctx.Err(); err != nil {
		return nil, &smithy.OperationError{ServiceID: dynamodbstreams.ServiceID, OperationName: string(op), Err: &smithy.CanceledError{Err: err}}
	}
	s.svc.count(op)
	out, err := serve(ctx, s.svc, op, in, answer)
	if err != nil {
		return nil, s.svc.sessionError(op, err)
	}
	return out, nil
}

// sessionError wraps an answer's error as the SDK client returns it: an
// *smithy.OperationError around an *awshttp.ResponseError that carries the HTTP status
// the endpoint would have sent, around the exception. So errors.As finds the typed
// exception, and retry classifiers that look at the status (500 is retryable) agree
// with the ones applied to a real client's errors.
func (svc *service) sessionError(op Op, err error) error {
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return err
	}
	wrap := func(err error) error {
		return &smithy.OperationError{ServiceID: dynamodbstreams.ServiceID, OperationName: string(op), Err: err}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return wrap(&smithy.CanceledError{Err: err})
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return wrap(err)
	}
	id := svc.requestID()
	resp := &http.Response{StatusCode: statusOf(ae), Header: http.Header{"X-Amzn-Requestid": {id}}}
	return wrap(&awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: resp}, Err: err},
		RequestID:     id,
	})
}

// statusOf is the HTTP status an exception goes out with: 500 for server faults, which
// the SDK retries, 400 for the rest.
func statusOf(ae smithy.APIError) int {
	if ae.ErrorCode() == "InternalServerError" || ae.ErrorFault() == smithy.FaultServer {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// requestID returns an ID in the style of AWS request IDs.
func (svc *service) requestID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	svc.mu.Lock()
	defer svc.mu.Unlock()
	b := make([]byte, 52)
	for i := range b {
		b[i] = alphabet[svc.reqRNG.IntN(len(alphabet))]
	}
	return string(b)
}

// Exceptions, with messages in the service's style.

func validationError(format string, args ...any) error {
	return &smithy.GenericAPIError{Code: "ValidationException", Message: fmt.Sprintf(format, args...), Fault: smithy.FaultClient}
}

// constraint is the service's wording for a parameter that breaks its constraints.
func constraint(param, value, rule string) error {
	return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: %s",
		truncate(value, 80), param, rule)
}

func missing(param string) error {
	return validationError("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", param)
}

func notFound(format string, args ...any) error {
	return &types.ResourceNotFoundException{Message: aws.String(fmt.Sprintf(format, args...))}
}

func trimmedError(format string, args ...any) error {
	return &types.TrimmedDataAccessException{Message: aws.String(fmt.Sprintf(format, args...))}
}

func expiredError(format string, args ...any) error {
	return &types.ExpiredIteratorException{Message: aws.String(fmt.Sprintf(format, args...))}
}

// truncate shortens untrusted input before it goes into a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Parameter checks shared by the operations.

// checkStreamARN checks a stream ARN parameter as the service does: 37 to 1024
// characters shaped arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL.
func checkStreamARN(param string, arn *string, required bool) error {
	if arn == nil {
		if required {
			return missing(param)
		}
		return nil
	}
	a := *arn
	if len(a) < 37 || len(a) > 1024 {
		return constraint(param, a, "Member must have length between 37 and 1024")
	}
	parts := strings.SplitN(a, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "dynamodb" || parts[3] == "" || parts[4] == "" {
		return validationError("Invalid StreamArn: %q is not a DynamoDB stream ARN", truncate(a, 120))
	}
	table, label, ok := strings.Cut(parts[5], "/stream/")
	name, hasName := strings.CutPrefix(table, "table/")
	if !ok || !hasName || checkTableName(name) != nil || label == "" {
		return validationError("Invalid StreamArn: %q is not a DynamoDB stream ARN", truncate(a, 120))
	}
	return nil
}

// checkShardID checks a shard ID parameter: 28 to 65 characters.
func checkShardID(param string, id *string, required bool) error {
	if id == nil {
		if required {
			return missing(param)
		}
		return nil
	}
	if n := len(*id); n < 28 || n > 65 {
		return constraint(param, *id, "Member must have length between 28 and 65")
	}
	return nil
}
