package sock

import "testing"

// Reply buffers come in powers of two from 1 KiB to 1 MiB, each with room
// for what was asked; only such a buffer is taken back.
func TestBodySizes(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{16, 16}, {1023, 1023}, {1024, 1024}, {1025, 2048}, {13_000, 16 << 10},
		{1 << 20, 1 << 20}, {1<<20 + 1, 1<<20 + 1},
	} {
		b := newBody(c.n)
		if len(b) != 0 || cap(b) != c.want {
			t.Errorf("newBody(%d): len %d cap %d, want 0 and %d", c.n, len(b), cap(b), c.want)
		}
		recycleBody(b)
	}
	for _, n := range []int{1000, 1500, 3 << 10, 2 << 20} {
		if i := poolIndex(n); i >= 0 && n == minPooled<<i {
			t.Errorf("a buffer of capacity %d would be pooled", n)
		}
	}
	var l Listing
	l.Release() // the zero Listing
	l = Listing{Names: []string{"a"}, body: newBody(4000)}
	l.Release()
	if l.Names != nil || l.body != nil {
		t.Error("Release left the listing usable")
	}
}
