// Package streamtest is an in-memory DynamoDB stream for tests, in the spirit of
// net/http/httptest: a [ddbstream.Session] that answers with the AWS SDK's own types and
// typed exceptions, plus a loopback endpoint speaking the DynamoDB Streams wire protocol
// to a real *dynamodbstreams.Client. It splits shards, expires iterators, trims old
// records and answers empty pages, the things that break stream consumers in production
// and that mocks leave out. Not for production use.
//
// # In process
//
// A [*Stream] is a Session: pass it wherever a *dynamodbstreams.Client goes.
//
//	s := streamtest.NewStream(streamtest.Shards(2))
//	t.Cleanup(s.Close)
//	s.Put(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}})
//	st, err := ddbstream.OpenStream(ctx, s, s.ARN(), ddbstream.TrimHorizon())
//
// Items are map[string]types.AttributeValue of service/dynamodbstreams/types. [Stream.Put],
// [Stream.Delete] and [Stream.ExpireTTL] change the table and append INSERT, MODIFY and
// REMOVE records, shaped by the stream view type, to the open shard that owns the key's
// hash. [Stream.Split] rolls a shard over or splits it; [Stream.Disable] closes them all.
//
// # Over HTTP
//
// [Stream.URL] starts a listener on 127.0.0.1 speaking the JSON 1.0 protocol
// (X-Amz-Target DynamoDBStreams_20120810.<Operation>) for ListStreams, DescribeStream,
// GetShardIterator and GetRecords. Both paths share one implementation, one set of call
// counts and one set of interceptions, so a test can use either and get the same
// answers; over HTTP, exceptions go out as HTTP 400 (500 for InternalServerError, which
// the SDK retries) with a __type the SDK turns back into its typed exceptions.
//
//	c := dynamodbstreams.New(dynamodbstreams.Options{
//		Region:           "us-east-1",
//		BaseEndpoint:     aws.String(s.URL()),
//		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
//		RetryMaxAttempts: 1, // keep the default only in tests about retries
//		HTTPClient:       streamtest.HTTPClient(),
//	})
//
// [HTTPClient] works around a race between the SDK and net/http that a loopback server
// is fast enough to reveal: without it, about one answer in a thousand larger than a few
// kilobytes fails with "use of closed network connection" (or is retried).
//
// Any handle of a service answers for all of its streams ([Stream.AddStream]), routing
// by the ARN or iterator in the request, so one URL serves them all.
//
// # Time, and testing/synctest
//
// The service's clock is time.Now plus what [Stream.Advance] added. Iterators expire 15
// minutes after they are issued; records older than the retention period (24 hours;
// [Retention]) are trimmed; creation times are the clock rounded down to the second.
// Inside a testing/synctest bubble time.Now is virtual, so time.Sleep(25*time.Hour)
// trims a day of records at once and the test takes no real time; [Stream.Latency]
// sleeps on the same clock. The in-process Session starts no goroutine, so it works in a
// bubble; create the stream inside the bubble that uses it, so that its clock is the
// bubble's from the start. The HTTP listener does not: a goroutine waiting on a socket is not durably
// blocked, so a bubble holding one never advances its clock. Call URL outside bubbles
// only, and move time there with Advance.
//
// # Faults and counts
//
// [Stream.Intercept] runs a function before calls of one operation and lets it answer
// instead of the service, once or, with [Interception.Keep], until removed (franz-go
// kfake's ControlKey). [Stream.Throttle], [Stream.FailInternal], [Stream.Fail],
// [Stream.FailFraction] and [Stream.Latency] are built on it. [Stream.Calls] counts the
// calls of each operation that reached the service, so tests and benchmarks can assert
// what reading cost.
//
// # Not emulated
//
// What the service does that this package does not:
//   - Tables: there is no DynamoDB table API; items exist only to tell INSERT from
//     MODIFY and to fill old images. No conditions, updates of single attributes,
//     transactions, or item size limits. Numbers are compared as written, so "1" and
//     "1.0" are different values and different keys.
//   - Shard management: shards never roll over or split by themselves; tests call
//     Split. Children are listed the moment their parent closes (AWS may take a while).
//   - Timing slack: AWS trims "at some moment" after 24 hours and may list closed
//     shards longer; here trimming and forgetting happen exactly on time.
//   - Limits and throttling: no per-shard or per-stream rate limits, no two-readers
//     limit; use Throttle. Iterators look like AWS's but encode their own position.
//   - LATEST's race: AWS may miss a write made just after a LATEST iterator is issued;
//     here it never does.
//   - Re-enabling: a second stream on a table (AddStream with the same TableName)
//     shares no items with the first.
//   - Requests: signatures and credentials are not checked; anything sent is accepted
//     as from account 123456789012. No TLS, gzip, CRC32 header or event streams. The
//     in-process Session ignores per-call option functions (optFns), so it never
//     retries: retries belong to the SDK client, over HTTP.
//   - Other APIs: only ListStreams, DescribeStream, GetShardIterator and GetRecords;
//     no Kinesis Data Streams for DynamoDB, no global-table replication records.
package streamtest
