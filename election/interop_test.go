package election_test

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkrecipes/zkrecipes/election"
	"github.com/zkrecipes/zkrecipes/zktest"
)

// Debian's Curator 5.4 jars; their manifests pull in ZooKeeper and Guava.
var curatorJars = []string{
	"/usr/share/java/curator-recipes.jar",
	"/usr/share/java/curator-framework.jar",
	"/usr/share/java/curator-client.jar",
	"/usr/share/java/slf4j-nop.jar",
}

const curatorHint = "the interop test needs a JDK and Curator 5.4: " +
	"apt-get install -y default-jdk-headless libcurator-recipes-java libcurator-framework-java libslf4j-java"

// latchPeer is a Curator LeaderLatch in a JVM, driven over stdin.
type latchPeer struct {
	t     *testing.T
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	done  chan struct{}

	mu     sync.Mutex
	leader bool
}

func startLatchPeer(t *testing.T, servers []string, path, id string) *latchPeer {
	t.Helper()
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Fatalf("no javac: %v; %s", err, curatorHint)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Fatalf("no java: %v; %s", err, curatorHint)
	}
	for _, j := range curatorJars {
		if _, err := os.Stat(j); err != nil {
			t.Fatalf("missing %s; %s", j, curatorHint)
		}
	}
	cp := strings.Join(curatorJars, string(os.PathListSeparator))
	dir := t.TempDir()
	out, err := exec.Command(javac, "-cp", cp, "-d", dir, filepath.Join("testdata", "LatchPeer.java")).CombinedOutput()
	require.NoError(t, err, "javac: %s", out)

	cmd := exec.Command(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", dir+string(os.PathListSeparator)+cp,
		"LatchPeer", strings.Join(servers, ","), path, id)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &latchPeer{t: t, cmd: cmd, stdin: stdin, lines: make(chan string, 100), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			switch line {
			case "LEADER":
				p.leader = true
			case "NOTLEADER", "CLOSED":
				p.leader = false
			}
			p.mu.Unlock()
			p.lines <- line
		}
	}()
	t.Cleanup(p.stop)
	p.expect("READY")
	return p
}

func (p *latchPeer) stop() {
	_ = p.stdin.Close() // LatchPeer exits at the end of its input
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	_ = p.cmd.Wait()
}

func (p *latchPeer) send(cmd string) {
	p.t.Helper()
	_, err := fmt.Fprintln(p.stdin, cmd)
	require.NoError(p.t, err)
}

// expect returns the rest of the next line whose first word is word.
func (p *latchPeer) expect(word string) string {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-p.lines:
			require.True(p.t, ok, "LatchPeer exited while waiting for %s", word)
			if strings.HasPrefix(line, "ERROR") {
				p.t.Fatalf("LatchPeer: %s", line)
			}
			if first, rest, _ := strings.Cut(line, " "); first == word {
				return rest
			}
		case <-deadline:
			p.t.Fatalf("LatchPeer: no %s", word)
			return ""
		}
	}
}

func (p *latchPeer) isLeader() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leader
}

func (p *latchPeer) query(cmd, word string) string {
	p.t.Helper()
	p.send(cmd)
	return p.expect(word)
}

func TestIntegration_Election_CuratorLeaderLatchInterop(t *testing.T) {
	zktest.SkipIfShort(t)
	g := newGroup(t)
	ctx := t.Context()
	goA := election.New(g.client(), electionPath, election.WithID("go-a"))
	goB := election.New(g.client(), electionPath, election.WithID("go-b"))
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
