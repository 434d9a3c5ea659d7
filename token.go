package ddbstream

import (
	"encoding/json"
	"fmt"
	"time"
)

// TokenVersion is the version of the token format this package writes. Version 0 (no
// version field) is the Python design's layout, which is read but never written.
const TokenVersion = 1

// Iterator type names in tokens: the Python design's names, plus at_timestamp.
const (
	tokTrimHorizon   = "trim_horizon"
	tokLatest        = "latest"
	tokAtSequence    = "at_sequence"
	tokAfterSequence = "after_sequence"
	tokAtTimestamp   = "at_timestamp"
)

// A ShardToken is a saved place in one shard; [UnpackShards] and [ResumeStream] continue
// exactly there. Its JSON form is stable and only ever gains fields:
//
//	{"version":1,"stream_arn":"arn:aws:dynamodb:…/stream/…","shard_id":"shardId-…",
//	 "parent":"shardId-…","iterator_type":"after_sequence","sequence_number":"4000…123"}
//
// iterator_type is one of trim_horizon, latest, at_sequence and after_sequence (these two
// with sequence_number), and at_timestamp (with timestamp, RFC 3339: a seek by time that
// has not found its first record yet, or a shard positioned at LATEST that returned
// nothing yet, as of a second before it was; see [Shard.Token]). exhausted marks a
// shard that was read to its end.
// A token without a version is read as the Python design's shard token, whose fields are
// the same. Within a [StreamToken], stream_arn may be left out.
type ShardToken struct {
	Version        int            `json:"version,omitempty"`
	StreamARN      string         `json:"stream_arn,omitempty"`
	ShardID        string         `json:"shard_id"`
	Parent         string         `json:"parent,omitempty"`
	IteratorType   string         `json:"iterator_type"`
	SequenceNumber SequenceNumber `json:"sequence_number,omitempty"`
	Timestamp      time.Time      `json:"timestamp,omitzero"`
	Exhausted      bool           `json:"exhausted,omitempty"`
}

// newShardToken describes a shard at position p.
func newShardToken(streamARN, shardID, parent string, p Position, exhausted bool) ShardToken {
	t := ShardToken{
		Version:   TokenVersion,
		StreamARN: streamARN,
		ShardID:   shardID,
		Parent:    parent,
		Exhausted: exhausted,
	}
	switch p.kind {
	case kindTrimHorizon:
		t.IteratorType = tokTrimHorizon
	case kindLatest:
		t.IteratorType = tokLatest
	case kindAtSequence:
		t.IteratorType, t.SequenceNumber = tokAtSequence, p.seq
	case kindAfterSequence:
		t.IteratorType, t.SequenceNumber = tokAfterSequence, p.seq
	case kindAtTimestamp:
		t.IteratorType, t.Timestamp = tokAtTimestamp, p.at
	}
	return t
}

// Position returns the position the token resumes at. It fails, wrapping
// [ErrInvalidToken], when the token is malformed; see [ShardToken.Validate].
func (t ShardToken) Position() (Position, error) {
	if err := t.Validate(); err != nil {
		return Position{}, err
	}
	return t.position(), nil
}

// position assumes t is valid.
func (t ShardToken) position() Position {
	switch t.IteratorType {
	case tokLatest:
		return Latest()
	case tokAtSequence:
		return AtSequenceNumber(t.SequenceNumber)
	case tokAfterSequence:
		return AfterSequenceNumber(t.SequenceNumber)
	case tokAtTimestamp:
		return AtTimestamp(t.Timestamp)
	}
	return TrimHorizon()
}

