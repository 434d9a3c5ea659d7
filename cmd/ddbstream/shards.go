package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ddbstream/ddbstream"
)

// shardsOptions are the flags of ddbstream shards.
type shardsOptions struct{ target }

func shardsCommand() *command {
	o := &shardsOptions{}
	return &command{flags: o.flags, run: o.run}
}

func (o *shardsOptions) flags(errOut io.Writer) *flagSet {
	fs := newFlagSet("shards", "ddbstream shards (--stream-arn ARN | --table NAME) [flags]",
		`Print a stream's shard lineage on stdout: the oldest shards listed first, each
shard's children indented below it, with its state (open or closed) and its
sequence number range (first..last; an open shard has no last yet). A shard whose
parent was trimmed says so.
`, errOut)
	o.target.register(fs)
	return fs
}

func (o *shardsOptions) run(ctx context.Context, e *env) int {
	c, arn, err := o.connect(ctx, e)
	if err != nil {
		return e.failUnlessDone(ctx, err)
	}
	shards, err := ddbstream.LoadShards(ctx, c, arn)
	if err != nil {
		return e.failUnlessDone(ctx, err)
	}
	if _, err := e.stdout.Write(appendTree(nil, shards)); err != nil {
		return e.fail(fmt.Errorf("%w: %w", errOutput, err))
	}
	open := 0
	for _, root := range ddbstream.Roots(shards) {
		for sh := range root.WalkTree() {
			if _, end := sh.SequenceNumberRange(); end == "" {
				open++
			}
		}
	}
	e.statusf("%s: %d shards, %d open, %d closed", arn, len(shards), open, len(shards)-open)
	return 0
}

// appendTree appends the lineage of shards, one line a shard, depth first from each
// root, children indented by two spaces:
//
//	shardId-…-aaaaaaaa  closed  100000000000000000001..100000000000000000042
//	  shardId-…-bbbbbbbb  open  100000000000000000050..
func appendTree(b []byte, shards map[string]*ddbstream.Shard) []byte {
	var walk func(sh *ddbstream.Shard, depth int)
	walk = func(sh *ddbstream.Shard, depth int) {
		for range depth {
			b = append(b, "  "...)
		}
		start, end := sh.SequenceNumberRange()
		b = append(b, sh.ID()...)
		if end == "" {
			b = append(b, "  open  "...)
		} else {
			b = append(b, "  closed  "...)
		}
		b = append(b, start...)
		b = append(b, ".."...)
		b = append(b, end...)
		if sh.Parent() == nil && sh.ParentID() != "" {
			b = append(b, "  (parent "...)
			b = append(b, sh.ParentID()...)
			b = append(b, " trimmed)"...)
		}
		b = append(b, '\n')
		for _, c := range sh.Children() {
			walk(c, depth+1)
		}
	}
	for _, root := range ddbstream.Roots(shards) {
		walk(root, 0)
	}
	return b
}
