// Package queue provides durable work queues on ZooKeeper: producers put
// messages, consumers in any number of processes take them, and a message
// whose consumer crashes is delivered again. What a RabbitMQ user expects
// of a work queue (acknowledgements, redelivery, prefetch, priorities,
// delays, dead letters, bounded queues), on the ZooKeeper they already run.
//
//	jobs, err := queue.New(c, "/jobs", queue.WithMaxDeliveries(5))
//	...
//	id, err := jobs.Put(ctx, []byte("resize image 42"))
//	...
//	err = jobs.Consume(ctx, func(ctx context.Context, m *queue.Message) error {
//		return resize(ctx, m.Data) // nil: Ack; an error: Nack (dead-lettered after 5)
//	}, queue.WithConcurrency(4))
//
// Message data is kept in node data by default. [WithInline](true) puts
// messages of up to [MaxInline] (128) bytes in their node's name instead,
// for 1.2-1.5x the throughput, at the price that they show in every
// listing, audit log and four-letter-word dump of the server: only for
// payloads that may be seen there.
//
// # Guarantees
//
// Delivery is at least once. Take (or Consume) claims a message for the
// client's session with an ephemeral node; while the claim exists no
// other consumer gets the message. Ack removes it, Nack returns it at once
// in its original place, DeadLetter moves it to the dead-letter queue. If
// the session ends first (crash, partition past the session timeout,
// Close), the claim vanishes with it and the message is delivered again,
// to a waiting consumer at once (it watches for the loss). Nothing a Put
// stored is lost: a message leaves the queue only through Ack, Remove or
// a dead-letter move. Without failures every message is handled exactly
// once. Message.Deliveries counts hand-outs durably, crashes included.
//
// What counts as a delivery (Message.Deliveries, WithMaxDeliveries) is a
// claim: the claim's transaction counts it before the message is read, so
// that a consumer that dies holding the message (crash, session lost) has
// used one, and a message that kills its consumers ends dead-lettered. A
// read that fails after the claim (connection loss) is sent again under
// the same claim, so it costs no delivery. The claims that count without
// reaching a caller are those lost with their session before the message
// was handed out (the server cannot tell them from a crash), those of a
// take cancelled after its claim landed (released again), and that of a
// take whose read failed 3 times in a row (each already retried after
// connection losses): a message that cannot be read is dead-lettered, not
// retried forever.
//
// What at-least-once does not give: a consumer that is paused (GC, swap)
// or partitioned past its session timeout may still be working on a
// message that another consumer now has. Make handlers idempotent, and
// watch Message.Lost (Consume cancels the handler's ctx on it). Its late
// Ack fails with ErrClaimLost and does not remove the redelivered message.
// WithAtMostOnce trades this for the opposite: a take removes the message,
// which is never delivered twice and is lost if its consumer crashes.
//
// Put returns once the message is committed by a quorum (and synced to
// disk if the servers fsync). A Put whose reply was lost to a connection
// loss finds its message again by a nonce in its name: it is stored once,
// never twice. PutBatch stores all its messages or none, in one
// transaction, next to each other.
//
// Ordering: within a priority, messages are ordered by their commit: if a
// Put returned before another began, its message comes first. This holds
// across producers and buckets (a producer cannot add to a bucket that a
// newer one has closed). A consumer hands out the highest priority first,
// and within a priority the oldest visible, unclaimed message first: a
// sole consumer taking one message at a time sees strict FIFO. Returned
// messages (Nack, crash) keep their place and come before later ones.
// With several consumers, messages are handed out concurrently, so
// handlers run in overlapping order. Besides, consumers (the sessions with
// a Take in progress or a message held, and for 2 s after) split the
// messages among themselves by a hash of their names, so that they do not
// fight over the same ones; each takes its own share in order, and takes
// over another's messages, newest first, once they waited unclaimed for
// 100 ms while it has nothing of its own, or for 1 s. While the queue is
// busy, consumers list it at most every 10 ms, so they see a new message
// up to that much later.
//
// Delays (PutAt) compare the consumer's clock with the time the producer
// gave; clock skew between hosts shifts delivery by the skew. A delayed
// message becomes visible in its put position, ahead of messages put after
// it.
//
// Limits: a message holds up to MaxMessageSize bytes (ZooKeeper's 1 MB
// node limit, less room for the request), a PutBatch up to MaxBatch
// messages and 1 MB in all; larger input fails with ErrTooLarge before
// anything is written. The depth of a queue is not bounded by ZooKeeper's
// 1 MB limit on a child listing: messages are sharded into buckets of
// about WithBucketSize messages, and a take lists one bucket, once per
// bucket, so its cost does not grow with the depth (100,000 messages are
// tested). The number of messages held by consumers at once is bounded by
// the listing of the claims directory: some 20,000.
//
// A Queue value is safe for concurrent use; its goroutines share one
// listing and batch their claims and acknowledgements into shared
// transactions. Use one Queue per path per process: Queue values of one
// session compete for the same share of messages.
//
// # Failure behaviour
//
//   - Connection loss (Suspended): operations wait and retry within the
//     session; every transaction whose reply was lost (put, batch, claim,
//     ack, nack, dead-letter move, at-most-once take) is recognised
//     afterwards, never applied twice nor reported wrongly. A put is sent
//     again: its receipt (an ephemeral node named by its nonce, created
//     by the same transaction) lets at most one attempt apply, even when
//     the first attempt's messages were consumed before the producer
//     could look for them. Lookups after a lost reply sync first, since
//     the server reconnected to may not have applied the write yet.
//   - Session loss: held messages' claims are gone, Message.Lost closes,
//     Ack, Nack and DeadLetter return ErrClaimLost (they are never applied
//     in the next session); Take and Consume go on in the next session.
//     An Ack in flight when the session ended reports what landed: nil if
//     the message is gone, ErrClaimLost if it is still there, an error
//     wrapping zkrecipes.ErrUncertain if that could not be read (likewise
//     a dead-letter move whose outcome could not be read). A put in doubt
//     when its session ended is decided by its receipt if the server still
//     has it, else by its messages; if they are gone too (never stored, or
//     already consumed) Put returns an error wrapping zkrecipes.ErrUncertain.
//     A put that applied but whose messages were consumed before it
//     learned their sequence numbers returns ids ending in zeros, which
//     name no message.
//   - Cancellation: a Take whose ctx ends while waiting returns at once;
//     if a claim was in flight it is released once it lands. A Put whose
//     ctx ends while its write is in flight returns at once, and the
//     message is removed once the write is known to have landed (a
//     consumer may have taken it in between). Ack or Nack cut short may be
//     called again.
//   - Bounded queue (WithMaxItems): the bound is checked before each write,
//     so concurrent producers may overshoot it by one put (or batch) each.
//     Put waits for room on watches; TryPut returns ErrFull.
//   - Bad input (the policy of every zkrecipes package): New returns an
//     error for an invalid path (wrapping zkrecipes.ErrInvalidPath) or
//     option (zkrecipes.ErrInvalidArgument) and panics on a nil client (a
//     programmer error); operations return ErrTooLarge,
//     ErrInvalidPriority, ErrInvalidID and errors wrapping
//     zkrecipes.ErrInvalidArgument.
//
// Waiting costs no polling: consumers wait on watches (a put wakes them, a
// Nack or a consumer's death too) and on a timer for the earliest delayed
// message; producers of a full bounded queue wait on watches.
//
// # Znode layout
//
//	<path>/items/b-<prio>-<n>                  a bucket: lane <prio> (000-255), number <n>;
//	                                           data "sealed" (version 1) once closed
//	<path>/items/b-<prio>-<n>/m-<nonce>-[t<ms>-][d<data>-]<seq>
//	                                           a message: persistent sequential; t: visible
//	                                           from <ms> (unix ms); d: inline data (base64url,
//	                                           up to MaxInline bytes, WithInline), else the
//	                                           node's data
//	<path>/claims/b-<prio>-<n>.m-<nonce>-<seq> ephemeral claim of a held message
//	<path>/consumers/<session>                 ephemeral, one per consuming session
//	<path>/signal                              its data is touched by each Nack
//	<path>/receipts/r-<nonce>                  ephemeral receipt of a put, deleted once settled
//	<path>/dead                                the default dead-letter queue (same layout)
//
// A message id (Put's result, Message.ID) is "<bucket>.<item>". Producers
// append to the newest bucket of a lane with a transaction that checks the
// bucket is open (data version 0); the producer that fills it seals it and
// creates the next one in one transaction. Consumers delete sealed buckets
// once empty. A claim also bumps a version of the message, which counts
// its deliveries (the child version, by 2 a claim; the data version for an
// inline message).
//
// # Curator equivalent
//
// DistributedQueue with a lockPath (at-least-once) is Take/Consume;
// SimpleDistributedQueue and DistributedQueue without a lockPath are
// WithAtMostOnce; DistributedPriorityQueue is PutPriority (Curator takes
// lower numbers first, this package higher ones, as RabbitMQ);
// DistributedDelayQueue is PutAt; DistributedIdQueue's remove is Remove;
// QueueSharder is built in (buckets). The znode formats differ: Go and
// Java processes cannot share a queue.
package queue
