package counter_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/counter"
)

func TestEncodingInt64(t *testing.T) {
	for _, tc := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{0, 0, 0, 0, 0, 0, 0, 0}},
		{1, []byte{0, 0, 0, 0, 0, 0, 0, 1}},
		{-1, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{math.MaxInt64, []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{1 << 40, []byte{0, 0, 1, 0, 0, 0, 0, 0}},
	} {
		got := counter.EncodeInt64(tc.v)
		assert.Equal(t, tc.want, got, "encode %d", tc.v)
		back, err := counter.DecodeInt64(got)
		require.NoError(t, err)
		assert.Equal(t, tc.v, back)
	}
	v, err := counter.DecodeInt64(nil)
	assert.NoError(t, err)
	assert.Zero(t, v, "empty data reads as 0")
	for _, bad := range [][]byte{{1}, {0, 0, 0, 1}, make([]byte, 9)} {
		_, err := counter.DecodeInt64(bad)
		assert.ErrorIs(t, err, counter.ErrCorrupt, "%d bytes", len(bad))
	}
}

func TestEncodingInt32(t *testing.T) {
	for _, tc := range []struct {
		v    int32
		want []byte
	}{
		{0, []byte{0, 0, 0, 0}},
		{7, []byte{0, 0, 0, 7}},
		{-2, []byte{0xff, 0xff, 0xff, 0xfe}},
		{math.MinInt32, []byte{0x80, 0, 0, 0}},
	} {
		got := counter.EncodeInt32(tc.v)
		assert.Equal(t, tc.want, got, "encode %d", tc.v)
		back, err := counter.DecodeInt32(got)
		require.NoError(t, err)
		assert.Equal(t, tc.v, back)
	}
	for _, bad := range [][]byte{{1}, make([]byte, 8)} {
		_, err := counter.DecodeInt32(bad)
		assert.ErrorIs(t, err, counter.ErrCorrupt, "%d bytes", len(bad))
	}
}
