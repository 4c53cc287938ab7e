package election_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

const electionPath = "/election"

// group is several clients in one namespace, one per participant.
type group struct {
	t       *testing.T
	servers []string
	ns      string
}

func newGroup(t *testing.T) *group {
	return &group{t: t, servers: zktest.Servers(t), ns: zktest.Namespace(t)}
}

func (g *group) client(opts ...zkrecipes.Option) *zkrecipes.Client {
	return zktest.ClientAt(g.t, g.servers, g.ns, opts...)
}

// campaign runs Campaign on its own goroutine.
type result struct {
	term *election.Term
	err  error
	at   time.Time
}

func campaignAsync(ctx context.Context, e *election.Election) <-chan result {
	ch := make(chan result, 1)
	go func() {
		t, err := e.Campaign(ctx)
		ch <- result{t, err, time.Now()}
	}()
	return ch
}

func await(t *testing.T, ch <-chan result, within time.Duration) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("campaign did not return within %v", within)
		return result{}
	}
}

func notYet(t *testing.T, ch <-chan result) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("campaign returned early: %+v", r)
	default:
	}
}

// waitParticipants waits until the election lists exactly ids, in order.
func waitParticipants(t *testing.T, e *election.Election, ids ...string) {
	t.Helper()
	var last []string
	ok := assert.Eventually(t, func() bool {
		ps, err := e.Participants(context.Background())
		if err != nil {
			return false
		}
		last = ids2(ps)
		return fmt.Sprint(last) == fmt.Sprint(ids)
	}, 10*time.Second, 5*time.Millisecond)
	if !ok {
		t.Fatalf("participants %v, want %v", last, ids)
	}
}

func ids2(ps []election.Participant) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

func resign(t *testing.T, term *election.Term) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, term.Resign(ctx))
}

// timeline records leadership intervals as each participant saw them.
type timeline struct {
	mu  sync.Mutex
	ivs []interval
}

type interval struct {
	who        string
	start, end time.Time
}

// begin records a term that started at start; its end is recorded the
// moment the term's context is cancelled.
func (tl *timeline) begin(who string, start time.Time, ctx context.Context) {
	tl.mu.Lock()
	i := len(tl.ivs)
	tl.ivs = append(tl.ivs, interval{who: who, start: start})
	tl.mu.Unlock()
	context.AfterFunc(ctx, func() {
		tl.mu.Lock()
		tl.ivs[i].end = time.Now()
		tl.mu.Unlock()
	})
}

func (tl *timeline) count() int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return len(tl.ivs)
}

// assertNoOverlap checks that no two terms overlap; open terms end now.
func (tl *timeline) assertNoOverlap(t *testing.T) {
	t.Helper()
	tl.mu.Lock()
	ivs := append([]interval(nil), tl.ivs...)
	tl.mu.Unlock()
	now := time.Now()
	for i := range ivs {
		if ivs[i].end.IsZero() {
			ivs[i].end = now
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].start.Before(ivs[j].start) })
	for i := 1; i < len(ivs); i++ {
		assert.False(t, ivs[i].start.Before(ivs[i-1].end),
			"terms overlap: %s [%v] ends %v after %s's term [%v] started",
			ivs[i-1].who, ivs[i-1].start.Format("15:04:05.000"), ivs[i-1].end.Sub(ivs[i].start), ivs[i].who, ivs[i].start.Format("15:04:05.000"))
	}
}

// children lists the raw children of the election path.
func children(t *testing.T, c *zkrecipes.Client) []string {
	t.Helper()
	ch, _, err := c.Children(context.Background(), electionPath)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	require.NoError(t, err)
	return ch
}

func TestNew_NilClientPanics(t *testing.T) {
	assert.PanicsWithValue(t, "election: New: nil client", func() { _, _ = election.New(nil, electionPath) })
	assert.PanicsWithValue(t, "election: Run: nil client", func() {
		_ = election.Run(t.Context(), nil, electionPath, func(context.Context) error { return nil })
	})
}

