package sock

import (
	"math/bits"
	"sync"
)

// The buffers that replies of ours are read into (see conn.readHead) come
// from pools by size, and a caller that is done with a reply may hand its
// buffer back (Listing.Release). A contender lists its directory on every
// wait, and each listing is a buffer the size of the directory: reused,
// its memory is already the process's, where a fresh one is memory the
// kernel must first map (with a large heap and rare collections, that
// mapping was most of what a listing cost). A buffer never handed back is
// collected as usual; the pools are the runtime's caches, emptied by
// garbage collections, and hold no state of any session.

const (
	minPooled = 1 << 10 // smaller replies are cheap to allocate
	maxPooled = 1 << 20 // larger ones are rare
)

// bodyPools[i] holds buffers of capacity minPooled<<i.
var bodyPools [11]sync.Pool // 1 KiB to 1 MiB

// poolIndex is the pool whose buffers fit n bytes, or -1.
func poolIndex(n int) int {
	if n < minPooled || n > maxPooled {
		return -1
	}
	return bits.Len(uint(n-1)) - bits.TrailingZeros(minPooled)
}

// newBody returns an empty buffer with room for n bytes.
func newBody(n int) []byte {
	i := poolIndex(n)
	if i < 0 {
		return make([]byte, 0, n)
	}
	if b, ok := bodyPools[i].Get().([]byte); ok {
		return b[:0]
	}
	return make([]byte, 0, minPooled<<i)
}

// recycleBody hands b, from newBody, back for reuse; nothing may use it
// afterwards.
func recycleBody(b []byte) {
	if i := poolIndex(cap(b)); i >= 0 && cap(b) == minPooled<<i {
		bodyPools[i].Put(b[:0]) //nolint:staticcheck // a slice header per Put, against a buffer per listing
	}
}

// Listing is a directory's children as Set.Listing returns them: names
// that share the reply's buffer (see wire.Decoder.Names).
type Listing struct {
	Names []string
	body  []byte
}

// Release hands the listing's buffer back for reuse; neither Names nor
// any of the names may be used afterwards. A Listing never released is
// collected as usual. Release on the zero Listing does nothing.
func (l *Listing) Release() {
	if l.body != nil {
		recycleBody(l.body)
	}
	*l = Listing{}
}
