package streamtest_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ddbstream/ddbstream/streamtest"
)

func TestStream_Time(t *testing.T) {
	runScenarios(t, []scenario{
		{name: "iterators expire 15 minutes after issue", run: func(t *testing.T, e *env) {
			e.s.Put(item("a", 1))
			root := e.s.ShardIDs()[0]
			old := e.iterator(t, root, types.ShardIteratorTypeTrimHorizon, "")
			e.wait(15*time.Minute - time.Second)
			p, err := e.page(t, old, 0)
			require.NoError(t, err, "still valid at 14m59s")
			require.Len(t, p.Records, 1)
			fresh := *p.NextShardIterator

			e.wait(time.Second)
			_, err = e.page(t, old, 0)
			requireCode(t, err, "ExpiredIteratorException", 400)
			require.True(t, isType[*types.ExpiredIteratorException](err))

			p, err = e.page(t, fresh, 0)
			require.NoError(t, err, "the next iterator lives its own 15 minutes")
			e.wait(15 * time.Minute)
			_, err = e.page(t, *p.NextShardIterator, 0)
			require.True(t, isType[*types.ExpiredIteratorException](err), "even from an empty page: %v", err)
		}},
		{name: "records older than the retention are trimmed", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			a := e.s.Put(item("a", 1))
			e.wait(time.Hour)
			b := e.s.Put(item("b", 1))
			e.wait(23*time.Hour + 30*time.Minute) // a is 24h30m old, b 23h30m

			recs, _ := e.drain(t, root)
			assert.Equal(t, []string{"b"}, ids(recs), "TRIM_HORIZON starts after trimmed records")

			_, err := e.getIterator(t, &iteratorIn{ShardId: &root, ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, SequenceNumber: optSeq(a)})
			requireCode(t, err, "TrimmedDataAccessException", 400)
			require.True(t, isType[*types.TrimmedDataAccessException](err))

			recs, _ = e.readOn(t, e.iterator(t, root, types.ShardIteratorTypeAfterSequenceNumber, a))
			assert.Equal(t, []string{"b"}, ids(recs), "AFTER the last trimmed record is the trim horizon")
			recs, _ = e.readOn(t, e.iterator(t, root, types.ShardIteratorTypeAtSequenceNumber, b))
			assert.Equal(t, []string{"b"}, ids(recs))

			// The shard's start is trimmed too.
			d, err := e.describe(t, &describeIn{})
			require.NoError(t, err)
			_, err = e.getIterator(t, &iteratorIn{ShardId: &root, ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber,
				SequenceNumber: d.Shards[0].SequenceNumberRange.StartingSequenceNumber})
			requireCode(t, err, "TrimmedDataAccessException", 400)
		}},
		{name: "an iterator into data trimmed since it was issued fails", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			e.s.Put(item("a", 1))
			e.wait(24*time.Hour - 5*time.Minute)
			e.s.Put(item("b", 1))
			it := e.iterator(t, root, types.ShardIteratorTypeTrimHorizon, "") // points at a
			e.wait(10 * time.Minute)                                          // a is trimmed; the iterator is 10 minutes old
			_, err := e.page(t, it, 0)
			requireCode(t, err, "TrimmedDataAccessException", 400)
		}},
		{name: "a closed shard is forgotten once its records are trimmed", opts: []streamtest.Option{streamtest.Retention(2 * time.Hour)},
			run: func(t *testing.T, e *env) {
				root := e.s.ShardIDs()[0]
				e.s.Put(item("a", 1))
				kid := e.s.Split(root, 1)[0]
				e.wait(2*time.Hour - time.Minute)
				assert.Equal(t, []string{root, kid}, e.s.ShardIDs(), "listed until the retention after it closed")
				e.wait(2 * time.Minute)
				assert.Equal(t, []string{kid}, e.s.ShardIDs())

				d, err := e.describe(t, &describeIn{})
				require.NoError(t, err)
				require.Len(t, d.Shards, 1)
				assert.Equal(t, root, aws.ToString(d.Shards[0].ParentShardId), "the child names a parent no longer listed")
				_, err = e.getIterator(t, &iteratorIn{ShardId: &root, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
				requireCode(t, err, "ResourceNotFoundException", 400)
				require.True(t, isType[*types.ResourceNotFoundException](err))
			}},
		{name: "an open shard stays listed with all its records trimmed", run: func(t *testing.T, e *env) {
			e.s.Put(item("a", 1))
			e.wait(48 * time.Hour)
			require.Len(t, e.s.ShardIDs(), 1)
			recs, closed := e.drain(t, e.s.ShardIDs()[0])
			assert.Empty(t, recs)
			assert.False(t, closed)
		}},
		{name: "AT_TIMESTAMP starts at the first record created at or after the time", run: func(t *testing.T, e *env) {
			root := e.s.ShardIDs()[0]
			start := e.s.Now()
			e.s.Put(item("a", 1))
			e.wait(10 * time.Second)
			e.s.Put(item("b", 1))
			e.wait(10 * time.Second)
			e.s.Put(item("c", 1))
			all, _ := e.drain(t, root)
			bAt := aws.ToTime(all[1].Dynamodb.ApproximateCreationDateTime)

			at := func(ts time.Time) ([]string, error) {
				it, err := e.getIterator(t, &iteratorIn{ShardId: &root, ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: &ts})
				if err != nil {
					return nil, err
				}
				recs, _ := e.readOn(t, it)
				return ids(recs), nil
			}
			got, err := at(bAt)
			require.NoError(t, err)
			assert.Equal(t, []string{"b", "c"}, got, "at b's creation time")
			got, err = at(bAt.Add(500 * time.Millisecond))
			require.NoError(t, err)
			assert.Equal(t, []string{"c"}, got, "b was created at a whole second before the time")
			got, err = at(start.Add(-time.Hour))
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b", "c"}, got, "long ago: the trim horizon")
			got, err = at(e.s.Now().Add(500 * time.Millisecond))
			require.NoError(t, err)
			assert.Empty(t, got, "just ahead of the clock: nothing yet")
			_, err = at(e.s.Now().Add(time.Hour))
			requireValidation(t, err)

			e.wait(24*time.Hour - 15*time.Second) // a is 24h05s old: trimmed; b is not
			got, err = at(start.Add(-time.Hour))
			require.NoError(t, err)
			assert.Equal(t, []string{"b", "c"}, got, "before the trim horizon acts as TRIM_HORIZON")
		}},
		{name: "an endpoint without AT_TIMESTAMP refuses it", opts: []streamtest.Option{streamtest.NoTimestamp()}, run: func(t *testing.T, e *env) {
			ts := e.s.Now()
			_, err := e.getIterator(t, &iteratorIn{ShardId: aws.String(e.s.ShardIDs()[0]), ShardIteratorType: types.ShardIteratorTypeAtTimestamp, Timestamp: &ts})
			requireValidation(t, err)
		}},
	})
}