func TestIntegration_Election_InvalidPath(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := t.Context()
	for _, p := range []string{"", "election", "/a//b", "/a/"} {
		_, err := election.New(c, p)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath, "path %q", p)
		err = election.Run(ctx, c, p, func(context.Context) error { return nil })
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath)
	}
	_, err := election.New(c, electionPath, election.WithGracePeriod(-time.Second))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument, "a negative grace period")
	assert.Empty(t, children(t, c), "nothing written")
	err = election.Run(ctx, c, electionPath, nil)
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
}

func TestIntegration_Election_FailoverOrder(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	var es []*election.Election
	for i := range 3 {
		es = append(es, zktest.Must(election.New(g.client(), electionPath, election.WithID(fmt.Sprintf("p%d", i)))))
	}
	t0, err := es[0].Campaign(ctx)
	require.NoError(t, err)
	waitParticipants(t, es[0], "p0")
	ch1 := campaignAsync(ctx, es[1])
	waitParticipants(t, es[0], "p0", "p1")
	ch2 := campaignAsync(ctx, es[2])
	waitParticipants(t, es[0], "p0", "p1", "p2")
	notYet(t, ch1)
	notYet(t, ch2)

	resign(t, t0)
	r1 := await(t, ch1, 10*time.Second)
	require.NoError(t, r1.err)
	notYet(t, ch2)
	assert.Greater(t, r1.term.Token(), t0.Token(), "tokens grow with every term")
	waitParticipants(t, es[2], "p1", "p2")

	resign(t, r1.term)
	r2 := await(t, ch2, 10*time.Second)
	require.NoError(t, r2.err)
	assert.Greater(t, r2.term.Token(), r1.term.Token())

	// The old leader re-joins at the back.
	ch0 := campaignAsync(ctx, es[0])
	waitParticipants(t, es[1], "p2", "p0")
	resign(t, r2.term)
	r0 := await(t, ch0, 10*time.Second)
	require.NoError(t, r0.err)
	assert.Greater(t, r0.term.Token(), r2.term.Token())
	resign(t, r0.term)
	assert.Empty(t, children(t, g.client()), "no node left behind")
}

func TestIntegration_Election_Resign(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := t.Context()
	e := zktest.Must(election.New(c, electionPath, election.WithID("solo")))
	term, err := e.Campaign(ctx)
	require.NoError(t, err)
	require.NoError(t, term.Context().Err())
	_, err = e.Campaign(ctx)
	require.ErrorIs(t, err, election.ErrCampaigning, "one term at a time")

	ok, _, err := c.Exists(ctx, term.Node())
	require.NoError(t, err)
	require.True(t, ok)
	resign(t, term)
	select {
	case <-term.Done():
	default:
		t.Fatal("term not done after Resign")
	}
	assert.ErrorIs(t, context.Cause(term.Context()), election.ErrResigned)
	ok, _, err = c.Exists(ctx, term.Node())
	require.NoError(t, err)
	assert.False(t, ok, "Resign deletes the node")
	_, err = e.Leader(ctx)
	assert.ErrorIs(t, err, election.ErrNoLeader)
	assert.NoError(t, term.Resign(ctx), "a second Resign is a no-op")

	again, err := e.Campaign(ctx)
	require.NoError(t, err, "campaign again after resigning")
	assert.Greater(t, again.Token(), term.Token())
	resign(t, again)
}

func TestIntegration_Election_IDs(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	host, err := os.Hostname()
	require.NoError(t, err)
	def := zktest.Must(election.New(g.client(), electionPath))
	assert.Equal(t, fmt.Sprintf("%s-%d", host, os.Getpid()), def.ID())
	named := zktest.Must(election.New(g.client(), electionPath, election.WithID("ünïcode id/with:chars")))

	_, err = def.Leader(ctx)
	require.ErrorIs(t, err, election.ErrNoLeader, "no election path yet")
	ps, err := def.Participants(ctx)
	require.NoError(t, err)
	assert.Empty(t, ps)

	t1, err := def.Campaign(ctx)
	require.NoError(t, err)
	ch := campaignAsync(ctx, named)
	waitParticipants(t, def, def.ID(), "ünïcode id/with:chars")
	leader, err := named.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, def.ID(), leader.ID)
	assert.Equal(t, t1.Token(), leader.Token)
	assert.Equal(t, t1.Node(), electionPath+"/"+leader.Node)
	assert.Contains(t, leader.Node, election.LatchPrefix)

	ps, err = named.Participants(ctx)
	require.NoError(t, err)
	require.Len(t, ps, 2)
	assert.Less(t, ps[0].Token, ps[1].Token)

	resign(t, t1)
	r := await(t, ch, 10*time.Second)
	require.NoError(t, r.err)
	leader, err = def.Leader(ctx)
	require.NoError(t, err)
	assert.Equal(t, "ünïcode id/with:chars", leader.ID)
	assert.Equal(t, r.term.Token(), leader.Token)
	resign(t, r.term)
}

