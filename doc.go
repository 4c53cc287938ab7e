// Package zkrecipes is the shared ZooKeeper client under every zkrecipes
// recipe (lock, election, queue, barrier, counter): the Go counterpart of
// Apache Curator's CuratorFramework.
//
// # Sessions and connection states
//
// A [Client] holds one session at a time and reports transitions in
// Curator's terms (see [State]): Connected (a new session), Suspended (the
// connection dropped; the session may live on), Reconnected (same session
// back), Lost (the session is gone) and Closed. A partitioned client never
// hears that the server expired its session, so the Client declares Lost
// itself once the server has been silent for the negotiated session
// timeout. After Lost it opens a new session on a fresh connection: work
// issued in one session never runs in another, because go-zookeeper would
// otherwise send requests queued for the old session on the new one.
//
// Recipes pin their work to a [Session]: its operations fail with
// [ErrSessionLost] once that session is gone, and its [Session.Done] and
// [Session.Suspended] channels tell holders of locks and leadership when to
// stop. Users can follow every transition, in order, with
// [Client.Subscribe]; a slow subscriber never blocks the client.
//
// # Operations and retries
//
// The operations on znodes are the methods of [Ops], which Client and
// Session embed. Every operation takes a context and returns promptly with
// ctx.Err() when it is done, even while the request is in flight. A ctx already done sends
// nothing. A write whose ctx ends after it may have reached the server may
// or may not have been applied: its error matches both ctx.Err() and
// [ErrUncertain]. Such a write of Create (non-sequential), Set, Delete or
// Multi is on the wire by the time it returns, or never will be: every
// request made after it returns goes after it, so a cleanup that follows
// (a delete, a read, another write) sees or overrides it and is not
// overtaken by it. A cancelled sequential create is removed if it lands
// (see [Ops.Create]). Writes over the server's size limits fail before they are
// sent with [ErrTooLarge], and a request after which the connection closed
// three times in a row fails with [ErrRepeatedDrop]. Operations are retried,
// with the backoff set by [WithRetry], only after connection-loss errors and
// never across a session loss. Writes that are not naturally idempotent are
// made safe to retry: sequential creates are protected (their name carries
// the session id and a nonce, so a create whose reply was lost is found
// again), a retried Delete that finds the node gone succeeds, and a
// versioned Set whose reply was lost reports [ErrUncertain] rather than
// guess whether it landed.
//
// # Namespace, ACLs and paths
//
// Paths are absolute within the client's namespace ([WithNamespace]), like
// Curator's. Every path a recipe takes or returns is relative to that
// namespace: the Path of every recipe type, the Node of a held lock, lease
// or term, and a path given as an option. Invalid paths are refused before any I/O with
// [ErrInvalidPath]; the /zookeeper subtree is reserved. Created nodes get
// the client's ACL ([WithACL]) unless a create says otherwise.
//
// # Misuse
//
// Every package follows one policy. Programmer errors, which no
// configuration can cause and no caller can handle, panic with a message
// that names the package, the function and the argument ("lock:
// NewSemaphore: maxLeases must be at least 1, got 0"): a nil *Client, and
// impossible counts given to a constructor (a semaphore of no leases, a
// double barrier of no members, a MultiLock of no locks). Everything that
// may come from configuration or input is an error, reported before any
// I/O: a recipe constructor returns one for an invalid path (wrapping
// [ErrInvalidPath]) or an invalid option value (wrapping
// [ErrInvalidArgument]; a path given as an option wraps both), and an
// operation for an argument it cannot take. A closed client is a runtime
// condition: constructors accept it (they do no I/O) and every operation
// returns [ErrClosed].
package zkrecipes
