package zkrecipes

import (
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// MaxDataSize is ZooKeeper's default limit on a node's data (jute.maxbuffer,
// less room for the request around it). With WithMaxBufferSize(n) the
// limit is n less the same room.
const MaxDataSize = 1024*1024 - 1024

// defaultMaxRequest is the server's default jute.maxbuffer: it closes the
// connection on a request whose length (the frame after its 4-byte length
// prefix) is larger. go-zookeeper's default send buffer (1.5 MB) is larger
// still; with WithMaxBufferSize(n) that buffer is n bytes, prefix included.
const defaultMaxRequest = 0xfffff

// Every write's size is checked before it is sent. A request the server
// refuses closes the connection, which suspends everything the session
// holds, and a client that resent it after every reconnection would do so
// forever; one go-zookeeper cannot encode fails with "zk: buffer too
// small". Sizes are exact: go-zookeeper encodes strings and byte slices as
// a 4-byte length and the bytes, a request as xid and opcode then its
// fields, and each part of a multi behind a 9-byte header (type, done,
// err), with one more header to end the list.
const (
	reqHeader   = 8
	multiHeader = 9
)

func (o ops) maxRequest() int {
	if n := o.c.o.maxBufferSize; n > 0 {
		return n - 4
	}
	return defaultMaxRequest
}

func (o ops) maxData() int {
	if n := o.c.o.maxBufferSize; n > 0 {
		return n - (1024*1024 - MaxDataSize)
	}
	return MaxDataSize
}

// checkSize refuses data of more than maxData bytes, or a request whose
// frame would exceed maxRequest, with an error wrapping ErrTooLarge.
func (o ops) checkSize(data, request int) error {
	if max := o.maxData(); data > max {
		return fmt.Errorf("%w: data of %d bytes exceeds %d", ErrTooLarge, data, max)
	}
	if max := o.maxRequest(); request > max {
		return fmt.Errorf("%w: request of %d bytes exceeds the server's limit of %d (its jute.maxbuffer; see WithMaxBufferSize)", ErrTooLarge, request, max)
	}
	return nil
}

// checkPath refuses a path too long for any request to carry it.
func (o ops) checkPath(ap string) error {
	return o.checkSize(0, reqHeader+pathLen(ap)+4)
}

func pathLen(p string) int { return 4 + len(p) }

func aclLen(acl []zk.ACL) int {
	n := 4
	for _, a := range acl {
		n += 4 + 4 + len(a.Scheme) + 4 + len(a.ID)
	}
	return n
}

// createSize is the length of a create request for ap (without the name
// prefix a protected create adds; see protectedLen).
func createSize(ap string, data []byte, acl []zk.ACL, ttl bool) int {
	n := pathLen(ap) + 4 + len(data) + aclLen(acl) + 4 // flags
	if ttl {
		n += 8
	}
	return n
}

func setSize(ap string, data []byte) int { return pathLen(ap) + 4 + len(data) + 4 }

// protectedLen is what a protected create adds to a node's name.
var protectedLen = len(zkpath.Protected(0, 0))

// checkCreate checks a create's size, name prefix included.
func (o ops) checkCreate(ap string, data []byte, mode CreateMode, co createOptions) error {
	n := reqHeader + createSize(ap, data, co.acl, mode.ttl())
	if mode.sequential() {
		n += protectedLen
	}
	return o.checkSize(len(data), n)
}

// checkMulti checks every part of a transaction and its whole frame; reqs
// carry absolute paths and ACLs (see absRequest).
func (o ops) checkMulti(reqs []any) error {
	n := reqHeader + multiHeader
	for i, r := range reqs {
		var data []byte
		var size int
		switch r := r.(type) {
		case *zk.CreateRequest:
			data, size = r.Data, createSize(r.Path, r.Data, r.Acl, false)
		case *zk.SetDataRequest:
			data, size = r.Data, setSize(r.Path, r.Data)
		case *zk.DeleteRequest:
			size = pathLen(r.Path) + 4
		case *zk.CheckVersionRequest:
			size = pathLen(r.Path) + 4
		}
		if err := o.checkSize(len(data), 0); err != nil {
			return fmt.Errorf("part %d: %w", i, err)
		}
		n += multiHeader + size
	}
	return o.checkSize(0, n)
}
