package sock

import (
	"encoding/binary"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// A failed transaction's reply: no error for the ops before the culprit,
// the culprit's, "runtime inconsistency" after it. Each result keeps its
// own error, and the first failure is the call's, as go-zookeeper has it.
func TestDecodeMulti_FailedTransaction(t *testing.T) {
	var b []byte
	put := func(v int32) { b = binary.BigEndian.AppendUint32(b, uint32(v)) }
	result := func(code int32) {
		put(-1)
		b = append(b, 0)
		put(code)
		put(code)
	}
	result(0)
	result(-103) // bad version
	result(-2)   // runtime inconsistency
	put(-1)
	b = append(b, 1)
	put(-1)

	res, err := decodeMulti(b)
	require.ErrorIs(t, err, zk.ErrBadVersion)
	require.Len(t, res, 3)
	assert.NoError(t, res[0].Error)
	assert.ErrorIs(t, res[1].Error, zk.ErrBadVersion)
	assert.Error(t, res[2].Error)
}

// A committed one: a create's path and a set's stat.
func TestDecodeMulti_Committed(t *testing.T) {
	var b []byte
	put := func(v int32) { b = binary.BigEndian.AppendUint32(b, uint32(v)) }
	put(wire.OpCreate)
	b = append(b, 0)
	put(0)
	put(int32(len("/a-0000000001")))
	b = append(b, "/a-0000000001"...)
	put(wire.OpSetData)
	b = append(b, 0)
	put(0)
	for range 3 {
		b = binary.BigEndian.AppendUint64(b, 7) // czxid, mzxid, ctime
	}
	b = binary.BigEndian.AppendUint64(b, 8) // mtime
	put(4)                                  // version
	put(0)                                  // cversion
	put(0)                                  // aversion
	b = binary.BigEndian.AppendUint64(b, 0) // ephemeralOwner
	put(2)                                  // dataLength
	put(0)                                  // numChildren
	b = binary.BigEndian.AppendUint64(b, 7) // pzxid
	put(wire.OpDelete)
	b = append(b, 0)
	put(0)
	put(-1)
	b = append(b, 1)
	put(-1)

	res, err := decodeMulti(b)
	require.NoError(t, err)
	require.Len(t, res, 3)
	assert.Equal(t, "/a-0000000001", res[0].String)
	require.NotNil(t, res[1].Stat)
	assert.EqualValues(t, 4, res[1].Stat.Version)
	assert.EqualValues(t, 2, res[1].Stat.DataLength)
	assert.Nil(t, res[2].Stat)

	_, err = decodeMulti(b[:len(b)-3])
	assert.ErrorIs(t, err, wire.ErrShort, "a cut reply is an error")
}
