package election

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/cleanup"
	"github.com/zkrecipes/zkrecipes/internal/contend"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// Participant is one candidate as seen in the election path.
type Participant struct {
	ID   string // the participant's id: its node's data
	Node string // its node's name under the election path
	// Token is the creation zxid of its node: the fencing token of the
	// participant's term, if it is or becomes the leader (see [Term.Token]).
	Token int64
}

// Election is one participant in the leader election at a path. Leader,
// Participants and Observe may be used concurrently with anything; Campaign
// runs one campaign at a time (see [ErrCampaigning]).
type Election struct {
	c    *zkrecipes.Client
	path string
	o    options
	busy atomic.Bool // a campaign runs, or a term is not yet resigned
}

// New returns the participant with the given options in the election at
// path (relative to the client's namespace). It does no I/O. An invalid
// path or option is an error (wrapping zkrecipes.ErrInvalidPath or
// zkrecipes.ErrInvalidArgument); a nil client is a programmer error and
// panics.
func New(c *zkrecipes.Client, path string, opts ...Option) (*Election, error) {
	return construct("New", c, path, opts)
}

// construct checks what New and Run take (see internal/misuse).
func construct(fn string, c *zkrecipes.Client, path string, opts []Option) (*Election, error) {
	o := defaultOptions()
	if err := misuse.Construct("election", fn, c, path, &o, &o.Errs, opts); err != nil {
		return nil, err
	}
	return &Election{c: c, path: path, o: o}, nil
}

// ID returns the participant id stored in our node.
func (e *Election) ID() string { return e.o.id }

// Path returns the election path, relative to the namespace.
func (e *Election) Path() string { return e.path }

// Layout returns the layout of e's node (see [WithLayout]).
func (e *Election) Layout() Layout { return e.o.layout }

// Campaign blocks until e is the leader, ctx is done, or the session is
// lost. The leader is the participant whose node has the lowest sequence
// number; a waiter watches only the node just ahead of its own, so a
// resignation wakes one participant. On success the returned term has been
// checked to be live: its node exists, belongs to the current session, and
// (under the default policy) the connection was not suspended. On failure
// Campaign returns the cause and leaves no node behind: a node whose create
// reply was lost, or that could not be deleted at once, is deleted by a
// client-owned goroutine while the session lives. An Election holds one
// term at a time: Campaign returns ErrCampaigning while another Campaign of
// e runs or e's previous term has not been resigned. ErrNodeDeleted if our
// node was deleted by someone else while we waited. The term's context is
// not derived from ctx, which bounds only the waiting.
func (e *Election) Campaign(ctx context.Context) (*Term, error) {
	if !e.busy.CompareAndSwap(false, true) {
		return nil, ErrCampaigning
	}
	ent, err := contend.Enter(ctx, e.c, e.contender())
	return e.elected(ctx, ent, err)
}

// campaignAfter is Resign of t, e's term, and Campaign, with t's node
// deleted in the transaction that creates the new one (contend.Requeue):
// Run's requeue. The next participant is then elected on one write of
// ours, not two: with a separate create right behind the deletion, its
// listing would find that create ahead of it at the server. t has ended
// when campaignAfter returns, and its node is gone or being deleted, as
// after Resign. If t was resigned already, it is Campaign.
func (e *Election) campaignAfter(ctx context.Context, t *Term) (*Term, error) {
	t.end(ErrResigned)
	var ent *contend.Entry
	var err error
	requeued := false
	t.resignOnce.Do(func() {
		// e stays busy: its one campaign goes on in the new node.
		requeued = true
		ent, err = contend.Requeue(ctx, e.c, t.ent, e.contender())
	})
	if !requeued {
		return e.Campaign(ctx)
	}
	return e.elected(ctx, ent, err)
}

// contender describes e's participant to contend.
func (e *Election) contender() contend.Config {
	// Not Config.Lazy, unlike every lock: a term's token is published
	// (Leader and Observe report the leader node's czxid as
	// Participant.Token), so it must be that very czxid, read by a stat
	// that also proves our node exists and is this session's before we
	// report leadership (Curator's double leaders came from trusting a
	// node that was gone); a lock's token need only be ordered like zxids.
	return contend.Config{
		Dir:     e.path,
		Name:    e.o.layout.prefix(),
		Markers: markers,
		Data:    []byte(e.o.id),
		ACL:     e.o.acl,
		// no Predicate: the first is the leader
	}
}

// elected turns the outcome of e's contention into its term, or the
// campaign's error; e is no longer busy unless a term is returned.
func (e *Election) elected(ctx context.Context, ent *contend.Entry, err error) (*Term, error) {
	if err != nil {
		e.busy.Store(false)
		if errors.Is(err, contend.ErrNodeGone) {
			err = ErrNodeDeleted
		}
		return nil, fmt.Errorf("election: campaign at %s: %w", e.path, err)
	}
	t := newTerm(e, ent)
	if err := t.check(); err != nil {
		// Elected on a session that is already gone or (by policy) no
		// longer trusted: never report such a term. Its node is deleted
		// now or, once reconnected, by a client-owned goroutine.
		t.end(err)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanup.Now)
		defer cancel()
		_ = t.Resign(rctx)
		return nil, fmt.Errorf("election: campaign at %s: %w", e.path, err)
	}
	return t, nil
}

// Leader returns the current leader as the election path shows it now, or
// ErrNoLeader. Like Curator's getLeader, it reads the server's state: a
// leader that has just lost its session may still be listed until the
// server expires the session.
func (e *Election) Leader(ctx context.Context) (Participant, error) {
	for {
		nodes, err := e.list(ctx)
		if err != nil {
			return Participant{}, err
		}
		if len(nodes) == 0 {
			return Participant{}, ErrNoLeader
		}
		p, err := e.read(ctx, nodes[0].Name)
		if errors.Is(err, zk.ErrNoNode) {
			continue // the leader left after the listing: look again
		}
		return p, err
	}
}

// Participants returns every participant in election order: the first is
// the leader, the next is elected after it, and so on. Nodes of both
// layouts count, and each one's id is its node's data, as Curator's
// getParticipants reads it (a LeaderSelector without setId stores its
// host's IP address). Nodes that vanish while they are read are left out.
func (e *Election) Participants(ctx context.Context) ([]Participant, error) {
	nodes, err := e.list(ctx)
	if err != nil {
		return nil, err
	}
	// Read all nodes at once: go-zookeeper pipelines concurrent requests on
	// one connection, so this costs about one round trip, not one per node.
	ps := make([]Participant, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ps[i], errs[i] = e.read(ctx, n.Name)
		}()
	}
	wg.Wait()
	out := ps[:0]
	for i, p := range ps {
		switch {
		case errs[i] == nil:
			out = append(out, p)
		case !errors.Is(errs[i], zk.ErrNoNode):
			return nil, errs[i]
		}
	}
	return out, nil
}

// list returns the participants' nodes sorted by sequence; a missing
// election path means no participants.
func (e *Election) list(ctx context.Context) ([]zkpath.Node, error) {
	children, _, err := e.c.Children(ctx, e.path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("election: list %s: %w", e.path, err)
	}
	return zkpath.ParseChildren(children, markers...), nil
}

func (e *Election) read(ctx context.Context, name string) (Participant, error) {
	data, st, err := e.c.Get(ctx, zkpath.Join(e.path, name))
	if err != nil {
		return Participant{}, fmt.Errorf("election: read %s: %w", name, err)
	}
	return Participant{ID: string(data), Node: name, Token: st.Czxid}, nil
}
