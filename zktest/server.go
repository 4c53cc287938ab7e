package zktest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults for servers started by this package.
const (
	DefaultTickTime = 100 * time.Millisecond
	// MinSessionTimeout and MaxSessionTimeout are written to every zoo.cfg,
	// so clients may ask for any session timeout in between.
	MinSessionTimeout = 200 * time.Millisecond
	MaxSessionTimeout = 60 * time.Second

	defaultStartTimeout         = 30 * time.Second
	defaultEnsembleStartTimeout = 60 * time.Second
	pollInterval                = 50 * time.Millisecond
	fourLetterTimeout           = 2 * time.Second
	logTailLines                = 40
	startAttempts               = 3 // fresh ports are tried when a port was taken meanwhile
)

const (
	mainStandalone = "org.apache.zookeeper.server.ZooKeeperServerMain"
	mainQuorum     = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
)

// Option configures servers started by StartServer and StartEnsemble.
type Option func(*config)

type config struct {
	tickTime     time.Duration
	extra        []string
	logOutput    io.Writer
	startTimeout time.Duration
	tls          *TLS // nil: no secure client port
}

func newConfig(opts []Option) config {
	c := config{tickTime: DefaultTickTime}
	for _, o := range opts {
		o(&c)
	}
	if c.tickTime < time.Millisecond {
		c.tickTime = DefaultTickTime
	}
	return c
}

// WithTickTime sets ZooKeeper's tickTime (default 100ms). The server's
// minSessionTimeout/maxSessionTimeout are fixed at 200ms/60s regardless.
func WithTickTime(d time.Duration) Option { return func(c *config) { c.tickTime = d } }

// WithExtraConfig appends lines to zoo.cfg, e.g. "forceSync=no". Later lines
// override earlier ones, so these can replace any default setting.
func WithExtraConfig(lines ...string) Option {
	return func(c *config) { c.extra = append(c.extra, lines...) }
}

// WithLogOutput sends the server's stdout and stderr to w instead of a log
// file in the server's temporary directory (LogTail still works, from an
// in-memory copy). w is written to from other goroutines until the server
// stops; the members of an ensemble write to it concurrently, so it must be
// safe for concurrent use there.
func WithLogOutput(w io.Writer) Option { return func(c *config) { c.logOutput = w } }

// WithStartTimeout bounds how long StartServer, StartEnsemble and Restart
// wait for a server to serve (default 30s for a server, 60s for an ensemble).
func WithStartTimeout(d time.Duration) Option { return func(c *config) { c.startTimeout = d } }

// Server is a ZooKeeper server process (standalone, or an ensemble member)
// listening on 127.0.0.1. Its methods are safe for concurrent use.
type Server struct {
	rt        javaRuntime
	cfg       config
	mainClass string
	modes     []string // srvr modes that count as serving
	dir       string   // holds zoo.cfg, data/ and the log file
	ownsDir   bool     // Close removes dir
	cfgPath   string
	logPath   string // "" when WithLogOutput was given
	tail      *tailBuffer
	port      int
	addr      string
	secure    string // secure client address, "" without TLS
	timeout   time.Duration

	mu     sync.Mutex // serialises Stop/Restart/Close
	proc   *process   // nil while stopped
	closed bool
}

type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	err  error         // Wait's result; read only after done is closed
}

// StartServer starts a standalone ZooKeeper server on a free 127.0.0.1 port
// with a fresh temporary directory, and waits until it serves ("srvr"
// reports "Mode: standalone"). Close it when done.
func StartServer(opts ...Option) (*Server, error) {
	cfg := newConfig(opts)
	rt, err := findRuntime()
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, InstallHint)
	}
	for attempt := 1; ; attempt++ {
		s, err := startStandalone(rt, cfg)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errAddrInUse) || attempt == startAttempts {
			return nil, err
		}
	}
}

