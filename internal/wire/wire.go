// Package wire knows the few facts of ZooKeeper's client protocol that
// zkrecipes reads off the socket beneath go-zookeeper: request opcodes and
// the layout of request and reply frames. Every frame is a 4-byte
// big-endian length followed by that many bytes; a request starts with
// xid and opcode (int32 each), a reply with xid, zxid (int64) and error
// (int32). The first frame each way is the session handshake, which has
// neither header.
package wire

import "encoding/binary"

// Request opcodes.
const (
	OpCreate          int32 = 1
	OpDelete          int32 = 2
	OpExists          int32 = 3
	OpGetData         int32 = 4
	OpSetData         int32 = 5
	OpGetACL          int32 = 6
	OpSetACL          int32 = 7
	OpGetChildren     int32 = 8
	OpSync            int32 = 9
	OpPing            int32 = 11
	OpGetChildren2    int32 = 12
	OpCheck           int32 = 13
	OpMulti           int32 = 14
	OpCreate2         int32 = 15
	OpCreateContainer int32 = 19
	OpCreateTTL       int32 = 21
	OpSetWatches      int32 = 101
)

// Special xids of frames the server sends.
const (
	XidWatchEvent int32 = -1
	XidPing       int32 = -2
)

// RequestOpcode returns the opcode of a request frame (not the handshake),
// or -1 if frame is too short to have one.
func RequestOpcode(frame []byte) int32 {
	if len(frame) < 12 {
		return -1
	}
	return int32(binary.BigEndian.Uint32(frame[8:12]))
}

// ReplyHeaderSize is the size of a reply frame's length, xid and zxid.
const ReplyHeaderSize = 16

// ReplyHeader decodes the xid and zxid of a reply frame's first
// ReplyHeaderSize bytes.
func ReplyHeader(head []byte) (xid int32, zxid int64) {
	return int32(binary.BigEndian.Uint32(head[4:8])), int64(binary.BigEndian.Uint64(head[8:16]))
}
