package queue

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestItemNames(t *testing.T) {
	at := time.UnixMilli(1700000000123)
	cases := []struct {
		name      string
		data      []byte
		visibleAt time.Time
		inline    bool
	}{
		{"empty", nil, time.Time{}, true},
		{"small", []byte("hello"), time.Time{}, true},
		{"dashes in base64", []byte{0xfb, 0xff, 0xfe}, time.Time{}, true},
		{"delayed", []byte("x"), at, true},
		{"inline limit", bytes.Repeat([]byte{7}, MaxInline), at, true},
		{"large", bytes.Repeat([]byte{7}, MaxInline+1), time.Time{}, false},
		{"large delayed", bytes.Repeat([]byte{7}, 1000), at, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := itemBase(0xdeadbeef, c.visibleAt, c.data, len(c.data) <= MaxInline) + "0000000042"
			it, ok := parseItem(name)
			if !ok {
				t.Fatalf("parseItem(%q) failed", name)
			}
			if it.seq != 42 || it.inline != c.inline {
				t.Errorf("got seq %d inline %v, want 42 %v", it.seq, it.inline, c.inline)
			}
			if c.inline && !bytes.Equal(it.data, c.data) {
				t.Errorf("got data %x, want %x", it.data, c.data)
			}
			if want := c.visibleAt; !want.IsZero() && it.visibleAt != want.UnixMilli() {
				t.Errorf("got visibleAt %d, want %d", it.visibleAt, want.UnixMilli())
			}
			id := msgID{bucketRef{7, 3}, name}
			back, err := parseID(id.String())
			if err != nil || back != id {
				t.Errorf("parseID(%q) = %v, %v", id.String(), back, err)
			}
			if cn := id.claimName(); cn != "b-007-0000000003.m-00000000deadbeef-0000000042" {
				t.Errorf("claimName = %q", cn)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, name := range []string{"", "m-", "x-00000000deadbeef-0000000001", "m-00000000deadbeef-000000001",
		"m-zz000000deadbeef-0000000001", "m-00000000deadbeef-tx-0000000001", "m-00000000deadbeef-d!!-0000000001",
		"m-00000000deadbeef-q-0000000001"} {
		if _, ok := parseItem(name); ok {
			t.Errorf("parseItem(%q) accepted", name)
		}
	}
	for _, name := range []string{"b-1-0000000001", "b-256-0000000001", "b-000-00000001", "c-000-0000000001"} {
		if _, ok := parseBucket(name); ok {
			t.Errorf("parseBucket(%q) accepted", name)
		}
	}
	for _, id := range []string{"", "b-000-0000000001", "b-000-0000000001.", ".m-00000000deadbeef-0000000001"} {
		if _, err := parseID(id); err == nil {
			t.Errorf("parseID(%q) accepted", id)
		}
	}
}

func TestLanesOrder(t *testing.T) {
	got := lanes([]string{"b-000-0000000002", "b-009-0000000000", "b-000-0000000001", "junk", "b-255-0000000010", "b-009-0000000011"})
	want := [][]bucketRef{{{255, 10}}, {{9, 0}, {9, 11}}, {{0, 1}, {0, 2}}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("got %v, want %v", got, want)
			}
		}
	}
}

func TestPartition(t *testing.T) {
	consumers := []string{"00000000000000c3", "00000000000000a1", "00000000000000b2"}
	parts := make([]partition, len(consumers))
	for i, c := range consumers {
		parts[i] = partitionOf(consumers, c)
	}
	if p := partitionOf(consumers, "ffff"); p.n != 1 {
		t.Errorf("an unregistered consumer owns all: got %+v", p)
	}
	for i := range 300 {
		name := itemBase(uint64(i), time.Time{}, nil, true) + "0000000001"
		owners := 0
		for _, p := range parts {
			if p.owns(name) {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("%s has %d owners", name, owners)
		}
	}
}

// Operations queued while a batch is in flight go out together in the next
// one; every caller gets its own outcome.
func TestBatcher(t *testing.T) {
	var b batcher[int]
	release := make(chan struct{})
	var mu sync.Mutex
	var sizes []int
	send := func(ops []*op[int]) {
		mu.Lock()
		sizes = append(sizes, len(ops))
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release
		}
		for _, o := range ops {
			o.v *= 10
		}
	}
	var wg sync.WaitGroup
	results := make([]int, 6)
	wg.Go(func() { results[0], _ = b.do(0, send) })
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(sizes) == 1
	}, 5*time.Second, time.Millisecond, "the first op is sent at once")
	for i := 1; i < 6; i++ {
		wg.Go(func() { results[i], _ = b.do(i, send) })
	}
	require.Eventually(t, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.pending) == 5
	}, 5*time.Second, time.Millisecond, "the others queue behind it")
	close(release)
	wg.Wait()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 5 {
		t.Errorf("batch sizes %v, want [1 5]", sizes)
	}
	for i, r := range results {
		if r != i*10 {
			t.Errorf("result %d = %d", i, r)
		}
	}
}
