package zkpath

import (
	"fmt"
	"strings"
	"testing"
)

func TestProtectedRoundTrip(t *testing.T) {
	for _, s := range []int64{1, 0x0123456789abcdef, -1, 0x7fffffffffffffff} {
		for _, n := range []uint64{0, 1, 0xfedcba9876543210} {
			name := Protected(s, n) + "lock-0000000001"
			if len(Protected(s, n)) != protectedLen {
				t.Fatalf("len(Protected) = %d, want %d", len(Protected(s, n)), protectedLen)
			}
			gs, gn, ok := ParseProtected(name)
			if !ok || gs != s || gn != n {
				t.Errorf("ParseProtected(%q) = %x %x %v, want %x %x", name, gs, gn, ok, s, n)
			}
		}
	}
	// Curator's own protected names carry a random UUID: they parse, but
	// the "session" they yield is meaningless, which is why adoption also
	// checks the nonce and the node's ephemeralOwner.
	if _, _, ok := ParseProtected("lock-0000000001"); ok {
		t.Error("unprotected name parsed as protected")
	}
}

func TestParseChildrenSortsBySeqAndIgnoresStrangers(t *testing.T) {
	children := []string{
		Protected(2, 9) + "lock-0000000003",
		"_c_0b1e7a2c-3c5d-4f6e-8a9b-0c1d2e3f4a5b-lock-0000000001", // Curator
		"lock-0000000002",
		"stranger",
		"lock-00000000x4",
		"read-0000000005",
		Protected(1, 1) + "lock--000000007", // after int32 overflow
		Protected(1, 1) + "lock-2147483647",
	}
	nodes := ParseChildren(children, "lock-")
	var got []int32
	for _, n := range nodes {
		got = append(got, n.Seq)
	}
	want := []int32{1, 2, 3, 2147483647, -7}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", got, want)
	}
	if nodes[2].Session != 2 {
		t.Errorf("session of protected node = %d, want 2", nodes[2].Session)
	}
}

func TestParseChildrenMergesMarkers(t *testing.T) {
	children := []string{
		Protected(1, 1) + "latch-0000000004",
		Protected(2, 2) + "lock-0000000001",
		"_c_0b1e7a2c-3c5d-4f6e-8a9b-0c1d2e3f4a5b-latch-0000000002",
		"read-0000000000",
		"lock-0000000003",
	}
	var got []string
	for _, n := range ParseChildren(children, "latch-", "lock-") {
		got = append(got, n.Name[len(n.Name)-SeqLen-2:])
	}
	want := []string{"k-0000000001", "h-0000000002", "k-0000000003", "h-0000000004"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

func TestNonceDiffers(t *testing.T) {
	if Nonce() == Nonce() {
		t.Error("two nonces equal")
	}
}

// Contention recipes parse and sort every sibling's name on every
// listing: that allocates the result and nothing else.
func TestParseChildrenAllocatesOnlyTheResult(t *testing.T) {
	kids := make([]string, 64)
	for i := range kids {
		kids[i] = fmt.Sprintf("%slock-%010d", Protected(int64(i)<<40|0xABCDEF, uint64(i)*0x9E3779B97F4A7C15), 63-i)
	}
	allocs := testing.AllocsPerRun(50, func() {
		if nodes := ParseChildren(kids, "lock-"); len(nodes) != 64 || nodes[0].Seq != 0 || nodes[0].Session != 63<<40|0xABCDEF {
			t.Fatalf("parsed %d nodes, first %+v", len(nodes), nodes[0])
		}
	})
	if allocs > 1 {
		t.Errorf("ParseChildren of 64 protected names: %v allocations, want 1", allocs)
	}
}

func TestParseProtectedRejectsNonHex(t *testing.T) {
	name := Protected(0x1234, 0xFEED) + "lock-0000000001"
	upper := name[:3] + strings.ToUpper(name[3:39]) + name[39:]
	if s, n, ok := ParseProtected(upper); !ok || s != 0x1234 || n != 0xFEED {
		t.Errorf("ParseProtected(%q) = %x %x %v", upper, s, n, ok)
	}
	bad := name[:5] + "g" + name[6:]
	if _, _, ok := ParseProtected(bad); ok {
		t.Errorf("ParseProtected(%q) accepted a non-hex digit", bad)
	}
}
