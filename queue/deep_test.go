package queue_test

import (
	"encoding/binary"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/queue"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// A queue of 100,000 messages works (put, take, len), and the cost of a
// take does not grow with the depth: a take costs the same number of
// requests at depth 100,000 as at depth 100.
func TestIntegration_Queue_Deep(t *testing.T) {
	zktest.SkipIfShort(t)
	t.Parallel() // slow: let the other tests run meanwhile
	const depth = 100000
	ctx := zktest.Context(t, 120*time.Second)
	ns := zktest.Namespace(t)
	var reqs counter
	prod := zktest.ClientAt(t, zktest.Servers(t), ns)
	cons := zktest.ClientAt(t, zktest.Servers(t), ns, zkrecipes.WithDialer(reqs.dial))
	t.Cleanup(func() { purge(t, prod, qpath) })
	// Inline messages: a take is a claim and no read (the bound below).
	p, q := zktest.Must(queue.New(prod, qpath, queue.WithInline(true))), zktest.Must(queue.New(cons, qpath))

	start := time.Now()
	for n := 0; n < depth; n += queue.MaxBatch {
		batch := make([][]byte, queue.MaxBatch)
		for i := range batch {
			batch[i] = []byte(fmt.Sprintf("%06d", n+i))
		}
		_, err := p.PutBatch(ctx, batch)
		require.NoError(t, err)
	}
	t.Logf("put %d messages in %v", depth, time.Since(start))
	n, err := q.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, depth, n)
	assert.Less(t, len(children(t, prod, qpath+"/items")), 2*depth/queue.DefaultBucketSize+2)

	takes := func(k, from int) float64 {
		before := reqs.n.Load()
		for i := range k {
			m := take(t, ctx, q)
			require.Equal(t, fmt.Sprintf("%06d", from+i), string(m.Data), "FIFO")
			require.NoError(t, m.Ack(ctx))
		}
		return float64(reqs.n.Load()-before) / float64(k)
	}
	start = time.Now()
	deep := takes(1000, 0)
	t.Logf("1000 takes at depth %d in %v: %.2f requests per take+ack", depth, time.Since(start), deep)
	n, err = q.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, depth-1000, n)

	// The same at a shallow depth, in a fresh queue.
	s := zktest.Must(queue.New(cons, "/shallow"))
	_, err = zktest.Must(queue.New(prod, "/shallow")).PutBatch(ctx, payloads("s", 200))
	require.NoError(t, err)
	before := reqs.n.Load()
	for range 200 {
		require.NoError(t, take(t, ctx, s).Ack(ctx))
	}
	shallow := float64(reqs.n.Load()-before) / 200
	t.Logf("requests per take+ack: %.2f at depth %d, %.2f at depth 200", deep, depth, shallow)
	assert.Less(t, deep, shallow*1.5+0.2, "take cost grows with depth")
	assert.Less(t, deep, 3.0)
}

// counter counts requests written by a client (not the handshake, not pings).
type counter struct{ n atomic.Int64 }

func (c *counter) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	nc, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &countConn{Conn: nc, c: c}, nil
}

type countConn struct {
	net.Conn
	c     *counter
	first bool
}

func (cc *countConn) Write(b []byte) (int, error) {
	if !cc.first {
		cc.first = true
	} else if len(b) >= 8 && int32(binary.BigEndian.Uint32(b[4:8])) != -2 {
		cc.c.n.Add(1)
	}
	return cc.Conn.Write(b)
}
