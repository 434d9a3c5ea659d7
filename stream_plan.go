package ddbstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
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

// planSeek chooses the shards to read for a seek to t. A shard is skipped when a
// descendant of it begins before t: the shard's records all came before that
// descendant's first one, so before t. The first shard of each lineage not skipped seeks
// to t; its descendants follow it (and inherit the seek if it finds nothing). Probing
// starts from the newest shards, so a seek into recent data reads only their first
// records; the roots' trees are planned concurrently.
func (ep *endpoint) planSeek(ctx context.Context, listed map[string]*Shard, t time.Time) ([]*Shard, error) {
	var mu sync.Mutex
	var keep []*Shard
	err := ep.each(ctx, Roots(listed), func(ctx context.Context, root *Shard) error {
		p := seekPlanner{ep: ep, t: t, begins: map[*Shard]bool{}}
		kept, err := p.plan(ctx, root)
		mu.Lock()
		keep = append(keep, kept...)
		mu.Unlock()
		return err
	})
	return keep, err
}

// seekPlanner plans one tree for a seek to t, remembering what it probed.
type seekPlanner struct {
	ep     *endpoint
	t      time.Time
	begins map[*Shard]bool // sh or a descendant begins before t
}

// plan returns the shards of sh's tree to read, positioning the first of each lineage.
func (p *seekPlanner) plan(ctx context.Context, sh *Shard) ([]*Shard, error) {
	skip := false
	for _, c := range sh.children {
		b, err := p.beginsBefore(ctx, c)
		if err != nil {
			return nil, err
		}
		skip = skip || b
	}
	if !skip {
		sh.reset(AtTimestamp(p.t))
		return slices.Collect(sh.WalkTree()), nil
	}
	var keep []*Shard
	for _, c := range sh.children {
		k, err := p.plan(ctx, c)
		if err != nil {
			return nil, err
		}
		keep = append(keep, k...)
	}
	return keep, nil
}

// beginsBefore reports whether sh, or one of its descendants, has a first record created
// before t. Descendants are asked first: when one does, sh need not be read at all.
func (p *seekPlanner) beginsBefore(ctx context.Context, sh *Shard) (bool, error) {
	if b, ok := p.begins[sh]; ok {
		return b, nil
	}
	for _, c := range sh.children {
		b, err := p.beginsBefore(ctx, c)
		if err != nil || b {
			p.begins[sh] = b
			return b, err
		}
	}
	first, ok, err := p.ep.firstRecord(ctx, sh.id)
	if errors.Is(err, ErrTrimmed) || errors.Is(err, ErrShardNotFound) {
		err = nil // not known to begin before t: read its parent
	}
	if err != nil {
		return false, err
	}
	b := ok && first.CreatedAt.Before(seekFloor(p.t))
	p.begins[sh] = b
	return b, nil
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
