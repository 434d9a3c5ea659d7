package streamtest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/ddbstream/ddbstream"
)

// This file holds the writing side: the table's items and the records their changes
// make.

// A record is one stream record as stored. Its images are never modified after it is
// made; answers hand out copies of the maps.
type record struct {
	at  time.Time // exact creation time on the service's clock; r carries it rounded down
	seq string
	r   types.Record
}

// Put writes item to the table, as PutItem does, and returns the sequence number of the
// record the write made: INSERT when no item had the key, MODIFY otherwise. Like
// DynamoDB, a put that changes nothing (an item equal to the stored one; set members
// compare in any order, numbers as written) makes no record, and a write to a disabled
// stream's table makes none either; Put then returns "".
//
// The item's key attributes (see [KeySchema]) choose the shard: the open shard whose
// hash range holds the partition key. The item is copied, so the caller may reuse it.
// Put panics if the item lacks a key attribute, has a key that is not a non-empty S, N or
// B value, holds a nil or unknown attribute value, or if no open shard owns the key (a
// shard closed by Split with 0 children, on a stream still enabled).
func (s *Stream) Put(item map[string]types.AttributeValue) ddbstream.SequenceNumber {
	item = copyItem("Put", item)
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	st := s.st
	k := st.keyOf("Put", item)
	old, existed := st.items[k.id]
	if existed && equalItems(old, item) {
		return ""
	}
	st.items[k.id] = item
	op := types.OperationTypeInsert
	if existed {
		op = types.OperationTypeModify
	}
	return st.write(op, k, old, item, nil)
}

// Delete deletes the item with the given key, as DeleteItem does, and returns the
// sequence number of the REMOVE record it made and true. keys may be a whole item: only
// the key attributes are read. When no item has the key, nothing is written and Delete
// returns "" and false. On a disabled stream the item is deleted but no record is made:
// "" and true. Delete panics on keys as [Stream.Put] does.
func (s *Stream) Delete(keys map[string]types.AttributeValue) (ddbstream.SequenceNumber, bool) {
	return s.remove("Delete", keys, nil)
}

// ExpireTTL deletes the item with the given key as DynamoDB's time-to-live sweeper
// does: like [Stream.Delete], but the REMOVE record carries the UserIdentity
// {Type: "Service", PrincipalId: "dynamodb.amazonaws.com"}.
func (s *Stream) ExpireTTL(keys map[string]types.AttributeValue) (ddbstream.SequenceNumber, bool) {
	return s.remove("ExpireTTL", keys, &types.Identity{
		Type:        aws.String("Service"),
		PrincipalId: aws.String("dynamodb.amazonaws.com"),
	})
}

func (s *Stream) remove(call string, keys map[string]types.AttributeValue, who *types.Identity) (ddbstream.SequenceNumber, bool) {
	s.svc.mu.Lock()
	defer s.svc.mu.Unlock()
	st := s.st
	k := st.keyOf(call, keys)
	old, ok := st.items[k.id]
	if !ok {
		return "", false
	}
	delete(st.items, k.id)
	return st.write(types.OperationTypeRemove, k, old, nil, who), true
}

// write appends the record of one change to the shard that owns the key and returns its
// sequence number, or "" on a disabled stream. The caller holds mu.
func (st *stream) write(op types.OperationType, k itemKey, old, new map[string]types.AttributeValue, who *types.Identity) ddbstream.SequenceNumber {
	if st.status == types.StreamStatusDisabled {
		return ""
	}
	sh := st.openShardFor(k.hash)
	if sh == nil {
		panic(fmt.Sprintf("streamtest: write to key %v: no open shard owns it; Split(…, 0) closed its shard "+
			"on a stream that is still enabled (use Disable to stop a whole stream)", k.attrs))
	}
	now := st.svc.now()
	if now.Before(st.lastTime) {
		now = st.lastTime // record times never go back, whatever the wall clock does
	}
	st.lastTime = now
	rec := &record{at: now, seq: st.seq.next()}
	sr := &types.StreamRecord{
		ApproximateCreationDateTime: aws.Time(now.Truncate(time.Second).UTC()),
		Keys:                        k.attrs,
		SequenceNumber:              aws.String(rec.seq),
		StreamViewType:              st.cfg.viewType,
	}
	switch st.cfg.viewType {
	case types.StreamViewTypeNewImage:
		sr.NewImage = new
	case types.StreamViewTypeOldImage:
		sr.OldImage = old
	case types.StreamViewTypeNewAndOldImages:
		sr.NewImage, sr.OldImage = new, old
	}
	sr.SizeBytes = aws.Int64(itemSize(sr.Keys) + itemSize(sr.NewImage) + itemSize(sr.OldImage))
	var id [16]byte
	for i := range id {
		id[i] = byte(st.svc.rng.Uint32())
	}
	rec.r = types.Record{
		AwsRegion:    aws.String(st.svc.cfg.region),
		Dynamodb:     sr,
		EventID:      aws.String(hex.EncodeToString(id[:])),
		EventName:    op,
		EventSource:  aws.String("aws:dynamodb"),
		EventVersion: aws.String("1.1"),
		UserIdentity: who,
	}
	sh.recs = append(sh.recs, rec)
	return ddbstream.SequenceNumber(rec.seq)
}

