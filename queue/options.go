package queue

import (
	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Option configures a Queue. An invalid option value is reported by New.
type Option func(*options)

type options struct {
	maxItems      int    // 0: unbounded
	maxDeliveries int    // 0: redeliver forever
	deadLetter    string // "" : <path>/dead
	atMostOnce    bool
	bucketSize    int
	inline        bool     // small messages go in the node name
	acl           []zk.ACL // nil: the client's
	misuse.Errs            // the first invalid option
}

// DefaultBucketSize is the number of messages after which producers start a
// new bucket (see the package documentation, "Znode layout").
const DefaultBucketSize = 1000

// Limits of WithBucketSize: a bucket's child list (names of up to about
// 210 bytes with inline messages) must stay far below ZooKeeper's 1 MB
// reply limit even with a full batch on top.
const (
	MinBucketSize = 2
	MaxBucketSize = 2000
)

func defaultOptions() options {
	return options{bucketSize: DefaultBucketSize, inline: DefaultInline}
}

// WithACL sets the ACL of the nodes the queue creates: its directories,
// buckets, messages, claims and receipts (the client's default ACL
// otherwise; missing parents of the queue path get the client's). An
// empty, non-nil ACL is refused.
func WithACL(acl []zk.ACL) Option {
	return func(o *options) {
		if acl != nil && len(acl) == 0 {
			o.Fail("WithACL: empty ACL")
		}
		o.acl = acl
	}
}

// WithMaxItems bounds the queue to about n messages (counting messages held
// by consumers and delayed ones): Put waits for room, TryPut returns
// ErrFull. The bound is checked before each write, so concurrent producers
// can overshoot it by at most one put (or batch) each.
func WithMaxItems(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.Fail("WithMaxItems(%d): must be at least 1", n)
		}
		o.maxItems = n
	}
}

// WithMaxDeliveries moves a message to the dead-letter queue instead of
// handing it out for the (n+1)th time, and makes Consume dead-letter a
// message whose nth delivery failed instead of returning it. Deliveries
// cut short by a consumer's crash count; a failed read of the message does
// not (see the package doc). The default, 0, redelivers forever.
func WithMaxDeliveries(n int) Option {
	return func(o *options) {
		if n < 1 {
			o.Fail("WithMaxDeliveries(%d): must be at least 1", n)
		}
		o.maxDeliveries = n
	}
}

// WithDeadLetterPath sets where dead-lettered messages go: a queue of its
// own at path (default: "<path>/dead"), consumed like any other with
// New(c, path).
func WithDeadLetterPath(path string) Option {
	return func(o *options) {
		if err := zkpath.Validate(path); err != nil {
			o.Fail("WithDeadLetterPath(%q): %w", path, err)
		}
		o.deadLetter = path
	}
}

// WithAtMostOnce makes Take and Consume remove a message from the queue
// when they hand it out (Curator's SimpleDistributedQueue): a consumer
// crash loses the message instead of delivering it again. Ack is then a
// no-op; Nack and DeadLetter return ErrNotClaimed.
func WithAtMostOnce() Option {
	return func(o *options) { o.atMostOnce = true }
}

// WithBucketSize sets after how many puts producers start a new bucket
// (default DefaultBucketSize). Smaller buckets make consumers' listings
// cheaper and producers roll over more often. All producers of a queue
// should use the same size.
func WithBucketSize(n int) Option {
	return func(o *options) {
		if n < MinBucketSize || n > MaxBucketSize {
			o.Fail("WithBucketSize(%d): must be in %d..%d", n, MinBucketSize, MaxBucketSize)
		}
		o.bucketSize = n
	}
}

// DefaultInline is whether Put stores small messages in their node's name
// unless WithInline says otherwise: no, since a name shows where data
// does not (see WithInline).
const DefaultInline = false

// WithInline chooses where Put (and every other write of a message: batch,
// Nack's return, dead-letter move) stores a message of at most MaxInline
// bytes. false (DefaultInline): in the node's data, like larger messages.
// true: in the node's name, base64url-encoded, so that consumers read it
// from the listing of its bucket and take it without a read: one round
// trip less per message, 1.2-1.5x the throughput in our queue benchmark.
// The data is then visible wherever paths are, where node data never is:
// every listing, ZooKeeper's audit log, its four-letter-word dumps (wchp,
// wchc, dump) and server log lines. Use it for payloads that may be seen
// there (ids, job numbers), never for secrets or personal data.
// Consumers read both forms, whatever their option; producers of one
// queue may differ. The dead-letter queue of q (DeadLetterQueue) follows
// q's setting.
func WithInline(on bool) Option {
	return func(o *options) { o.inline = on }
}

// ConsumeOption configures one Consume run.
type ConsumeOption func(*consumeOptions)

type consumeOptions struct {
	concurrency int
	prefetch    int
	misuse.Errs // the first invalid option
}

// DefaultPrefetch is the number of messages Consume holds at once unless
// WithPrefetch says otherwise (raised to the concurrency if lower).
const DefaultPrefetch = 16

func defaultConsumeOptions() consumeOptions {
	return consumeOptions{concurrency: 1}
}

// WithConcurrency sets how many handlers run at once (default 1).
func WithConcurrency(n int) ConsumeOption {
	return func(o *consumeOptions) {
		if n < 1 {
			o.Fail("WithConcurrency(%d): must be at least 1", n)
		}
		o.concurrency = n
	}
}

// WithPrefetch sets how many messages Consume claims ahead and holds,
// handled or waiting for a handler, until they are settled (RabbitMQ's
// prefetch count; default DefaultPrefetch, at least the concurrency).
// Claims are made concurrently, so a larger prefetch raises throughput;
// messages held by one consumer wait for it while other consumers may idle.
func WithPrefetch(n int) ConsumeOption {
	return func(o *consumeOptions) {
		if n < 1 {
			o.Fail("WithPrefetch(%d): must be at least 1", n)
		}
		o.prefetch = n
	}
}
