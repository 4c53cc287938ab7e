package election_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// logBuffer collects a client's log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Contains(l.b.String(), s)
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// runAsync runs election.Run and delivers its result.
func runAsync(ctx context.Context, c *zkrecipes.Client, job func(context.Context) error, opts ...election.Option) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- election.Run(ctx, c, electionPath, job, opts...) }()
	return ch
}

func awaitRun(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

func TestIntegration_Run_SingletonRotation(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var (
		tl     timeline
		mu     sync.Mutex
		counts = map[string]int{}
	)
	var rets []<-chan error
	for i := range 3 {
		id := fmt.Sprintf("p%d", i)
		rets = append(rets, runAsync(ctx, g.client(), func(jctx context.Context) error {
			tl.begin(id, time.Now(), jctx)
			mu.Lock()
			counts[id]++
			mu.Unlock()
			select { // a short job
			case <-jctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
			return nil
		}, election.WithID(id)))
	}
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return counts["p0"] >= 3 && counts["p1"] >= 3 && counts["p2"] >= 3
	}, 30*time.Second, 5*time.Millisecond, "every participant leads in turn")
	cancel()
	for _, ch := range rets {
		assert.ErrorIs(t, awaitRun(t, ch), context.Canceled)
	}
	tl.assertNoOverlap(t)
	assert.Empty(t, children(t, g.client()), "no node left behind")
}

func TestIntegration_Run_RestartsJobAfterLoss(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// go-zookeeper waits a second before redialling its only server, so
	// the session must outlive that for a cut to keep it.
	c, d := g.faulty(3 * time.Second)
	type start struct {
		session int64
		ctx     context.Context
	}
	starts := make(chan start, 10)
	ret := runAsync(ctx, c, func(jctx context.Context) error {
		starts <- start{c.Session().ID(), jctx}
		<-jctx.Done()
		return jctx.Err()
	}, election.WithID("p"))
	next := func(what string) start {
		t.Helper()
		select {
		case s := <-starts:
			return s
		case <-time.After(20 * time.Second):
			t.Fatalf("job did not start %s", what)
			return start{}
		}
	}
	first := next("at first")

	d.Cut() // suspension: the term ends, Run resigns and campaigns again
	second := next("after a suspension")
	assert.ErrorIs(t, context.Cause(first.ctx), election.ErrLeadershipLost)
	assert.Equal(t, first.session, second.session, "same session after a short cut")

	d.Blackhole() // session loss
	<-second.ctx.Done()
	assert.ErrorIs(t, context.Cause(second.ctx), election.ErrLeadershipLost)
	require.Eventually(t, func() bool { return c.Session().ID() != second.session || c.Session().Err() != nil },
		10*time.Second, 10*time.Millisecond, "session lost")
	d.Heal()
	third := next("on a new session")
	assert.NotEqual(t, second.session, third.session)

	cancel()
	assert.ErrorIs(t, awaitRun(t, ret), context.Canceled)
	assert.ErrorIs(t, context.Cause(third.ctx), context.Canceled, "Run's ctx ends the job")
	assert.Empty(t, children(t, g.client()))
}

func TestIntegration_Run_JobIgnoringContextDoesNotBlockResignation(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var logs logBuffer
	ac, d := zktest.FaultyClientAt(t, g.servers, g.ns, zkrecipes.WithLogger(logs.logger()))

	release := make(chan struct{})
	aStarted := make(chan struct{}, 10)
	var aCalls int
	var aMu sync.Mutex
	aRet := runAsync(ctx, ac, func(context.Context) error {
		aMu.Lock()
		aCalls++
		first := aCalls == 1
		aMu.Unlock()
		aStarted <- struct{}{}
		if first {
			<-release // ignores its context
		}
		return nil
	}, election.WithID("a"), election.WithGracePeriod(100*time.Millisecond))
	select {
	case <-aStarted:
	case <-time.After(10 * time.Second):
		t.Fatal("a never led")
	}

	bStarted := make(chan struct{}, 10)
	bRet := runAsync(ctx, g.client(), func(jctx context.Context) error {
		bStarted <- struct{}{}
		<-jctx.Done()
		return nil
	}, election.WithID("b"))
	obs := zktest.Must(election.New(g.client(), electionPath))
	waitParticipants(t, obs, "a", "b")

	d.Cut() // a's term ends; its job keeps running
	select {
	case <-bStarted:
	case <-time.After(15 * time.Second):
		t.Fatal("a job ignoring its context blocked the resignation")
	}
	aMu.Lock()
	assert.Equal(t, 1, aCalls, "a does not start a second job while the first runs")
	aMu.Unlock()
	assert.True(t, logs.contains("job ignores its context"), "the stray job is logged")
	waitParticipants(t, obs, "b") // and a does not campaign while its job runs

	close(release)
	waitParticipants(t, obs, "b", "a") // a campaigns again once the job returned
	require.Eventually(t, func() bool { return logs.contains("job returned after its term") }, 5*time.Second, 5*time.Millisecond)

	cancel()
	assert.ErrorIs(t, awaitRun(t, aRet), context.Canceled)
	assert.ErrorIs(t, awaitRun(t, bRet), context.Canceled)
}

func TestIntegration_Run_JobErrorRequeues(t *testing.T) {
	zktest.SkipIfShort(t)
	var logs logBuffer
	c := zktest.Client(t, zkrecipes.WithLogger(logs.logger()))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	calls := make(chan struct{}, 10)
	ret := runAsync(ctx, c, func(context.Context) error {
		calls <- struct{}{}
		if len(calls) >= 3 {
			cancel()
		}
		return errors.New("boom")
	}, election.WithID("p"))
	assert.ErrorIs(t, awaitRun(t, ret), context.Canceled)
	assert.GreaterOrEqual(t, len(calls), 3, "the job runs again after an error")
	assert.True(t, logs.contains("boom"), "job errors are logged")
}

func TestIntegration_Run_ReturnsWhenClientCloses(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	c := g.client()
	started := make(chan struct{}, 1)
	ret := runAsync(ctx, c, func(jctx context.Context) error {
		started <- struct{}{}
		<-jctx.Done()
		return nil
	})
	<-started
	c.Close()
	assert.ErrorIs(t, awaitRun(t, ret), zkrecipes.ErrClosed)
	_, err := zktest.Must(election.New(g.client(), electionPath)).Leader(ctx)
	assert.ErrorIs(t, err, election.ErrNoLeader)
}
