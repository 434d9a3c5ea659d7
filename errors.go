package ddbstream

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/aws/smithy-go"
)

// Sentinel errors. Errors returned by this package wrap at most one of them, so callers
// branch with errors.Is; where the failure came from the service, the SDK's typed
// exception stays reachable with errors.As (for example *types.TrimmedDataAccessException).
var (
	// ErrIteratorExpired means a shard iterator outlived its 15 minutes and could not be
	// refreshed without risking lost records (a LATEST position with nothing read yet).
	ErrIteratorExpired = errors.New("ddbstream: shard iterator expired")

	// ErrTrimmed means the position asked for is older than the stream's 24-hour
	// retention: the records there have been removed.
	ErrTrimmed = errors.New("ddbstream: position trimmed from stream")

	// ErrStreamNotFound means the stream ARN names no stream the endpoint knows.
	ErrStreamNotFound = errors.New("ddbstream: stream not found")

	// ErrShardNotFound means the shard is unknown to the endpoint, or no longer listed.
	ErrShardNotFound = errors.New("ddbstream: shard not found")

	// ErrInvalidToken means a token could not be used: malformed JSON, an unknown
	// version or iterator type, a bad sequence number, shards of two streams, a cycle.
	ErrInvalidToken = errors.New("ddbstream: invalid token")

	// ErrInvalidArgument means an argument is malformed: a nil Session, an empty or
	// malformed stream ARN or shard ID, a position without its sequence number, or a
	// parameter the service rejected as invalid (ValidationException).
	ErrInvalidArgument = errors.New("ddbstream: invalid argument")

	// ErrInvalidOption means an Option was given a value outside its valid range.
	ErrInvalidOption = errors.New("ddbstream: invalid option")

	// ErrNoImage means a record carries no image of the kind asked for: the stream's view
	// type leaves it out, or the operation has none (an insert has no old image).
	ErrNoImage = errors.New("ddbstream: record has no such image")

	// ErrStreamDisabled means the stream was disabled and every record it held has been
	// returned: nothing more will come. Re-enabling a table's stream creates a new stream
	// with a new ARN.
	ErrStreamDisabled = errors.New("ddbstream: stream disabled")

	// ErrClosed means the Stream was closed.
	ErrClosed = errors.New("ddbstream: stream closed")
)

// IsRetryable reports whether err is a transient failure worth trying again after a
// pause: throttling (LimitExceededException, ThrottlingException), a server fault (HTTP
// 5xx, InternalServerError) or a broken connection. It uses the SDK's own
// classification, so it agrees with the retries the SDK client already made, and also
// counts an InternalServerError that came without its HTTP 500, as an in-process
// Session (streamtest) returns it.
func IsRetryable(err error) bool {
	// The SDK counts a timeout as a broken connection; a context that ended is not
	// transient for its caller.
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) {
	case aws.TrueTernary:
		return true
	case aws.FalseTernary:
		return false
	}
	// The SDK retries InternalServerError for its status code alone.
	var ise *types.InternalServerError
	return errors.As(err, &ise)
}

// isThrottle reports whether err is the service asking us to slow down.
func isThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// isValidation reports whether err is the service's ValidationException, which the SDK
// does not model and delivers as a generic API error.
func isValidation(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
}

// apiError wraps an error returned by call on the resource described by where (such as
// "shard shardId-…") with the sentinel that fits it and advice on what to do. The SDK
// error stays in the chain, so errors.As reaches its typed exception; context errors
// stay reachable with errors.Is.
func apiError(where, call string, err error) error {
	var (
		expired  *types.ExpiredIteratorException
		trimmed  *types.TrimmedDataAccessException
		notFound *types.ResourceNotFoundException
	)
	switch {
	case errors.As(err, &expired):
		return fmt.Errorf("%w: %s: %s: %w", ErrIteratorExpired, where, call, err)
	case errors.As(err, &trimmed):
		return fmt.Errorf("%w: %s: %s: %w; jump to TrimHorizon() to skip the gap", ErrTrimmed, where, call, err)
	case errors.As(err, &notFound) && call == "DescribeStream":
		return fmt.Errorf("%w: %s: %s: %w; check the ARN, the region and that the table still has a stream", ErrStreamNotFound, where, call, err)
	case errors.As(err, &notFound):
		return fmt.Errorf("%w: %s: %s: %w; the shard may have been trimmed or the stream deleted", ErrShardNotFound, where, call, err)
	case isValidation(err):
		return fmt.Errorf("%w: %s: %s: %w", ErrInvalidArgument, where, call, err)
	}
	return fmt.Errorf("ddbstream: %s: %s: %w", where, call, err)
}
