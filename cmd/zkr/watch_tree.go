package main

import (
	"context"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
)

// watchTree follows a subtree through a tree cache and prints its events.
func (a *app) watchTree(ctx context.Context, p parsed, withData bool) error {
	if err := wantArgs("watch", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, true, func(c *zkrecipes.Client) error {
		t, err := cache.NewTree(c, path)
		if err != nil {
			return err
		}
		defer t.Close()
		sub := t.Subscribe()
		defer sub.Close()
		if err := t.Start(ctx); err != nil {
			return a.watchEnd(ctx, err)
		}
		a.logf("watching %s and below (%d nodes)", path, len(t.Snapshot()))
		for {
			ev, err := sub.Next(ctx)
			if err != nil {
				return a.watchEnd(ctx, err)
			}
			a.printCacheEvent(ev, withData)
		}
	})
}

func (a *app) printCacheEvent(ev cache.Event, withData bool) {
	en := ev.New
	if en == nil {
		en = ev.Old
	}
	if a.json {
		m := map[string]any{"time": ev.At.UTC().Format(time.RFC3339Nano), "event": ev.Kind.String(), "path": ev.Path}
		if en != nil {
			m["version"] = en.Stat.Version
			m["mzxid"] = en.Stat.Mzxid
			if withData && ev.New != nil {
				dataFields(m, ev.New.Data)
			}
		}
		_ = a.printJSON(m)
		return
	}
	if withData && ev.New != nil {
		a.printf("%s %s %s %q\n", ev.At.Format("15:04:05.000"), ev.Kind, ev.Path, ev.New.Data)
		return
	}
	a.printf("%s %s %s\n", ev.At.Format("15:04:05.000"), ev.Kind, ev.Path)
}
