package election_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/internal/curatortest"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// javaPeer is a Java program of testdata (a Curator LeaderLatch or
// LeaderSelectors) driven over stdin.
type javaPeer struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}

	mu     sync.Mutex
	leader bool       // LeaderLatch: isLeader was the last callback
	terms  []interval // LeaderSelector: every finished term
}

// startLatchPeer starts a Curator LeaderLatch (testdata/LatchPeer.java).
func startLatchPeer(t *testing.T, servers []string, path, id string) *javaPeer {
	jvm := curatortest.Compile(t, "testdata/LatchPeer.java")
	return startPeer(t, jvm.Command("LatchPeer", strings.Join(servers, ","), path, id))
}

func startPeer(t *testing.T, cmd *exec.Cmd) *javaPeer {
	t.Helper()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &javaPeer{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 100), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			if p.record(line) {
				continue
			}
			p.lines <- line
		}
	}()
	t.Cleanup(p.stop)
	p.expect("READY")
	return p
}

// record notes the peer's leadership from line, and reports whether the
// line is a term report, which is kept here rather than sent to expect.
func (p *javaPeer) record(line string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch line {
	case "LEADER":
		p.leader = true
	case "NOTLEADER", "CLOSED":
		p.leader = false
	}
	var id string
	var start, end int64
	if _, err := fmt.Sscanf(line, "TERM %s %d %d", &id, &start, &end); err != nil {
		return false
	}
	p.terms = append(p.terms, interval{who: id, start: time.UnixMicro(start), end: time.UnixMicro(end)})
	return true
}

// finished returns the terms the peer has reported.
func (p *javaPeer) finished() []interval {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]interval(nil), p.terms...)
}

func (p *javaPeer) stop() {
	_ = p.stdin.Close() // the peers exit at the end of their input
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	_ = p.cmd.Wait()
}

func (p *javaPeer) send(cmd string) {
	p.t.Helper()
	_, err := fmt.Fprintln(p.stdin, cmd)
	require.NoError(p.t, err)
}

// expect returns the rest of the next line whose first word is word.
func (p *javaPeer) expect(word string) string {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			require.True(p.t, ok, "the Java peer exited while waiting for %s", word)
			if strings.HasPrefix(line, "ERROR") {
				p.t.Fatalf("Java peer: %s", line)
			}
			if first, rest, _ := strings.Cut(line, " "); first == word {
				return rest
			}
		case <-deadline:
			p.t.Fatalf("Java peer: no %s", word)
			return ""
		}
	}
}

func (p *javaPeer) isLeader() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leader
}

func (p *javaPeer) query(cmd, word string) string {
	p.t.Helper()
	p.send(cmd)
	return p.expect(word)
}

func TestIntegration_Election_CuratorLeaderLatchInterop(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	goA := zktest.Must(election.New(g.client(), electionPath, election.WithID("go-a")))
	goB := zktest.Must(election.New(g.client(), electionPath, election.WithID("go-b")))
	java := startLatchPeer(t, g.servers, g.ns+electionPath, "java-1")

	terms := map[string]*election.Term{}
	var tmu sync.Mutex
	setTerm := func(id string, term *election.Term) {
		tmu.Lock()
		defer tmu.Unlock()
		terms[id] = term
	}
	// exactlyOne waits until exactly one participant, want, believes it
	// leads, and Go's and Curator's views of the leader agree on it.
	exactlyOne := func(want string) {
		t.Helper()
		var believers []string
		ok := assert.Eventually(t, func() bool {
			believers = nil
			tmu.Lock()
			for id, term := range terms {
				if term != nil && term.Context().Err() == nil {
					believers = append(believers, id)
				}
			}
			tmu.Unlock()
			if java.isLeader() {
				believers = append(believers, "java-1")
			}
			return len(believers) == 1 && believers[0] == want
		}, 30*time.Second, 5*time.Millisecond)
		require.True(t, ok, "believers %v, want only %s", believers, want)
		l, err := goA.Leader(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, l.ID, "Go's view")
		assert.Equal(t, want, java.query("leader", "LEADERID"), "Curator's view")
	}

	ta, err := goA.Campaign(ctx)
	require.NoError(t, err)
	setTerm("go-a", ta)
	java.send("start")
	java.expect("STARTED")
	waitParticipants(t, goA, "go-a", "java-1")
	chB := campaignAsync(ctx, goB)
	waitParticipants(t, goA, "go-a", "java-1", "go-b")
	assert.Equal(t, "go-a,java-1,go-b", java.query("participants", "PARTICIPANTS"), "Curator lists Go participants in order")
	exactlyOne("go-a")

	// Go leader resigns: the Curator latch is next.
	resign(t, ta)
	java.expect("LEADER")
	exactlyOne("java-1")
	notYet(t, chB)

	// The Curator latch closes: the next Go participant leads.
	chA := campaignAsync(ctx, goA)
	waitParticipants(t, goA, "java-1", "go-b", "go-a")
	java.send("close")
	java.expect("CLOSED")
	rb := await(t, chB, 15*time.Second)
	require.NoError(t, rb.err)
	setTerm("go-b", rb.term)
	exactlyOne("go-b")

	// Curator joins again behind go-a; two more handovers.
	java.send("start")
	java.expect("STARTED")
	waitParticipants(t, goB, "go-b", "go-a", "java-1")
	resign(t, rb.term)
	ra := await(t, chA, 15*time.Second)
	require.NoError(t, ra.err)
	setTerm("go-a", ra.term)
	exactlyOne("go-a")
	resign(t, ra.term)
	java.expect("LEADER")
	exactlyOne("java-1")
	java.send("close")
	java.expect("CLOSED")
	waitParticipants(t, goA)
}

