// Package ddbstream reads Amazon DynamoDB Streams: it walks a stream's shard lineage,
// reads each shard's records in order, survives expiring iterators, trimmed data, shard
// splits and throttling, seeks by time, decodes records into Go values, and saves and
// resumes its position as a small JSON token.
//
// It is built on aws-sdk-go-v2: pass a *dynamodbstreams.Client (or anything with the
// three methods of [Session]). [NewSession] builds one from the default AWS configuration.
//
// # Reading a stream
//
// [OpenStream] reads every shard of a stream from a [Position] — [TrimHorizon], [Latest]
// or [AtTimestamp] — and [Stream.Next] or [Stream.Records] return its records one at a
// time. [Stream.Token] saves the place; [ResumeStream] continues from it:
//
//	s, err := ddbstream.OpenStream(ctx, client, streamARN, ddbstream.TrimHorizon())
//	if err != nil { ... }
//	defer s.Close()
//	for rec, err := range s.Records(ctx) {
//		if err != nil { ... }
//		handle(rec)
//		save(s.Token()) // as often as suits: a token resumes after the last record returned
//	}
//
// # Reading a shard
//
// A [Shard] is one shard's reader: [Shard.JumpTo] a position, [Shard.GetRecords] or
// [Shard.Next] for pages, [Shard.SeekTo] a time. It follows the empty pages an open shard
// answers before its records (up to [MaxEmptyPages] in a row), knows when it is exhausted
// (closed and read to the end: no further calls), and keeps its position on the first
// record it has not returned, so [Shard.Token] resumes exactly there. An expired iterator
// (15 minutes) is replaced by [Shard.Next] whenever that loses and repeats nothing; the
// one unsafe case, a LATEST position with nothing read yet, is an [ErrIteratorExpired]
// error unless [RefreshLatest] allows it, and [Shard.Heartbeat] avoids it.
//
// Seeking by time uses AT_TIMESTAMP where the endpoint supports it and otherwise scans
// from the trim horizon; a scan never gives up on a sparse shard, and returns records
// created at or after the time, starting with the first.
//
// # Shard lineage
//
// Shards close and are replaced: a roll-over gives one child, a split two, disabling the
// stream none. [LoadShards] lists a stream's shards with every DescribeStream page and
// links them; a parent no longer listed (trimmed) makes its children roots ([Roots]).
// [Shard.LoadChildren] finds new children with the CHILD_SHARDS filter, or by paging
// DescribeStream where the endpoint lacks it; "no children yet" is never final.
// [Shard.WalkTree] walks a tree breadth first.
//
// # Ordering and delivery
//
// A [Stream] delivers each record once: a record returned by Next is never returned
// again by this Stream or by one resumed from a later token, and a token resumes with
// every record not yet returned. That is exactly once per record as far as this package
// is concerned; whether a record is processed once is up to the caller, who saves the
// token after processing (at-least-once processing) or before (at-most-once).
//
// Within a shard, records come in sequence order. A child shard's records come only
// after every record of its parent, so each item's changes keep their order across
// roll-overs and splits. Across shards, records come by creation time, then sequence
// number, as far as the pages fetched so far allow: the Stream waits for a shard whose
// next page may hold older records, but not for an idle one. DynamoDB Streams promises
// no order between different items, and creation times are rounded to the second.
//
// A Stream reads ahead in the background, at most [Concurrency] calls at once, and holds
// at most [BufferSize] records that Next has not returned, so memory does not grow with
// the stream. Idle shards are polled less and less often, down to once every
// [IdlePollInterval]. Throttling and server faults are retried after the SDK's own
// retries, with capped, jittered [Backoff]; DescribeStream stays under
// [DescribeStreamRate].
//
// # Tokens
//
// A token is plain, versioned JSON that only ever gains fields, so it can be stored
// anywhere and read by people:
//
//	{"version":1,
//	 "stream_arn":"arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2026-11-26T10:00:00.000",
//	 "shards":[
//	  {"shard_id":"shardId-00000001764151200000-aaaaaaaa","iterator_type":"after_sequence",
//	   "sequence_number":"100000000000000000042"},
//	  {"shard_id":"shardId-00000001764165600000-bbbbbbbb","parent":"shardId-00000001764151200000-aaaaaaaa",
//	   "iterator_type":"trim_horizon"}]}
//
// iterator_type is trim_horizon, latest, at_sequence or after_sequence (these two with
// sequence_number), or at_timestamp (with timestamp, RFC 3339; also how a shard at
// LATEST that returned nothing yet is saved, as of when it was positioned, so a resume
// misses nothing written in between). exhausted marks a shard read to its end whose
// children were not known yet. A stream token lists only unfinished shards; finished
// ones are left out, so its size follows the number of shards still being read, not
// the stream's age. [StreamToken] also reads the Python design's layout
// ({"stream_arn", "active", "shards"}). Tokens are checked completely before anything is
// applied: see [StreamToken.Validate].
//
// # Errors
//
// Errors wrap one of the sentinels ([ErrIteratorExpired], [ErrTrimmed],
// [ErrStreamNotFound], [ErrShardNotFound], [ErrInvalidToken], [ErrInvalidArgument],
// [ErrInvalidOption], [ErrNoImage], [ErrStreamDisabled], [ErrClosed]) for errors.Is, and
// keep the SDK's typed exception for errors.As, such as
// *types.TrimmedDataAccessException. Messages name the shard and the call and, where it
// is known, what to do. [IsRetryable] tells transient failures apart.
//
// A trimmed position (older than the stream's 24-hour retention) stops a Stream with
// [ErrTrimmed] naming the shard and the position, unless [SkipTrimmed] asks it to go on
// from the trim horizon and report each [Gap].
//
// # Testing
//
// Package streamtest is an in-memory DynamoDB stream for tests: it satisfies [Session]
// and serves the real wire protocol on a loopback address for a real SDK client, with
// shard splits, iterator expiry, trimming, throttling and call counts.
package ddbstream