func startStandalone(rt javaRuntime, cfg config) (*Server, error) {
	dir, err := os.MkdirTemp("", "zktest-")
	if err != nil {
		return nil, fmt.Errorf("zktest: %w", err)
	}
	n := 1
	if cfg.tls != nil {
		n = 2
	}
	ports, err := freePorts(n)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := newServer(rt, cfg, mainStandalone, []string{"standalone"}, dir, true, ports[0], defaultStartTimeout)
	var tlsLines []string
	if cfg.tls != nil {
		s.secure = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1]))
		tlsLines, err = cfg.tls.lines(dir, ports[1])
	}
	if err == nil {
		err = s.prepare(tlsLines)
	}
	if err == nil {
		s.mu.Lock()
		err = s.startLocked()
		s.mu.Unlock()
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func newServer(rt javaRuntime, cfg config, mainClass string, modes []string, dir string, ownsDir bool, port int, defTimeout time.Duration) *Server {
	s := &Server{
		rt:        rt,
		cfg:       cfg,
		mainClass: mainClass,
		modes:     modes,
		dir:       dir,
		ownsDir:   ownsDir,
		cfgPath:   filepath.Join(dir, "zoo.cfg"),
		port:      port,
		addr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		timeout:   cfg.startTimeout,
	}
	if s.timeout <= 0 {
		s.timeout = defTimeout
	}
	if cfg.logOutput == nil {
		s.logPath = filepath.Join(dir, "zookeeper.log")
	} else {
		s.tail = &tailBuffer{max: 64 << 10}
	}
	return s
}

// prepare writes data/ and zoo.cfg. more holds the server.N lines of an
// ensemble member, or a standalone server's TLS lines.
func (s *Server) prepare(more []string) error {
	dataDir := filepath.Join(s.dir, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("zktest: %w", err)
	}
	tick := int(s.cfg.tickTime / time.Millisecond)
	lines := []string{
		"tickTime=" + strconv.Itoa(tick),
		"minSessionTimeout=" + strconv.Itoa(int(MinSessionTimeout/time.Millisecond)),
		"maxSessionTimeout=" + strconv.Itoa(int(MaxSessionTimeout/time.Millisecond)),
		"dataDir=" + dataDir,
		"clientPort=" + strconv.Itoa(s.port),
		"clientPortAddress=127.0.0.1",
		"maxClientCnxns=0",
		"admin.enableServer=false",
		"4lw.commands.whitelist=*",
		"extendedTypesEnabled=true",
	}
	if s.mainClass == mainQuorum {
		lines = append(lines,
			// Generous limits in wall-clock terms (20s to connect and sync,
			// 5s of follower lag) whatever the tick time is.
			"initLimit="+strconv.Itoa(max(10, ceilDiv(20*time.Second, s.cfg.tickTime))),
			"syncLimit="+strconv.Itoa(max(5, ceilDiv(5*time.Second, s.cfg.tickTime))),
			"standaloneEnabled=false",
			"reconfigEnabled=false",
		)
	}
	lines = append(lines, more...)
	lines = append(lines, s.cfg.extra...)
	if err := os.WriteFile(s.cfgPath, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("zktest: %w", err)
	}
	return nil
}

func ceilDiv(a, b time.Duration) int { return int((a + b - 1) / b) }

// Addr returns the client address, "127.0.0.1:PORT". It stays the same
// across Stop and Restart.
func (s *Server) Addr() string { return s.addr }

// SecureAddr returns the TLS client address, "127.0.0.1:PORT", of a
// server started with WithTLS, and "" otherwise. Like Addr it stays the
// same across Stop and Restart. Clients verifying the server's host name
// dial it as "localhost:PORT" for a certificate issued to localhost.
func (s *Server) SecureAddr() string { return s.secure }

// Dir returns the server's directory (zoo.cfg, data/, and the log file
// unless WithLogOutput was used).
func (s *Server) Dir() string { return s.dir }

// Stop kills the server process (SIGKILL, like a crash) and waits for it to
// exit. The data directory is kept, so Restart brings back the same data
// and sessions. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked()
	return nil
}

// Restart starts the server again on the same port and data directory
// (stopping it first if it is running) and waits until it serves: "Mode:
// standalone" for a standalone server, "Mode: leader" or "Mode: follower"
// for an ensemble member (which needs a quorum of running members). If it
// does not serve in time it is left running and an error is returned.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("zktest: Restart of a closed server")
	}
	s.stopLocked()
	return s.startLocked()
}

// RestartNoWait is Restart without waiting for the server to serve; use
// WaitServing to wait. It is useful to bring back several ensemble members
// when no quorum is running.
func (s *Server) RestartNoWait() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("zktest: Restart of a closed server")
	}
	s.stopLocked()
	return s.launchLocked()
}

// WaitServing waits up to timeout (the start timeout if timeout <= 0) until
// the running server serves.
func (s *Server) WaitServing(timeout time.Duration) error {
	s.mu.Lock()
	p := s.proc
	s.mu.Unlock()
	if p == nil {
		return fmt.Errorf("zktest: server %s is not running", s.addr)
	}
	if timeout <= 0 {
		timeout = s.timeout
	}
	return s.waitServing(p, time.Now().Add(timeout))
}

// Close stops the server and removes its temporary directory. It is
// idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.stopLocked()
	if s.ownsDir {
		if err := os.RemoveAll(s.dir); err != nil {
			return fmt.Errorf("zktest: %w", err)
		}
	}
	return nil
}

// Running reports whether the server process is running (it may not be
// serving yet).
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return false
	}
	select {
	case <-s.proc.done:
		return false
	default:
		return true
	}
}

// Mode returns the server's mode as reported by the "srvr" four-letter
// word ("standalone", "leader", "follower", ...), or "" if it does not
// answer or is not serving.
func (s *Server) Mode() string {
	out, err := FourLetterWord(s.addr, "srvr", fourLetterTimeout)
	if err != nil {
		return ""
	}
	return parseMode(out)
}

