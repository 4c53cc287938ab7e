// Package barrier provides barriers on a ZooKeeper ensemble: a [Barrier]
// that holds everyone back until it is removed, and a [Double] barrier
// that lets a fixed number of members start together and finish together.
//
// # Guarantees
//
// [Barrier.Wait] returns only after it has seen the barrier node absent.
//
// [Double.Enter] returns only after the members of its round have all
// called Enter: the member that completes the round writes the round
// record, and every other member passes only once it reads a record that
// names it. [Double.Leave] returns only after every member of the round
// has called Leave (or vanished with its session): the last one out sees
// no member of the round left and writes "left", and nobody passes on a
// guess. Every wake-up is re-checked against the server, so watch events,
// reconnections or spurious wake-ups cannot let a member through early.
// (Curator's DistributedDoubleBarrier could be bypassed that way until
// apache/curator#1290 was fixed; this package is tested over many rounds
// for it.)
//
// Exactly members participants form a round. A member that arrives when
// members others are already waiting, or while a round is under way (not
// all of its members have left), gets [ErrTooManyMembers] and leaves no
// node behind; it is not a threshold as in Curator. The same path may be
// reused for round after round: a member that has returned from Leave can
// Enter again at once.
//
// Not guaranteed: that a member which passed Enter still has its session;
// that members which passed Enter do their work together (one may be slow
// or crash).
//
// # Failure behaviour
//
// Members are ephemeral nodes. A member that crashes (its session expires)
// disappears from the barrier without anyone else failing:
//   - before its round is complete, it no longer counts: the others keep
//     waiting in Enter until enough members have arrived (a newcomer takes
//     its place). While its node lingers until the session timeout it still
//     counts, so the newcomer that would make one too many is refused;
//   - after its round is complete, the others' Leave completes without it,
//     once the server has expired its session.
//
// Cancelling Enter or Leave returns an error matching ctx.Err() and deletes
// our node (Leave deletes it first in any case). If our session is lost,
// Enter and Leave fail with an error matching [zkrecipes.ErrSessionLost]:
// our node is gone, and the others proceed without us. Connection loss is
// retried within the session. A Barrier's node is persistent: its Wait
// carries on across a session loss.
//
// Bad input (the policy of every zkrecipes package): New and NewDouble
// return an error for an invalid path (wrapping zkrecipes.ErrInvalidPath)
// or option (zkrecipes.ErrInvalidArgument); a nil client and members < 1
// are programmer errors and panic with a "barrier: " message.
//
// # Znode layout
//
// A Barrier is its node, at its path; Set creates it (parents as
// containers), Remove deletes it.
//
// A Double at path P:
//
//	P                                        container; data is the round record
//	P/_c_<session+nonce>-member-<seq>        one ephemeral-sequential node per member
//
// The round record is "ready N M" once the round of M members whose last
// admitted member has sequence N is complete (members with sequences up to
// N belong to it or to earlier rounds), and "left N M" once all of them
// have left. A member admitted by a record with another M than its own
// fails with [ErrMembersMismatch]: all members must agree on M. The
// member that completes a round writes "ready" with a versioned set; the
// last one out writes "left". Members watch P's data, and a member waiting
// in Leave also watches one member still inside. The container is reaped
// by the server once the last member has gone. P's data belongs to the
// barrier; do not share P with other recipes.
//
// # Curator equivalent
//
// [Barrier] is Curator's DistributedBarrier (setBarrier, removeBarrier,
// waitOnBarrier). [Double] is DistributedDoubleBarrier, with a different
// protocol: Curator creates a persistent "ready" child that every member
// watches and leaves through the lowest/highest-node protocol; here the
// round record in the parent's data takes the ready node's place, so one
// node serves every round of a reused path, and Curator's threshold
// becomes an exact member count. The two are not compatible on one path.
package barrier
