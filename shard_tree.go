package ddbstream

import (
	"cmp"
	"fmt"
	"iter"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// This file builds and walks the lineage tree; it does no I/O (describe.go does).

// UnpackShards rebuilds the shards saved in tokens, linked to their parents, keyed by
// shard ID. Each shard resumes at its token's position; nothing is called until a shard
// is read. A parent missing from the set makes its child a root (it was read to its end
// and pruned, or trimmed). The whole set is validated first and nothing is built unless
// all of it is valid: an error wraps [ErrInvalidToken] for a bad token, tokens of another
// stream, a duplicate shard or a parent cycle, and [ErrInvalidArgument] or
// [ErrInvalidOption] for a bad session or option.
func UnpackShards(s Session, streamARN string, tokens []ShardToken, opts ...Option) (map[string]*Shard, error) {
	ep, err := newEndpoint(s, streamARN, opts)
	if err != nil {
		return nil, err
	}
	if err := validateShardTokens(streamARN, tokens); err != nil {
		return nil, err
	}
	shards := make(map[string]*Shard, len(tokens))
	for _, t := range tokens {
		p := t.position()
		shards[t.ShardID] = &Shard{
			ep:        ep,
			id:        t.ShardID,
			parentID:  t.Parent,
			position:  p,
			seeking:   p.kind == kindAtTimestamp,
			exhausted: t.Exhausted,
		}
	}
	if err := linkShards(shards); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidToken, err) // validated above; kept for safety
	}
	return shards, nil
}

// newListedShard builds a shard from a DescribeStream entry, positioned at TrimHorizon.
func newListedShard(ep *endpoint, d types.Shard) *Shard {
	s := &Shard{ep: ep, id: aws.ToString(d.ShardId), parentID: aws.ToString(d.ParentShardId)}
	if r := d.SequenceNumberRange; r != nil {
		s.start = SequenceNumber(aws.ToString(r.StartingSequenceNumber))
		s.end = SequenceNumber(aws.ToString(r.EndingSequenceNumber))
	}
	return s
}

// linkShards sets parent and children pointers among shards. Parents not in the map
// leave their children as roots. It fails on a parent cycle, which a malformed listing
// could contain, since walking one would never end.
func linkShards(shards map[string]*Shard) error {
	for _, s := range shards {
		s.parent = shards[s.parentID]
		if s.parent != nil && !slices.Contains(s.parent.children, s) {
			s.parent.children = append(s.parent.children, s)
		}
	}
	for _, s := range shards {
		sortShards(s.children)
		steps := 0
		for p := s.parent; p != nil; p = p.parent {
			if steps++; p == s || steps > len(shards) {
				return fmt.Errorf("shard %s is its own ancestor (a parent cycle)", s.id)
			}
		}
	}
	return nil
}

func sortShards(ss []*Shard) {
	slices.SortFunc(ss, func(a, b *Shard) int { return cmp.Compare(a.id, b.id) })
}

// Roots returns the shards of the map that have no parent in it, in ID order: the
// starting points of [Shard.WalkTree].
func Roots(shards map[string]*Shard) []*Shard {
	var roots []*Shard
	for _, s := range shards {
		if s.parent == nil {
			roots = append(roots, s)
		}
	}
	sortShards(roots)
	return roots
}

// WalkTree returns an iterator over this shard and its known descendants, breadth first:
// the shard, then its children in ID order, then theirs. It does no I/O; see
// [Shard.LoadChildren] to learn of new children.
func (s *Shard) WalkTree() iter.Seq[*Shard] {
	return func(yield func(*Shard) bool) {
		queue := []*Shard{s}
		for len(queue) > 0 {
			sh := queue[0]
			queue = queue[1:]
			if !yield(sh) {
				return
			}
			queue = append(queue, sh.children...)
		}
	}
}