// FourLetterWord sends a four-letter-word command ("srvr", "stat", "cons",
// "dump", "wchs", ...) to the server and returns its answer.
func (s *Server) FourLetterWord(word string) (string, error) {
	return FourLetterWord(s.addr, word, fourLetterTimeout)
}

// LogTail returns about the last n lines of the server's output (from the
// log file, or from a buffer of what was sent to the WithLogOutput writer).
func (s *Server) LogTail(n int) string {
	var data []byte
	if s.logPath != "" {
		data = readTail(s.logPath, 256<<10)
	} else {
		data = s.tail.bytes()
	}
	return lastLines(string(data), n)
}

func (s *Server) startLocked() error {
	if err := s.launchLocked(); err != nil {
		return err
	}
	return s.waitServing(s.proc, time.Now().Add(s.timeout))
}

func (s *Server) launchLocked() error {
	var out io.Writer
	var logFile *os.File
	if s.logPath != "" {
		f, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("zktest: %w", err)
		}
		logFile, out = f, f
	} else {
		out = io.MultiWriter(s.cfg.logOutput, s.tail)
	}
	cmd := s.rt.command(s.mainClass, s.dir, s.cfgPath)
	cmd.Stdout = out
	cmd.Stderr = out
	fmt.Fprintf(out, "=== zktest %s: starting ZooKeeper on %s: %s\n",
		time.Now().Format(time.RFC3339Nano), s.addr, strings.Join(cmd.Args, " "))
	if err := cmd.Start(); err != nil {
		if logFile != nil {
			logFile.Close()
		}
		return fmt.Errorf("zktest: starting %s: %w\n%s", s.rt.java, err, InstallHint)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		if logFile != nil {
			logFile.Close()
		}
		close(p.done)
	}()
	s.proc = p
	return nil
}

func (s *Server) stopLocked() {
	p := s.proc
	if p == nil {
		return
	}
	s.proc = nil
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// errAddrInUse marks a start failure caused by a port taken meanwhile.
var errAddrInUse = errors.New("address already in use")

func (s *Server) waitServing(p *process, deadline time.Time) error {
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	last := ""
	for {
		out, err := FourLetterWord(s.addr, "srvr", fourLetterTimeout)
		if err == nil {
			last = out
			mode := parseMode(out)
			for _, m := range s.modes {
				if mode == m {
					return nil
				}
			}
		} else {
			last = err.Error()
		}
		select {
		case <-p.done:
			tail := s.LogTail(logTailLines)
			err := fmt.Errorf("zktest: ZooKeeper (%s) exited during start-up: %v; log tail:\n%s", s.addr, p.err, tail)
			if strings.Contains(tail, "Address already in use") {
				err = fmt.Errorf("%w (%w)", err, errAddrInUse)
			}
			return err
		case <-ticker.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("zktest: ZooKeeper (%s) not serving as %s after %v (last srvr: %q); log tail:\n%s",
				s.addr, strings.Join(s.modes, "|"), s.timeout, strings.TrimSpace(last), s.LogTail(logTailLines))
		}
	}
}

// FourLetterWord sends a four-letter-word command to the ZooKeeper server at
// addr and returns the whole answer.
func FourLetterWord(addr, word string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, word); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return string(b), err
	}
	return string(b), nil
}

func parseMode(srvr string) string {
	for _, line := range strings.Split(srvr, "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(line), "Mode:"); ok {
			return strings.TrimSpace(m)
		}
	}
	return ""
}

// freePorts returns n distinct free TCP ports on 127.0.0.1 (never 2181,
// ZooKeeper's well-known port, which may belong to someone else's server).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("zktest: finding a free port: %w", err)
		}
		ls = append(ls, l)
		port := l.Addr().(*net.TCPAddr).Port
		if port == 2181 {
			continue
		}
		ports = append(ports, port)
	}
	return ports, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return bytes.Clone(t.buf)
}

func readTail(path string, maxBytes int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return []byte(fmt.Sprintf("(no log: %v)", err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > maxBytes {
		if _, err := f.Seek(fi.Size()-maxBytes, io.SeekStart); err != nil {
			return nil
		}
	}
	b, _ := io.ReadAll(f)
	return b
}

func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if n <= 0 {
		return ""
	}
	idx := len(s)
	for i := 0; i < n; i++ {
		j := strings.LastIndexByte(s[:idx], '\n')
		if j < 0 {
			return s
		}
		idx = j
	}
	return s[idx+1:]
}

// NewServer starts a standalone server for the test t: it calls t.Fatal if
// the server cannot be started, closes it when the test ends, and logs the
// tail of the server's output if the test failed.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := StartServer(opts...)
	if err != nil {
		t.Fatalf("zktest: cannot start ZooKeeper: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("zktest: tail of ZooKeeper %s output:\n%s", s.Addr(), s.LogTail(logTailLines))
		}
		if err := s.Close(); err != nil {
			t.Errorf("zktest: closing server: %v", err)
		}
	})
	return s
}
