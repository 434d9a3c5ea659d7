package streamtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"time"
)

// This file encodes shard iterators. Like AWS's, an iterator is the stream ARN, "|1|",
// and an opaque base64 blob; the blob holds the shard, the record index it points at, the
// time it was issued and how many empty pages it still owes, signed with the service's
// key so that garbage, and iterators of another service, are told from real ones.

// maxIteratorLength is the longest iterator the service accepts (2048 on AWS).
const maxIteratorLength = 2048

// macSize is how many bytes of the HMAC an iterator keeps.
const macSize = 12

type iterator struct {
	arn    string
	shard  string
	pos    int       // index of the next record (see shard.base)
	issued time.Time // on the service's clock
	empty  int       // empty pages still to answer while the shard is open
}

func (svc *service) encodeIterator(it iterator) string {
	blob := make([]byte, 0, 64)
	blob = append(blob, 1, byte(len(it.shard)))
	blob = append(blob, it.shard...)
	blob = binary.AppendUvarint(blob, uint64(it.pos))
	blob = binary.AppendVarint(blob, it.issued.UnixNano())
	blob = binary.AppendUvarint(blob, uint64(it.empty))
	blob = append(blob, svc.mac(it.arn, blob)...)
	return it.arn + "|1|" + base64.StdEncoding.EncodeToString(blob)
}

// decodeIterator parses s; ok is false for anything this service did not issue.
func (svc *service) decodeIterator(s string) (it iterator, ok bool) {
	arn, rest, ok1 := strings.Cut(s, "|")
	version, b64, ok2 := strings.Cut(rest, "|")
	if !ok1 || !ok2 || version != "1" {
		return iterator{}, false
	}
	blob, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(blob) < 2+macSize {
		return iterator{}, false
	}
	body, mac := blob[:len(blob)-macSize], blob[len(blob)-macSize:]
	if !hmac.Equal(mac, svc.mac(arn, body)) {
		return iterator{}, false
	}
	// Signed by us, so well formed; the checks below guard against our own bugs only.
	n := int(body[1])
	if body[0] != 1 || len(body) < 2+n {
		return iterator{}, false
	}
	it = iterator{arn: arn, shard: string(body[2 : 2+n])}
	p := body[2+n:]
	pos, k := binary.Uvarint(p)
	if k <= 0 {
		return iterator{}, false
	}
	p = p[k:]
	issued, k := binary.Varint(p)
	if k <= 0 {
		return iterator{}, false
	}
	p = p[k:]
	empty, k := binary.Uvarint(p)
	if k <= 0 || k != len(p) {
		return iterator{}, false
	}
	it.pos, it.issued, it.empty = int(pos), time.Unix(0, issued), int(empty)
	return it, true
}

func (svc *service) mac(arn string, body []byte) []byte {
	h := hmac.New(sha256.New, svc.key[:])
	h.Write([]byte(arn))
	h.Write([]byte{'|'})
	h.Write(body)
	return h.Sum(nil)[:macSize]
}
