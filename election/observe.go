package election

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/retry"
	"github.com/zkrecipes/zkrecipes/internal/seam"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Observe streams the leader: the current one first, then each change. A
// zero Participant (empty Node) means there is no leader. The channel holds
// only the latest value: a slow reader skips intermediate leaders but never
// misses the newest one, and never blocks the client or anyone else. The
// channel is closed when ctx is done or the client is closed. Observe
// starts one client-owned goroutine, which survives suspensions and session
// losses (it watches again from the next session) and ends with ctx.
//
// While there is a leader Observe watches only the leader's node: nodes are
// created in sequence order, so the leader changes only when its node is
// deleted. With no leader it watches the election path's children.
func (e *Election) Observe(ctx context.Context) <-chan Participant {
	out := make(chan Participant, 1)
	started := seam.Go(e.c, func(life context.Context) {
		defer close(out)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		defer context.AfterFunc(life, cancel)() // client closed
		o := observer{e: e, out: out}
		o.run(ctx)
	})
	if !started {
		close(out)
	}
	return out
}

type observer struct {
	e    *Election
	out  chan Participant
	last Participant
	sent bool
}

// emit replaces whatever the reader has not taken yet with p.
func (o *observer) emit(p Participant) {
	if o.sent && p == o.last {
		return
	}
	o.last, o.sent = p, true
	select {
	case o.out <- p:
	default:
		select {
		case <-o.out:
		default:
		}
		o.out <- p // cannot block: we are the only sender and made room
	}
}

func (o *observer) run(ctx context.Context) {
	b := retry.Default()
	for ctx.Err() == nil {
		s, err := o.e.c.WaitSession(ctx)
		if err != nil {
			return // ctx done or client closed
		}
		err = o.session(ctx, s)
		if ctx.Err() != nil || errors.Is(err, zkrecipes.ErrClosed) {
			return
		}
		if s.Err() != nil {
			continue // session lost: watch again from the next one
		}
		o.e.c.Logger().Warn("election: observe", "path", o.e.path, "err", err)
		if ok, _ := retry.Wait(ctx, b, nil, nil); !ok {
			return
		}
	}
}

// session follows the leader on one session until ctx is done, the session
// ends or an operation fails.
func (o *observer) session(ctx context.Context, s *zkrecipes.Session) error {
	for {
		p, watch, err := o.leaderW(ctx, s)
		if err != nil {
			return err
		}
		o.emit(p)
		select {
		case <-watch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.Done():
			return s.Err()
		}
	}
}

// leaderW returns the leader and a watch that fires when it may change.
func (o *observer) leaderW(ctx context.Context, s *zkrecipes.Session) (Participant, <-chan zk.Event, error) {
	path := o.e.path
	for {
		children, _, err := s.Children(ctx, path)
		if errors.Is(err, zk.ErrNoNode) {
			// No election path yet: wait for its creation.
			ok, _, watch, err := s.ExistsW(ctx, path)
			if err != nil || ok {
				if err != nil {
					return Participant{}, nil, fmt.Errorf("election: watch %s: %w", path, err)
				}
				continue // created meanwhile
			}
			return Participant{}, watch, nil
		}
		if err != nil {
			return Participant{}, nil, fmt.Errorf("election: list %s: %w", path, err)
		}
		nodes := zkpath.ParseChildren(children, markers...)
		if len(nodes) == 0 {
			children, _, watch, err := s.ChildrenW(ctx, path)
			if errors.Is(err, zk.ErrNoNode) {
				continue // reaped meanwhile
			}
			if err != nil {
				return Participant{}, nil, fmt.Errorf("election: watch %s: %w", path, err)
			}
			if len(zkpath.ParseChildren(children, markers...)) > 0 {
				continue // someone joined meanwhile; the child watch fires later, unread
			}
			return Participant{}, watch, nil
		}
		// A data watch on the leader fires when it is deleted (or its id
		// changes); if it is already gone none is set.
		name := nodes[0].Name
		data, st, watch, err := s.GetW(ctx, zkpath.Join(path, name))
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return Participant{}, nil, fmt.Errorf("election: watch %s: %w", name, err)
		}
		return Participant{ID: string(data), Node: name, Token: st.Czxid}, watch, nil
	}
}
