package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"github.com/ddbstream/ddbstream"
)

// tailOptions are the flags of ddbstream tail.
type tailOptions struct {
	target
	from       ddbstream.Position
	tokenFile  string
	maxRecords int
	stopAtHead bool
	format     format
}

func tailCommand() *command {
	o := &tailOptions{from: ddbstream.Latest(), format: formatJSONL}
	return &command{flags: o.flags, run: o.run}
}

func (o *tailOptions) flags(errOut io.Writer) *flagSet {
	fs := newFlagSet("tail", "ddbstream tail (--stream-arn ARN | --table NAME) [flags]",
		`Print a stream's records on stdout, one line each, oldest first, as they arrive;
status goes to stderr. Stop with Ctrl-C, --max-records or --stop-at-head. With
--token-file, the position is saved on every exit and the next run resumes there:
no record is lost or printed twice.
`, errOut)
	o.target.register(fs)
	fs.Func("from", fromUsage, func(s string) error {
		p, err := parseFrom(s, time.Now())
		if err == nil {
			o.from = p
		}
		return err
	})
	fs.StringVar(&o.tokenFile, "token-file", "", "resume from the token in `PATH` when it exists (--from is then ignored), and save the position there on exit")
	fs.IntVar(&o.maxRecords, "max-records", 0, "stop after printing `N` records (0: no limit)")
	fs.BoolVar(&o.stopAtHead, "stop-at-head", false, "stop once every shard has been read up to its newest record")
	fs.Var(&o.format, "format", "print records as `jsonl|text`: one JSON object a line, or one readable line")
	targetCheck := fs.check
	fs.check = func() error {
		if o.maxRecords < 0 {
			return usageError{fmt.Sprintf("--max-records %d: want 0 (no limit) or more", o.maxRecords)}
		}
		return targetCheck()
	}
	return fs
}

// streamOptions are the options tail passes to OpenStream and ResumeStream.
func streamOptions(stderr io.Writer, stopAtHead bool) []ddbstream.Option {
	opts := []ddbstream.Option{
		// An idle shard is polled at most this far apart (the default is 5s): a new
		// record shows within about 2s, at 30 GetRecords calls a minute per idle shard.
		ddbstream.IdlePollInterval(2 * time.Second),
		ddbstream.WithLogger(warnings(stderr)),
	}
	if stopAtHead {
		opts = append(opts, ddbstream.StopAtHead())
	}
	return opts
}

func (o *tailOptions) run(ctx context.Context, e *env) int {
	tok, resume, err := readToken(o.tokenFile)
	if err != nil {
		return e.fail(err)
	}
	c, arn, err := o.connect(ctx, e)
	if err != nil {
		return e.failUnlessDone(ctx, err)
	}
	opts := streamOptions(e.stderr, o.stopAtHead)
	var st *ddbstream.Stream
	if resume {
		if tok.StreamARN != arn {
			return e.fail(fmt.Errorf("%w: %s holds a position in stream %s, not in %s; delete it to start afresh",
				ddbstream.ErrInvalidToken, o.tokenFile, tok.StreamARN, arn))
		}
		st, err = ddbstream.ResumeStream(ctx, c, tok, opts...)
	} else {
		st, err = ddbstream.OpenStream(ctx, c, arn, o.from, opts...)
	}
	if err != nil {
		return e.failUnlessDone(ctx, err)
	}
	if resume {
		e.statusf("resuming %s from %s", arn, o.tokenFile)
	} else {
		e.statusf("reading %s from %s", arn, o.from)
	}

	n, unprinted, readErr := copyRecords(ctx, st, &printer{w: e.stdout, format: o.format}, o.maxRecords)
	_ = st.Close()
	end := ""
	switch {
	case readErr == nil && o.maxRecords > 0 && n == o.maxRecords:
		end = "; stopped at --max-records"
	case errors.Is(readErr, ddbstream.ErrStreamDisabled):
		end, readErr = "; the stream is disabled and every record was read", nil
	case errors.Is(readErr, io.EOF):
		end, readErr = "; caught up", nil
	case ctx.Err() != nil:
		end, readErr = "; interrupted", nil
	case errors.Is(readErr, syscall.EPIPE):
		end, readErr = "; stdout was closed", nil
	}
	var saveErr error
	if o.tokenFile != "" {
		tok := st.Token()
		if unprinted != nil {
			tok = giveBack(tok, *unprinted)
		}
		if saveErr = writeToken(o.tokenFile, tok); saveErr == nil {
			end += "; position saved in " + o.tokenFile
		}
	}
	e.statusf("%d records%s", n, end)
	code := 0
	if readErr != nil {
		code = e.fail(readErr)
	}
	if saveErr != nil {
		code = e.fail(saveErr)
	}
	return code
}

// copyRecords prints st's records until max have been printed (max 0: no limit) or Next
// fails. It calls Next only for a record it means to print; when printing one fails,
// that record is returned as unprinted, so the saved position can include it.
func copyRecords(ctx context.Context, st *ddbstream.Stream, p *printer, max int) (n int, unprinted *ddbstream.Record, err error) {
	for max == 0 || n < max {
		rec, err := st.Next(ctx)
		if err != nil {
			return n, nil, err
		}
		if err := p.print(rec); err != nil {
			return n, &rec, fmt.Errorf("%w: %w", errOutput, err)
		}
		n++
	}
	return n, nil, nil
}

// failUnlessDone is fail, except that a failure caused by ctx ending (Ctrl-C) is a clean
// stop.
func (e *env) failUnlessDone(ctx context.Context, err error) int {
	if ctx.Err() != nil {
		e.statusf("interrupted")
		return 0
	}
	return e.fail(err)
}

// warnings returns a logger that writes the library's warnings (retries, skipped gaps)
// to w. Errors are left out: the one that stops a command is reported by it, in one line.
func warnings(w io.Writer) *slog.Logger {
	return slog.New(warnOnly{slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn})})
}

// warnOnly passes on the records of its handler's level and above, up to warnings.
type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l < slog.LevelError && h.Handler.Enabled(ctx, l)
}
func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }
func (h warnOnly) WithGroup(name string) slog.Handler    { return warnOnly{h.Handler.WithGroup(name)} }
