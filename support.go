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

// startAuth adds the configured credentials to generation g's session
// before any operation runs on it: operations wait for g.authed.
// go-zookeeper resends credentials it has accepted on every reconnect.
func (c *Client) startAuth(g *generation) {
	if len(c.o.auth) == 0 {
		close(g.authed)
		return
	}
	ok := c.spawn(func() {
		defer close(g.authed)
		for _, a := range c.o.auth {
			for {
				err := g.conn.AddAuth(a.scheme, a.auth)
				if err == nil {
					break
				}
				select {
				case <-g.retired:
					return
				case <-time.After(50 * time.Millisecond):
				}
				c.o.logger.Debug("zkrecipes: retrying addauth", "err", err)
			}
		}
	})
	if !ok {
		close(g.authed)
	}
}

// list builds a slice of go-zookeeper's unexported option type.
func list[T any](xs ...T) []T { return xs }
