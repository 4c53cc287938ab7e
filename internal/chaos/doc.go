// Package chaos runs every recipe at once against a private 3-member
// ZooKeeper ensemble while injecting faults from a seeded schedule, checks
// each recipe's guarantees, and reports figures per recipe.
//
// Run it with `make chaos` (the 10-minute budget) or, as `make test` does
// for one minute:
//
//	go test ./internal/chaos -run '^TestChaos$' -v -args -chaos.duration=2m -chaos.seed=42 -chaos.recipes=lock,queue -chaos.verbose
//
// (or CHAOS_DURATION, CHAOS_SEED, CHAOS_RECIPES, CHAOS_VERBOSE in the
// environment). The seed is printed; the same seed, duration and recipe
// list plan the same faults. Thread timing still differs between runs, so
// a replay reproduces the schedule, not every interleaving.
//
// # Faults
//
// Each recipe runs several workers, each with its own client, session and
// network link (a [zktest.FaultDialer] plus an added latency). The schedule
// mixes: killing one ensemble member and restarting it (never more than
// one, a minority, at a time); one restart of the whole ensemble; cutting
// one worker's connection (it reconnects in the same session);
// black-holing one worker past its session timeout, so the ensemble
// expires the session (a real expiry; the client declares it lost on its
// own); and slowing one worker's link. Faults on one target never overlap.
//
// # Checkers
//
//   - foundation: read-modify-write increments with a versioned Set through
//     [zkrecipes.Client]; the final value lies between the successful
//     increments and those plus the ambiguous ones, and no increment is
//     applied twice (each write carries a nonce that reads observe).
//   - lock: the tenures of a [lock.Mutex] (from Lock's return until Unlock
//     or Lost) never overlap, tokens strictly increase, porcupine finds the
//     history linearizable as a mutex, and a register guarded by the
//     fencing token (a versioned Set that accepts only a token at least the
//     stored one) is never overwritten while its writer still holds.
//   - relock: the lock's checks, with two workers: one locks again at once
//     after each release, so most of its holds take the Mutex's
//     uncontended shortcut (one create, the token counted on from the last
//     hold), the other pauses between holds and breaks into that chain.
//   - rwmutex: workers take the read or (one time in three) the write side
//     of a [lock.RWMutex]; a write tenure overlaps no other tenure, read
//     tenures overlap only each other, and the write tenures alone are
//     checked as the lock's (overlap, tokens, porcupine).
//   - semaphore: never more than the lease count of tenures at once;
//     porcupine as for the lock.
//   - election: terms (from Campaign's return, or a job's start under
//     [election.Run], until the term's context is cancelled or it resigns)
//     never overlap under the default policy; tokens increase.
//   - queue: every message whose put succeeded is acknowledged exactly once
//     or found in the queue at the end; a message is handed out again only
//     after a Nack or after its consumer's claim was lost (its Lost channel
//     closed no later than a second after the next hand-out), and those
//     duplicates are counted; a batch whose put failed is stored whole or
//     not at all.
//   - counter: the final value lies between the sum of successful
//     increments and that plus the ambiguous ones, and no two successful
//     increments report the same result.
//   - sharedcount: Get and TrySet increments of a [counter.SharedCount];
//     TrySet promises that an error means nothing was applied unless it is
//     zkrecipes.ErrUncertain, so the final count lies between the successes and
//     the successes plus the indeterminate ones; no two successes write the
//     same count; each worker's Watch never sees the count go back.
//   - cache: workers create, set and delete nodes of a small tree while
//     each follows it through a [cache.Tree]; each path's events follow
//     one history (created only when absent, changed and deleted only when
//     present, values by increasing mzxid), and once the writers stopped
//     every cache equals the server's tree (data, czxid, mzxid) and is not
//     stale within 30 seconds.
//   - registry: workers register, update and unregister Dynamic
//     [discovery] instances on their own sessions while each follows the
//     service through a [discovery.ServiceCache] and a [group.View]; each
//     observer's history is consistent (an id joins only when absent and
//     is never listed twice), a node of one session joins a list at most
//     once (no flapping), a lost session's instance leaves every list
//     within the session timeout plus 2s of its owner declaring the
//     session lost (unless a server fault or one of the observer's own
//     overlaps), and once the workers stopped every observer lists exactly
//     the registered instances with their latest data within 30 seconds.
//   - all: no znode is left behind once every worker has closed and its
//     sessions have expired, and no goroutine outlives the run.
//
// A violation is a recipe bug; the table shows the counts and the
// violations are described below it with times relative to the start.
package chaos
