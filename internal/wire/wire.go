// Package wire knows the few facts of ZooKeeper's client protocol that
// zkrecipes reads off the socket beneath go-zookeeper: request opcodes and
// the layout of request and reply frames. Every frame is a 4-byte
// big-endian length followed by that many bytes; a request starts with
// xid and opcode (int32 each), a reply with xid, zxid (int64) and error
// (int32). The first frame each way is the session handshake, which has
// neither header.
//
// It is the one place that parses frames: Framer follows a stream of
// them however it is split (internal/sock and zktest's FaultDialer both
// use it), and the functions below decode the parts that are read.
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

// RequestHeader decodes the xid and opcode at the start of a request's
// body (a Head's Bytes), or reports false if body is too short to hold
// them.
func RequestHeader(body []byte) (xid, op int32, ok bool) {
	if len(body) < 8 {
		return 0, 0, false
	}
	return int32(binary.BigEndian.Uint32(body[0:4])), int32(binary.BigEndian.Uint32(body[4:8])), true
}

// ReplyHeader decodes the xid and zxid at the start of a reply's body (a
// Head's Bytes), or reports false if body is too short to hold them.
func ReplyHeader(body []byte) (xid int32, zxid int64, ok bool) {
	if len(body) < 12 {
		return 0, 0, false
	}
	return int32(binary.BigEndian.Uint32(body[0:4])), int64(binary.BigEndian.Uint64(body[4:12])), true
}

// CreatePath returns the path of a create request (any of the four
// create opcodes), given as one whole frame (length, xid, opcode, then
// the path as length and bytes); false for any other frame.
func CreatePath(frame []byte) (string, bool) {
	if len(frame) < 16 {
		return "", false
	}
	switch RequestOpcode(frame) {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
	default:
		return "", false
	}
	n := int(int32(binary.BigEndian.Uint32(frame[12:16])))
	if n < 0 || 16+n > len(frame) {
		return "", false
	}
	return string(frame[16 : 16+n]), true
}

// ConnectReplySize is how much of a connection's first reply frame
// ConnectReply needs: length, protocolVersion, timeOut, sessionId.
const ConnectReplySize = 20

// ConnectReply decodes the negotiated session timeout (milliseconds) and
// the session id of the connect response, the first ConnectReplySize
// bytes the server sends on a connection.
func ConnectReply(head []byte) (timeoutMs int32, sessionID int64) {
	return int32(binary.BigEndian.Uint32(head[8:12])), int64(binary.BigEndian.Uint64(head[12:20]))
}