// served returns a copy of the record for an answer, so that a reader that changes the
// maps it was given cannot change the stream.
func (rec *record) served() types.Record {
	r := rec.r
	sr := *r.Dynamodb
	sr.Keys, sr.NewImage, sr.OldImage = maps.Clone(sr.Keys), maps.Clone(sr.NewImage), maps.Clone(sr.OldImage)
	r.Dynamodb = &sr
	if r.UserIdentity != nil {
		id := *r.UserIdentity
		r.UserIdentity = &id
	}
	return r
}

// An itemKey is an item's primary key: the key attributes, a string that identifies
// them, and the hash of the partition key that places them in a shard.
type itemKey struct {
	attrs map[string]types.AttributeValue
	id    string
	hash  uint64
}

// keyOf extracts (and copies) the key of item by the table's key schema; it panics when
// it cannot.
func (st *stream) keyOf(call string, item map[string]types.AttributeValue) itemKey {
	k := itemKey{attrs: make(map[string]types.AttributeValue, 2)}
	var id []byte
	for i, name := range []string{st.cfg.hashKey, st.cfg.rangeKey} {
		if name == "" {
			continue
		}
		v, ok := item[name]
		if !ok {
			panic(fmt.Sprintf("streamtest: %s: the item has no key attribute %q (key schema: hash %q, range %q)",
				call, name, st.cfg.hashKey, st.cfg.rangeKey))
		}
		part, err := keyBytes(v)
		if err != nil {
			panic(fmt.Sprintf("streamtest: %s: key attribute %q: %v", call, name, err))
		}
		if i == 0 {
			k.hash = hashKey(part)
		}
		id = strconv.AppendInt(id, int64(len(part)), 10)
		id = append(id, ':')
		id = append(id, part...)
		k.attrs[name], _ = copyValue(v) // keyBytes accepted it, so it copies
	}
	k.id = string(id)
	return k
}

// keyBytes encodes a key value with its type, so that S "1" and N "1" differ.
func keyBytes(v types.AttributeValue) ([]byte, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		if v.Value == "" {
			return nil, fmt.Errorf("an empty string cannot be a key")
		}
		return append([]byte("S"), v.Value...), nil
	case *types.AttributeValueMemberN:
		if v.Value == "" {
			return nil, fmt.Errorf("an empty number cannot be a key")
		}
		return append([]byte("N"), v.Value...), nil
	case *types.AttributeValueMemberB:
		if len(v.Value) == 0 {
			return nil, fmt.Errorf("an empty binary value cannot be a key")
		}
		return append([]byte("B"), v.Value...), nil
	}
	return nil, fmt.Errorf("%T cannot be a key; keys are S, N or B", v)
}

// hashKey spreads partition keys over the 64-bit hash space: FNV-1a, then the
// SplitMix64 finalizer, since FNV's high bits vary little for short similar keys.
func hashKey(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// copyItem deep-copies an item, panicking on values that cannot be stored.
func copyItem(call string, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(item))
	for name, v := range item {
		c, err := copyValue(v)
		if err != nil {
			panic(fmt.Sprintf("streamtest: %s: attribute %q: %v", call, name, err))
		}
		out[name] = c
	}
	return out
}

