package zkrecipes

import (
	"context"
	"time"
)

// The worker pool: every goroutine the client starts, for operations
// (go-zookeeper takes no context, so each runs on one), for cleanups that
// outlive their caller (goOwned) and for shutting a lost session's Conn
// down, runs on a pooled worker that Close waits for.

// spawn runs fn on a goroutine that Close waits for. It reports false (and
// does not run fn) once the client is closed. Goroutines are reused: every
// operation runs on one (go-zookeeper takes no context), and a fresh
// goroutine per operation costs a stack's growth and a wake-up each time,
// several percent of a loopback round trip.
func (c *Client) spawn(fn func()) bool {
	c.goMu.Lock()
	defer c.goMu.Unlock()
	if c.goClosed {
		return false
	}
	c.wg.Add(1)
	select {
	case c.jobs <- fn: // an idle worker took it
	default:
		c.workers.Add(1)
		go c.worker(fn)
	}
	return true
}

// idleWorker is how long a worker waits for more work before exiting.
const idleWorker = 2 * time.Second

func (c *Client) worker(fn func()) {
	defer c.workers.Done()
	// One timer for the worker's life, re-armed only when it fires early:
	// resetting it after every job cost more than the hand-off itself.
	idle := time.NewTimer(idleWorker)
	defer idle.Stop()
	for {
		fn()
		c.wg.Done()
		done := time.Now()
		for fn = nil; fn == nil; {
			select {
			case fn = <-c.jobs:
			case <-idle.C:
				if d := time.Since(done); d < idleWorker {
					idle.Reset(idleWorker - d)
					continue
				}
				return
			case <-c.closing:
				return
			}
		}
	}
}

// goOwned runs fn on a goroutine owned by the client: Close cancels fn's
// ctx and waits for fn to return. Recipes use it (through internal/seam)
// for cleanup that must outlive the caller's context. It reports false,
// without running fn, after Close.
func (c *Client) goOwned(fn func(ctx context.Context)) bool {
	return c.spawn(func() { fn(c.life) })
}
