package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream/streamtest"
)

func TestShards_Golden(t *testing.T) {
	sc := newScenario(t)
	res := runCLI(t, loopback(t), "shards", "--endpoint", sc.s.URL(), "--table", "Orders")
	require.Equal(t, 0, res.code, res.stderr)
	golden(t, "shards", sc.normalize(res.stdout))
	assert.Equal(t, []string{
		"ddbstream: table Orders: stream " + sc.s.ARN(),
		"ddbstream: " + sc.s.ARN() + ": 3 shards, 2 open, 1 closed",
	}, lines(res.stderr))
}

// A shard whose parent is no longer listed is a root, and says so. Here the first shard
// rolled over and was forgotten a retention period later; its child then split.
func TestShards_TrimmedParent(t *testing.T) {
	s := streamtest.NewStream(streamtest.Seed(42), streamtest.SequenceStart("100000000000000000000"),
		streamtest.Retention(time.Hour), streamtest.Shards(2))
	t.Cleanup(s.Close)
	first := s.ShardIDs()[0]
	child := s.Split(first, 1)[0]
	s.Advance(2 * time.Hour)
	s.Split(child, 2)
	require.NotContains(t, s.ShardIDs(), first)

	res := runCLI(t, loopback(t), "shards", "--endpoint", s.URL(), "--stream-arn", s.ARN())
	require.Equal(t, 0, res.code, res.stderr)
	sc := &scenario{t: t, s: s}
	out := sc.normalize(res.stdout)
	// The forgotten shard's ID is not among ShardIDs, so normalize leaves its time.
	out = strings.ReplaceAll(out, first, "shardId-00000000000000000000-"+first[len(first)-8:])
	golden(t, "shards_trimmed_parent", out)
}
