package zkrecipes

import (
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/go-zookeeper/zk"
)

var defaultDialer zk.Dialer = net.DialTimeout

// zkLogger sends go-zookeeper's messages to slog at debug level: they are
// chatty, and the state changes that matter are logged by the pump.
type zkLogger struct{ l *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) {
	z.l.Debug("zk: " + fmt.Sprintf(format, args...))
}

func sessionHex(id int64) string { return fmt.Sprintf("0x%x", uint64(id)) }

// prepare readies generation g's session before any operation runs on it
// (operations wait for g.prepared): it adds the configured credentials
// (go-zookeeper resends those it has accepted on every reconnect) and sets
// the sentinel watch (see sentinelPath).
func (c *Client) prepare(g *generation) {
	ok := c.spawn(func() {
		defer close(g.prepared)
		for _, a := range c.o.auth {
			if !c.untilDone(g, "addauth", func() error { return g.conn.AddAuth(a.scheme, a.auth) }) {
				return
			}
		}
		if c.untilDone(g, "sentinel watch", func() error {
			_, _, _, err := g.conn.ExistsW(sentinelPath)
			return err
		}) {
			g.sentinel.Store(true)
		}
	})
	if !ok {
		close(g.prepared)
	}
}

// untilDone retries fn until it succeeds (true) or g is retired (false).
func (c *Client) untilDone(g *generation, what string, fn func() error) bool {
	for {
		err := fn()
		if err == nil {
			return true
		}
		select {
		case <-g.retired:
			return false
		case <-time.After(50 * time.Millisecond):
		}
		c.o.logger.Debug("zkrecipes: retrying "+what, "err", err)
	}
}

// sentinelPath is a node that cannot exist (nobody may create nodes under
// /zookeeper). Every session keeps an exists watch on it, so go-zookeeper
// always has a watch to set again after a reconnect and always writes a
// setWatches request, which lets holdConn wait for that request without
// guessing whether it will come (see racehold.go). It costs one request
// per session and one watch on the server, which ends with the session.
const sentinelPath = "/zookeeper/zkrecipes-sentinel"

// list builds a slice of go-zookeeper's unexported option type.
func list[T any](xs ...T) []T { return xs }
