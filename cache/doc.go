// Package cache keeps local copies of ZooKeeper nodes up to date: one
// node ([Node]), the children of a node ([Children]), or a subtree
// ([Tree]), read from memory and followed through events.
//
//	servers, err := cache.NewChildren(c, "/servers")
//	if err != nil {
//		return err // an invalid path or option
//	}
//	defer servers.Close()
//	if err := servers.Start(ctx); err != nil { // returns once loaded
//		return err
//	}
//	for _, s := range servers.Children() {
//		fmt.Printf("%s at %s\n", s.Path, s.Data)
//	}
//
// A cache is eventually consistent: it shows the server's state as of a
// moment in the recent past, and converges to the current state once
// changes stop and the connection is up. It has no znodes of its own.
//
// # Guarantees
//
//   - Start returns once every node that existed when it was read is in
//     the cache (the Initialized event); the root need not exist.
//   - Events for one path come in the order of its changes: Created only
//     when the path was absent from the cache, Changed and Deleted only
//     when it was present, each value newer (by mzxid) than the one
//     before. Rapid changes may be folded into the latest value, never
//     into an older or a wrong one. Replies of different reads reach the
//     cache in any order: a late reply never brings back a deleted node
//     nor an older value (values are ordered by mzxid), and never removes
//     a node created after it was read (a listing removes only children
//     whose czxid is not newer than its pzxid).
//   - Changes are detected by zxids, not versions: a node deleted and
//     recreated while the client could not see it (version 0 again, even
//     with the same data) is reported, as Changed with a new Stat.Czxid
//     (CuratorCache compares versions and misses it).
//   - After a reconnection, or a new session, the cache reads every node
//     again (a resync) and relists every parent, also one recreated with as
//     many children as before (CuratorCache skips a parent whose cversion
//     is unchanged); it then sends Reinitialized, having reported what it
//     found changed. In a new session it first syncs the server, which may
//     be behind the one the old session used.
//   - A [Subscription] delivers every event in the order the cache
//     applied it, from an unbounded queue: a slow reader never blocks the
//     cache and never loses events. Reads (Get, Children, Snapshot) that
//     follow an event see the cache at least as new as that event.
//
// Not guaranteed: a cache does not show every intermediate value (a
// changed node is read after the event, and rapid changes fold), nor an
// order between events of different paths, except that the nodes below a
// deleted node are reported deleted before it. A Stat is the one
// read with the node's data: its child fields (Cversion, NumChildren,
// Pzxid) are not kept up to date. Nodes the client may not read
// (NoAuth) are left out, with a warning in the client's log.
//
// # Failure behaviour
//
// While the client's connection is suspended, and until the resync that
// follows the reconnection is complete, the cache may miss changes: it
// sends a Stale event and [Tree.Stale] reports since when. The cached
// data stay readable. A lost session ends every watch; the cache waits
// for the client's next session and resyncs in it. If the client is
// closed, the cache stays stale and readable until Close. Start fails
// only for its ctx, Close, or a closed client, and then closes the cache.
//
// # Metrics
//
// A cache reports to the client's [zkrecipes.Observer]: its size (nodes
// held), each complete load (initial or resync), each staleness, and its
// Close, under its root path and kind ("node", "children", "tree"). The
// adapters of the metrics/prometheus and metrics/otel modules turn them
// into node counts, resync counts, stale caches and the age of the last
// complete load.
//
// # Watches
//
// NewTree and NewChildren follow their root with one persistent recursive
// watch (ZooKeeper 3.6's addWatch; [Persistent]); NewNode, and any cache
// given WithWatches(OneShot), with a one-shot watch per node ([OneShot]).
// Both give the guarantees above; the chaos suite runs them side by side.
//
// A persistent watch lives for one connection (the server replays nothing
// for it): after every new connection the cache sets it again and reads
// every node, as it does after a new session. Its reads go through the
// same connection as its events and are applied in the order the server
// sent them, so a listing holds exactly the children created before it.
// A data change costs one read, a creation one read, a deletion none;
// data reads that are due together (a load's, a burst of creations) go
// to the server as one multiRead request of up to 128.
// ZooKeeper 3.6-3.8 keep one watch mode per path and session
// (ZOOKEEPER-4466): a one-shot watch the client sets on the cache's root
// path is served by the persistent watch instead, so neither ends the
// other. A server older than 3.6 answers addWatch by closing the
// connection (the session survives); the cache then uses one-shot
// watches for the rest of its life. Events of paths the cache does not
// hold (beyond its depth, filtered out) still reach the client and are
// dropped there.
//
// # Performance
//
// With OneShot, a cache sets watches with the client's GetWatch, ExistsWatch
// and ChildrenWatch only: a data watch on every cached node, a child watch on
// every node above the depth limit, and an exists watch on an absent
// root. A watch event only says that something changed: the node is then
// read again with a new watch, so a data change costs one read. Reads of
// a load are pipelined on the client's connection (up to WithMaxInFlight
// at once); reads of one node are never concurrent, which is what orders
// its replies. A watch's event goes to a function that queues it for the
// cache's goroutine: no goroutine or channel waits per watch. Close
// removes every watch the cache set, in the client and on the server
// (removeWatches), as does the removal of a node from the cache.
//
// Memory grows linearly with the nodes held. Beyond its data, a cached
// node costs its [Entry] (112 bytes), its path string, the cache's own
// record of it (96 bytes, plus a pointer in its parent's sorted list of
// children) and, with one-shot watches, the functions of its two watches
// (24 bytes each) and the client's record of them. The W7 benchmark's
// tree (zkr bench tree-cache; 100-byte values, 50-character paths) takes
// 2.85 MB beyond the data per 10,000 nodes with the persistent watch
// (2.80 MB at 100,000 nodes), 6.4 MB with one-shot watches.
//
// # Curator and kazoo equivalents
//
//   - [Node]: Curator's NodeCache, kazoo's DataWatch.
//   - [Children]: Curator's PathChildrenCache, kazoo's ChildrenWatch
//     (with the children's data).
//   - [Tree]: Curator's CuratorCache and TreeCache, kazoo's TreeCache.
//
// Event kinds map to Curator's NODE_CREATED, NODE_CHANGED, NODE_DELETED
// and INITIALIZED; Stale and Reinitialized have no Curator counterpart
// (Curator reports CONNECTION_SUSPENDED and CONNECTION_RECONNECTED on a
// separate listener and does not say when its cache has caught up).
package cache
