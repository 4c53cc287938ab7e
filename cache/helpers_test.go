package cache_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/cache"
)

// events reads a subscription until an event matching want comes, and
// returns the events before it and the match.
func until(ctx context.Context, t *testing.T, sub *cache.Subscription, want func(cache.Event) bool) []cache.Event {
	t.Helper()
	var seen []cache.Event
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			require.NoError(t, err, "events so far: %v", describe(seen))
		}
		seen = append(seen, ev)
		if want(ev) {
			return seen
		}
	}
}

func kind(k cache.EventKind) func(cache.Event) bool {
	return func(ev cache.Event) bool { return ev.Kind == k }
}

func at(k cache.EventKind, path string) func(cache.Event) bool {
	return func(ev cache.Event) bool { return ev.Kind == k && ev.Path == path }
}

func describe(evs []cache.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s %s", ev.Kind, ev.Path)
		if ev.New != nil {
			fmt.Fprintf(&b, "=%q", ev.New.Data)
		}
		b.WriteString("; ")
	}
	return b.String()
}

// serverTree reads the subtree at p from the server: path -> data.
func serverTree(ctx context.Context, c *zkrecipes.Client, p string) (map[string]string, error) {
	out := map[string]string{}
	var walk func(p string) error
	walk = func(p string) error {
		d, _, err := c.Get(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		out[p] = string(d)
		kids, _, err := c.Children(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := walk(strings.TrimSuffix(p, "/") + "/" + k); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(p)
}

func cacheTree(t *cache.Tree) map[string]string {
	out := map[string]string{}
	for _, en := range t.Snapshot() {
		out[en.Path] = string(en.Data)
	}
	return out
}

func paths(m map[string]string) []string {
	var out []string
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func mustCreate(ctx context.Context, t *testing.T, c *zkrecipes.Client, p, data string) {
	t.Helper()
	_, err := c.Create(ctx, p, []byte(data), zkrecipes.Persistent, zkrecipes.WithParents())
	require.NoError(t, err)
}
