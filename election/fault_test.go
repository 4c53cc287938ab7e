package election_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// faulty returns a client of the group whose connection can be faulted.
// Tests that leave it partitioned close it themselves, so that the
// namespace cleanup does not wait for it.
func (g *group) faulty(timeout time.Duration) (*zkrecipes.Client, *zktest.FaultDialer) {
	return zktest.FaultyClientAt(g.t, g.servers, g.ns, zkrecipes.WithSessionTimeout(timeout))
}

// waitNewSession waits until c has a connected session other than old.
func waitNewSession(t *testing.T, c *zkrecipes.Client, old int64) {
	t.Helper()
	require.Eventually(t, func() bool {
		s := c.Session()
		return s.ID() != old && s.Err() == nil && s.Connected()
	}, 20*time.Second, 10*time.Millisecond, "no new session")
}

func TestIntegration_Election_PartitionedLeaderStepsDownFirst(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	const timeout = time.Second
	lc, ld := g.faulty(timeout)
	leader := zktest.Must(election.New(lc, electionPath, election.WithID("L")))
	waiter := zktest.Must(election.New(g.client(), electionPath, election.WithID("W")))
	var tl timeline
	lt, err := leader.Campaign(ctx)
	require.NoError(t, err)
	tl.begin("L", time.Now(), lt.Context())
	ch := campaignAsync(ctx, waiter)
	waitParticipants(t, waiter, "L", "W")
	old := lc.Session().ID()

	cut := time.Now()
	ld.Blackhole()
	r := await(t, ch, 15*time.Second)
	require.NoError(t, r.err)
	tl.begin("W", r.at, r.term.Context())
	select {
	case <-lt.Done():
	default:
		t.Fatal("the partitioned leader still believes it leads after W was elected")
	}
	cause := context.Cause(lt.Context())
	assert.ErrorIs(t, cause, election.ErrLeadershipLost)
	assert.Contains(t, cause.Error(), "suspended", "the term ended on suspension, not on session loss")
	tl.assertNoOverlap(t)
	t.Logf("W elected %v after the partition (session timeout %v)", r.at.Sub(cut), timeout)
	assert.Less(t, r.at.Sub(cut), timeout+2*time.Second)

	ld.Heal()
	waitNewSession(t, lc, old)
	resign(t, lt) // the node went with the session: nothing to delete
	waitParticipants(t, waiter, "W")
	resign(t, r.term)
}

func TestIntegration_Election_NoOverlapAcrossPartitions(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx, cancel := context.WithCancel(t.Context())
	const n, rounds = 3, 3
	var (
		tl      timeline
		wg      sync.WaitGroup
		dialers []*zktest.FaultDialer
		leaders = make(chan int, 100)
		errs    = make(chan error, 100)
	)
	for i := range n {
		c, d := g.faulty(time.Second)
		dialers = append(dialers, d)
		e := zktest.Must(election.New(c, electionPath, election.WithID(fmt.Sprintf("p%d", i))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				term, err := e.Campaign(ctx)
				if err != nil {
					if ctx.Err() == nil && !errors.Is(err, zkrecipes.ErrSessionLost) && !errors.Is(err, election.ErrLeadershipLost) {
						errs <- fmt.Errorf("p%d: %w", i, err)
					}
					continue
				}
				tl.begin(e.ID(), time.Now(), term.Context())
				leaders <- i
				select {
				case <-term.Done():
				case <-ctx.Done():
				}
				rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = term.Resign(rctx)
				rcancel()
			}
		}()
	}
	nextLeader := func(not int) int {
		for {
			select {
			case l := <-leaders:
				if l != not {
					return l
				}
			case err := <-errs:
				t.Fatalf("campaign failed: %v", err)
			case <-time.After(20 * time.Second):
				t.Fatal("no new leader")
			}
		}
	}
	cur := nextLeader(-1)
	for range rounds {
		dialers[cur].Blackhole()
		next := nextLeader(cur)
		dialers[cur].Heal()
		cur = next
	}
	cancel()
	wg.Wait()
	tl.assertNoOverlap(t)
	assert.GreaterOrEqual(t, tl.count(), rounds+1)
	assert.Empty(t, errs)
}

