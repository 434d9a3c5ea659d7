// Command ddbstream reads Amazon DynamoDB Streams from a terminal: it tails a stream's
// records, shows its shard lineage, and runs a demo on an in-memory stream that needs
// no AWS account.
//
// Usage:
//
//	ddbstream tail   (--stream-arn ARN | --table NAME) [--from WHEN] [--token-file PATH]
//	                 [--max-records N] [--stop-at-head] [--format jsonl|text]
//	                 [--region REGION] [--endpoint URL]
//	ddbstream shards (--stream-arn ARN | --table NAME) [--region REGION] [--endpoint URL]
//	ddbstream demo   [--seed N] [--format text|jsonl]
//	ddbstream help   [command]
//
// --table NAME reads the table's newest stream, found with ListStreams. Credentials and
// the region come from the usual AWS configuration (environment, ~/.aws, instance role);
// --region and --endpoint override them.
//
// # tail
//
// tail prints records on stdout, one line each, in order: a shard's records after all of
// its parent's, and across shards by creation time. --format jsonl (the default) prints
// one JSON object a line, with shard_id, sequence_number, event_id, event_name (INSERT,
// MODIFY, REMOVE), created_at (RFC 3339), keys, new_image and old_image (as the stream's
// view type has them) and user_identity (TTL deletes), images in plain JSON; --format
// text prints one readable line:
//
//	2026-11-26T10:01:00Z MODIFY shardId-00000001764151200000-48a68362 100000000000000000025 {"pk":"order-1"} new={"pk":"order-1","status":"paid"} old={"pk":"order-1","status":"new"}
//
// --from says where to start: trim_horizon (every record still held, up to 24 hours),
// latest (the default: new records only), an RFC 3339 time, or a duration such as 15m,
// meaning that long ago. tail runs until Ctrl-C (or SIGTERM), --max-records records, or,
// with --stop-at-head, until every shard has been read up to its newest record.
//
// With --token-file PATH, tail resumes from the token saved in PATH when the file exists
// (--from is then ignored), and saves its position there on every exit: success, error
// or Ctrl-C. The file is replaced atomically and covers exactly the records printed, so
// consecutive runs print every record once. The token is the JSON of
// ddbstream.StreamToken.
//
// # shards
//
// shards prints the lineage tree: the oldest shards first, children indented under their
// parent, each with its state (open or closed) and its sequence number range.
//
// # Output and exit codes
//
// Records (and the shard tree) go to stdout; status and warnings to stderr. The exit
// code is 0 on success (including Ctrl-C and --stop-at-head), 2 for a usage error, with
// the usage text, and 1 for a runtime error, with one line on stderr naming the cause:
// stream not found, access denied, trimmed position, no usable AWS credentials, …
package main
