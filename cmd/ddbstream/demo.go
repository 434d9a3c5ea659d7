package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

// demoOptions are the flags of ddbstream demo.
type demoOptions struct {
	seed   uint64
	format format
}

func demoCommand() *command {
	o := &demoOptions{format: formatText}
	return &command{flags: o.flags, run: o.run}
}

func (o *demoOptions) flags(errOut io.Writer) *flagSet {
	fs := newFlagSet("demo", "ddbstream demo [flags]",
		`Run a guided tour on an in-memory DynamoDB stream (package streamtest): write changes
to a sample table, split a shard, tail the records, stop, resume from the token,
seek back by time. Steps are told on stderr, records printed on stdout. Needs no
AWS account or network and takes about a second.
`, errOut)
	fs.Uint64Var(&o.seed, "seed", 1, "seed the stream with `N`: the same seed prints the same sequence numbers and event IDs")
	fs.Var(&o.format, "format", "print records as `text|jsonl`: one readable line, or one JSON object a line")
	return fs
}

// The demo runs in process: the stream is the Session itself. It could serve its
// loopback endpoint to a real SDK client instead (the tests of tail do), but over HTTP
// every answer draws a request ID from the seeded generator, so the values written after
// the first read would change from run to run; in process they do not, and no port is
// opened.
func (o *demoOptions) run(ctx context.Context, e *env) int {
	err := o.tour(ctx, e)
	if errors.Is(err, syscall.EPIPE) {
		return 0 // stdout was closed: ddbstream demo | head
	}
	if err != nil {
		return e.failUnlessDone(ctx, err)
	}
	return 0
}

func (o *demoOptions) tour(ctx context.Context, e *env) error {
	say := func(format string, args ...any) { fmt.Fprintf(e.stderr, "demo: "+format+"\n", args...) }
	p := &printer{w: e.stdout, format: o.format}
	s := streamtest.NewStream(streamtest.TableName("Orders"), streamtest.Seed(o.seed))
	defer s.Close()
	// Start on a whole minute of the stream's clock, so the times below read well.
	now := s.Now()
	t0 := now.Truncate(time.Minute).Add(time.Minute)
	s.Advance(t0.Sub(now))
	at := func(t time.Time) string { return t.UTC().Format("15:04:05") }
	shard := s.ShardIDs()[0]

	say("1. an in-memory DynamoDB stream for table Orders: %s", s.ARN())
	say("   one shard, %s; view type NEW_AND_OLD_IMAGES", shard)
	s.Put(order("order-1", "ana", "new", "25.50"))
	s.Put(order("order-2", "bo", "new", "12"))
	o3 := order("order-3", "cy", "new", "7.25")
	o3["expires_at"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(t0.Add(3*time.Minute).Unix(), 10)}
	s.Put(o3)
	s.Advance(time.Minute)
	t1 := t0.Add(time.Minute)
	s.Put(order("order-1", "ana", "paid", "25.50"))
	s.Delete(order("order-2", "", "", ""))
	say("2. writes: at %s insert order-1, order-2, order-3; at %s order-1 is paid, order-2 deleted", at(t0), at(t1))

	say("3. tail from TRIM_HORIZON, and stop after 3 records as Ctrl-C would (ddbstream.OpenStream, Stream.Next)")
	st, err := ddbstream.OpenStream(ctx, s, s.ARN(), ddbstream.TrimHorizon(), ddbstream.StopAtHead())
	if err != nil {
		return err
	}
	n1, _, err := copyRecords(ctx, st, p, 3)
	if err != nil {
		return err
	}
	_ = st.Close()
	tok := st.Token()
	tokJSON, err := json.Marshal(tok)
	if err != nil {
		return err
	}
	say("   stopped; the token (Stream.Token) is where reading resumes: %s", tokJSON)

	s.Advance(time.Minute)
	children := s.Split(shard, 2)
	s.Advance(time.Minute)
	t3 := t0.Add(3 * time.Minute)
	s.Put(order("order-4", "dee", "new", "99.90"))
	s.Put(order("order-1", "ana", "shipped", "25.50"))
	s.ExpireTTL(order("order-3", "", "", ""))
	say("4. while stopped: at %s the shard splits into %s and %s;", at(t0.Add(2*time.Minute)), children[0], children[1])
	say("   at %s insert order-4, order-1 is shipped, order-3 expires (TTL)", at(t3))

	say("5. resume from the token (ddbstream.ResumeStream): the 2 records not printed yet, then the 3 new")
	say("   ones; the closed parent is read to its end before its children")
	st, err = ddbstream.ResumeStream(ctx, s, tok, ddbstream.StopAtHead())
	if err != nil {
		return err
	}
	defer st.Close()
	n2, _, err := copyToHead(ctx, st, p)
	if err != nil {
		return err
	}

	say("6. seek back to %s (Stream.SeekTo) and read again to the head", at(t1))
	if err := st.SeekTo(ctx, t1); err != nil {
		return err
	}
	n3, _, err := copyToHead(ctx, st, p)
	if err != nil {
		return err
	}

	shards, err := ddbstream.LoadShards(ctx, s, s.ARN())
	if err != nil {
		return err
	}
	say("7. the lineage now (ddbstream shards):")
	fmt.Fprintf(e.stderr, "%s", appendTree(nil, shards))
	say("done: 8 changes written; %d + %d records read, each once; %d read again after the seek.", n1, n2, n3)
	say("against AWS: ddbstream tail --table Orders --from 15m --token-file orders.token")
	return nil
}

// copyToHead prints st's records until Next reports the head (StopAtHead).
func copyToHead(ctx context.Context, st *ddbstream.Stream, p *printer) (int, *ddbstream.Record, error) {
	n, unprinted, err := copyRecords(ctx, st, p, 0)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, unprinted, err
}

// order is an item of the demo's Orders table. Empty fields are left out, so
// order(id, "", "", "") is just the key.
func order(id, customer, status, total string) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: id}}
	if customer != "" {
		item["customer"] = &types.AttributeValueMemberS{Value: customer}
	}
	if status != "" {
		item["status"] = &types.AttributeValueMemberS{Value: status}
	}
	if total != "" {
		item["total"] = &types.AttributeValueMemberN{Value: total}
	}
	return item
}
