package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/ddbstream/ddbstream"
)

// readToken reads the stream token saved in path. It returns false, and no error, when
// path is "" or names no file: there is nothing to resume.
func readToken(path string) (ddbstream.StreamToken, bool, error) {
	var tok ddbstream.StreamToken
	if path == "" {
		return tok, false, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return tok, false, nil
	}
	if err != nil {
		return tok, false, fmt.Errorf("%w: %w", errTokenFile, err)
	}
	if err := json.Unmarshal(b, &tok); err != nil {
		return tok, false, invalidToken(path, err)
	}
	if err := tok.Validate(); err != nil {
		return tok, false, invalidToken(path, err)
	}
	return tok, true, nil
}

func invalidToken(path string, err error) error {
	if errors.Is(err, ddbstream.ErrInvalidToken) {
		return fmt.Errorf("%s: %w; fix or delete it", path, err)
	}
	return fmt.Errorf("%w: %s: %w; fix or delete it", ddbstream.ErrInvalidToken, path, err)
}

// writeToken saves tok in path atomically: it writes a temporary file in the same
// directory and renames it over path, so path always holds a whole token, the old one
// or the new one, whenever the process stops.
func writeToken(path string, tok ddbstream.StreamToken) error {
	b, err := json.Marshal(tok)
	if err != nil {
		return fmt.Errorf("%w: %w", errTokenFile, err)
	}
	b = append(b, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("%w: %w", errTokenFile, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644) // CreateTemp makes it 0600; a token is no secret
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("%w: %w", errTokenFile, err)
	}
	return nil
}

// giveBack returns tok changed so that it resumes at rec, which Stream.Next returned but
// which was not printed: rec's shard resumes at rec itself (AT_SEQUENCE_NUMBER). Records
// of that shard after rec were not printed either, and its earlier ones were, so this
// loses and repeats nothing. When the shard was finished and pruned from the token, it
// comes back as a root; its children in the token name it as their parent, so they still
// wait for it.
func giveBack(tok ddbstream.StreamToken, rec ddbstream.Record) ddbstream.StreamToken {
	at := ddbstream.ShardToken{ShardID: rec.ShardID, IteratorType: "at_sequence", SequenceNumber: rec.SequenceNumber}
	shards := slices.Clone(tok.Shards)
	if i := slices.IndexFunc(shards, func(t ddbstream.ShardToken) bool { return t.ShardID == rec.ShardID }); i >= 0 {
		at.Parent = shards[i].Parent
		shards[i] = at
	} else {
		shards = append(shards, at)
		slices.SortFunc(shards, func(a, b ddbstream.ShardToken) int { return cmp.Compare(a.ShardID, b.ShardID) })
	}
	tok.Shards = shards
	return tok
}
