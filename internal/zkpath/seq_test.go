package zkpath

import (
	"fmt"
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
