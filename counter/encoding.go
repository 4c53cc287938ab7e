package counter

import (
	"encoding/binary"
	"fmt"
)

// The value encodings of Curator's SharedCount (a 4-byte big-endian int)
// and DistributedAtomicLong (an 8-byte big-endian long), so that Java and
// Go processes share a count. Empty data (a node created without a value)
// reads as 0, as in Curator's DistributedAtomicLong.

// encodeInt32 returns v as 4 big-endian bytes.
func encodeInt32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

// decodeInt32 reads a SharedCount value.
func decodeInt32(b []byte) (int32, error) {
	switch len(b) {
	case 0:
		return 0, nil
	case 4:
		return int32(binary.BigEndian.Uint32(b)), nil
	}
	return 0, fmt.Errorf("%w: %d bytes, want 4", ErrCorrupt, len(b))
}

// encodeInt64 returns v as 8 big-endian bytes.
func encodeInt64(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }

// decodeInt64 reads a DistributedAtomicLong value.
func decodeInt64(b []byte) (int64, error) {
	switch len(b) {
	case 0:
		return 0, nil
	case 8:
		return int64(binary.BigEndian.Uint64(b)), nil
	}
	return 0, fmt.Errorf("%w: %d bytes, want 8", ErrCorrupt, len(b))
}
