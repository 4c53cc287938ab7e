package wire

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func frame(body ...byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

func seq(n int, from byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = from + byte(i)
	}
	return b
}

// Framer reports every frame's head once, at the same stream offset,
// however the stream is split: a long body (the head is its first
// HeadSize bytes), a short one and an empty one (the whole body).
func TestFramer_AnySplit(t *testing.T) {
	frames := [][]byte{frame(seq(36, 0)...), frame(seq(3, 100)...), frame(), frame(seq(HeadSize, 50)...), frame(seq(40, 7)...)}
	type report struct {
		at   int // stream offset just past the head's last byte
		head Head
	}
	var stream []byte
	var want []report
	for i, f := range frames {
		size := len(f) - 4
		headLen := min(size, HeadSize)
		want = append(want, report{len(stream) + 4 + headLen, Head{Index: i, Size: size, Bytes: f[4 : 4+headLen]}})
		stream = append(stream, f...)
	}
	for _, chunk := range []int{1, 2, 3, 4, 5, 7, 12, 16, 17, 40, 41, len(stream)} {
		var fr Framer
		var got []report
		off := 0
		for i := 0; i < len(stream); i += chunk {
			p := stream[i:min(i+chunk, len(stream))]
			for len(p) > 0 {
				n, h, ok := fr.Next(p)
				require.Positive(t, n, "chunks of %d: no progress", chunk)
				p, off = p[n:], off+n
				if ok {
					h.Bytes = append([]byte{}, h.Bytes...)
					got = append(got, report{off, h})
				}
			}
		}
		assert.Equal(t, want, got, "chunks of %d", chunk)
	}
}

func TestHeaders(t *testing.T) {
	body := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(nil, 7), 1<<40|9)
	xid, zxid, ok := ReplyHeader(body)
	assert.True(t, ok)
	assert.Equal(t, int32(7), xid)
	assert.Equal(t, int64(1<<40|9), zxid)
	_, _, ok = ReplyHeader(body[:11])
	assert.False(t, ok)
	xid, op, ok := RequestHeader(body)
	assert.True(t, ok)
	assert.Equal(t, int32(7), xid)
	assert.Equal(t, int32(1<<8), op)
	_, _, ok = RequestHeader(body[:7])
	assert.False(t, ok)
}

func TestCreatePath(t *testing.T) {
	req := func(op int32, path string) []byte {
		b := binary.BigEndian.AppendUint32(nil, 0) // length, unread
		b = binary.BigEndian.AppendUint32(b, 5)    // xid
		b = binary.BigEndian.AppendUint32(b, uint32(op))
		b = binary.BigEndian.AppendUint32(b, uint32(len(path)))
		return append(b, path...)
	}
	for _, op := range []int32{OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL} {
		p, ok := CreatePath(req(op, "/a/b"))
		assert.True(t, ok)
		assert.Equal(t, "/a/b", p)
	}
	_, ok := CreatePath(req(OpDelete, "/a/b"))
	assert.False(t, ok, "not a create")
	_, ok = CreatePath(req(OpCreate, "/a/b")[:18])
	assert.False(t, ok, "path cut short")
}

// A listing's names are decoded with one allocation each, and the vector
// with one: contention recipes decode every sibling on every listing.
func TestStringsAllocations(t *testing.T) {
	names := make([]string, 64)
	for i := range names {
		names[i] = fmt.Sprintf("_c_%036d-lock-%010d", i, i)
	}
	e := NewRequest(1, OpGetChildren2)
	e.Strings(names)
	body := e.Frame()[12:] // after the length, xid and opcode
	var got []string
	allocs := testing.AllocsPerRun(50, func() {
		d := NewDecoder(body)
		got = d.Strings()
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
	})
	if !slices.Equal(got, names) {
		t.Fatalf("decoded %q, want %q", got, names)
	}
	if want := float64(len(names) + 1); allocs > want {
		t.Errorf("Strings of %d names: %v allocations, want %v", len(names), allocs, want)
	}
}

// Names decodes a listing with one allocation, whatever its length: the
// names share the frame (a contender decodes every sibling on every
// listing). Empty and null names decode as Strings decodes them.
func TestNamesShareTheFrame(t *testing.T) {
	names := make([]string, 64)
	for i := range names {
		names[i] = fmt.Sprintf("_c_%036d-lock-%010d", i, i)
	}
	names[7] = ""
	e := NewRequest(1, OpGetChildren2)
	e.Strings(names)
	body := e.Frame()[12:] // after the length, xid and opcode
	var got []string
	allocs := testing.AllocsPerRun(50, func() {
		d := NewDecoder(body)
		got = d.Names()
		if d.Err() != nil {
			t.Fatal(d.Err())
		}
	})
	if !slices.Equal(got, names) {
		t.Fatalf("decoded %q, want %q", got, names)
	}
	if allocs > 1 {
		t.Errorf("Names of %d names: %v allocations, want 1", len(names), allocs)
	}
	if d := NewDecoder(body[:len(body)-3]); d.Names() != nil && d.Err() == nil {
		t.Error("a listing cut short decodes without an error")
	}
}
