package streamtest_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

func TestStream_Lineage(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "keys are routed by hash and follow their lineage", opts: []streamtest.Option{streamtest.Shards(2)}, run: func(t *testing.T, e *env) {
			keys := make([]string, 60)
			for i := range keys {
				keys[i] = fmt.Sprintf("key-%d", i)
				e.s.Put(item(keys[i], 0))
			}
			roots := e.s.ShardIDs()
			home := shardOfKeys(t, e.drainAll(t))
			require.Len(t, home, len(keys))
			perRoot := map[string]int{}
			for _, sh := range home {
				perRoot[sh]++
			}
			assert.Len(t, perRoot, 2, "both shards get keys")

			split := e.s.Split(roots[0], 2)
			roll := e.s.Split(roots[1], 1)
			require.Len(t, split, 2)
			require.Len(t, roll, 1)
			assert.Equal(t, append(slices.Clone(split), roll...), e.s.OpenShardIDs())
			for i, k := range keys {
				e.s.Put(item(k, 1+i))
			}
			after := map[string]map[string]bool{} // key -> shards
			for sh, recs := range e.drainAll(t) {
				for _, r := range recs {
					k := ids([]types.Record{r})[0]
					if after[k] == nil {
						after[k] = map[string]bool{}
					}
					after[k][sh] = true
				}
			}
			perChild := map[string]int{}
			for _, k := range keys {
				require.Len(t, after[k], 2, "key %s: its parent and one child", k)
				require.True(t, after[k][home[k]], "key %s keeps its old records", k)
				for sh := range after[k] {
					if sh == home[k] {
						continue
					}
					perChild[sh]++
					if home[k] == roots[0] {
						assert.Contains(t, split, sh, "key %s went to a child of its shard", k)
					} else {
						assert.Equal(t, roll[0], sh, "key %s went to the roll-over child", k)
					}
				}
			}
			assert.Len(t, perChild, 3, "both halves of the split get keys")
		}},
		{name: "children list their parent and the parent its ending sequence number", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			kids := e.s.Split(root, 2)
			d, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			require.Len(t, d.Shards, 3)
			parent := d.Shards[0]
			assert.Nil(t, parent.ParentShardId)
			require.NotNil(t, parent.SequenceNumberRange.EndingSequenceNumber)
			for i, sh := range d.Shards[1:] {
				assert.Equal(t, kids[i], aws.ToString(sh.ShardId))
				assert.Equal(t, root, aws.ToString(sh.ParentShardId))
				assert.Nil(t, sh.SequenceNumberRange.EndingSequenceNumber, "open")
				assert.Equal(t, -1, bigOf(seqp(parent.SequenceNumberRange.EndingSequenceNumber)).Cmp(bigOf(seqp(sh.SequenceNumberRange.StartingSequenceNumber))),
					"children start after the parent ends")
			}
		}},
		{name: "a closed shard ends with a nil iterator on the page that drains it", run: func(t *testing.T, e *env) {
			for i := range 3 {
				e.s.Put(item("a", i))
			}
			root := e.s.ShardIDs()[0]
			latest := e.iterator(t, root, types.ShardIteratorTypeLatest, "") // taken while open
			kid := e.s.Split(root, 1)[0]

			it := e.iterator(t, root, types.ShardIteratorTypeTrimHorizon, "")
			p1, err := e.page(t, it, 2)
			require.NoError(t, err)
			require.Len(t, p1.Records, 2)
			require.NotNil(t, p1.NextShardIterator)
			p2, err := e.page(t, *p1.NextShardIterator, 2)
			require.NoError(t, err)
			assert.Len(t, p2.Records, 1, "the last page holds a record")
			assert.Nil(t, p2.NextShardIterator, "and ends the shard")

			p, err := e.page(t, latest, 0)
			require.NoError(t, err)
			assert.Empty(t, p.Records)
			assert.Nil(t, p.NextShardIterator, "an iterator taken before the close also ends")

			// An empty closed shard ends on its first page.
			e.s.Split(kid, 0)
			p, err = e.page(t, e.iterator(t, kid, types.ShardIteratorTypeTrimHorizon, ""), 0)
			require.NoError(t, err)
			assert.Empty(t, p.Records)
			assert.Nil(t, p.NextShardIterator)
		}},
		{name: "an open shard always gives a next iterator, even on an empty page", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			it := e.iterator(t, root, types.ShardIteratorTypeLatest, "")
			for range 3 {
				p, err := e.page(t, it, 0)
				require.NoError(t, err)
				require.Empty(t, p.Records)
				require.NotNil(t, p.NextShardIterator)
				it = *p.NextShardIterator
			}
			e.s.Put(item("a", 1))
			p, err := e.page(t, it, 0)
			require.NoError(t, err)
			assert.Len(t, p.Records, 1, "the iterator sees later writes")
			assert.NotNil(t, p.NextShardIterator)
		}},
		{name: "new iterators on open shards answer empty pages first", opts: []streamtest.Option{streamtest.EmptyPages(2)}, run: func(t *testing.T, e *env) {
			e.s.Put(item("a", 1))
			root := e.s.ShardIDs()[0]
			it := e.iterator(t, root, types.ShardIteratorTypeTrimHorizon, "")
			for i := range 2 {
				p, err := e.page(t, it, 0)
				require.NoError(t, err)
				require.Empty(t, p.Records, "page %d", i)
				require.NotNil(t, p.NextShardIterator, "page %d", i)
				it = *p.NextShardIterator
			}
			p, err := e.page(t, it, 0)
			require.NoError(t, err)
			require.Len(t, p.Records, 1)
			e.s.Put(item("a", 2))
			p, err = e.page(t, *p.NextShardIterator, 0)
			require.NoError(t, err)
			require.Len(t, p.Records, 1, "an iterator from a page owes no empty pages")

			// A closed shard answers at once.
			e.s.Split(root, 1)
			recs, closed := e.readOn(t, e.iterator(t, root, types.ShardIteratorTypeTrimHorizon, ""))
			assert.True(t, closed)
			assert.Len(t, recs, 2)
		}},
		{name: "disable closes every shard without children", opts: []streamtest.Option{streamtest.Shards(2)}, run: func(t *testing.T, e *env) {
			e.s.Put(item("a", 1))
			e.s.Put(item("b", 1))
			before := e.s.ShardIDs()
			e.s.Disable()
			e.s.Disable() // again: nothing
			assert.Equal(t, before, e.s.ShardIDs())
			assert.Empty(t, e.s.OpenShardIDs())
			assert.Empty(t, e.s.Put(item("c", 1)), "writes make no records")
			seq, ok := e.s.Delete(key("a"))
			assert.True(t, ok)
			assert.Empty(t, seq)

			d, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			assert.Equal(t, types.StreamStatusDisabled, d.StreamStatus)
			require.Len(t, d.Shards, 2)
			for _, sh := range d.Shards {
				assert.NotNil(t, sh.SequenceNumberRange.EndingSequenceNumber)
				assert.Nil(t, sh.ParentShardId)
			}
			total := 0
			for _, id := range before {
				recs, closed := e.drain(t, id)
				assert.True(t, closed, "shard %s drains to a nil iterator", id)
				total += len(recs)
			}
			assert.Equal(t, 2, total)
			l, err := e.c.ListStreams(t.Context(), nil)
			require.NoError(t, err)
			require.Len(t, l.Streams, 1, "a disabled stream is still listed")
		}},
	})
}

// shardOfKeys maps each key to the one shard holding its records.
func shardOfKeys(t *testing.T, byShard map[string][]types.Record) map[string]string {
	t.Helper()
	home := map[string]string{}
	for sh, recs := range byShard {
		for _, k := range ids(recs) {
			if prev, ok := home[k]; ok && prev != sh {
				t.Fatalf("key %s has records in %s and %s", k, prev, sh)
			}
			home[k] = sh
		}
	}
	return home
}

func seqp(p *string) ddbstream.SequenceNumber { return ddbstream.SequenceNumber(aws.ToString(p)) }
