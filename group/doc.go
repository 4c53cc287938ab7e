// Package group is group membership on ZooKeeper: processes join a group
// with an id and data, and anyone can follow the live member list and
// its changes (joined, left, updated) with the member in each: Curator's
// GroupMember and kazoo's Party, with the change in every event, which
// neither gives.
//
//	servers, _ := group.New(c, "/servers")
//	m, err := servers.Join(ctx, "web-1", []byte("10.0.0.7:8080")) // kept until Leave
//	...
//	view, err := servers.Watch(ctx)
//	for _, s := range view.Members() { fmt.Println(s.ID, string(s.Data)) }
//
// # Guarantees
//
// A member's node is a [node.Node]: ephemeral, created again after its
// session is lost or it is deleted by someone else, never twice, and
// never taking over the node of another live process with the same id
// ([node.ErrConflict]). Observers ([View]) see a crashed member leave
// once the server expires its session, and see it join again once, in
// its next session; a short disconnection that keeps the session is
// invisible to them. Changes of one member come in order; the member
// list ([View.Members]) read after a change reflects it, and is read
// from memory.
//
// # Not guaranteed
//
// A partitioned member stays listed until its session expires (the
// session timeout). While a View's connection is suspended it may miss
// changes ([View.Stale]); it catches up after the reconnection. Changes
// of different members are not ordered with each other. A member whose
// node was deleted and created again between two reads of the cache is
// reported as Updated (with a new Joined time), not as left and joined.
//
// # Znode layout
//
//	path        container (created when missing)
//	path/<id>   ephemeral, one per member; data as given
//
// This is the layout of Curator's GroupMember (an EPHEMERAL PersistentNode
// at path/<id> holding the payload), so Java members and Go members can
// share a group (not covered by an interop test).
package group