func TestIntegration_Election_StrangersIgnored(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := t.Context()
	// A node that is not a participant, created before anyone campaigns.
	_, err := c.Create(ctx, electionPath+"/other", []byte("x"), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
	e := zktest.Must(election.New(c, electionPath, election.WithID("p")))
	term, err := e.Campaign(ctx)
	require.NoError(t, err)
	ps, err := e.Participants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"p"}, ids2(ps))
	resign(t, term)
	require.NoError(t, c.Delete(ctx, electionPath+"/other", -1))
}

func TestIntegration_Election_CancelWhileCampaigning(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	leader := zktest.Must(election.New(g.client(), electionPath, election.WithID("leader")))
	waiter := zktest.Must(election.New(g.client(), electionPath, election.WithID("waiter")))
	lt, err := leader.Campaign(ctx)
	require.NoError(t, err)

	cctx, cancel := context.WithCancel(ctx)
	ch := campaignAsync(cctx, waiter)
	waitParticipants(t, leader, "leader", "waiter")
	cancel()
	r := await(t, ch, 5*time.Second)
	require.ErrorIs(t, r.err, context.Canceled)
	ps, err := leader.Participants(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"leader"}, ids2(ps), "the cancelled campaign left no node")

	// A deadline works the same, and the waiter can campaign again later.
	dctx, dcancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer dcancel()
	_, err = waiter.Campaign(dctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	waitParticipants(t, leader, "leader")
	ch = campaignAsync(ctx, waiter)
	waitParticipants(t, leader, "leader", "waiter")
	require.NoError(t, lt.Context().Err(), "the leader is unaffected")
	resign(t, lt)
	r = await(t, ch, 10*time.Second)
	require.NoError(t, r.err)
	resign(t, r.term)
}

// A waiter whose node is deleted by someone else fails its Campaign with
// ErrNodeDeleted, the same name as lock's and barrier's.
func TestIntegration_Election_NodeDeletedWhileWaiting(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	admin := g.client()
	a := zktest.Must(election.New(g.client(), electionPath, election.WithID("a")))
	b := zktest.Must(election.New(g.client(), electionPath, election.WithID("b")))
	ta, err := a.Campaign(ctx)
	require.NoError(t, err)
	ch := campaignAsync(ctx, b)
	waitParticipants(t, a, "a", "b")
	ps, err := a.Participants(ctx)
	require.NoError(t, err)
	require.NoError(t, admin.Delete(ctx, electionPath+"/"+ps[1].Node, -1), "an operator deletes the waiter's node")
	resign(t, ta)
	r := await(t, ch, 10*time.Second)
	require.ErrorIs(t, r.err, election.ErrNodeDeleted)
}

func TestIntegration_Election_NodeDeletedEndsTerm(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	admin := g.client()
	a := zktest.Must(election.New(g.client(), electionPath, election.WithID("a")))
	b := zktest.Must(election.New(g.client(), electionPath, election.WithID("b")))
	ta, err := a.Campaign(ctx)
	require.NoError(t, err)
	ch := campaignAsync(ctx, b)
	waitParticipants(t, a, "a", "b")

	require.NoError(t, admin.Delete(ctx, ta.Node(), -1), "an operator deletes the leader's node")
	select {
	case <-ta.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("term did not end when its node was deleted")
	}
	assert.ErrorIs(t, context.Cause(ta.Context()), election.ErrLeadershipLost)
	assert.ErrorIs(t, context.Cause(ta.Context()), election.ErrNodeDeleted)
	r := await(t, ch, 10*time.Second)
	require.NoError(t, r.err)
	assert.NoError(t, ta.Resign(ctx), "resigning a term whose node is gone is fine")
	resign(t, r.term)
}

