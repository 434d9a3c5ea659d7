package ddbstream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/ddbstream/ddbstream"
	"github.com/ddbstream/ddbstream/streamtest"
)

type order struct {
	ID     string `dynamodbav:"pk"`
	Status string `dynamodbav:"status"`
}

func orderItem(id, status string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"pk":     &types.AttributeValueMemberS{Value: id},
		"status": &types.AttributeValueMemberS{Value: status},
	}
}

// Read a table's changes in order, decode them, and save the place.
func Example() {
	ctx := context.Background()

	// A real program passes a *dynamodbstreams.Client, e.g. from ddbstream.NewSession(ctx).
	table := streamtest.NewStream(streamtest.TableName("Orders"))
	defer table.Close()
	table.Put(orderItem("order#1", "new"))
	table.Put(orderItem("order#1", "paid"))
	table.Put(orderItem("order#2", "new"))

	s, err := ddbstream.OpenStream(ctx, table, table.ARN(), ddbstream.TrimHorizon())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		rec, err := s.Next(ctx)
		if err != nil {
			log.Fatal(err)
		}
		var o order
		if err := rec.UnmarshalNewImage(&o); err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.Operation, o.ID, o.Status)
	}
	tok, err := json.Marshal(s.Token()) // save it; ResumeStream continues from it
	if err != nil {
		log.Fatal(err)
	}
	_ = tok
	// Output:
	// INSERT order#1 new
	// MODIFY order#1 paid
	// INSERT order#2 new
}

// Stop, save the token, and later continue with exactly the records not yet returned.
func ExampleResumeStream() {
	ctx := context.Background()
	table := streamtest.NewStream()
	defer table.Close()
	for _, status := range []string{"new", "paid", "shipped", "delivered"} {
		table.Put(orderItem("order#1", status))
	}

	first, err := ddbstream.OpenStream(ctx, table, table.ARN(), ddbstream.TrimHorizon())
	if err != nil {
		log.Fatal(err)
	}
	for range 2 {
		rec, _ := first.Next(ctx)
		fmt.Println("first: ", rec.NewImage["status"].(*types.AttributeValueMemberS).Value)
	}
	saved, _ := json.Marshal(first.Token())
	first.Close()

	var tok ddbstream.StreamToken
	if err := json.Unmarshal(saved, &tok); err != nil {
		log.Fatal(err)
	}
	second, err := ddbstream.ResumeStream(ctx, table, tok, ddbstream.StopAtHead())
	if err != nil {
		log.Fatal(err)
	}
	defer second.Close()
	for rec, err := range second.Records(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("second:", rec.NewImage["status"].(*types.AttributeValueMemberS).Value)
	}
	// Output:
	// first:  new
	// first:  paid
	// second: shipped
	// second: delivered
}

// Move a stream to the first changes made at or after a time.
func ExampleStream_SeekTo() {
	ctx := context.Background()
	table := streamtest.NewStream()
	defer table.Close()
	table.Put(orderItem("order#1", "new"))
	table.Advance(time.Hour)
	since := table.Now()
	table.Put(orderItem("order#1", "paid"))

	s, err := ddbstream.OpenStream(ctx, table, table.ARN(), ddbstream.TrimHorizon(), ddbstream.StopAtHead())
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.SeekTo(ctx, since); err != nil {
		log.Fatal(err)
	}
	for rec, err := range s.Records(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(rec.Operation, rec.NewImage["status"].(*types.AttributeValueMemberS).Value)
	}
	// Output:
	// MODIFY paid
}

// Walk a stream's shard lineage.
func ExampleLoadShards() {
	ctx := context.Background()
	table := streamtest.NewStream(streamtest.Seed(1))
	defer table.Close()
	children := table.Split(table.ShardIDs()[0], 2)
	table.Split(children[0], 1)

	shards, err := ddbstream.LoadShards(ctx, table, table.ARN())
	if err != nil {
		log.Fatal(err)
	}
	for _, root := range ddbstream.Roots(shards) {
		for sh := range root.WalkTree() {
			depth := 0
			for p := sh.Parent(); p != nil; p = p.Parent() {
				depth++
			}
			_, end := sh.SequenceNumberRange()
			state := "open"
			if end != "" {
				state = "closed"
			}
			fmt.Printf("%*s%s\n", 2*depth+len(state), state, "")
		}
	}
	// Output:
	// closed
	//   closed
	//   open
	//     open
}

// Read one shard directly, page by page.
func ExampleShard_Next() {
	ctx := context.Background()
	table := streamtest.NewStream()
	defer table.Close()
	table.Put(orderItem("order#1", "new"))
	table.Delete(map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "order#1"}})

	sh, err := ddbstream.NewShard(table, table.ARN(), table.ShardIDs()[0])
	if err != nil {
		log.Fatal(err)
	}
	recs, err := sh.Next(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, rec := range recs {
		fmt.Println(rec.Operation, keyOf(rec))
	}
	fmt.Println(sh.Token().IteratorType)
	// Output:
	// INSERT order#1
	// REMOVE order#1
	// after_sequence
}
