package queue

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Znode names below the queue path. Operators see them, so they are API.
const (
	itemsDir     = "items"     // <path>/items/<bucket>/<item>: the messages
	claimsDir    = "claims"    // <path>/claims/<id>: ephemeral claims of consumers
	consumersDir = "consumers" // <path>/consumers/<session>: one ephemeral node per consuming session
	signalNode   = "signal"    // <path>/signal: its data changes when a claim is released
	receiptsDir  = "receipts"  // <path>/receipts/r-<nonce>: ephemeral receipts of puts in flight
	deadDir      = "dead"      // <path>/dead: the default dead-letter queue (itself a queue)

	bucketPrefix = "b-" // bucket b-<priority 3 digits>-<number 10 digits>
	itemPrefix   = "m-" // item m-<nonce 16 hex>-[t<visible-at unix ms>-][d<inline data>-]<sequence>
	deliveryNode = "d"  // created and deleted under an item by each claim: counts deliveries
	idSeparator  = "."  // message id: <bucket>.<item>
)

// sealed is the data a bucket gets when it is closed for new items; an
// open bucket has data version 0, a sealed one version 1.
var sealed = []byte("sealed")

// layout holds the paths of one queue, relative to the client's namespace.
type layout struct {
	root, items, claims, consumers, signal, receipts string
}

func newLayout(root string) layout {
	return layout{
		root:      root,
		items:     zkpath.Join(root, itemsDir),
		claims:    zkpath.Join(root, claimsDir),
		consumers: zkpath.Join(root, consumersDir),
		signal:    zkpath.Join(root, signalNode),
		receipts:  zkpath.Join(root, receiptsDir),
	}
}

func (l layout) bucket(b bucketRef) string { return zkpath.Join(l.items, b.name()) }
func (l layout) item(id msgID) string      { return zkpath.Join(l.items, id.bucket.name(), id.item) }
func (l layout) receipt(nonce uint64) string {
	return zkpath.Join(l.receipts, fmt.Sprintf("r-%016x", nonce))
}
func (l layout) claim(id msgID) string { return zkpath.Join(l.claims, id.claimName()) }
func (l layout) consumer(session int64) string {
	return zkpath.Join(l.consumers, fmt.Sprintf("%016x", uint64(session)))
}

// bucketRef names one bucket: a priority lane and a position in it.
type bucketRef struct {
	prio int
	num  int64
}

func (b bucketRef) name() string { return fmt.Sprintf("%s%03d-%010d", bucketPrefix, b.prio, b.num) }
func (b bucketRef) next() bucketRef {
	return bucketRef{b.prio, b.num + 1}
}

func parseBucket(name string) (bucketRef, bool) {
	rest, ok := strings.CutPrefix(name, bucketPrefix)
	if !ok || len(rest) != 3+1+10 || rest[3] != '-' {
		return bucketRef{}, false
	}
	p, err1 := strconv.Atoi(rest[:3])
	n, err2 := strconv.ParseInt(rest[4:], 10, 64)
	if err1 != nil || err2 != nil || p < MinPriority || p > MaxPriority || n < 0 {
		return bucketRef{}, false
	}
	return bucketRef{p, n}, true
}

// MaxInline is the largest message carried in its node's name rather than
// its data, unless [WithInline](false): a consumer then learns small
// messages from the listing of their bucket, and takes one with a single
// write (which also counts the delivery) and no read.
const MaxInline = 128

var inlineEnc = base64.RawURLEncoding

// itemBase is the name given to a sequential create; the server appends
// the sequence. The nonce finds the create again after a lost reply. An
// inline message (see Queue.inlines) is carried in the name (base64url).
func itemBase(nonce uint64, visibleAt time.Time, data []byte, inline bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s%016x-", itemPrefix, nonce)
	if !visibleAt.IsZero() {
		fmt.Fprintf(&b, "t%d-", visibleAt.UnixMilli())
	}
	if inline {
		b.WriteByte('d')
		b.WriteString(inlineEnc.EncodeToString(data))
		b.WriteByte('-')
	}
	return b.String()
}

// inlines reports whether q puts data into the message's name.
func (q *Queue) inlines(data []byte) bool { return q.o.inline && len(data) <= MaxInline }

func noncePrefix(nonce uint64) string { return fmt.Sprintf("%s%016x-", itemPrefix, nonce) }

// itemInfo is a parsed item name.
type itemInfo struct {
	name      string
	seq       int64
	visibleAt int64  // unix ms; 0: visible at once
	inline    bool   // data is in the name
	data      []byte // the inline data
}

func parseItem(name string) (itemInfo, bool) {
	rest, ok := strings.CutPrefix(name, itemPrefix)
	if !ok || len(rest) < 16+1+zkpath.SeqLen || rest[16] != '-' {
		return itemInfo{}, false
	}
	if _, err := strconv.ParseUint(rest[:16], 16, 64); err != nil {
		return itemInfo{}, false
	}
	rest = rest[17:]
	it := itemInfo{name: name}
	if t, ok := strings.CutPrefix(rest, "t"); ok {
		ms, tail, ok := strings.Cut(t, "-")
		v, err := strconv.ParseInt(ms, 10, 64)
		if !ok || err != nil {
			return itemInfo{}, false
		}
		it.visibleAt, rest = v, tail
	}
	if len(rest) > zkpath.SeqLen {
		// d<base64url>-<sequence>: base64url has '-' too, so cut from the end.
		head := rest[:len(rest)-zkpath.SeqLen]
		if head[0] != 'd' || head[len(head)-1] != '-' {
			return itemInfo{}, false
		}
		data, err := inlineEnc.DecodeString(head[1 : len(head)-1])
		if err != nil {
			return itemInfo{}, false
		}
		it.inline, it.data = true, data
		rest = rest[len(head):]
	}
	if len(rest) != zkpath.SeqLen {
		return itemInfo{}, false
	}
	seq, err := strconv.ParseInt(rest, 10, 32)
	if err != nil {
		return itemInfo{}, false
	}
	it.seq = int64(uint32(int32(seq))) // creation order also across the int32 wrap
	return it, true
}

// msgID identifies a message: its bucket and its item name.
type msgID struct {
	bucket bucketRef
	item   string
}

func (m msgID) String() string { return m.bucket.name() + idSeparator + m.item }

// claimName names the claim of a message: its bucket, nonce and sequence,
// without the inline data and delay, so that the claims directory lists
// short names (tens of thousands of claims fit one listing).
func (m msgID) claimName() string {
	const head = len(itemPrefix) + 16 // m-<nonce>
	if len(m.item) < head+1+zkpath.SeqLen {
		return m.String()
	}
	return m.bucket.name() + idSeparator + m.item[:head] + "-" + m.item[len(m.item)-zkpath.SeqLen:]
}

func parseID(id string) (msgID, error) {
	b, it, ok := strings.Cut(id, idSeparator)
	if !ok {
		return msgID{}, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	br, ok1 := parseBucket(b)
	_, ok2 := parseItem(it)
	if !ok1 || !ok2 {
		return msgID{}, fmt.Errorf("%w: %q", ErrInvalidID, id)
	}
	return msgID{br, it}, nil
}