func TestIntegration_Election_ClientCloseEndsTerm(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	c := g.client()
	e := zktest.Must(election.New(c, electionPath, election.WithID("a")))
	term, err := e.Campaign(ctx)
	require.NoError(t, err)
	obs := e.Observe(ctx)
	c.Close()
	select {
	case <-term.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("term did not end at Close")
	}
	assert.ErrorIs(t, context.Cause(term.Context()), zkrecipes.ErrClosed)
	for range obs { //nolint:revive // drain until closed
	}
	assert.NoError(t, term.Resign(ctx))
	_, err = e.Campaign(ctx)
	assert.ErrorIs(t, err, zkrecipes.ErrClosed)
	other := zktest.Must(election.New(g.client(), electionPath))
	_, err = other.Leader(ctx)
	assert.ErrorIs(t, err, election.ErrNoLeader, "Close ended the session and its node")
}

// nextLeader reads the next observed value, failing after a deadline.
func nextLeader(t *testing.T, ch <-chan election.Participant) election.Participant {
	t.Helper()
	select {
	case p, ok := <-ch:
		require.True(t, ok, "observe channel closed")
		return p
	case <-time.After(10 * time.Second):
		t.Fatal("no leader change observed")
		return election.Participant{}
	}
}

func TestIntegration_Election_ObserveSequence(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	watcher := zktest.Must(election.New(g.client(), electionPath))
	octx, stop := context.WithCancel(ctx)
	obs := watcher.Observe(octx)
	assert.Equal(t, election.Participant{}, nextLeader(t, obs), "no leader (no election path) at first")

	a := zktest.Must(election.New(g.client(), electionPath, election.WithID("a")))
	b := zktest.Must(election.New(g.client(), electionPath, election.WithID("b")))
	ta, err := a.Campaign(ctx)
	require.NoError(t, err)
	p := nextLeader(t, obs)
	assert.Equal(t, "a", p.ID)
	assert.Equal(t, ta.Token(), p.Token)

	ch := campaignAsync(ctx, b)
	waitParticipants(t, a, "a", "b")
	resign(t, ta)
	assert.Equal(t, "b", nextLeader(t, obs).ID, "a waiter joining is not a change; a's resignation is")
	r := await(t, ch, 10*time.Second)
	require.NoError(t, r.err)
	resign(t, r.term)
	assert.Equal(t, election.Participant{}, nextLeader(t, obs), "no leader after the last resigns")

	// The election path is now an empty container; a new leader shows up.
	ta, err = a.Campaign(ctx)
	require.NoError(t, err)
	assert.Equal(t, "a", nextLeader(t, obs).ID)
	stop()
	for range obs { //nolint:revive // drain until closed
	}
	resign(t, ta)
}

func TestIntegration_Election_ObserveCoalesces(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	var es []*election.Election
	for i := range 4 {
		es = append(es, zktest.Must(election.New(g.client(), electionPath, election.WithID(fmt.Sprintf("p%d", i)))))
	}
	t0, err := es[0].Campaign(ctx)
	require.NoError(t, err)
	obs := es[0].Observe(ctx)
	assert.Equal(t, "p0", nextLeader(t, obs).ID)

	// Several leader changes while nobody reads: the client is not blocked,
	// and the reader then sees the newest leader only.
	term := t0
	for i := 1; i < 4; i++ {
		ch := campaignAsync(ctx, es[i])
		waitParticipants(t, es[0], fmt.Sprintf("p%d", i-1), fmt.Sprintf("p%d", i))
		resign(t, term)
		r := await(t, ch, 10*time.Second)
		require.NoError(t, r.err)
		term = r.term
	}
	require.Eventually(t, func() bool {
		select {
		case p := <-obs:
			if p.ID == "p3" {
				return true
			}
			t.Logf("intermediate value %q (the reader raced the observer)", p.ID)
		default:
		}
		return false
	}, 10*time.Second, 5*time.Millisecond)
	assert.Empty(t, obs, "nothing older is queued behind the latest leader")
	resign(t, term)
}
