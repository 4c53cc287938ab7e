package queue

import (
	"context"
	"errors"
	"fmt"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
)

// idleAfter is how long a consumer stays registered after its last Take
// ended and its last message was settled.
const idleAfter = 2 * time.Second

// registration tracks this Queue's consumer node: an ephemeral node under
// consumers/ named after the session. It exists while the Queue takes or
// holds messages (and idleAfter longer): waiting consumers watch the
// directory to learn that a session's claims are gone, and split new
// messages among the registered consumers (see partition). mu also
// serialises creating and deleting the node.
type registration struct {
	mu     sync.Mutex
	s      *zkrecipes.Session // the session whose node exists, or nil
	active int                // Takes in progress plus messages held
	idle   *time.Timer
}

// register returns the client's current session after making sure it has
// its consumer node.
func (q *Queue) register(ctx context.Context) (*zkrecipes.Session, error) {
	if err := q.ensure(ctx); err != nil {
		return nil, err
	}
	s, err := q.c.WaitSession(ctx)
	if err != nil {
		return nil, err
	}
	q.reg.mu.Lock()
	defer q.reg.mu.Unlock()
	if q.reg.s == s {
		return s, nil
	}
	_, err = s.Create(ctx, q.l.consumer(s.ID()), nil, zkrecipes.Ephemeral, zkrecipes.WithNodeACL(q.o.acl))
	if errors.Is(err, zk.ErrNoNode) {
		q.ensured.Store(false) // the queue was deleted under us
	}
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return nil, fmt.Errorf("queue: register consumer: %w", err)
	}
	q.reg.s = s
	return s, nil
}

// registered returns the session whose consumer node we created, if any.
func (q *Queue) registered() *zkrecipes.Session {
	q.reg.mu.Lock()
	defer q.reg.mu.Unlock()
	return q.reg.s
}

// enter and leave count Takes in progress and messages held.
func (q *Queue) enter() {
	q.reg.mu.Lock()
	q.reg.active++
	if q.reg.idle != nil {
		q.reg.idle.Stop()
		q.reg.idle = nil
	}
	q.reg.mu.Unlock()
}

func (q *Queue) leave() {
	q.reg.mu.Lock()
	defer q.reg.mu.Unlock()
	q.reg.active--
	if q.reg.active == 0 && q.reg.s != nil {
		q.reg.idle = time.AfterFunc(idleAfter, func() { seam.Go(q.c, q.unregister) })
	}
}

// unregister deletes the consumer node of a Queue that stayed idle, so
// that other consumers stop leaving it a share of new messages.
func (q *Queue) unregister(life context.Context) {
	q.reg.mu.Lock()
	defer q.reg.mu.Unlock()
	s := q.reg.s
	if q.reg.active > 0 || s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(life, cleanupHorizon(q.c))
	defer cancel()
	if err := cleanup.Delete(ctx, s, q.l.consumer(s.ID())); err != nil {
		q.c.Logger().Debug("queue: unregister idle consumer", "err", err)
		return
	}
	q.reg.s = nil
}