func TestIntegration_Election_CrashedLeaderReplaced(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	const timeout = time.Second
	lc, ld := g.faulty(timeout)
	defer lc.Close()
	leader := zktest.Must(election.New(lc, electionPath, election.WithID("L")))
	waiter := zktest.Must(election.New(g.client(), electionPath, election.WithID("W")))
	lt, err := leader.Campaign(ctx)
	require.NoError(t, err)
	ch := campaignAsync(ctx, waiter)
	waitParticipants(t, waiter, "L", "W")

	crash := time.Now()
	ld.Blackhole() // never healed: the process is gone as far as the server knows
	r := await(t, ch, 15*time.Second)
	require.NoError(t, r.err)
	took := r.at.Sub(crash)
	t.Logf("replaced %v after the crash (session timeout %v)", took, timeout)
	assert.Less(t, took, timeout+1500*time.Millisecond, "within the session timeout plus slack")
	<-lt.Done()
	leaderNow, err := waiter.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, "W", leaderNow.ID)
	resign(t, r.term)
}

func TestIntegration_Election_WaiterSessionExpiry(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	leader := zktest.Must(election.New(g.client(), electionPath, election.WithID("L")))
	wc, wd := g.faulty(time.Second)
	waiter := zktest.Must(election.New(wc, electionPath, election.WithID("W")))
	lt, err := leader.Campaign(ctx)
	require.NoError(t, err)
	ch := campaignAsync(ctx, waiter)
	waitParticipants(t, leader, "L", "W")
	old := wc.Session().ID()

	wd.Blackhole()
	r := await(t, ch, 15*time.Second)
	require.ErrorIs(t, r.err, zkrecipes.ErrSessionLost, "a waiter whose session is lost gives up")
	waitParticipants(t, leader, "L") // the server expired W's node
	require.NoError(t, lt.Context().Err(), "the leader is unaffected")

	wd.Heal()
	waitNewSession(t, wc, old)
	ch = campaignAsync(ctx, waiter)
	waitParticipants(t, leader, "L", "W")
	resign(t, lt)
	r = await(t, ch, 10*time.Second)
	require.NoError(t, r.err)
	resign(t, r.term)
}

func TestIntegration_Election_SuspensionEndsTermByDefault(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	lc, ld := g.faulty(4 * time.Second)
	leader := zktest.Must(election.New(lc, electionPath, election.WithID("L")))
	waiter := zktest.Must(election.New(g.client(), electionPath, election.WithID("W")))
	lt, err := leader.Campaign(ctx)
	require.NoError(t, err)
	ch := campaignAsync(ctx, waiter)
	waitParticipants(t, waiter, "L", "W")
	sid := lc.Session().ID()

	ld.Cut() // the connection drops; the client reconnects to the same session
	select {
	case <-lt.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("term survived a suspension under the default policy")
	}
	assert.Contains(t, context.Cause(lt.Context()).Error(), "suspended")
	require.Eventually(t, func() bool { return lc.Session().Connected() }, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, sid, lc.Session().ID(), "same session")
	// The node still heads the election: nobody else leads until Resign.
	waitParticipants(t, waiter, "L", "W")
	notYet(t, ch)
	resign(t, lt)
	r := await(t, ch, 10*time.Second)
	require.NoError(t, r.err)
	resign(t, r.term)
}

func TestIntegration_Election_SuspensionToleratedWhenConfigured(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	lc, ld := g.faulty(4 * time.Second)
	leader := zktest.Must(election.New(lc, electionPath, election.WithID("L"), election.WithSuspendedIsLost(false)))
	lt, err := leader.Campaign(ctx)
	require.NoError(t, err)
	sub := lc.Subscribe()
	defer sub.Close()

	ld.Cut()
	for _, want := range []zkrecipes.State{zkrecipes.Suspended, zkrecipes.Reconnected} {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ch, err := sub.Next(sctx)
		cancel()
		require.NoError(t, err)
		require.Equal(t, want, ch.State)
	}
	require.NoError(t, lt.Context().Err(), "leadership survives a suspension with WithSuspendedIsLost(false)")
	l, err := leader.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, "L", l.ID)

	// It still ends on session loss.
	ld.Blackhole()
	select {
	case <-lt.Done():
	case <-time.After(15 * time.Second):
		t.Fatal("term survived the session")
	}
	assert.ErrorIs(t, context.Cause(lt.Context()), zkrecipes.ErrSessionLost)
	lc.Close()
}