// Run and Curator's LeaderSelector (autoRequeue) at one path: one leader at
// a time, and leadership passes between Java and Go both ways. Each side
// records its terms with the wall clock of this machine: a Java term ends
// before its InterProcessMutex node is deleted, a Go term before Run
// resigns, so the next term must start after it ended.
func TestIntegration_Run_CuratorLeaderSelectorInterop(t *testing.T) {
	zktest.SkipIfShort(t)
	const hold = 10 * time.Millisecond
	const want = 3 // handovers each way, more than
	g := newGroup(t)
	jvm := curatortest.Compile(t, "testdata/SelectorPeer.java")
	java := startPeer(t, jvm.Command("SelectorPeer", strings.Join(g.servers, ","), g.ns+electionPath,
		fmt.Sprint(hold.Milliseconds()), "java-0", "java-1"))
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	var mu sync.Mutex
	var goTerms []interval
	var rets []<-chan error
	for i := range 2 {
		id := fmt.Sprintf("go-%d", i)
		rets = append(rets, runAsync(ctx, g.client(), func(jctx context.Context) error {
			start := time.Now()
			select {
			case <-time.After(hold):
			case <-jctx.Done():
			}
			mu.Lock()
			goTerms = append(goTerms, interval{who: id, start: start, end: time.Now()})
			mu.Unlock()
			return nil
		}, election.WithID(id)))
	}
	java.send("start")
	java.expect("STARTED")

	// Each side lists the other's participants, with the ids from the
	// nodes' data. Terms rotate meanwhile, so a requeueing participant may
	// be missing from one listing.
	all := []string{"go-0", "go-1", "java-0", "java-1"}
	viewer := zktest.Must(election.New(g.client(), electionPath))
	var goView, javaView []string
	ok := assert.Eventually(t, func() bool {
		ps, err := viewer.Participants(ctx)
		if err != nil {
			return false
		}
		goView = ids2(ps)
		slices.Sort(goView)
		return slices.Equal(goView, all)
	}, 20*time.Second, time.Millisecond)
	require.True(t, ok, "Go lists %v, want %v", goView, all)
	ok = assert.Eventually(t, func() bool {
		javaView = strings.Split(java.query("participants", "PARTICIPANTS"), ",")
		slices.Sort(javaView)
		return slices.Equal(javaView, all)
	}, 20*time.Second, time.Millisecond)
	require.True(t, ok, "Curator lists %v, want %v", javaView, all)

	allTerms := func() []interval {
		mu.Lock()
		defer mu.Unlock()
		terms := append(slices.Clone(goTerms), java.finished()...)
		slices.SortFunc(terms, func(a, b interval) int { return a.start.Compare(b.start) })
		return terms
	}
	ok = assert.Eventually(t, func() bool {
		toGo, toJava := handovers(allTerms())
		return toGo > want && toJava > want
	}, 60*time.Second, 5*time.Millisecond)
	toGo, toJava := handovers(allTerms())
	require.True(t, ok, "handovers: Java → Go %d, Go → Java %d; want more than %d each", toGo, toJava, want)
	java.send("close")
	java.expect("CLOSED")
	cancel()
	for _, ch := range rets {
		assert.ErrorIs(t, awaitRun(t, ch), context.Canceled)
	}

	terms := allTerms()
	for i := 1; i < len(terms); i++ {
		prev, next := terms[i-1], terms[i]
		assert.False(t, next.start.Before(prev.end), "two leaders: %s's term [%s, %s] overlaps %s's, from %s",
			prev.who, prev.start.Format("15:04:05.000000"), prev.end.Format("15:04:05.000000"),
			next.who, next.start.Format("15:04:05.000000"))
	}
	toGo, toJava = handovers(terms)
	t.Logf("%d terms; leadership passed Java → Go %d times, Go → Java %d times", len(terms), toGo, toJava)
	assert.Greater(t, toGo, want, "Java → Go handovers")
	assert.Greater(t, toJava, want, "Go → Java handovers")
	assert.Eventually(t, func() bool { return len(children(t, g.client())) == 0 }, 15*time.Second, 10*time.Millisecond,
		"nodes left behind")
}

// handovers counts the changes of side between consecutive terms.
func handovers(terms []interval) (toGo, toJava int) {
	for i := 1; i < len(terms); i++ {
		prev, next := terms[i-1].who, terms[i].who
		switch {
		case strings.HasPrefix(prev, "java") && strings.HasPrefix(next, "go"):
			toGo++
		case strings.HasPrefix(prev, "go") && strings.HasPrefix(next, "java"):
			toJava++
		}
	}
	return toGo, toJava
}
