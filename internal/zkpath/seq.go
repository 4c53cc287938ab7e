package zkpath

import (
	"cmp"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SeqLen is the width of the suffix ZooKeeper appends to sequential nodes.
const SeqLen = 10

// ProtectedPrefix starts every protected node name, as in Curator.
const ProtectedPrefix = "_c_"

// Node is one parsed sequential child.
type Node struct {
	Name string // full child name
	Seq  int32  // sequence suffix; negative after the parent's counter overflows
	// Session is the id of the session that created the node, when its
	// name is protected by us (zero otherwise, e.g. for Curator's nodes).
	Session int64
}

// Order is the position of n in creation order. The server renders the
// int32 counter with %010d, so after overflow names turn negative; as uint32
// they keep increasing across the first wrap.
func (n Node) Order() uint32 { return uint32(n.Seq) }

// ParseSeq extracts the sequence suffix of name if the part before the
// suffix ends with marker (e.g. "lock-"). Names that do not fit the pattern
// are reported with ok=false so that callers ignore them instead of
// mis-sorting them.
func ParseSeq(name, marker string) (Node, bool) {
	seq, ok := SeqOf(name, marker)
	if !ok {
		return Node{}, false
	}
	n := Node{Name: name, Seq: seq}
	if s, _, ok := ParseProtected(name); ok {
		n.Session = s
	}
	return n, true
}

// SeqOf is ParseSeq's sequence number alone, for callers that need no
// Session: it allocates nothing.
func SeqOf(name, marker string) (int32, bool) {
	if len(name) < SeqLen+len(marker) {
		return 0, false
	}
	suffix := name[len(name)-SeqLen:]
	head := name[:len(name)-SeqLen]
	if !strings.HasSuffix(head, marker) {
		return 0, false
	}
	v, err := strconv.ParseInt(suffix, 10, 32)
	if err != nil {
		return 0, false
	}
	return int32(v), true
}

// Before reports whether a comes before b in creation order, as
// SortBySeq sorts them.
func Before(a, b Node) bool { return compareSeq(a, b) < 0 }

// ParseChildren parses the children that match one of markers and sorts
// them by sequence. Siblings share their parent's sequence counter, so
// nodes of different markers sort into one creation order.
func ParseChildren(children []string, markers ...string) []Node {
	nodes := make([]Node, 0, len(children))
	for _, c := range children {
		for _, m := range markers {
			if n, ok := ParseSeq(c, m); ok {
				nodes = append(nodes, n)
				break
			}
		}
	}
	SortBySeq(nodes)
	return nodes
}

// SortBySeq sorts nodes by creation order, never lexically: protected
// prefixes differ per creator and would break a lexical sort. Siblings
// never share a sequence number (their parent counts them); names that
// do, from different parents, sort by name.
func SortBySeq(nodes []Node) {
	slices.SortFunc(nodes, compareSeq)
}

func compareSeq(a, b Node) int {
	return cmp.Or(cmp.Compare(a.Order(), b.Order()), strings.Compare(a.Name, b.Name))
}

// Nonce returns a fresh random value for one protected create attempt.
func Nonce() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("zkpath: crypto/rand failed: " + err.Error())
	}
	return binary.BigEndian.Uint64(b[:])
}

// Protected returns the prefix of a protected node name: "_c_" and a
// UUID-shaped 36-character tag whose first 16 hex digits are the session id
// and whose last 16 are the nonce, then "-". The UUID shape makes Curator's
// ProtectedUtils recognise our nodes as protected, and the session id lets a
// create whose reply was lost be found again by the session that made it.
func Protected(session int64, nonce uint64) string {
	s, n := uint64(session), nonce
	return fmt.Sprintf("%s%08x-%04x-%04x-%04x-%012x-", ProtectedPrefix,
		s>>32, (s>>16)&0xffff, s&0xffff, n>>48, n&0xffffffffffff)
}

// protectedLen is len(Protected(..)).
const protectedLen = len(ProtectedPrefix) + 36 + 1

// ParseProtected returns the session and nonce of a name made with Protected.
func ParseProtected(name string) (session int64, nonce uint64, ok bool) {
	if len(name) < protectedLen || !strings.HasPrefix(name, ProtectedPrefix) || name[protectedLen-1] != '-' {
		return 0, 0, false
	}
	tag := name[len(ProtectedPrefix) : protectedLen-1]
	if tag[8] != '-' || tag[13] != '-' || tag[18] != '-' || tag[23] != '-' {
		return 0, 0, false
	}
	// 32 hex digits around the dashes: the first 16 the session, the
	// rest the nonce. Parsed in place: contention recipes parse every
	// sibling's name on every listing.
	var v [2]uint64
	digits := 0
	for i := 0; i < len(tag); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		d, ok := unhex(tag[i])
		if !ok {
			return 0, 0, false
		}
		v[digits/16] = v[digits/16]<<4 | d
		digits++
	}
	return int64(v[0]), v[1], true
}

func unhex(c byte) (uint64, bool) {
	switch {
	case '0' <= c && c <= '9':
		return uint64(c - '0'), true
	case 'a' <= c && c <= 'f':
		return uint64(c - 'a' + 10), true
	case 'A' <= c && c <= 'F':
		return uint64(c - 'A' + 10), true
	}
	return 0, false
}
