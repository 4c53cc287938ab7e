package queue

import (
	"fmt"
	"net"
	"syscall"
	"testing"

	"github.com/go-zookeeper/zk"
)

// A transaction whose socket write failed may have reached the server, as
// one whose reply was lost: go-zookeeper hands the request the write's own
// error, which the queue once took for a certain failure (a put reported
// failed although stored, then put again by the caller).
func TestAmbiguousCoversSocketErrors(t *testing.T) {
	for _, err := range []error{
		zk.ErrConnectionClosed,
		&net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE},
		fmt.Errorf("zkrecipes: multi: %w", &net.OpError{Op: "write", Net: "tcp", Err: syscall.ECONNRESET}),
	} {
		if !ambiguous(err) || !transient(err) {
			t.Errorf("ambiguous(%v) = %v, transient = %v; want true, true", err, ambiguous(err), transient(err))
		}
	}
}