func TestIntegration_Election_CreateReplyLost(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	lc, ld := g.faulty(4 * time.Second)
	e := zktest.Must(election.New(lc, electionPath, election.WithID("L")))
	// The election path exists, so the next create is our node's.
	_, err := lc.Create(ctx, electionPath, nil, zkrecipes.Container, zkrecipes.WithParents())
	require.NoError(t, err)
	ld.CutAfterRequest(zktest.OpCreate)
	term, err := e.Campaign(ctx)
	require.NoError(t, err)
	require.False(t, ld.Armed(), "the fault fired")
	assert.Len(t, children(t, lc), 1, "the create was recognised, not repeated")
	resign(t, term)
	assert.Empty(t, children(t, lc))
}

func TestIntegration_Election_ObserveAcrossSessionLoss(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	oc, od := g.faulty(time.Second)
	obs := zktest.Must(election.New(oc, electionPath)).Observe(ctx)
	a := zktest.Must(election.New(g.client(), electionPath, election.WithID("a")))
	b := zktest.Must(election.New(g.client(), electionPath, election.WithID("b")))
	assert.Equal(t, election.Participant{}, nextLeader(t, obs))
	ta, err := a.Campaign(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a", nextLeader(t, obs).ID)
	oldSess := oc.Session()
	old := oldSess.ID()

	od.Blackhole()
	ch := campaignAsync(ctx, b)
	waitParticipants(t, a, "a", "b")
	resign(t, ta)
	r := await(t, ch, 10*time.Second)
	require.NoError(t, r.err)
	// Heal only once the session is gone: a client that reconnects
	// within the session timeout keeps its session.
	select {
	case <-oldSess.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the partitioned observer's session was not lost")
	}
	od.Heal()
	waitNewSession(t, oc, old)
	assert.Equal(t, "b", nextLeader(t, obs).ID, "the observer catches up on its new session")
	resign(t, r.term)
	assert.Equal(t, election.Participant{}, nextLeader(t, obs))
}

func TestIntegration_Election_EnsembleRestarts(t *testing.T) {
	zktest.SkipIfShort(t)
	ens := zktest.NewEnsemble(t, 3)
	ns := zktest.Namespace(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		tl   timeline
		mu   sync.Mutex
		runs int
		wg   sync.WaitGroup
		rets = make(chan error, 3)
	)
	job := func(id string) func(context.Context) error {
		return func(jctx context.Context) error {
			tl.begin(id, time.Now(), jctx)
			mu.Lock()
			runs++
			mu.Unlock()
			select { // a short unit of work, or until the term ends
			case <-jctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
			return nil
		}
	}
	var admin *zkrecipes.Client
	for i := range 3 {
		c := zktest.ClientAt(t, ens.Addrs(), ns, zkrecipes.WithSessionTimeout(6*time.Second))
		admin = c
		id := fmt.Sprintf("p%d", i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			rets <- election.Run(ctx, c, electionPath, job(id), election.WithID(id))
		}()
	}
	progress := func(what string) {
		mu.Lock()
		from := runs
		mu.Unlock()
		require.Eventually(t, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return runs >= from+5
		}, 60*time.Second, 10*time.Millisecond, "no leadership progress %s", what)
	}
	progress("at start")
	for i := range 3 {
		require.NoError(t, ens.Server(i).Stop())
		progress(fmt.Sprintf("with server %d down", i))
		require.NoError(t, ens.Server(i).Restart())
		progress(fmt.Sprintf("after server %d restarted", i))
	}
	cancel()
	wg.Wait()
	close(rets)
	for err := range rets {
		assert.ErrorIs(t, err, context.Canceled)
	}
	tl.assertNoOverlap(t)
	t.Logf("%d terms", tl.count())
	require.Eventually(t, func() bool { return len(children(t, admin)) == 0 }, 10*time.Second, 10*time.Millisecond,
		"no node left behind")
}
