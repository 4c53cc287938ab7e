package barrier

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Znode names and round-record words of a double barrier. Operators see
// them, so they are API.
const (
	// MemberPrefix names a member node: protected ephemeral-sequential,
	// "_c_<session and nonce>-member-<seq>".
	MemberPrefix = "member-"
	// RecordReady and RecordLeft start the barrier node's data: "ready N M"
	// once the round of M members whose last admitted member has sequence N
	// is complete, "left N M" once all of that round's members have left.
	RecordReady = "ready"
	RecordLeft  = "left"
)

// record is the round record kept in the barrier node's data. Sequence
// numbers are compared as zkpath.Node.Order values, which keep increasing
// across the first wrap of the parent's counter.
type record struct {
	ok     bool   // false: no round yet (or data we do not own)
	cutoff uint32 // Order of the last member admitted to the latest round
	left   bool   // all members of that round have left
	n      int    // the member count of the member that wrote the record
}

// admits reports whether the member with order o belongs to the latest
// round or an earlier one.
func (r record) admits(o uint32) bool { return r.ok && o <= r.cutoff }

func (r record) encode() []byte {
	word := RecordReady
	if r.left {
		word = RecordLeft
	}
	return fmt.Appendf(nil, "%s %d %d", word, r.cutoff, r.n)
}

// parseRecord reads a round record. Anything else (an empty container, a
// node made by someone else) means "no round yet".
func parseRecord(data []byte) record {
	f := strings.Fields(string(data))
	if len(f) != 3 || (f[0] != RecordReady && f[0] != RecordLeft) {
		return record{}
	}
	v, err1 := strconv.ParseUint(f[1], 10, 32)
	n, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return record{}
	}
	return record{ok: true, cutoff: uint32(v), left: f[0] == RecordLeft, n: n}
}

// A wait that sees its session suspended looks again once the connection
// is back instead of trusting its watches: go-zookeeper re-registers
// watches after a reconnection with the last zxid it has seen, which it
// reads racily while replies on the new connection advance it, so an event
// that happened while disconnected can be lost (go-zookeeper issue
// samuel/go-zookeeper#260). Reading the state again makes that harmless.

// view is one look at the barrier: its record (with the version to write
// against and a data watch) and the member nodes sorted by sequence.
type view struct {
	rec     record
	version int32
	czxid   int64 // the barrier node's creation: tells a recreated node apart
	watch   <-chan zk.Event
	gone    bool // the barrier node does not exist
	members []zkpath.Node
}

// look reads the record with a watch and, if list, the members. The two
// reads are pipelined on the session's connection (one round trip), so
// the server may answer them in either order; callers only draw
// conclusions that hold for both orders, and look again in sequence (see
// lookInOrder) before anything irrevocable that does not.
func look(ctx context.Context, s *zkrecipes.Session, path string, list bool) (view, error) {
	type kids struct {
		names []string
		err   error
	}
	var kc chan kids
	if list {
		kc = make(chan kids, 1)
		go func() {
			names, _, err := s.Children(ctx, path)
			kc <- kids{names, err}
		}()
	}
	var v view
	data, st, ch, err := s.GetW(ctx, path)
	switch {
	case errors.Is(err, zk.ErrNoNode):
		v.gone = true
		err = nil
	case err == nil:
		v.rec, v.version, v.czxid, v.watch = parseRecord(data), st.Version, st.Czxid, ch
	}
	if list {
		k := <-kc
		if err == nil && k.err != nil && !errors.Is(k.err, zk.ErrNoNode) {
			err = k.err
		}
		v.members = zkpath.ParseChildren(k.names, MemberPrefix)
	}
	return v, err
}

// lookInOrder is look with the listing strictly after the record read, so
// the listing is at least as new as the record.
func lookInOrder(ctx context.Context, s *zkrecipes.Session, path string) (view, error) {
	v, err := look(ctx, s, path, false)
	if err != nil || v.gone {
		return v, err
	}
	names, _, err := s.Children(ctx, path)
	if err != nil {
		return v, err
	}
	v.members = zkpath.ParseChildren(names, MemberPrefix)
	return v, nil
}

// count returns how many members have an order in (after, before); after
// is ignored when !hasAfter.
func count(members []zkpath.Node, hasAfter bool, after, before uint32) int {
	n := 0
	for _, m := range members {
		o := m.Order()
		if (!hasAfter || o > after) && o < before {
			n++
		}
	}
	return n
}

func contains(members []zkpath.Node, name string) bool {
	for _, m := range members {
		if m.Name == name {
			return true
		}
	}
	return false
}
