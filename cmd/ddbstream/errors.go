package main

import (
	"context"
	"errors"
	"strings"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/ddbstream/ddbstream"
)

// Errors of the command itself; the library's sentinels name the rest.
var (
	errNoRegion  = errors.New("no region")
	errTokenFile = errors.New("token file")
	errOutput    = errors.New("cannot write output")
)

// errorLine renders err as the one line a failed command prints on stderr:
// "ddbstream: <cause>: <what happened>", where the cause is short and fixed (stream not
// found, access denied, trimmed position, …) and the rest is the underlying message,
// with a hint where the command knows what to do.
func errorLine(err error) string {
	c := causeOf(err)
	msg := strings.TrimPrefix(err.Error(), "ddbstream: ")
	// Say the cause once: the library's messages start with their sentinel's text.
	if c.sentinel != nil {
		msg = cutPrefix(msg, strings.TrimPrefix(c.sentinel.Error(), "ddbstream: "))
	}
	msg = cutPrefix(msg, c.name)
	line := "ddbstream: " + c.name
	if msg != "" {
		line += ": " + msg
	}
	if c.hint != "" {
		line += " (" + c.hint + ")"
	}
	return strings.Join(strings.Fields(line), " ") // one line, whatever the SDK wrote
}

// cutPrefix removes prefix from msg when msg is prefix or starts with prefix and ": ".
func cutPrefix(msg, prefix string) string {
	if msg == prefix {
		return ""
	}
	return strings.TrimPrefix(msg, prefix+": ")
}

type cause struct {
	name     string
	sentinel error // the library sentinel the message starts with, if any
	hint     string
}

// sentinelCauses are the library's sentinels, in the order they are tested.
var sentinelCauses = []cause{
	{"stream not found", ddbstream.ErrStreamNotFound, ""},
	{"shard not found", ddbstream.ErrShardNotFound, ""},
	{"trimmed position", ddbstream.ErrTrimmed,
		"records older than 24 hours are gone; to start at the oldest record still held, delete the token file or pass --from trim_horizon"},
	{"iterator expired", ddbstream.ErrIteratorExpired, ""},
	{"invalid token", ddbstream.ErrInvalidToken, ""},
	{"invalid argument", ddbstream.ErrInvalidArgument, ""},
	{"invalid option", ddbstream.ErrInvalidOption, ""},
	{"no region", errNoRegion, "pass --region or set AWS_REGION"},
	{"token file", errTokenFile, ""},
	{"cannot write output", errOutput, ""},
}

// apiCauses names the error codes of the service and of AWS's front end.
var apiCauses = map[string]cause{
	"ResourceNotFoundException":   {name: "stream not found"},
	"TrimmedDataAccessException":  {name: "trimmed position"},
	"ExpiredIteratorException":    {name: "iterator expired"},
	"ValidationException":         {name: "invalid argument"},
	"AccessDeniedException":       {name: "access denied", hint: "the credentials lack a dynamodb:ListStreams, DescribeStream, GetShardIterator or GetRecords permission"},
	"UnrecognizedClientException": {name: "credentials rejected"},
	"InvalidSignatureException":   {name: "credentials rejected"},
	"IncompleteSignature":         {name: "credentials rejected"},
	"MissingAuthenticationToken":  {name: "credentials rejected"},
	"ExpiredTokenException":       {name: "credentials expired"},
	"LimitExceededException":      {name: "throttled"},
	"ThrottlingException":         {name: "throttled"},
	"InternalServerError":         {name: "service error"},
	"ServiceUnavailable":          {name: "service error"},
}

// causeOf classifies err: a library sentinel first (the library wraps the SDK's typed
// exceptions in them), then the service's error code, then the ways a request fails
// before it gets an answer.
func causeOf(err error) cause {
	for _, c := range sentinelCauses {
		if errors.Is(err, c.sentinel) {
			return c
		}
	}
	var (
		ae      smithy.APIError
		signing *v4.SigningError
		send    *smithyhttp.RequestSendError
	)
	switch {
	case errors.As(err, &signing):
		return cause{name: "no usable AWS credentials", hint: "configure them with aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID"}
	case errors.As(err, &ae):
		if c, ok := apiCauses[ae.ErrorCode()]; ok {
			return c
		}
		return cause{name: ae.ErrorCode()}
	case errors.As(err, &send):
		return cause{name: "cannot reach the endpoint", hint: "check --endpoint, --region and the network"}
	case errors.Is(err, context.DeadlineExceeded):
		return cause{name: "timed out"}
	}
	return cause{name: "failed"}
}
