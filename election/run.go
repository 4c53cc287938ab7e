package election

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/retry"
)

// Run is the singleton-job loop, Curator's LeaderSelector with
// autoRequeue on the same nodes: it campaigns at path (in the
// [LeaderSelector] layout unless [WithLayout] says otherwise, so that Java
// LeaderSelectors and Go Runs at one path elect one leader among them;
// Go Campaigns at the path take part too); once elected it calls job with a
// context that is cancelled when the term ends or ctx is done; when job
// returns or the term ends it resigns and campaigns again, also across
// suspensions, session losses and new sessions, until ctx is done or the
// client is closed. It returns ctx's error, [zkrecipes.ErrClosed], or an
// error for invalid arguments.
//
// When job returns by itself, Run resigns and campaigns again in one
// transaction, which deletes the term's node and creates the next one:
// the next participant is elected on one write of this client, where a
// delete and then a create would put the create ahead of its listing at
// the server (Curator's LeaderSelector and a zk.Lock loop do so). Should
// the transaction fail (the node was deleted by someone else) or its
// reply be lost, the node is deleted and the campaign made as usual.
//
// After the job's context is cancelled Run waits up to the grace period
// (see [WithGracePeriod]) for job to return before it resigns, so that the
// next leader starts after this one stopped. A job that ignores its
// context is logged (through the client's logger) and does not hold up
// the resignation; Run then campaigns again only after that job call has
// returned, so at most one call of job runs in this process. A job error
// is logged and ends the term like a normal return.
//
// job runs on its own goroutine. Run does not recover its panics.
func Run(ctx context.Context, c *zkrecipes.Client, path string, job func(ctx context.Context) error, opts ...Option) error {
	if job == nil {
		return fmt.Errorf("election: %w: nil job", zkrecipes.ErrInvalidArgument)
	}
	e, err := construct("Run", c, path, append([]Option{WithLayout(LeaderSelector)}, opts...))
	if err != nil {
		return err
	}
	r := runner{e: e, job: job}
	return r.loop(ctx)
}

type runner struct {
	e   *Election
	job func(ctx context.Context) error
}

func (r *runner) loop(ctx context.Context) error {
	log := r.e.c.Logger()
	b := retry.Default()
	var stray <-chan struct{} // a job call that outlived its term
	var prev *Term            // a term whose job returned, resigned by the next campaign
	for {
		if stray != nil {
			select {
			case <-stray:
				stray = nil
				log.Info("election: job returned after its term", "path", r.e.path, "id", r.e.o.id)
			case <-ctx.Done():
				log.Warn("election: Run returns while the job still runs", "path", r.e.path, "id", r.e.o.id)
				return ctx.Err()
			}
		}
		var t *Term
		var err error
		if prev != nil {
			t, err = r.e.campaignAfter(ctx, prev)
			prev = nil
		} else {
			t, err = r.e.Campaign(ctx)
		}
		switch {
		case err == nil:
			b.Reset()
			stray, prev = r.lead(ctx, t)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, zkrecipes.ErrClosed):
			return err
		case errors.Is(err, zkrecipes.ErrSessionLost), errors.Is(err, ErrLeadershipLost):
			continue // campaign again on the next session
		}
		log.Warn("election: campaign failed", "path", r.e.path, "id", r.e.o.id, "err", err)
		if ok, werr := retry.Wait(ctx, b, nil, nil); !ok {
			if werr != nil {
				return werr
			}
			return err
		}
	}
}

// lead runs the job for term t and resigns t. It returns a channel closed
// when the job returns if the job had not returned by then, else nil.
// When the job returned and ctx is not done, it leaves t to be resigned by
// the next campaign (Election.campaignAfter) and returns it.
func (r *runner) lead(ctx context.Context, t *Term) (<-chan struct{}, *Term) {
	log := r.e.c.Logger()
	jctx, cancel := context.WithCancelCause(t.Context())
	stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.job(jctx); err != nil && jctx.Err() == nil {
			log.Warn("election: job failed", "path", r.e.path, "id", r.e.o.id, "err", err)
		}
	}()
	select {
	case <-done:
	case <-jctx.Done():
	}
	cancel(ErrResigned)
	returned := waitFor(done, r.e.o.grace)
	if !returned {
		log.Error("election: job ignores its context; resigning while it still runs",
			"path", r.e.path, "id", r.e.o.id, "grace", r.e.o.grace, "cause", context.Cause(jctx))
	}
	if returned && ctx.Err() == nil {
		return nil, t
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), r.e.c.SessionTimeout())
	defer rcancel()
	if err := t.Resign(rctx); err != nil {
		log.Warn("election: resign (continues in the background)", "path", r.e.path, "err", err)
	}
	if returned {
		return nil, nil
	}
	return done, nil
}

// waitFor reports whether done is closed within d.
func waitFor(done <-chan struct{}, d time.Duration) bool {
	select {
	case <-done:
		return true
	default:
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-done:
		return true
	case <-tm.C:
		return false
	}
}
