package sock

import (
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/wire"
)

// The request records that more than one request of ours writes: a
// create, a set, a delete, and the op headers of multi and multiRead.

// putCreate writes a CreateRequest (the body of create, createContainer
// and createTTL before its ttl, and a multi's create op).
func putCreate(e *wire.Encoder, path string, data []byte, acl []zk.ACL, flags int32) {
	e.String(path)
	e.Buffer(data)
	e.Int32(int32(len(acl)))
	for _, a := range acl {
		e.Int32(a.Perms)
		e.String(a.Scheme)
		e.String(a.ID)
	}
	e.Int32(flags)
}

// putSetData writes a SetDataRequest.
func putSetData(e *wire.Encoder, path string, data []byte, version int32) {
	e.String(path)
	e.Buffer(data)
	e.Int32(version)
}

// putPathVersion writes a DeleteRequest or a CheckVersionRequest.
func putPathVersion(e *wire.Encoder, path string, version int32) {
	e.String(path)
	e.Int32(version)
}

// putMultiHeader writes the header of one op of a multi or multiRead.
func putMultiHeader(e *wire.Encoder, op int32) {
	e.Int32(op)
	e.Bool(false)
	e.Int32(-1)
}

// putMultiEnd writes the header that closes a multi or multiRead.
func putMultiEnd(e *wire.Encoder) {
	e.Int32(-1)
	e.Bool(true)
	e.Int32(-1)
}