func copyValue(v types.AttributeValue) (types.AttributeValue, error) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: v.Value}, nil
	case *types.AttributeValueMemberN:
		return &types.AttributeValueMemberN{Value: v.Value}, nil
	case *types.AttributeValueMemberB:
		return &types.AttributeValueMemberB{Value: bytes.Clone(v.Value)}, nil
	case *types.AttributeValueMemberBOOL:
		return &types.AttributeValueMemberBOOL{Value: v.Value}, nil
	case *types.AttributeValueMemberNULL:
		return &types.AttributeValueMemberNULL{Value: v.Value}, nil
	case *types.AttributeValueMemberSS:
		return &types.AttributeValueMemberSS{Value: slices.Clone(v.Value)}, nil
	case *types.AttributeValueMemberNS:
		return &types.AttributeValueMemberNS{Value: slices.Clone(v.Value)}, nil
	case *types.AttributeValueMemberBS:
		bs := make([][]byte, len(v.Value))
		for i, b := range v.Value {
			bs[i] = bytes.Clone(b)
		}
		return &types.AttributeValueMemberBS{Value: bs}, nil
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(v.Value))
		for i, e := range v.Value {
			c, err := copyValue(e)
			if err != nil {
				return nil, fmt.Errorf("list element %d: %w", i, err)
			}
			l[i] = c
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case *types.AttributeValueMemberM:
		m := make(map[string]types.AttributeValue, len(v.Value))
		for k, e := range v.Value {
			c, err := copyValue(e)
			if err != nil {
				return nil, fmt.Errorf("map entry %q: %w", k, err)
			}
			m[k] = c
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case nil:
		return nil, fmt.Errorf("nil value")
	}
	return nil, fmt.Errorf("unsupported value %T", v)
}

func equalItems(a, b map[string]types.AttributeValue) bool {
	return maps.EqualFunc(a, b, equalValue)
}

// equalValue compares attribute values as DynamoDB would for a no-op write, except that
// numbers compare as written ("1" differs from "1.0").
func equalValue(a, b types.AttributeValue) bool {
	switch a := a.(type) {
	case *types.AttributeValueMemberS:
		b, ok := b.(*types.AttributeValueMemberS)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberN:
		b, ok := b.(*types.AttributeValueMemberN)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberB:
		b, ok := b.(*types.AttributeValueMemberB)
		return ok && bytes.Equal(a.Value, b.Value)
	case *types.AttributeValueMemberBOOL:
		b, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberNULL:
		b, ok := b.(*types.AttributeValueMemberNULL)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberSS:
		b, ok := b.(*types.AttributeValueMemberSS)
		return ok && sameSet(a.Value, b.Value)
	case *types.AttributeValueMemberNS:
		b, ok := b.(*types.AttributeValueMemberNS)
		return ok && sameSet(a.Value, b.Value)
	case *types.AttributeValueMemberBS:
		b, ok := b.(*types.AttributeValueMemberBS)
		if !ok {
			return false
		}
		as, bs := make([]string, len(a.Value)), make([]string, len(b.Value))
		for i, v := range a.Value {
			as[i] = string(v)
		}
		for i, v := range b.Value {
			bs[i] = string(v)
		}
		return sameSet(as, bs)
	case *types.AttributeValueMemberL:
		b, ok := b.(*types.AttributeValueMemberL)
		return ok && slices.EqualFunc(a.Value, b.Value, equalValue)
	case *types.AttributeValueMemberM:
		b, ok := b.(*types.AttributeValueMemberM)
		return ok && maps.EqualFunc(a.Value, b.Value, equalValue)
	}
	return false
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// itemSize approximates DynamoDB's item size rules: each attribute costs its name's
// length plus its value's size.
func itemSize(m map[string]types.AttributeValue) int64 {
	var n int64
	for name, v := range m {
		n += int64(len(name)) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int64 {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return int64(len(v.Value))
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return int64(len(v.Value))
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		var n int64
		for _, s := range v.Value {
			n += int64(len(s))
		}
		return n
	case *types.AttributeValueMemberNS:
		var n int64
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		var n int64
		for _, b := range v.Value {
			n += int64(len(b))
		}
		return n
	case *types.AttributeValueMemberL:
		n := int64(3)
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := int64(3)
		for k, e := range v.Value {
			n += 1 + int64(len(k)) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize is DynamoDB's rule of thumb: one byte per two significant digits, plus one.
func numberSize(s string) int64 {
	return int64(len(s)+1)/2 + 1
}
