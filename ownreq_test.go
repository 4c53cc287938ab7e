package zkrecipes_test

import (
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// xidLog records the xid of every request frame written, by opcode.
type xidLog struct {
	mu   sync.Mutex
	xids map[int32][]int32
}

func (l *xidLog) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	nc, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &xidConn{Conn: nc, l: l}, nil
}

func (l *xidLog) of(op int32) []int32 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]int32(nil), l.xids[op]...)
}

type xidConn struct {
	net.Conn
	l      *xidLog
	handed bool // the connect request went out
}

func (c *xidConn) Write(p []byte) (int, error) {
	if c.handed && len(p) >= 12 {
		xid, op := int32(binary.BigEndian.Uint32(p[4:8])), int32(binary.BigEndian.Uint32(p[8:12]))
		c.l.mu.Lock()
		if c.l.xids == nil {
			c.l.xids = map[int32][]int32{}
		}
		c.l.xids[op] = append(c.l.xids[op], xid)
		c.l.mu.Unlock()
	}
	c.handed = true
	return c.Conn.Write(p)
}

// Children and Delete are zkrecipes' own requests (negative xids, which
// go-zookeeper never uses), written on the caller's goroutine: through
// go-zookeeper a cancellable call costs four goroutine hand-offs, the
// contended lock path makes two of them per acquisition. This pins it.
func TestIntegration_Ops_ChildrenAndDeleteAreOwnRequests(t *testing.T) {
	zktest.SkipIfShort(t)
	var l xidLog
	c := zktest.Client(t, zkrecipes.WithDialer(l.dial))
	ctx := zktest.Context(t, 20*time.Second) // cancellable
	_, err := c.Create(ctx, "/d/n", nil, zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	kids, _, err := c.Children(ctx, "/d")
	require.NoError(t, err)
	assert.Equal(t, []string{"n"}, kids)
	require.NoError(t, c.Delete(ctx, "/d/n", -1))
	ok, _, err := c.Exists(ctx, "/d/n")
	require.NoError(t, err)
	assert.False(t, ok, "Delete did not delete")
	for _, op := range []int32{zktest.OpGetChildren2, zktest.OpDelete} {
		xids := l.of(op)
		require.NotEmpty(t, xids, "no request of opcode %d written", op)
		for _, xid := range xids {
			assert.Less(t, xid, int32(0), "opcode %d went through go-zookeeper (xid %d)", op, xid)
		}
	}
}

// Containers and TTL nodes are own requests too: go-zookeeper's
// CreateContainer and CreateTTL read their reply even after the Conn was
// closed under them, racing the receive loop (a clean-clone CI run
// reported it when a client closed while creating a container parent).
func TestIntegration_Ops_ContainerAndTTLCreatesAreOwnRequests(t *testing.T) {
	zktest.SkipIfShort(t)
	l := &xidLog{}
	c := zktest.Client(t, zkrecipes.WithDialer(l.dial))
	ctx := zktest.Context(t, 20*time.Second)
	_, err := c.Create(ctx, "/box/leaf", []byte("x"), zkrecipes.Persistent, zkrecipes.WithParents()) // /box: a container parent
	require.NoError(t, err)
	got, err := c.Create(ctx, "/t", []byte("y"), zkrecipes.PersistentTTL, zkrecipes.WithTTL(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, "/t", got)
	data, _, err := c.Get(ctx, "/t")
	require.NoError(t, err)
	assert.Equal(t, "y", string(data))
	for _, op := range []int32{zktest.OpCreateContainer, zktest.OpCreateTTL} {
		xids := l.of(op)
		require.NotEmpty(t, xids, "opcode %d", op)
		for _, x := range xids {
			assert.Negative(t, x, "opcode %d went through go-zookeeper", op)
		}
	}
}

// A contender's create (seam.CreateAndList, ephemeral sequential) is an
// own request too, written with its listing by the caller: through
// go-zookeeper it cost four goroutine hand-offs per acquisition. The node
// is protected and ours, and its data and ACL are those asked for.
func TestIntegration_Session_ContenderCreateIsOwnRequest(t *testing.T) {
	zktest.SkipIfShort(t)
	l := &xidLog{}
	c := zktest.Client(t, zkrecipes.WithDialer(l.dial))
	ctx := zktest.Context(t, 20*time.Second)
	s, err := c.WaitSession(ctx)
	require.NoError(t, err)
	// The first makes the parent too (through Create, see
	// createOwnAndList); the second is the contender's usual case.
	_, kids, _, err := seam.CreateAndList(ctx, s, "/own/n-", nil, zkrecipes.EphemeralSequential, zkrecipes.WithParents())
	require.NoError(t, err)
	kids.Release()
	p, kids, _, err := seam.CreateAndList(ctx, s, "/own/n-", []byte("d"), zkrecipes.EphemeralSequential, zkrecipes.WithParents())
	require.NoError(t, err)
	assert.Len(t, kids.Names, 2)
	assert.Contains(t, kids.Names, zkpath.Base(p))
	kids.Release()
	sid, _, ok := zkpath.ParseProtected(zkpath.Base(p))
	assert.True(t, ok && sid == s.ID(), "not protected with our session: %s", p)
	data, st, err := c.Get(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "d", string(data))
	assert.Equal(t, s.ID(), st.EphemeralOwner)
	creates := l.of(zktest.OpCreate)
	require.NotEmpty(t, creates)
	assert.Negative(t, creates[len(creates)-1], "the contender's create went through go-zookeeper")
}
