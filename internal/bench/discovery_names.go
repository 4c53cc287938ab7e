package bench

import (
	"context"
	"errors"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

// followNames is the names-only probe of W8 (--w8-observer names): kazoo
// ShallowParty's observer written in Go, a children-watch loop on dir that
// diffs each listing against the last and reads no data. Run against our
// own registrations, it separates what the server lets any observer see
// during the registration burst from what reading each instance's JSON
// adds. ready is closed after the first listing (or, while dir does not
// exist yet, once its exists watch is set).
func (o *w8Observer) followNames(ctx context.Context, c *zkrecipes.Client, dir string, ready chan<- struct{}) {
	for ctx.Err() == nil {
		kids, _, ch, err := c.ChildrenW(ctx, dir)
		now := time.Now()
		if errors.Is(err, zk.ErrNoNode) {
			var ok bool
			ok, _, ch, err = c.ExistsW(ctx, dir)
			if err == nil && ok {
				continue // created meanwhile: list it
			}
		}
		if err != nil {
			return // ctx ended or the client closed: the run reports what is missing
		}
		o.mu.Lock()
		o.applyListing(kids, now)
		o.mu.Unlock()
		if ready != nil {
			close(ready)
			ready = nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return
		}
	}
}

// applyListing records the names that appeared in or left the listing
// kids, made at now. o.mu is held.
func (o *w8Observer) applyListing(kids []string, now time.Time) {
	cur := make(map[string]bool, len(kids))
	for _, k := range kids {
		cur[k] = true
		if o.listed[k] {
			continue
		}
		if _, ok := o.seen[k]; !ok {
			o.seen[k] = now
		}
		o.listed[k] = true
	}
	for k := range o.listed {
		if !cur[k] {
			if _, ok := o.gone[k]; !ok {
				o.gone[k] = now
			}
			delete(o.listed, k)
		}
	}
	close(o.changed)
	o.changed = make(chan struct{})
}
