package wire

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// More request opcodes, for the requests zkrecipes writes itself (see
// internal/sock's watches).
const (
	OpRemoveWatches int32 = 18
	OpSetWatches2   int32 = 105
	OpAddWatch      int32 = 106
	OpMultiRead     int32 = 22 // getData and getChildren ops in one request (3.6+)
)

// Encoder builds one request frame in ZooKeeper's jute encoding: the
// 4-byte length first (filled in by Frame), then the header and body.
type Encoder struct{ b []byte }

// NewRequest starts a request frame with the given xid and opcode.
func NewRequest(xid, op int32) *Encoder {
	e := &Encoder{b: make([]byte, 4, 64)}
	e.Int32(xid)
	e.Int32(op)
	return e
}

func (e *Encoder) Int32(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *Encoder) Int64(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

func (e *Encoder) Bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// Buffer writes a length-prefixed byte buffer; nil is length -1.
func (e *Encoder) Buffer(b []byte) {
	if b == nil {
		e.Int32(-1)
		return
	}
	e.Int32(int32(len(b)))
	e.b = append(e.b, b...)
}

func (e *Encoder) String(s string) {
	e.Int32(int32(len(s)))
	e.b = append(e.b, s...)
}

func (e *Encoder) Strings(ss []string) {
	e.Int32(int32(len(ss)))
	for _, s := range ss {
		e.String(s)
	}
}

// Len returns the frame's length so far, its 4-byte length included.
func (e *Encoder) Len() int { return len(e.b) }

// Frame returns the whole frame, its length filled in.
func (e *Encoder) Frame() []byte {
	binary.BigEndian.PutUint32(e.b[:4], uint32(len(e.b)-4))
	return e.b
}

// ErrShort is a reply body that ends before its fields do.
var ErrShort = errors.New("wire: reply shorter than its fields")

// Decoder reads the fields of a reply body in order; after the first
// field that does not fit, every read returns a zero value and Err
// reports ErrShort.
type Decoder struct {
	b   []byte
	err error
}

func NewDecoder(body []byte) *Decoder { return &Decoder{b: body} }

func (d *Decoder) Err() error { return d.err }

func (d *Decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.err = ErrShort
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}

func (d *Decoder) Int32() int32 {
	p := d.take(4)
	if p == nil {
		return 0
	}
	return int32(binary.BigEndian.Uint32(p))
}

func (d *Decoder) Bool() bool {
	p := d.take(1)
	return p != nil && p[0] != 0
}

func (d *Decoder) Int64() int64 {
	p := d.take(8)
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

// Buffer reads a length-prefixed byte buffer; length -1 is nil.
func (d *Decoder) Buffer() []byte {
	n := d.Int32()
	if n == -1 || d.err != nil {
		return nil
	}
	return append([]byte{}, d.take(int(n))...)
}

// String reads a length-prefixed string; length -1 is "". It copies the
// bytes once, straight into the string.
func (d *Decoder) String() string {
	n := d.Int32()
	if n == -1 || d.err != nil {
		return ""
	}
	return string(d.take(int(n)))
}

// Names is Strings whose strings share the decoder's buffer instead of
// copying it: one allocation (the slice) for any number of names. The
// caller must never modify the buffer afterwards, and keeping any of the
// names keeps all of it: for a listing that is looked through and
// dropped (a contender's), not one that is kept (a cache's).
func (d *Decoder) Names() []string {
	n := d.Int32()
	if n <= 0 || d.err != nil {
		return nil
	}
	if int(n) > len(d.b)/4 { // each string takes at least its length
		d.err = ErrShort
		return nil
	}
	ss := make([]string, 0, n)
	for i := int32(0); i < n && d.err == nil; i++ {
		k := d.Int32()
		if k <= 0 || d.err != nil {
			ss = append(ss, "")
			continue
		}
		b := d.take(int(k))
		if b == nil {
			break
		}
		ss = append(ss, unsafe.String(&b[0], len(b)))
	}
	return ss
}

// Strings reads a vector of strings; length -1 is nil.
func (d *Decoder) Strings() []string {
	n := d.Int32()
	if n <= 0 || d.err != nil {
		return nil
	}
	if int(n) > len(d.b)/4 { // each string takes at least its length
		d.err = ErrShort
		return nil
	}
	ss := make([]string, 0, n)
	for i := int32(0); i < n && d.err == nil; i++ {
		ss = append(ss, d.String())
	}
	return ss
}

// Reply is a decoded reply header.
type Reply struct {
	Xid  int32
	Zxid int64
	Err  int32
	Body []byte
	// Frame is the whole buffer Body was split from, for its owner to
	// reuse once done with Body.
	Frame []byte
}

// ParseReply splits a reply frame's body (without its 4-byte length)
// into its header and the rest.
func ParseReply(body []byte) (Reply, bool) {
	if len(body) < 16 {
		return Reply{}, false
	}
	return Reply{
		Xid:   int32(binary.BigEndian.Uint32(body[0:4])),
		Zxid:  int64(binary.BigEndian.Uint64(body[4:12])),
		Err:   int32(binary.BigEndian.Uint32(body[12:16])),
		Body:  body[16:],
		Frame: body,
	}, true
}

// Event is a decoded watch notification (the body of a reply with xid
// XidWatchEvent).
type Event struct {
	Type  int32
	State int32
	Path  string
}

// ParseEvent decodes a notification's body after its reply header.
func ParseEvent(body []byte) (Event, error) {
	d := NewDecoder(body)
	ev := Event{Type: d.Int32(), State: d.Int32(), Path: d.String()}
	return ev, d.Err()
}

// Watch event types, as the server numbers them.
const (
	EventNodeCreated         int32 = 1
	EventNodeDeleted         int32 = 2
	EventNodeDataChanged     int32 = 3
	EventNodeChildrenChanged int32 = 4
)

// Server error codes zkrecipes' own requests look at.
const (
	ErrCodeOK        int32 = 0
	ErrCodeNoNode    int32 = -101
	ErrCodeNoWatcher int32 = -121
)
