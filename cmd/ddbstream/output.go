package main

import (
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/ddbstream/ddbstream"
)

// A printer writes records to w, one line each, in its format:
//
//   - jsonl: the record's JSON (Record.MarshalJSON): shard_id, sequence_number, event_id,
//     event_name, created_at, keys, new_image, old_image, user_identity, …
//   - text: creation time, operation, shard, sequence number, keys, then new= and old=
//     images when the record has them, and "ttl" for a delete made by time to live:
//     2026-11-26T10:00:01Z MODIFY shardId-… 100…042 {"pk":"a"} new={…} old={…}
//
// Each line goes out in one Write, so a record is either printed whole or not at all.
type printer struct {
	w      io.Writer
	format format
	buf    []byte
}

// print writes one record.
func (p *printer) print(r ddbstream.Record) error {
	b := p.buf[:0]
	switch p.format {
	case formatText:
		b = appendText(b, r)
	default:
		j, err := r.MarshalJSON()
		if err != nil {
			return err
		}
		b = append(b, j...)
	}
	b = append(b, '\n')
	p.buf = b
	_, err := p.w.Write(b)
	return err
}

// appendText appends the text form of r, without a newline.
func appendText(b []byte, r ddbstream.Record) []byte {
	b = r.CreatedAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, ' ')
	b = append(b, r.Operation...)
	b = append(b, ' ')
	b = append(b, r.ShardID...)
	b = append(b, ' ')
	b = append(b, r.SequenceNumber...)
	b = append(b, ' ')
	b = ddbstream.AppendPlainJSON(b, &types.AttributeValueMemberM{Value: r.Keys})
	if r.NewImage != nil {
		b = append(b, " new="...)
		b = ddbstream.AppendPlainJSON(b, &types.AttributeValueMemberM{Value: r.NewImage})
	}
	if r.OldImage != nil {
		b = append(b, " old="...)
		b = ddbstream.AppendPlainJSON(b, &types.AttributeValueMemberM{Value: r.OldImage})
	}
	switch id := r.UserIdentity; {
	case r.IsTTLDelete():
		b = append(b, " ttl"...)
	case id != nil:
		b = append(b, " by="...)
		b = append(b, id.Type...)
		b = append(b, ':')
		b = append(b, id.PrincipalID...)
	}
	return b
}
