package ddbstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// This file is the Stream's background reader: the pump decides what to call next and
// runs the calls as tasks, at most Concurrency at once. Each task owns its shard's *Shard
// while it runs (streamShard.busy); everything else is guarded by Stream.mu.

func (s *Stream) startPump() {
	ctx, cancel := context.WithCancel(s.life)
	done := make(chan struct{})
	s.mu.Lock()
	s.pumpStop, s.pumpDone = cancel, done
	s.mu.Unlock()
	go s.pump(ctx, done)
}

// stopPump stops the pump and waits until it and its tasks have returned.
func (s *Stream) stopPump() {
	s.mu.Lock()
	cancel, done := s.pumpStop, s.pumpDone
	s.pumpStop = nil
	s.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

func (s *Stream) pump(ctx context.Context, done chan<- struct{}) {
	var tasks sync.WaitGroup
	defer func() {
		tasks.Wait()
		s.mu.Lock()
		s.signal()
		s.mu.Unlock()
		close(done)
	}()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.mu.Lock()
		wait := s.schedule(ctx, &tasks, time.Now())
		s.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}

type taskKind uint8

const (
	taskFetch     taskKind = iota // read the next page
	taskLookup                    // look for the children of an exhausted shard
	taskHeartbeat                 // renew a LATEST iterator without reading
	taskIterator                  // take the iterator of a child whose parent is being read
)

type candidate struct {
	ss   *streamShard
	kind taskKind
	at   time.Time
}

// schedule starts the tasks that are due, as far as Concurrency allows, and returns how
// long the pump may sleep before something else falls due. Call with s.mu held.
func (s *Stream) schedule(ctx context.Context, tasks *sync.WaitGroup, now time.Time) time.Duration {
	next := now.Add(time.Hour)
	if s.err != nil {
		return time.Hour
	}
	if len(s.shards) == 0 && !s.disabled && s.running == 0 {
		if now.Before(s.relistAt) {
			return s.relistAt.Sub(now)
		}
		s.running++
		s.relistAt = now.Add(s.ep.cfg.idleInterval)
		tasks.Go(func() { s.runRelist(ctx) })
		return time.Hour
	}
	full := s.buffered >= s.ep.cfg.bufferSize
	var cands, spare []candidate
	for _, ss := range s.shards {
		switch {
		case ss.busy:
		case ss.committed.Exhausted:
			if ss.childrenKnown {
				break
			}
			if now.Before(ss.lookupAt) {
				next = minTime(next, ss.lookupAt)
				break
			}
			cands = append(cands, candidate{ss, taskLookup, ss.lookupAt})
		case ss.parent != nil && !ss.parent.committed.Exhausted:
			// A child waits until its parent has been read to the end. Its iterator can
			// be taken meanwhile, with a spare slot, so that reading it starts at once
			// when the parent ends: a lineage then costs one call per page. Not under a
			// seeking parent, whose end may still change where the child starts.
			if ss.parent.parent == nil && ss.parent.committed.IteratorType != tokAtTimestamp &&
				ss.sh.iterator == "" && !ss.committed.Exhausted {
				if now.Before(ss.due) { // backing off after a failure
					next = minTime(next, ss.due)
					break
				}
				spare = append(spare, candidate{ss, taskIterator, now})
			}
		case ss.held >= int(s.ep.cfg.limit):
			// A page is waiting to be returned: fetch the next one once it is under way,
			// so that a shard's next page arrives while its last is returned.
		case full:
			if now.Before(ss.due) { // backing off after a failure
				next = minTime(next, ss.due)
			} else if ss.needsHeartbeat() {
				cands = append(cands, candidate{ss, taskHeartbeat, now})
			} else if age, ok := ss.sh.IteratorAge(now); ok && ss.sh.position.kind == kindLatest {
				next = minTime(next, now.Add(heartbeatAfter-age))
			}
		case now.Before(ss.due):
			next = minTime(next, ss.due)
		default:
			cands = append(cands, candidate{ss, taskFetch, ss.due})
		}
	}
	// Shards that hold back delivery first, then the longest waiting, then by ID.
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.ss.isBlocking != b.ss.isBlocking {
			if a.ss.isBlocking {
				return -1
			}
			return 1
		}
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return cmp.Compare(a.ss.sh.id, b.ss.sh.id)
	})
	for _, c := range append(cands, spare...) {
		if s.running >= s.ep.cfg.concurrency {
			break // a finishing task pokes the pump
		}
		c.ss.busy = true
		s.running++
		switch c.kind {
		case taskFetch:
			tasks.Go(func() { s.runFetch(ctx, c.ss) })
		case taskLookup:
			tasks.Go(func() { s.runLookup(ctx, c.ss) })
		case taskHeartbeat:
			tasks.Go(func() { s.runHeartbeat(ctx, c.ss) })
		case taskIterator:
			tasks.Go(func() { s.runIterator(ctx, c.ss) })
		}
	}
	return next.Sub(now)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// finishTask ends a task on ss: call with s.mu held. It records the shard's new state
