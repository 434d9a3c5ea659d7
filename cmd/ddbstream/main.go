package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"

	"github.com/ddbstream/ddbstream"
)

// api is what the command calls: the library's Session plus ListStreams, which turns a
// table name into its stream's ARN. *dynamodbstreams.Client and *streamtest.Stream
// satisfy it.
type api interface {
	ddbstream.Session
	ListStreams(ctx context.Context, in *dynamodbstreams.ListStreamsInput, optFns ...func(*dynamodbstreams.Options)) (*dynamodbstreams.ListStreamsOutput, error)
}

var _ api = (*dynamodbstreams.Client)(nil)

// sessionFunc builds the client a command uses; region and endpoint are the --region and
// --endpoint flags, "" when not given.
type sessionFunc func(ctx context.Context, region, endpoint string) (api, error)

func main() {
	// A closed stdout (ddbstream tail | head) must fail the write, not kill the process
	// before the token file is saved.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C stops the command, which saves its token; a second one kills it
	// (the token file is replaced atomically, so it is never left half written).
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, newAWSSession)
	stop()
	os.Exit(code)
}

// newAWSSession builds a client from the usual AWS configuration (environment, shared
// files, instance role), with the region and endpoint of the flags when given. It is
// the only place that reads AWS configuration.
func newAWSSession(ctx context.Context, region, endpoint string) (api, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
	}
	c, err := ddbstream.NewSession(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if c.Options().Region == "" && endpoint == "" {
		return nil, errNoRegion
	}
	return c, nil
}

// run is main without the process: it runs the command named by args[0] and returns the
// exit code: 0 on success, 1 on a runtime error (one line on stderr), 2 on a usage error
// (with the usage text on stderr). Records go to stdout, everything else to stderr. ctx
// ends the command cleanly, as Ctrl-C does.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, newSession sessionFunc) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			fmt.Fprint(stdout, usage)
			return 0
		}
		cmd := lookup(rest[0])
		if cmd == nil {
			fmt.Fprintf(stderr, "ddbstream: unknown command %q\n\n%s", rest[0], usage)
			return 2
		}
		cmd.flags(io.Discard).usage(stdout)
		return 0
	}
	cmd := lookup(name)
	if cmd == nil {
		fmt.Fprintf(stderr, "ddbstream: unknown command %q\n\n%s", name, usage)
		return 2
	}
	fs := cmd.flags(stderr)
	switch err := fs.parse(rest); {
	case errors.Is(err, flag.ErrHelp):
		fs.usage(stdout)
		return 0
	case err != nil:
		// The flag package has printed what was wrong; usageError texts are ours.
		if ue := (usageError{}); errors.As(err, &ue) {
			fmt.Fprintf(stderr, "ddbstream %s: %s\n", name, ue.msg)
		}
		fs.usage(stderr)
		return 2
	}
	return cmd.run(ctx, &env{stdout: stdout, stderr: stderr, newSession: newSession})
}

// usage is the text of ddbstream help.
const usage = `ddbstream reads Amazon DynamoDB Streams.

Usage:
  ddbstream <command> [flags]

Commands:
  tail     print a stream's records as they arrive, and save where it stopped
  shards   print a stream's shard lineage: each shard's state and sequence range
  demo     a guided run on an in-memory stream: no AWS account needed
  help     this text, or a command's flags: ddbstream help tail

A stream is named by --stream-arn ARN or --table NAME (the table's newest stream).
AWS credentials and region come from the usual places (environment, ~/.aws, instance
role); --region and --endpoint override them.
`

// A command is one subcommand: its flags and what it does once they parsed.
type command struct {
	flags func(errOut io.Writer) *flagSet
	run   func(ctx context.Context, e *env) int
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	switch name {
	case "tail":
		return tailCommand()
	case "shards":
		return shardsCommand()
	case "demo":
		return demoCommand()
	}
	return nil
}

// env is what a running command writes to and calls.
type env struct {
	stdout     io.Writer
	stderr     io.Writer
	newSession sessionFunc
}

// statusf writes a status line on stderr.
func (e *env) statusf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "ddbstream: "+format+"\n", args...)
}

// fail writes err on stderr as one line naming its cause and returns exit code 1.
func (e *env) fail(err error) int {
	fmt.Fprintln(e.stderr, errorLine(err))
	return 1
}