// Validate checks one token on its own: version, stream ARN (when set), shard and parent
// IDs, iterator type and the sequence number or timestamp it needs. The error wraps
// [ErrInvalidToken] and names the shard and the field.
func (t ShardToken) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: shard %q: %s", ErrInvalidToken, truncate(t.ShardID, 80), fmt.Sprintf(format, args...))
	}
	if t.Version < 0 || t.Version > TokenVersion {
		return bad("version %d is not supported (this package reads 0 to %d); upgrade ddbstream", t.Version, TokenVersion)
	}
	if err := validateShardID(t.ShardID); err != nil {
		return bad("shard_id: %v", err)
	}
	if t.StreamARN != "" {
		if err := validateStreamARN(t.StreamARN); err != nil {
			return bad("stream_arn: %v", err)
		}
	}
	if t.Parent != "" {
		if err := validateShardID(t.Parent); err != nil {
			return bad("parent: %v", err)
		}
		if t.Parent == t.ShardID {
			return bad("parent: the shard is its own parent")
		}
	}
	needSeq := t.IteratorType == tokAtSequence || t.IteratorType == tokAfterSequence
	switch t.IteratorType {
	case tokTrimHorizon, tokLatest, tokAtSequence, tokAfterSequence, tokAtTimestamp:
	default:
		return bad("iterator_type %q is unknown (want trim_horizon, latest, at_sequence, after_sequence or at_timestamp)",
			truncate(t.IteratorType, 40))
	}
	switch {
	case needSeq && t.SequenceNumber == "":
		return bad("iterator_type %s needs a sequence_number", t.IteratorType)
	case needSeq:
		if problem := t.SequenceNumber.problem(); problem != "" {
			return bad("sequence_number: %s", problem)
		}
	case t.SequenceNumber != "":
		return bad("iterator_type %s takes no sequence_number", t.IteratorType)
	}
	switch {
	case t.IteratorType == tokAtTimestamp && t.Timestamp.IsZero():
		return bad("iterator_type at_timestamp needs a timestamp")
	case t.IteratorType != tokAtTimestamp && !t.Timestamp.IsZero():
		return bad("iterator_type %s takes no timestamp", t.IteratorType)
	case t.IteratorType == tokAtTimestamp:
		// Outside these years (in UTC, as positions keep it) the time has no RFC 3339
		// form, so a token resumed from it could never be saved again.
		if y := t.Timestamp.UTC().Year(); y < 0 || y > 9999 {
			return bad("timestamp %s is outside the years 0 to 9999", t.Timestamp.UTC().Format(time.RFC3339Nano))
		}
	}
	return nil
}

// validateShardTokens checks a set of tokens for one stream: each token, the stream ARN
// they carry, duplicates and parent cycles. Parents that are not in the set are allowed:
// they were read to the end and pruned, or trimmed.
func validateShardTokens(streamARN string, toks []ShardToken) error {
	if err := validateStreamARN(streamARN); err != nil {
		return fmt.Errorf("%w: stream_arn: %v", ErrInvalidToken, err)
	}
	parents := make(map[string]string, len(toks))
	for _, t := range toks {
		if err := t.Validate(); err != nil {
			return err
		}
		if t.StreamARN != "" && t.StreamARN != streamARN {
			return fmt.Errorf("%w: shard %q: stream_arn %q is not the token's stream %q: tokens of two streams cannot be mixed",
				ErrInvalidToken, t.ShardID, t.StreamARN, streamARN)
		}
		if _, dup := parents[t.ShardID]; dup {
			return fmt.Errorf("%w: shard %q: shard_id appears twice", ErrInvalidToken, t.ShardID)
		}
		parents[t.ShardID] = t.Parent
	}
	// Walk each chain of parents once, marking shards on the current path: reaching one
	// of those again is a cycle. Linear in the number of shards, whatever the chains.
	const onPath, done = 1, 2
	state := make(map[string]uint8, len(toks))
	for _, t := range toks {
		var path []string
		id := t.ShardID
		for id != "" && state[id] == 0 {
			state[id] = onPath
			path = append(path, id)
			id = parents[id] // "" past the set's roots and unknown parents
		}
		if id != "" && state[id] == onPath {
			return fmt.Errorf("%w: shard %q is its own ancestor (a parent cycle)", ErrInvalidToken, id)
		}
		for _, p := range path {
			state[p] = done
		}
	}
	return nil
}

