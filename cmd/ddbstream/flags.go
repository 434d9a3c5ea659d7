package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/ddbstream/ddbstream"
)

// A usageError is a mistake in the command line found after the flags parsed: run prints
// it with the usage text and exits 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// flagSet is one subcommand's flags, with the text its usage prints around them.
type flagSet struct {
	*flag.FlagSet
	synopsis string       // "ddbstream tail (--stream-arn ARN | --table NAME) [flags]"
	about    string       // what the command does, a few lines
	check    func() error // checks the parsed flags together; a usageError when they clash
}

// newFlagSet returns an empty flag set whose parse errors go to errOut. It prints no usage
// by itself: run does, on stdout when asked for with -h and on stderr after a mistake.
func newFlagSet(name, synopsis, about string, errOut io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {}
	return &flagSet{FlagSet: fs, synopsis: synopsis, about: about}
}

// parse parses args and checks that no argument is left over and that the flags agree.
func (f *flagSet) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		return err
	}
	if f.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (flags take the form --name value)", f.Arg(0))}
	}
	if f.check != nil {
		return f.check()
	}
	return nil
}

// usage writes the command's usage text to w.
func (f *flagSet) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\nFlags:\n", f.synopsis, f.about)
	out := f.Output()
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(out)
}

// target is the stream a command reads, and where: the stream selection flags shared by
// tail and shards.
type target struct {
	streamARN, table string
	region, endpoint string
}

func (t *target) register(fs *flagSet) {
	fs.StringVar(&t.streamARN, "stream-arn", "", "read the stream with this `ARN`")
	fs.StringVar(&t.table, "table", "", "read the newest stream of the table called `NAME` (found with ListStreams)")
	fs.StringVar(&t.region, "region", "", "the AWS `REGION`, such as eu-west-1 (default: AWS_REGION or ~/.aws/config)")
	fs.StringVar(&t.endpoint, "endpoint", "", "send requests to `URL` rather than to AWS, e.g. http://localhost:8000 for a local emulator")
	fs.check = t.check
}

// check reports a usage error unless exactly one of --stream-arn and --table is given.
func (t *target) check() error {
	switch {
	case t.streamARN == "" && t.table == "":
		return usageError{"name the stream with --stream-arn ARN or --table NAME"}
	case t.streamARN != "" && t.table != "":
		return usageError{"give --stream-arn or --table, not both"}
	}
	return nil
}

// connect builds the session and returns it with the stream's ARN, resolving --table
// with ListStreams.
func (t *target) connect(ctx context.Context, e *env) (api, string, error) {
	c, err := e.newSession(ctx, t.region, t.endpoint)
	if err != nil {
		return nil, "", err
	}
	if t.streamARN != "" {
		return c, t.streamARN, nil
	}
	arn, err := newestStream(ctx, c, t.table)
	if err != nil {
		return nil, "", err
	}
	e.statusf("table %s: stream %s", t.table, arn)
	return c, arn, nil
}

// newestStream returns the ARN of the table's newest stream: the one with the greatest
// label, which is its creation time. Re-enabling a table's stream makes a new one, so
// older, disabled streams may be listed too.
func newestStream(ctx context.Context, c api, table string) (string, error) {
	var newest listedStream
	in := &dynamodbstreams.ListStreamsInput{TableName: aws.String(table)}
	for {
		out, err := c.ListStreams(ctx, in)
		if err != nil {
			return "", fmt.Errorf("table %s: ListStreams: %w", table, err)
		}
		for _, s := range out.Streams {
			if label := aws.ToString(s.StreamLabel); newest.arn == "" || label > newest.label {
				newest = listedStream{arn: aws.ToString(s.StreamArn), label: label}
			}
		}
		if out.LastEvaluatedStreamArn == nil {
			break
		}
		in.ExclusiveStartStreamArn = out.LastEvaluatedStreamArn
	}
	if newest.arn == "" {
		return "", fmt.Errorf("%w: table %s has no stream (ListStreams listed none); check the name, the region, and that the table has streams enabled",
			ddbstream.ErrStreamNotFound, table)
	}
	return newest.arn, nil
}

// listedStream is a listed stream: its ARN and label.
type listedStream struct{ arn, label string }

// fromUsage explains --from.
const fromUsage = "`WHEN` to start: trim_horizon (the oldest record held, up to 24 hours back), latest (new records only), " +
	"an RFC 3339 time such as 2026-11-26T10:00:00Z, or a duration such as 15m meaning that long ago (default latest)"

// parseFrom parses a --from value. A duration counts back from now.
func parseFrom(s string, now time.Time) (ddbstream.Position, error) {
	switch strings.ToLower(s) {
	case "trim_horizon":
		return ddbstream.TrimHorizon(), nil
	case "latest":
		return ddbstream.Latest(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return ddbstream.AtTimestamp(t), nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return ddbstream.Position{}, fmt.Errorf("%s: a duration counts back from now, so write it without a sign", s)
		}
		return ddbstream.AtTimestamp(now.Add(-d)), nil
	}
	return ddbstream.Position{}, errors.New("want trim_horizon, latest, an RFC 3339 time such as 2026-11-26T10:00:00Z, or a duration such as 15m")
}

// format is how records are printed: jsonl or text.
type format string

const (
	formatJSONL format = "jsonl"
	formatText  format = "text"
)

func (f *format) String() string { return string(*f) }

func (f *format) Set(s string) error {
	switch format(s) {
	case formatJSONL, formatText:
		*f = format(s)
		return nil
	}
	return errors.New("want jsonl or text")
}
