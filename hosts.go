package zkrecipes

import (
	"math/rand/v2"
	"sync"
	"time"
)

// hostProvider hands go-zookeeper the servers to dial, replacing its
// DNSHostProvider for two reasons:
//   - Names stay as the caller gave them and are resolved when dialled, so
//     a connect string with one name that does not resolve yet (a pod of
//     the ensemble being restarted) connects to the others, and a dialer
//     sees the name a TLS certificate is checked against.
//   - go-zookeeper sleeps a whole second each time the provider says it has
//     been through every server, which with a single address (a VIP, a
//     Kubernetes Service, a standalone server) is every reconnection. Ours
//     never asks for that sleep while the generation lives: the first pass
//     after a connection is immediate, and later passes wait a short,
//     jittered, capped backoff, so a down ensemble is not hammered either.
//
// Next runs on go-zookeeper's connection goroutine; its wait ends at once
// when the generation is retired.
type hostProvider struct {
	g       *generation
	servers []string

	mu       sync.Mutex
	next     int // index of the server to dial next
	attempts int // dials since the last established connection
}

// Backoff between passes over the servers once a whole pass has failed.
const (
	redialBase = 10 * time.Millisecond
	redialMax  = time.Second
)

func (h *hostProvider) Init(servers []string) error {
	h.servers = servers
	return nil
}

func (h *hostProvider) Len() int { return len(h.servers) }

// Next returns the next server. It reports retryStart (go-zookeeper then
// fails queued requests and waits for Close or a second) only once the
// generation is retired, so that go-zookeeper's loop notices Close rather
// than spinning on dials that the generation's dialer refuses.
func (h *hostProvider) Next() (string, bool) {
	h.mu.Lock()
	s := h.servers[h.next]
	h.next = (h.next + 1) % len(h.servers)
	wait := h.delayLocked()
	h.attempts++
	h.mu.Unlock()
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-h.g.retired:
			t.Stop()
		}
	}
	return s, h.g.noDial.Load()
}

// delayLocked is the wait before the next dial: none during the first pass
// over the servers since the last connection, then exponential from
// redialBase to redialMax with full jitter.
func (h *hostProvider) delayLocked() time.Duration {
	pass := h.attempts / len(h.servers)
	if pass == 0 {
		return 0
	}
	d := redialMax
	if pass < 8 && redialBase<<(pass-1) < redialMax {
		d = redialBase << (pass - 1)
	}
	return d/2 + rand.N(d/2+1)
}

// Connected is called by go-zookeeper once a session handshake succeeded.
func (h *hostProvider) Connected() {
	h.mu.Lock()
	h.attempts = 0
	h.mu.Unlock()
}