// and wakes the pump and waiting readers.
func (s *Stream) finishTask(ss *streamShard) {
	s.running--
	ss.busy = false
	ss.committed = ss.sh.Token()
	s.update(ss)
	s.signal()
	s.poke()
}

func (s *Stream) runFetch(ctx context.Context, ss *streamShard) {
	defer s.reportGaps() // after the unlock below
	recs, raw, err := ss.sh.pageRefreshing(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.finishTask(ss)
	now := time.Now()
	if err != nil {
		if ctx.Err() == nil {
			s.fetchFailed(ss, err, now)
		}
		return
	}
	ss.fails = 0
	if len(recs) > 0 {
		ss.hold(recs)
		s.buffered += len(recs)
	}
	cfg := &s.ep.cfg
	switch {
	case raw >= int(cfg.limit): // a full page: more is waiting
		ss.emptyStreak, ss.sawRecords, ss.caughtUp = 0, true, false
		ss.due = now
	case raw > 0: // caught up with what the service had
		ss.emptyStreak, ss.sawRecords, ss.caughtUp = 0, true, true
		ss.due = now.Add(cfg.pollInterval)
	case !ss.sawRecords && ss.emptyStreak+1 < cfg.maxEmptyPages:
		// An open shard may answer several empty pages before its records: read on.
		ss.emptyStreak++
		ss.caughtUp = false
		ss.due = now
	default: // idle: poll less and less often
		ss.emptyStreak++
		ss.caughtUp = true
		n := ss.emptyStreak
		if !ss.sawRecords {
			n -= cfg.maxEmptyPages - 1
		}
		ss.due = now.Add(idleDelay(n, cfg.pollInterval, max(cfg.idleInterval, cfg.pollInterval)))
	}
	if ss.sh.exhausted {
		ss.caughtUp = true
		s.onExhausted(ss, now)
	}
}

// idleDelay is the wait before reading a shard again after its n-th empty read in a row:
// base, doubled each time, at most max.
func idleDelay(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// backoff is the pause after the n-th retryable failure in a row (n >= 1): a random
// duration between half and all of base doubled n-1 times, capped at max. r is a number
// in [0, 1).
func backoff(n int, base, max time.Duration, r float64) time.Duration {
	d := idleDelay(n, base, max)
	return d/2 + time.Duration(r*float64(d/2))
}

// onExhausted handles a shard read to its end: its known children inherit an unfinished
// seek; without children, it looks for them. s.mu held.
func (s *Stream) onExhausted(ss *streamShard, now time.Time) {
	for _, c := range ss.children {
		if !c.busy { // a busy child is taking its iterator: its parent was not seeking
			inheritSeek(ss.sh, c.sh)
			c.committed = c.sh.Token()
		}
	}
	if !ss.childrenKnown {
		// Even on a disabled stream: a split before the disable has children to read.
		ss.lookupAt = now
	}
}

// inheritSeek starts a child that returned nothing yet at its parent's seek time when
// the parent was read to its end without finding a record at or after that time.
func inheritSeek(parent, child *Shard) {
	if parent.seeking && child.position == TrimHorizon() && !child.exhausted {
		child.reset(AtTimestamp(parent.position.at))
	}
}

// fetchFailed decides what a failed read means: a gap to skip or to report, a pause
// before trying again, or the end of the stream. s.mu held; ss is not busy any more.
func (s *Stream) fetchFailed(ss *streamShard, err error, now time.Time) {
	gone := errors.Is(err, ErrShardNotFound)
	switch {
	case errors.Is(err, ErrTrimmed) || gone:
		if !s.ep.cfg.skipTrimmedSet {
			s.fail(fmt.Errorf("%w; shard %s stood at %s; open the stream with SkipTrimmed to skip such gaps",
				err, ss.sh.id, ss.sh.position))
			return
		}
		// Go on from the trim horizon; a seek not yet satisfied goes on from there too.
		to := TrimHorizon()
		if ss.sh.seeking {
			to = ss.sh.position
		}
		s.gaps = append(s.gaps, Gap{ShardID: ss.sh.id, From: ss.sh.position, To: to, Err: err})
		s.ep.cfg.logger.Warn("ddbstream: skipping a trimmed gap", "shard", ss.sh.id, "from", ss.sh.position.String(), "error", err)
		if gone {
			ss.sh.exhausted, ss.sh.iterator = true, ""
			s.onExhausted(ss, now)
			return
		}
		ss.sh.reset(to)
		ss.due = now
	case IsRetryable(err):
		ss.fails++
		ss.due = now.Add(backoff(ss.fails, s.ep.cfg.backoffBase, s.ep.cfg.backoffMax, rand.Float64()))
		s.ep.cfg.logger.Warn("ddbstream: read failed; retrying", "shard", ss.sh.id, "attempt", ss.fails,
			"after", ss.due.Sub(now), "error", err)
	default:
		s.fail(err)
	}
}

// reportGaps hands the gaps found to SkipTrimmed's report, without holding s.mu, so the
// report may call Token or Next; reports never run concurrently. Tasks defer it, so it
// runs before the pump, and so Close, can finish.
func (s *Stream) reportGaps() {
	s.mu.Lock()
	gaps := s.gaps
	s.gaps = nil
	s.mu.Unlock()
	if len(gaps) == 0 || s.ep.cfg.onTrimmed == nil {
		return
	}
	s.reportMu.Lock()
	defer s.reportMu.Unlock()
	for _, g := range gaps {
		s.ep.cfg.onTrimmed(g)
	}
}

// fail ends the stream with err. s.mu held.
func (s *Stream) fail(err error) {
	if s.err == nil {
		s.err = err // Next returns it: logging it too would report it twice
		s.ep.cfg.logger.Debug("ddbstream: stream stopped", "error", err)
	}
}

func (s *Stream) runLookup(ctx context.Context, ss *streamShard) {
	l, err := ss.sh.lookupChildren(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.finishTask(ss)
	now := time.Now()
	if err != nil {
		switch {
		case ctx.Err() != nil:
		case IsRetryable(err):
			ss.lookups++
			ss.lookupAt = now.Add(backoff(ss.lookups, s.ep.cfg.backoffBase, s.ep.cfg.backoffMax, rand.Float64()))
		default:
			s.fail(err)
		}
		return
	}
	if l.status == streamDisabled {
		s.disabled = true
	}
	for _, c := range ss.sh.children {
		if s.shards[c.id] != nil {
			continue
		}
		cs := &streamShard{sh: c, parent: ss, heapIndex: -1}
		inheritSeek(ss.sh, c)
		cs.committed = c.Token()
		s.shards[c.id] = cs
		ss.children = append(ss.children, cs)
		s.update(cs)
		s.ep.cfg.logger.Debug("ddbstream: found child shard", "parent", ss.sh.id, "shard", c.id)
	}
	// After a shard closed, a disabled stream gets no new shards: no children is final.
	if len(ss.sh.children) > 0 || l.status == streamDisabled {
		ss.childrenKnown = true
		return
	}
	// No children yet is not final: the service may list them a little later.
	ss.lookups++
	ss.lookupAt = now.Add(min(time.Second<<min(ss.lookups, 5), 30*time.Second))
}

func (s *Stream) runIterator(ctx context.Context, ss *streamShard) {
	defer s.reportGaps() // after the unlock below
	err := ss.sh.takeIterator(ctx, ss.sh.position)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.finishTask(ss)
	if err != nil && ctx.Err() == nil {
		s.fetchFailed(ss, err, time.Now())
	}
}

func (s *Stream) runHeartbeat(ctx context.Context, ss *streamShard) {
	defer s.reportGaps() // after the unlock below
	err := ss.sh.Heartbeat(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.finishTask(ss)
	if err != nil && ctx.Err() == nil {
		s.fetchFailed(ss, err, time.Now())
	}
}

// runRelist asks DescribeStream for shards when the set is empty and the stream is not
// disabled: a stream still being enabled may have none yet. Every shard it lists is new.
func (s *Stream) runRelist(ctx context.Context) {
	l, err := s.ep.describe(ctx, nil, "")
	var set map[string]*streamShard
	if err == nil {
		set, err = s.ep.planFrom(ctx, l, TrimHorizon())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
	defer s.poke()
	switch {
	case ctx.Err() != nil:
	case err != nil && IsRetryable(err):
	case err != nil:
		s.fail(err)
	default:
		s.disabled = l.status == streamDisabled
		for id, ss := range set {
			s.shards[id] = ss
			ss.committed = ss.sh.Token()
		}
		for _, ss := range set {
			s.update(ss)
		}
		s.signal()
	}
}
