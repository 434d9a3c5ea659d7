package ddbstream

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// update rewrites golden files instead of comparing with them:
//
//	go test -run TestName -update .
//
// Only rendered output is golden; token fixtures in testdata/tokens are inputs and are
// never rewritten.
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/<name>.golden, or writes got there when -update is
// set. name may contain slashes ("cli/tail" is testdata/cli/tail.golden). Render the
// whole output of a test into one got, so a changed line shows in context.
func golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name)+".golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		t.Logf("updated %s", path)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "no golden file: run go test -run '%s' -update", t.Name())
	require.Equal(t, string(want), string(got),
		"output differs from %s; if the change is intended, run go test -run '%s' -update and review the diff",
		path, t.Name())
}

// Golden is golden for tests in package ddbstream_test (the export_test.go idiom: it
// exists only in test builds).
var Golden = golden
