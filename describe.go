package ddbstream

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// This file holds the DescribeStream calls behind the lineage tree.

// streamDisabled is the status of a stream whose shards are all closed for good.
const streamDisabled = types.StreamStatusDisabled

// A gate spaces calls at least every apart; a nil gate lets every call through. It is
// how a Stream keeps DescribeStream under the service's rate.
type gate struct {
	every time.Duration
	mu    sync.Mutex
	next  time.Time
}

// wait blocks until the caller's turn, or until ctx is done.
func (g *gate) wait(ctx context.Context) error {
	if g == nil {
		return nil
	}
	g.mu.Lock()
	now := time.Now()
	at := now
	if g.next.After(now) {
		at = g.next
	}
	g.next = at.Add(g.every)
	g.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// describePageLimit is the most shards DescribeStream returns in one page.
const describePageLimit = 100

// listing is what DescribeStream says about a stream.
type listing struct {
	status   types.StreamStatus
	viewType types.StreamViewType
	shards   []types.Shard
}

// describe pages through DescribeStream from after startID ("" for the beginning), with
// the optional filter, and returns every shard listed.
func (ep *endpoint) describe(ctx context.Context, filter *types.ShardFilter, startID string) (listing, error) {
	var l listing
	in := &dynamodbstreams.DescribeStreamInput{
		StreamArn:   &ep.streamARN,
		Limit:       aws.Int32(describePageLimit),
		ShardFilter: filter,
	}
	if startID != "" {
		in.ExclusiveStartShardId = aws.String(startID)
	}
	for {
		if err := ep.describeGate.wait(ctx); err != nil {
			return listing{}, fmt.Errorf("ddbstream: stream %s: DescribeStream: %w", ep.streamARN, err)
		}
		out, err := ep.session.DescribeStream(ctx, in)
		if err != nil {
			return listing{}, apiError("stream "+ep.streamARN, "DescribeStream", err)
		}
		d := out.StreamDescription
		if d == nil {
			return l, nil
		}
		l.status, l.viewType = d.StreamStatus, d.StreamViewType
		l.shards = append(l.shards, d.Shards...)
		next := aws.ToString(d.LastEvaluatedShardId)
		if next == "" {
			return l, nil
		}
		if next == aws.ToString(in.ExclusiveStartShardId) {
			return listing{}, fmt.Errorf("ddbstream: stream %s: DescribeStream: LastEvaluatedShardId %q repeats the start of the page; the endpoint is not paging",
				ep.streamARN, next)
		}
		in.ExclusiveStartShardId = aws.String(next)
	}
}

// LoadShards lists every shard of the stream, following all DescribeStream pages, and
// returns them linked to their parents and children, keyed by shard ID, each positioned
// at [TrimHorizon]. A parent that is no longer listed (trimmed) makes its children roots;
// see [Roots]. It fails with [ErrStreamNotFound], [ErrInvalidArgument] or the SDK's
// error.
func LoadShards(ctx context.Context, s Session, streamARN string, opts ...Option) (map[string]*Shard, error) {
	ep, err := newEndpoint(s, streamARN, opts)
	if err != nil {
		return nil, err
	}
	l, err := ep.describe(ctx, nil, "")
	if err != nil {
		return nil, err
	}
	return ep.build(l.shards)
}

// build turns listed shards into linked Shards.
func (ep *endpoint) build(listed []types.Shard) (map[string]*Shard, error) {
	shards := make(map[string]*Shard, len(listed))
	for _, d := range listed {
		s := newListedShard(ep, d)
		if validateShardID(s.id) != nil {
			continue // not a shard we could ever read; the endpoint is wrong, not the caller
		}
		shards[s.id] = s
	}
	if err := linkShards(shards); err != nil {
		return nil, fmt.Errorf("ddbstream: stream %s: DescribeStream: %w", ep.streamARN, err)
	}
	return shards, nil
}

// LoadChildren asks the service for the shard's children and returns every child known,
// in ID order, including ones found earlier. It uses DescribeStream's CHILD_SHARDS filter
// and, where the endpoint refuses it, pages DescribeStream from this shard's ID. No
// children is never a final answer: a closed shard's children may be listed a little
// later, so ask again. New children start at [TrimHorizon].
func (s *Shard) LoadChildren(ctx context.Context) ([]*Shard, error) {
	if _, err := s.lookupChildren(ctx); err != nil {
		return nil, err
	}
	return s.Children(), nil
}

// lookupChildren is LoadChildren returning what DescribeStream said.
func (s *Shard) lookupChildren(ctx context.Context) (listing, error) {
	var l listing
	var err error
	if !s.ep.noChildFilter.Load() {
		filter := &types.ShardFilter{Type: types.ShardFilterTypeChildShards, ShardId: &s.id}
		l, err = s.ep.describe(ctx, filter, "")
		if isValidation(err) {
			s.ep.cfg.logger.Debug("ddbstream: CHILD_SHARDS filter refused; paging DescribeStream instead", "error", err)
			s.ep.noChildFilter.Store(true)
		}
	}
	if s.ep.noChildFilter.Load() {
		l, err = s.ep.describe(ctx, nil, s.id)
	}
	if err != nil {
		return listing{}, err
	}
	s.adopt(l.shards)
	return l, nil
}

// adopt links the listed shards whose parent is s as its children, keeping known ones.
func (s *Shard) adopt(listed []types.Shard) {
	added := false
	for _, d := range listed {
		if aws.ToString(d.ParentShardId) != s.id {
			continue // an endpoint that ignores the filter lists every shard
		}
		c := newListedShard(s.ep, d)
		if validateShardID(c.id) != nil || slices.ContainsFunc(s.children, func(k *Shard) bool { return k.id == c.id }) {
			continue
		}
		c.parent = s
		s.children = append(s.children, c)
		added = true
	}
	if added {
		sortShards(s.children)
	}
}
