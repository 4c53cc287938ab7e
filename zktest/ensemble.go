package zktest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Ensemble is a ZooKeeper quorum of processes on 127.0.0.1. Member i has
// myid i+1. Its methods are safe for concurrent use.
type Ensemble struct {
	dir     string
	servers []*Server

	mu     sync.Mutex
	closed bool
}

// StartEnsemble starts an n-member quorum (QuorumPeerMain, standaloneEnabled
// =false, so even n=1 runs as a quorum) on free client, peer and election
// ports, and waits until every member serves and one reports "Mode: leader".
func StartEnsemble(n int, opts ...Option) (*Ensemble, error) {
	if n < 1 {
		return nil, fmt.Errorf("zktest: ensemble size %d < 1", n)
	}
	cfg := newConfig(opts)
	if cfg.tls != nil {
		return nil, errors.New("zktest: WithTLS is for StartServer only")
	}
	rt, err := findRuntime()
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, InstallHint)
	}
	for attempt := 1; ; attempt++ {
		e, err := startEnsemble(rt, cfg, n)
		if err == nil {
			return e, nil
		}
		if !errors.Is(err, errAddrInUse) || attempt == startAttempts {
			return nil, err
		}
	}
}

func startEnsemble(rt javaRuntime, cfg config, n int) (*Ensemble, error) {
	root, err := os.MkdirTemp("", "zktest-ensemble-")
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	e := &Ensemble{dir: root}
	if err := e.start(rt, cfg, n); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *Ensemble) start(rt javaRuntime, cfg config, n int) error {
	ports, err := freePorts(3 * n)
	if err != nil {
		return err
	}
	quorum := make([]string, n)
	for i := range n {
		quorum[i] = fmt.Sprintf("server.%d=127.0.0.1:%d:%d", i+1, ports[3*i+1], ports[3*i+2])
	}
	for i := range n {
		dir := filepath.Join(e.dir, "member-"+strconv.Itoa(i+1))
		s := newServer(rt, cfg, mainQuorum, []string{"leader", "follower"}, dir, false, ports[3*i], defaultEnsembleStartTimeout)
		if err := s.prepare(quorum); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "data", "myid"), []byte(strconv.Itoa(i+1)+"\n"), 0o644); err != nil {
			return fmt.Errorf("zktest: %w", err)
		}
		e.servers = append(e.servers, s)
	}
	for _, s := range e.servers {
		s.mu.Lock()
		err := s.launchLocked()
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	timeout := cfg.startTimeout
	if timeout <= 0 {
		timeout = defaultEnsembleStartTimeout
	}
	deadline := time.Now().Add(timeout)
	for _, s := range e.servers {
		s.mu.Lock()
		p := s.proc
		s.mu.Unlock()
		if err := s.waitServing(p, deadline); err != nil {
			return err
		}
	}
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for e.Leader() < 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("zktest: ensemble has no leader after %v", timeout)
		}
		<-ticker.C
	}
	return nil
}

// Addrs returns the members' client addresses, in member order.
func (e *Ensemble) Addrs() []string {
	addrs := make([]string, len(e.servers))
	for i, s := range e.servers {
		addrs[i] = s.Addr()
	}
	return addrs
}

// Size returns the number of members.
func (e *Ensemble) Size() int { return len(e.servers) }

// Server returns member i (0-based). Stop, Restart and Addr work on it;
// Restart waits for "Mode: leader" or "Mode: follower".
func (e *Ensemble) Server(i int) *Server { return e.servers[i] }

// Leader returns the index of the member that reports "Mode: leader" to
// "srvr", or -1 if none does.
func (e *Ensemble) Leader() int {
	for i, s := range e.servers {
		if s.Mode() == "leader" {
			return i
		}
	}
	return -1
}

// Close stops every member and removes the ensemble's temporary directory.
// It is idempotent.
func (e *Ensemble) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	var wg sync.WaitGroup
	for _, s := range e.servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Close()
		}()
	}
	wg.Wait()
	if err := os.RemoveAll(e.dir); err != nil {
		return fmt.Errorf("zktest: %w", err)
	}
	return nil
}

// NewEnsemble starts an n-member ensemble for the test t: it calls t.Fatal
// if it cannot be started, closes it when the test ends, and logs the tail
// of every member's output if the test failed.
func NewEnsemble(t testing.TB, n int, opts ...Option) *Ensemble {
	t.Helper()
	e, err := StartEnsemble(n, opts...)
	if err != nil {
		t.Fatalf("zktest: cannot start ZooKeeper ensemble: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for i, s := range e.servers {
				t.Logf("zktest: tail of ensemble member %d (%s) output:\n%s", i, s.Addr(), s.LogTail(logTailLines))
			}
		}
		if err := e.Close(); err != nil {
			t.Errorf("zktest: closing ensemble: %v", err)
		}
	})
	return e
}
