package ddbstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// This file decides where each shard of a stream starts: from a position for the whole
// stream (OpenStream, MoveTo) or from a token (ResumeStream).

// retry runs op until it succeeds, fails for good, or has failed retryably six times in
// a row, pausing with backoff in between. It makes the calls that open or move a Stream
// as hard to break as the background reads.
func (ep *endpoint) retry(ctx context.Context, op func(context.Context) error) error {
	for n := 1; ; n++ {
		err := op(ctx)
		if err == nil || !IsRetryable(err) || n == 6 || ctx.Err() != nil {
			return err
		}
		d := backoff(n, ep.cfg.backoffBase, ep.cfg.backoffMax, rand.Float64())
		ep.cfg.logger.Warn("ddbstream: call failed; retrying", "attempt", n, "after", d, "error", err)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// open lists the stream and plans where each shard starts, retrying transient failures.
func (ep *endpoint) open(ctx context.Context, plan func(context.Context, listing) (map[string]*streamShard, error)) (listing, map[string]*streamShard, error) {
	var l listing
	var set map[string]*streamShard
	err := ep.retry(ctx, func(ctx context.Context) error {
		var err error
		if l, err = ep.describe(ctx, nil, ""); err != nil {
			return err
		}
		set, err = plan(ctx, l)
		return err
	})
	return l, set, err
}

// planFrom builds the live shard set for reading the listed stream from p.
func (ep *endpoint) planFrom(ctx context.Context, l listing, p Position) (map[string]*streamShard, error) {
	listed, err := ep.build(l.shards)
	if err != nil {
		return nil, err
	}
	var keep []*Shard
	switch p.kind {
	case kindTrimHorizon:
		for _, sh := range listed {
			keep = append(keep, sh)
		}
	case kindLatest:
		// Only the newest shard of each lineage matters. Take LATEST iterators now, so
		// that "latest" means when the stream was opened, not when each shard is first read.
		for _, sh := range listed {
			if len(sh.children) > 0 {
				continue
			}
			keep = append(keep, sh)
			if sh.end != "" {
				sh.position, sh.exhausted = Latest(), true // closed: nothing comes after its end
			}
		}
		err = ep.each(ctx, keep, func(ctx context.Context, sh *Shard) error {
			if sh.exhausted {
				return nil
			}
			return sh.JumpTo(ctx, Latest())
		})
	case kindAtTimestamp:
		keep, err = ep.planSeek(ctx, listed, p.at)
	}
	if err != nil {
		return nil, err
	}
	return ep.liveSet(keep, l), nil
}

// planSeek chooses the shards to read for a seek to t. A closed shard is skipped when one
// of its children begins before t: the parent's records all came before that child's
// first one, so before t. The first shard of each lineage not skipped seeks to t; its
// descendants follow it (and inherit the seek if it finds nothing).
func (ep *endpoint) planSeek(ctx context.Context, listed map[string]*Shard, t time.Time) ([]*Shard, error) {
	var probed []*Shard
	for _, sh := range listed {
		if sh.parent != nil && sh.parent.end != "" {
			probed = append(probed, sh)
		}
	}
	var mu sync.Mutex
	before := make(map[*Shard]bool, len(probed))
	err := ep.each(ctx, probed, func(ctx context.Context, sh *Shard) error {
		first, ok, err := ep.firstRecord(ctx, sh.id)
		if err != nil || !ok {
			if errors.Is(err, ErrTrimmed) || errors.Is(err, ErrShardNotFound) {
				err = nil // not known to begin before t: read its parent
			}
			return err
		}
		mu.Lock()
		before[sh] = first.CreatedAt.Before(seekFloor(t))
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	var keep []*Shard
	queue := Roots(listed)
	for len(queue) > 0 {
		sh := queue[0]
		queue = queue[1:]
		skip := false
		for _, c := range sh.children {
			skip = skip || before[c]
		}
		if skip {
			queue = append(queue, sh.children...)
			continue
		}
		sh.reset(AtTimestamp(t))
		for d := range sh.WalkTree() {
			keep = append(keep, d)
		}
	}
	return keep, nil
}

// firstRecord reads the first record of a shard from its trim horizon, one record a page.
func (ep *endpoint) firstRecord(ctx context.Context, shardID string) (Record, bool, error) {
	probeEP := &endpoint{session: ep.session, streamARN: ep.streamARN, cfg: ep.cfg}
	probeEP.cfg.limit = 1
	probe := &Shard{ep: probeEP, id: shardID}
	recs, err := probe.GetRecords(ctx)
	if err != nil || len(recs) == 0 {
		return Record{}, false, err
	}
	return recs[0], true, nil
}

// each calls fn for every shard, at most Concurrency at once, and returns the first
// error, cancelling the calls still running.
func (ep *endpoint) each(ctx context.Context, shards []*Shard, fn func(context.Context, *Shard) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, ep.cfg.concurrency)
	var wg sync.WaitGroup
	for _, sh := range shards {
		sem <- struct{}{}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := fn(ctx, sh); err != nil {
				cancel(err)
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// planToken builds the live shard set a token describes. Children the listing shows for
// closed token shards join the set, so they need not be looked up again.
func (ep *endpoint) planToken(l listing, tok StreamToken) (map[string]*streamShard, error) {
	listed, _ := ep.build(l.shards) // a malformed listing only costs later lookups
	var keep []*Shard
	mine := make(map[string]*Shard, len(tok.Shards))
	for _, t := range tok.Shards {
		p := t.position()
		sh := &Shard{
			ep:        ep,
			id:        t.ShardID,
			parentID:  t.Parent,
			position:  p,
			seeking:   p.kind == kindAtTimestamp,
			exhausted: t.Exhausted,
		}
		if d := listed[t.ShardID]; d != nil {
			sh.start, sh.end = d.start, d.end
		}
		mine[sh.id] = sh
		keep = append(keep, sh)
	}
	for _, t := range tok.Shards {
		d := listed[t.ShardID]
		if d == nil || d.end == "" {
			continue
		}
		for _, c := range d.children {
			if mine[c.id] == nil {
				c.parent, c.children = nil, nil // relinked below, among the kept shards
				mine[c.id] = c
				keep = append(keep, c)
			}
		}
	}
	return ep.liveSet(keep, l), nil
}

// liveSet links the kept shards into the Stream's set: parents and children within the
// set, children known where the listing showed them for a closed shard (or the stream is
// disabled), and unfinished seeks inherited by children of exhausted shards.
func (ep *endpoint) liveSet(keep []*Shard, l listing) map[string]*streamShard {
	set := make(map[string]*streamShard, len(keep))
	for _, sh := range keep {
		sh.parent, sh.children = nil, nil
		set[sh.id] = &streamShard{sh: sh, heapIndex: -1}
	}
	for _, ss := range set {
		if p := set[ss.sh.parentID]; p != nil {
			ss.parent = p
			ss.sh.parent = p.sh
			p.children = append(p.children, ss)
			p.sh.children = append(p.sh.children, ss.sh)
		}
	}
	disabled := l.status == streamDisabled
	for _, ss := range set {
		sortShards(ss.sh.children)
		// What the listing shows of a closed shard is final once it has children, or
		// once the stream is disabled; a shard it does not show must be asked about.
		ss.childrenKnown = ss.sh.end != "" && (len(ss.children) > 0 || disabled)
		if ss.sh.exhausted {
			for _, c := range ss.children {
				inheritSeek(ss.sh, c.sh)
			}
		}
	}
	return set
}
