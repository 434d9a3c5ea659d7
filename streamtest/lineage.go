package streamtest

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
)

// This file holds shards and their lineage: IDs, hash ranges, sequence numbers, splits,
// disabling, and trimming by age.

// A shard is one shard of a stream. Records are only appended; trimming drops them from
// the front and counts them in base, so a record's index (base + its place in recs) never
// changes and iterators can name positions by index.
type shard struct {
	id          string
	parent      string
	hash        hashRange
	start, end  string // sequence numbers; end is "" while open
	closed      bool
	closedAt    time.Time
	recs        []*record
	base        int    // records trimmed so far
	lastTrimmed string // sequence number of the newest trimmed record, "" if none
}

// top is the index just past the shard's newest record.
func (sh *shard) top() int { return sh.base + len(sh.recs) }

// A hashRange is the inclusive range of partition key hashes an open shard owns.
type hashRange struct{ lo, hi uint64 }

var fullRange = hashRange{0, math.MaxUint64}

// splitRange divides r into n contiguous ranges of nearly equal size; none for n = 0.
func splitRange(r hashRange, n int) []hashRange {
	if n == 0 {
		return nil
	}
	out := make([]hashRange, 0, n)
	width := (r.hi-r.lo)/uint64(n) + 1 // r.hi-r.lo+1 may overflow; n ≥ 1 keeps this ≤ it
	lo := r.lo
	for i := range n {
		hi := lo + width - 1
		if i == n-1 || hi > r.hi || hi < lo {
			hi = r.hi
		}
		out = append(out, hashRange{lo, hi})
		lo = hi + 1
	}
	return out
}

// newShard opens a shard owning r, with an ID later than every earlier shard's, and
// returns it. The caller holds mu.
func (st *stream) newShard(parent string, r hashRange, now time.Time) *shard {
	// Shard IDs embed their creation time in milliseconds, so lexical order is creation
	// order; shards made in one millisecond (always, in a synctest bubble that has not
	// slept) take the next free one, or a child could sort before its parent.
	ms := max(now.UnixMilli(), st.lastMs+1)
	st.lastMs = ms
	sh := &shard{
		id:     fmt.Sprintf("shardId-%020d-%08x", ms, st.svc.rng.Uint32()),
		parent: parent,
		hash:   r,
		start:  st.seq.next(),
	}
	st.shards[sh.id] = sh
	st.order = append(st.order, sh) // the newest ID is the largest
	return sh
}

// openShardFor returns the open shard owning hash h, or nil.
func (st *stream) openShardFor(h uint64) *shard {
	for _, sh := range st.order {
		if !sh.closed && sh.hash.lo <= h && h <= sh.hash.hi {
			return sh
		}
	}
	return nil
}

// closeShard closes sh: no more records, and an ending sequence number above all of its
// records.
func (st *stream) closeShard(sh *shard, now time.Time) {
	sh.closed, sh.closedAt, sh.end = true, now, st.seq.next()
}

// Split closes the open shard shardID and opens children in its place, returning their
// IDs in lexical order:
//   - 0 children: the shard just closes, as when a stream is disabled or a table deleted;
//     the keys it owned have no shard any more, so writing one panics until a later
//     shard owns it (none will, unless the stream is replaced).
//   - 1 child: a roll-over; the child owns the same partition keys.
//   - 2 children: a split; each child owns half of the parent's keys.
//
// Records of a key always go to the open shard that owns it, so one key's records follow
// its lineage and per-key order survives splits. Children's sequence numbers exceed the
// parent's. Split panics if the shard is unknown or already closed, or if children is
// not 0, 1 or 2.
func (s *Stream) Split(shardID string, children int) []string {
	if children < 0 || children > 2 {
		panic(fmt.Sprintf("streamtest: Split(%q, %d): a shard closes with 0, 1 or 2 children", shardID, children))
	}
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	st, now := s.st, s.svc.now()
	st.maintain(now)
	sh := st.shards[shardID]
	switch {
	case sh == nil:
		panic(fmt.Sprintf("streamtest: Split(%q): no such shard in stream %s (shards: %s)", shardID, st.arn, st.idList()))
	case sh.closed:
		panic(fmt.Sprintf("streamtest: Split(%q): the shard is already closed", shardID))
	case children == 2 && sh.hash.lo == sh.hash.hi:
		panic(fmt.Sprintf("streamtest: Split(%q): the shard owns a single hash and cannot be halved", shardID))
	}
	st.closeShard(sh, now)
	var ids []string
	for _, r := range splitRange(sh.hash, children) {
		ids = append(ids, st.newShard(sh.id, r, now).id)
	}
	return ids
}

// Disable disables the stream, as UpdateTable with StreamEnabled false does: every open
// shard closes with no children and StreamStatus becomes DISABLED. The records stay
// readable until trimmed; iterators keep working and closed shards drain to a nil
// NextShardIterator. Later writes change the table but make no records. Calling it
// again does nothing.
func (s *Stream) Disable() {
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	st, now := s.st, s.svc.now()
	if st.status == types.StreamStatusDisabled {
		return
	}
	st.status = types.StreamStatusDisabled
	for _, sh := range st.order {
		if !sh.closed {
			st.closeShard(sh, now)
		}
	}
}

// maintain trims records older than the retention period and forgets closed shards that
// closed longer ago than that, as DynamoDB does at some moment after 24 hours; here it
// happens exactly on time, whenever the stream is looked at. The caller holds mu.
func (st *stream) maintain(now time.Time) {
	cutoff := now.Add(-st.cfg.retention) // records older than cutoff are trimmed
	gone := false
	for _, sh := range st.order {
		n, _ := slices.BinarySearchFunc(sh.recs, cutoff, func(r *record, t time.Time) int {
			if r.at.Before(t) {
				return -1
			}
			return 1
		})
		if n > 0 {
			sh.lastTrimmed = sh.recs[n-1].seq
			sh.base += n
			clear(sh.recs[:n]) // let the collector have them
			sh.recs = sh.recs[n:]
		}
		if sh.closed && sh.closedAt.Before(cutoff) && len(sh.recs) == 0 {
			delete(st.shards, sh.id)
			gone = true
		}
	}
	if gone {
		st.order = slices.DeleteFunc(st.order, func(sh *shard) bool { return st.shards[sh.id] == nil })
	}
}

// idList names the listed shards, for panic messages.
func (st *stream) idList() string {
	ids := make([]string, len(st.order))
	for i, sh := range st.order {
		ids[i] = sh.id
	}
	return strings.Join(ids, ", ")
}

// seqGen hands out the stream's sequence numbers: increasing, with random gaps.
type seqGen struct {
	n       *big.Int
	started bool
	rng     *rand.Rand
}

func newSeqGen(start string, rng *rand.Rand) seqGen {
	if start == "" {
		// 21 digits, the shortest AWS uses, not starting with 9 so the length stays 21
		// for a long while.
		start = fmt.Sprintf("%d%010d%010d", 1+rng.IntN(8), rng.Uint64N(1e10), rng.Uint64N(1e10))
	}
	n, _ := new(big.Int).SetString(start, 10) // checked by SequenceStart
	return seqGen{n: n, rng: rng}
}

// next returns the next sequence number: the start the first time, then the previous one
// plus 2 to 10.
func (g *seqGen) next() string {
	if g.started {
		g.n.Add(g.n, big.NewInt(int64(2+g.rng.IntN(9))))
	}
	g.started = true
	return g.n.String()
}
