package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemo(t *testing.T) {
	start := time.Now()
	res := runCLI(t, noSession(t), "demo")
	require.Equal(t, 0, res.code, res.stderr)
	assert.Less(t, time.Since(start), 5*time.Second)

	// Records only on stdout: 3 read, then 5 on resume, then 5 again after the seek.
	out := lines(res.stdout)
	require.Len(t, out, 13)
	var ops []string
	for _, l := range out {
		ops = append(ops, strings.Fields(l)[1])
	}
	assert.Equal(t, []string{
		"INSERT", "INSERT", "INSERT",
		"MODIFY", "REMOVE", "INSERT", "MODIFY", "REMOVE",
		"MODIFY", "REMOVE", "INSERT", "MODIFY", "REMOVE",
	}, ops)
	assert.Equal(t, out[3:8], out[8:13], "the seek replays the records from the seek time")
	assert.True(t, strings.HasSuffix(out[7], " ttl"), out[7])

	// Each step is told on stderr, and only there.
	for _, step := range []string{"demo: 1. ", "demo: 3. tail", "demo: 5. resume", "demo: 6. seek back", "demo: done: "} {
		assert.Contains(t, res.stderr, step)
	}
	assert.NotContains(t, res.stdout, "demo:")

	// The same seed writes the same sequence numbers and event IDs.
	again := runCLI(t, noSession(t), "demo", "--format", "jsonl")
	require.Equal(t, 0, again.code, again.stderr)
	for i, l := range lines(again.stdout) {
		assert.Contains(t, l, `"sequence_number":"`+strings.Fields(out[i])[3]+`"`)
	}
}
