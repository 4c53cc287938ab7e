package main

import (
	"context"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// Long-running readers (watch, elect --observe) print the client's
// connection changes among their data: while disconnected they see no
// events, and what they printed last may be stale. Saying so is the
// difference between "nothing changed" and "we cannot tell".

// stateChanges delivers c's connection changes until ctx ends.
func stateChanges(ctx context.Context, c *zkrecipes.Client) <-chan zkrecipes.StateChange {
	sub := c.Subscribe()
	ch := make(chan zkrecipes.StateChange)
	go func() {
		defer close(ch)
		defer sub.Close()
		for {
			sc, err := sub.Next(ctx)
			if err != nil {
				return
			}
			select {
			case ch <- sc:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// stateEvent names a connection change for users, with what it means for
// the data shown.
func stateEvent(s zkrecipes.State) (name, meaning string) {
	switch s {
	case zkrecipes.Suspended:
		return "Disconnected", "no events until reconnected; what was shown may be stale"
	case zkrecipes.Reconnected:
		return "Reconnected", "same session; events resume"
	case zkrecipes.Lost:
		return "SessionLost", "changes until the new session may not be shown"
	case zkrecipes.Connected:
		return "Connected", "new session; watching again"
	}
	return s.String(), ""
}

// printState prints one connection change in the output stream: a line
// "time event (meaning)", or {"time","event","state","path"} with --json.
func (a *app) printState(path string, sc zkrecipes.StateChange) {
	name, meaning := stateEvent(sc.State)
	if a.json {
		_ = a.printJSON(map[string]any{"time": sc.At.UTC().Format(time.RFC3339Nano), "event": name, "state": sc.State.String(), "path": path})
		return
	}
	a.printf("%s %s %s (%s)\n", sc.At.Format("15:04:05.000"), name, path, meaning)
}
