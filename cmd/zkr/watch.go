package main

import (
	"context"
	"errors"
	"flag"
	"strings"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

func init() {
	register(&command{
		name: "watch", synopsis: "watch [--data] [-R] PATH", summary: "print a node's events (created, deleted, data and children changed) until interrupted",
		details: para("ZooKeeper watches fire once; zkr re-arms them after every event, so changes",
			"that happen between an event and the re-arm are folded into the next event.",
			"Each line is: time, event, path (and with --data the new data as text).",
			"--json prints one JSON object per event. Ctrl-C ends the watch (exit 0).",
			"Connection changes are printed among the events (Disconnected: no events",
			"arrive until Reconnected, so the last state shown may be stale; SessionLost:",
			"the watches are set again in a new session, changes in between are missed).",
			"",
			"-R follows the whole subtree through a tree cache (package cache): it loads",
			"the subtree, prints every node as created, then \"initialized\", then every",
			"created, changed and deleted node, and \"stale\" / \"reinitialized\" around",
			"reconnections (changes missed meanwhile are reported before \"reinitialized\")."),
		examples: []string{"zkr watch /config/app", "zkr watch --json /jobs", "zkr watch -R --data /config"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			withData := fs.Bool("data", false, "also print the data after each data change")
			recursive := fs.Bool("R", false, "follow the whole subtree (tree cache)")
			return func(ctx context.Context, p parsed) error {
				if *recursive {
					return a.watchTree(ctx, p, *withData)
				}
				return a.watch(ctx, p, *withData)
			}
		},
	})
}

func (a *app) watch(ctx context.Context, p parsed, withData bool) error {
	if err := wantArgs("watch", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, true, func(c *zkrecipes.Client) error {
		// Each watch is re-armed only after it fired: go-zookeeper keeps
		// every armed watch until its event, so re-arming both on every
		// event would pile them up.
		var exCh, kidCh <-chan zk.Event
		states := stateChanges(ctx, c)
		exists, first := false, true
		for {
			if exCh == nil {
				ok, st, ch, err := c.ExistsW(ctx, path)
				if err != nil {
					return a.watchEnd(ctx, err)
				}
				exCh, exists = ch, ok
				if first && ok {
					a.logf("watching %s (version %d, %d children)", path, st.Version, st.NumChildren)
				} else if first {
					a.logf("watching %s (does not exist yet)", path)
				}
				first = false
			}
			if exists && kidCh == nil {
				_, _, ch, err := c.ChildrenW(ctx, path)
				switch {
				case errors.Is(err, zk.ErrNoNode):
					exists = false // deleted meanwhile: the exists watch reports it
				case err != nil:
					return a.watchEnd(ctx, err)
				default:
					kidCh = ch
				}
			}
			var ev zk.Event
			select {
			case sc, ok := <-states:
				if !ok {
					states = nil // ctx ended: the next round sees it
				} else {
					a.printState(path, sc)
				}
				continue
			case ev = <-exCh:
				exCh = nil
			case ev = <-kidCh:
				kidCh = nil
				if ev.Type == zk.EventNodeDeleted {
					continue // the exists watch reports the deletion
				}
			case <-ctx.Done():
				return nil
			}
			if ev.Type == zk.EventNotWatching {
				a.logf("watch removed (%v); re-arming in a new session", ev.Err)
				exCh, kidCh = nil, nil
				continue
			}
			a.printEvent(ctx, c, path, ev, withData)
		}
	})
}

// watchEnd treats interruption as the normal end of a watch.
func (a *app) watchEnd(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func (a *app) printEvent(ctx context.Context, c *zkrecipes.Client, path string, ev zk.Event, withData bool) {
	now := time.Now()
	var data []byte
	haveData := false
	if withData && ev.Type == zk.EventNodeDataChanged || withData && ev.Type == zk.EventNodeCreated {
		if d, _, err := c.Get(ctx, path); err == nil {
			data, haveData = d, true
		}
	}
	if a.json {
		m := map[string]any{"time": now.UTC().Format(time.RFC3339Nano), "event": eventName(ev.Type), "path": path}
		if haveData {
			dataFields(m, data)
		}
		_ = a.printJSON(m)
		return
	}
	if haveData {
		a.printf("%s %s %s %q\n", now.Format("15:04:05.000"), eventName(ev.Type), path, data)
		return
	}
	a.printf("%s %s %s\n", now.Format("15:04:05.000"), eventName(ev.Type), path)
}

// eventName is zkCli's name for an event type ("NodeDataChanged").
func eventName(t zk.EventType) string { return strings.TrimPrefix(t.String(), "Event") }