// A StreamToken is a saved place in a whole stream; [ResumeStream] continues exactly
// there. Its JSON form is stable and only ever gains fields; Version changes when a
// meaning does:
//
//	{"version":1,"stream_arn":"arn:aws:dynamodb:…/stream/…","shards":[
//	  {"shard_id":"shardId-…a","iterator_type":"after_sequence","sequence_number":"…","exhausted":true},
//	  {"shard_id":"shardId-…b","parent":"shardId-…a","iterator_type":"trim_horizon"}]}
//
// Shards holds every shard not finished: those that may still have records to deliver
// (with unread descendants the Stream already knows of), and shards read to their end
// whose children are not known yet. A finished shard (read to its end, every record
// returned, its children known) is left out, so the size follows the number of
// unfinished shards, not the stream's age.
//
// UnmarshalJSON also accepts the Python design's layout, {"stream_arn", "active",
// "shards"} without a version: the shards named in active are resumed and the others are
// taken as read to their end.
type StreamToken struct {
	Version   int          `json:"version"`
	StreamARN string       `json:"stream_arn"`
	Shards    []ShardToken `json:"shards"`
}

// UnmarshalJSON decodes a token in this package's format or the Python design's. It
// checks only the layout; [StreamToken.Validate] checks the content. On error t is
// unchanged.
func (t *StreamToken) UnmarshalJSON(b []byte) error {
	// Named, so a type error reads "…into Go value of type ddbstream.streamTokenJSON".
	type streamTokenJSON struct {
		Version   *int         `json:"version"`
		StreamARN string       `json:"stream_arn"`
		Shards    []ShardToken `json:"shards"`
		Active    *[]string    `json:"active"`
	}
	var raw streamTokenJSON
	// json.Unmarshal, unlike a Decoder, rejects data after the token.
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	// A timestamp is an instant: keep it in UTC, as positions do, so the zone it was
	// written in (or the zero instant written in some zone) does not make equal tokens
	// differ after a save and a load.
	for i := range raw.Shards {
		raw.Shards[i].Timestamp = raw.Shards[i].Timestamp.UTC()
	}
	out := StreamToken{StreamARN: raw.StreamARN, Shards: raw.Shards}
	switch {
	case raw.Version != nil && raw.Active != nil:
		return fmt.Errorf("%w: a token has either a version or an active list (the Python layout), not both", ErrInvalidToken)
	case raw.Version != nil:
		out.Version = *raw.Version
	case raw.Active != nil:
		// The Python layout: its coordinator read only the active shards; the rest of
		// its tree had been read to the end.
		active := make(map[string]bool, len(*raw.Active))
		for _, id := range *raw.Active {
			active[id] = true
		}
		out.Shards = make([]ShardToken, len(raw.Shards))
		for i, s := range raw.Shards {
			if s.Version != 0 {
				return fmt.Errorf("%w: shard %q: version in a Python-layout token", ErrInvalidToken, truncate(s.ShardID, 80))
			}
			s.Exhausted = !active[s.ShardID]
			delete(active, s.ShardID)
			out.Shards[i] = s
		}
		for _, id := range *raw.Active { // in order, so the error names the first missing
			if active[id] {
				return fmt.Errorf("%w: active shard %q is not among the token's shards", ErrInvalidToken, truncate(id, 80))
			}
		}
		out.Version = TokenVersion
	default:
		return fmt.Errorf("%w: no version field (and no active list, so not the Python layout either)", ErrInvalidToken)
	}
	*t = out
	return nil
}

// Validate checks everything a resume relies on, before anything is applied: the
// version, the stream ARN, each shard token, that all shards belong to this stream, that
// no shard appears twice and that parents form no cycle. The error wraps
// [ErrInvalidToken] and names the offending field.
func (t StreamToken) Validate() error {
	if t.Version < 1 || t.Version > TokenVersion {
		return fmt.Errorf("%w: version %d is not supported (this package reads 1 to %d, and the Python layout)",
			ErrInvalidToken, t.Version, TokenVersion)
	}
	return validateShardTokens(t.StreamARN, t.Shards)
}
