package wire

import "encoding/binary"

// HeadSize is how much of each frame's body a Framer collects: enough for
// a request's xid and opcode, and for a reply's xid and zxid.
const HeadSize = 12

// Framer follows the frames of one direction of a connection, however
// the bytes are split among reads or writes. The zero Framer is ready and
// starts at the connection's first frame, the handshake. A Framer is not
// safe for concurrent use.
type Framer struct {
	lenBuf   [4]byte
	lenN     int
	inBody   bool
	size     int // body length of the current frame
	remain   int // body bytes of the current frame not yet consumed
	head     [HeadSize]byte
	headN    int
	reported bool // the current frame's Head was returned
	index    int  // of the current frame
}

// Head is what a Framer knows of a frame once its head is complete.
type Head struct {
	Index int    // the frame's position on the connection; 0 is the handshake
	Size  int    // the body's length (the frame's, less its 4-byte length)
	Bytes []byte // the body's first HeadSize bytes, or all of a shorter body; valid until the next call
}

// Next consumes p up to and including the byte that completes the next
// frame head, the body's HeadSize-th byte or the last of a shorter body,
// and returns that head (ok); or, when p completes none, consumes all of
// p. Callers call it again with the rest of p.
func (f *Framer) Next(p []byte) (n int, h Head, ok bool) {
	for n < len(p) {
		if !f.inBody {
			k := copy(f.lenBuf[f.lenN:], p[n:])
			f.lenN += k
			n += k
			if f.lenN < len(f.lenBuf) {
				break
			}
			f.lenN = 0
			f.size = int(binary.BigEndian.Uint32(f.lenBuf[:]))
			f.remain = f.size
			f.inBody, f.headN, f.reported = true, 0, false
		}
		if !f.reported {
			k := min(len(p)-n, f.remain, HeadSize-f.headN)
			copy(f.head[f.headN:], p[n:n+k])
			f.headN += k
			f.remain -= k
			n += k
			if f.headN == HeadSize || f.remain == 0 {
				f.reported = true
				h = Head{Index: f.index, Size: f.size, Bytes: f.head[:f.headN]}
				f.endFrame()
				return n, h, true
			}
			continue
		}
		k := min(len(p)-n, f.remain)
		f.remain -= k
		n += k
		f.endFrame()
	}
	return n, Head{}, false
}

// endFrame moves on to the next frame once the current body is consumed.
func (f *Framer) endFrame() {
	if f.remain == 0 {
		f.inBody = false
		f.index++
	}
}

// Feed consumes all of p and calls fn with every frame head it completes.
func (f *Framer) Feed(p []byte, fn func(Head)) {
	for len(p) > 0 {
		n, h, ok := f.Next(p)
		p = p[n:]
		if ok {
			fn(h)
		}
	}
}
