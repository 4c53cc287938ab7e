package election

import (
	"fmt"
	"os"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

// Option configures an Election (and Run).
type Option func(*options)

type options struct {
	id              string
	suspendedIsLost bool
	grace           time.Duration
	layout          Layout
	acl             []zk.ACL // nil: the client's
	misuse.Errs              // the first invalid option
}

// WithACL sets the ACL of the participant's node (the client's default ACL
// otherwise). The election path, made as a container when missing, gets
// the client's ACL like any missing parent. An empty, non-nil ACL is
// refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// DefaultGracePeriod is how long Run waits for a job to return after its
// term ended before it resigns anyway and logs the job as ignoring its
// context.
const DefaultGracePeriod = 5 * time.Second

func defaultOptions() options {
	return options{id: defaultID(), suspendedIsLost: true, grace: DefaultGracePeriod, layout: LeaderLatch}
}

// defaultID is the host name and the process id, enough to tell the
// processes of a fleet apart in Participants.
func defaultID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// WithID sets the participant id, stored as the data of the participant's
// node (UTF-8, as Curator's LeaderLatch stores its id) and reported by
// Leader, Participants and Observe. Default: host name and process id.
func WithID(id string) Option { return func(o *options) { o.id = id } }

// WithSuspendedIsLost sets whether a suspended connection ends leadership.
// The default, true, is the safe policy (Curator's standard one): a leader
// whose connection drops stops at once, before its session can expire on
// the server and another participant be elected. With false, leadership
// survives a suspension and ends only when the session is lost, so a
// partitioned leader may overlap briefly with its successor; see the
// package documentation.
func WithSuspendedIsLost(b bool) Option { return func(o *options) { o.suspendedIsLost = b } }

// WithGracePeriod sets how long [Run] waits for a job to return after its
// term ended (or its context was cancelled) before resigning anyway
// (default [DefaultGracePeriod]); a negative value is refused. Run never
// starts the job again until the earlier call has returned.
func WithGracePeriod(d time.Duration) Option {
	return func(o *options) {
		if d < 0 {
			o.Fail("WithGracePeriod(%v): negative", d)
			return
		}
		o.grace = d
	}
}

// WithLayout sets the name of the participant's node, and with it the
// Curator recipe the participant shares the election with (see [Layout]).
// Default: [LeaderLatch] for [New], [LeaderSelector] for [Run].
func WithLayout(l Layout) Option {
	return func(o *options) {
		if l.prefix() == "" {
			o.Fail("WithLayout(%v): unknown layout", l)
			return
		}
		o.layout = l
	}
}
