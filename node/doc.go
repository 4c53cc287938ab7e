// Package node keeps a znode in place on behalf of a process: a [Node] is
// an ephemeral node created again whenever it is lost (Curator's
// PersistentNode), and a [TTL] is a node that outlives its session by a
// time to live and is kept alive while its process runs (Curator's
// PersistentTtlNode). Servers announcing themselves (under /servers, or
// as service instances in package discovery) are the classic use.
//
// # Guarantees
//
// After [Node.Start] the node exists whenever the client has a live
// session and nobody else holds the path: it is created, created again
// in the next session after a session loss, and created again when
// someone deletes it, each time with the latest data given to
// [Node.SetData]. It is created once per loss, never twice: a create
// whose reply was lost with the connection is recognised by its
// ephemeral owner (our session) and adopted.
//
// A node at the path that belongs to another session, or a persistent
// node, is never taken over, deleted or written. The Node waits, watching
// it, and creates its own once it is gone. A node left by our previous
// session goes when the server expires that session, within its timeout;
// a node of another live process does not, so once the wait has lasted
// longer than the conflict wait ([WithConflictWait], default the session
// timeout plus [DefaultConflictMargin]) the Node reports the conflict:
// [Node.WaitCreated] returns a [*ConflictError] naming the holder's
// session, and a warning is logged. It keeps waiting all the same.
// Curator's PersistentNode instead overwrites another session's node
// (the "Kafka rule" of waiting for it is followed here).
//
// [Node.Close] stops the Node and deletes its node (only if it is ours).
//
// # Not guaranteed
//
// A partitioned process's node stays listed until the server expires its
// session (the session timeout), and observers cannot tell it from a live
// one meanwhile. Between a loss and the re-creation the node is absent:
// for up to one session timeout after an expiry, and for one round trip
// after a deletion by someone else. A short disconnection that keeps the
// session changes nothing: the node stays, and observers see nothing.
//
// # TTL nodes
//
// A [TTL] is for a process that must stay listed across a short restart
// (a session would end with it): a container node at the path carrying
// the data, and under it a TTL node, "touch", that the TTL writes every
// ttl/[DefaultTouchFactor]. When the process stops touching it the server
// deletes "touch" once it is older than the TTL, and then the empty
// container; both checks run on the server's container-manager schedule
// (znode.container.checkIntervalMs, default one minute), so the node may
// outlive its TTL by up to that interval. The layout is Curator's
// PersistentTtlNode, so Java and Go can keep the same node alive: each
// adopts a node it finds at its path, writes its data into it and touches
// its child. Unlike Curator's, [TTL.Close] deletes the node at once
// (Curator's close leaves it to expire), the "touch" child is empty
// (Curator writes its client's default data, the local address), the
// first touch is at [TTL.Start] (Curator's after ttl/2), and a node
// deleted by someone else is made again at the next touch (Curator's at
// once).
//
// TTL nodes need the server setting extendedTypesEnabled=true (zoo.cfg,
// or -Dzookeeper.extendedTypesEnabled=true), off by default in ZooKeeper
// 3.5 to 3.8; without it creating one fails with zk.ErrUnimplemented
// (KeeperException.UnimplementedException in Java). Servers started by
// zktest have it on.
//
// # Znode layout
//
//	path                       ephemeral Node: data as given
//	dir/_c_<uuid>-name<seq>    ephemeral sequential Node (WithProtectedSequential, path "dir/name")
//	path                       TTL: container node, data as given
//	path/touch                 TTL: persistent node with a TTL, touched (written) every ttl/2
//
// Missing parents are created as containers.
//
// # Curator equivalent
//
// [Node] is PersistentNode with CreateMode.EPHEMERAL (or protected
// EPHEMERAL_SEQUENTIAL): start is [Node.Start], waitForInitialCreate is
// [Node.WaitCreated], setData is [Node.SetData], getActualPath is
// [Node.ActualPath], close is [Node.Close]. [TTL] is PersistentTtlNode,
// with the same layout and touch schedule.
package node
