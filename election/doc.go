// Package election elects one leader among the participants at a
// ZooKeeper path, for singleton jobs that must run on exactly one host at a
// time and stop the moment that host may no longer be the leader.
//
// [Election.Campaign] blocks until the participant leads and returns a
// [Term] whose context is cancelled when leadership ends; [Run] is the
// ready-made loop that runs a job while leading and campaigns again after
// every loss. [Election.Leader], [Election.Participants] and
// [Election.Observe] show the election from any client.
//
// # Guarantees
//
// Under the default policy ([WithSuspendedIsLost](true)) at most one
// participant believes it is the leader at any moment: a leader's term
// ends when its connection is suspended, which a partitioned client notices
// after two thirds of the session timeout without a reply, before the
// server can expire its session and delete its node; and no one else is
// elected while that node exists. Before reporting leadership Campaign checks that its
// node exists and belongs to the current session, so a term never
// continues into a new session (the cause of several double-leader bugs in
// Curator's LeaderLatch, e.g. CURATOR-696). Leaders are elected in the order
// the participants' nodes were created; a resignation wakes only the next
// participant.
//
// Not guaranteed: ZooKeeper cannot stop a leader that is paused (GC, a
// stopped VM) and resumes acting after its term ended; its code learns of
// the end only when it looks at the term's context. Protect external
// resources with [Term.Token], a fencing token that grows with every term
// at the path, and have them reject requests carrying an older token.
//
// # Failure behaviour
//
//   - Suspended (the connection dropped, the session may live): with the
//     default policy the term ends at once. The node stays, and with it the
//     head of the election, until [Term.Resign] deletes it (after the
//     reconnection) or the session expires; nobody else is elected in the
//     meantime. With WithSuspendedIsLost(false) the term survives the
//     suspension, and ends only when the session is lost.
//   - Lost (the session expired, or the client stayed disconnected for the
//     session timeout): the term ends; the server has deleted (or will
//     delete at its next tick) the node, and the next participant is
//     elected. With WithSuspendedIsLost(false) a partitioned leader may
//     still believe it leads for a moment (about a network delay) after its
//     successor was elected: it never hears of the expiry, and declares the
//     loss from its own clock, one session timeout after the server last
//     spoke to it.
//   - Client closed: every term ends; Observe channels close; Run returns
//     [zkrecipes.ErrClosed].
//   - Someone else deleted the node: the term ends.
//   - A waiting Campaign returns the session loss or ctx's error and leaves
//     no node behind. Run campaigns again, on the next session if needed.
//   - Bad input (the policy of every zkrecipes package): New and Run
//     return an error for an invalid path (wrapping zkrecipes.ErrInvalidPath)
//     or option value (a negative grace period, an unknown layout: wrapping
//     zkrecipes.ErrInvalidArgument) before any I/O; a nil client panics
//     ("election: New: nil client").
//
// # Znode layout
//
// The election path is a container node (created on the first Campaign,
// reaped by the server once empty). Each participant has one
// ephemeral-sequential child whose data is the participant id in UTF-8,
// named "_c_<uuid>-latch-<sequence>" in the [LeaderLatch] layout (the
// default of Campaign) or "_c_<uuid>-lock-<sequence>" in the
// [LeaderSelector] layout (the default of Run); see [WithLayout]. The
// "_c_<uuid>-" prefix is the protection of Curator's withProtection();
// ours encodes the session id so that a create whose reply was lost is
// found again. The leader is the child with the lowest sequence number,
// whatever its layout: the parent's counter numbers both kinds, so Go
// participants of both layouts elect one leader, and Leader, Participants
// and Observe report it. Children whose names end in neither "latch-" nor
// "lock-" and a sequence number are ignored.
//
// # Curator equivalent
//
// Campaign is Curator's LeaderLatch and Run is LeaderSelector with
// autoRequeue, each on its Curator counterpart's nodes: Go and Java
// participants on one path elect one leader among them, and each side
// reports the other's ids (Curator's getParticipants and getLeader read
// the node data, as Participants and Leader do). Curator's two recipes
// do not see each other's nodes, so a path is shared with Java
// participants of one of them only, in its layout: Run with
// WithLayout(LeaderLatch) beside LeaderLatches, Campaign with
// WithLayout(LeaderSelector) beside LeaderSelectors. Curator's
// hasLeadership is a live [Term] whose Done channel is open; a
// LeaderLatchListener is [Election.Observe] or a goroutine waiting on
// [Term.Done]; takeLeadership is Run's job, and its
// CancelLeadershipException on SUSPENDED or LOST is the cancellation of
// the job's context.
//
// # Performance
//
// When the next participant's last listing showed the resigning leader as
// the only node ahead, it takes over on the deletion event alone, without
// listing again: the watch on its own node, set and answered on the
// connection that delivered the event, has not fired, so its node still
// existed when the leader's was deleted (after a reconnection it lists
// again). Unlike the locks, Campaign always waits for its own node's stat
// before reporting leadership (the check above), so it has no lazy,
// listing-free first acquisition.
package election
