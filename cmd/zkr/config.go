package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"time"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/config"
)

const configDetails = `A configuration value is one node holding JSON (package config). get and
watch read it through a node cache; set writes it, compare-and-set on the
node's version with --version, or only if the node does not exist with
--create. A deleted node is reported as absent, never as its last value.`

func init() {
	register(&command{
		name: "config", summary: "a JSON configuration value in one node: get, set, watch",
		details: configDetails,
		subs: []*command{
			{
				name: "get", synopsis: "config get PATH", summary: "print the value (exit 1 if the node does not exist)",
				examples: []string{"zkr config get /config/limits", "zkr config get --json /config/limits"},
				setup:    func(a *app, fs *flag.FlagSet) runner { return configRunner(a, 1, a.configGet) },
			},
			{
				name: "set", synopsis: "config set [--version N | --create] PATH JSON", summary: "write the value (compare-and-set with --version)",
				examples: []string{`zkr config set /config/limits '{"max_conns": 100}'`, `zkr config set --version 3 /config/limits '{"max_conns": 200}'`},
				setup: func(a *app, fs *flag.FlagSet) runner {
					version := fs.Int("version", -1, "write only if the node is at this version")
					create := fs.Bool("create", false, "write only if the node does not exist")
					return configRunner(a, 2, func(ctx context.Context, v *config.Value[json.RawMessage], args []string) error {
						return a.configSet(ctx, v, args[0], int32(*version), *create)
					})
				},
			},
			{
				name: "watch", synopsis: "config watch PATH", summary: "print the value and every change until interrupted",
				examples: []string{"zkr config watch /config/limits", "zkr config watch --json /config/limits"},
				setup:    func(a *app, fs *flag.FlagSet) runner { return configRunner(a, 1, a.configWatch) },
			},
		},
	})
}

type configOp func(ctx context.Context, v *config.Value[json.RawMessage], args []string) error

func configRunner(a *app, nargs int, op configOp) runner {
	return func(ctx context.Context, p parsed) error {
		if err := wantArgs("config", p.pos, nargs, nargs); err != nil {
			return err
		}
		path := p.pos[0]
		return a.withClient(ctx, path, nargs == 1, func(c *zkrecipes.Client) error {
			v, err := config.New[json.RawMessage](c, path)
			if err != nil {
				return err
			}
			defer v.Close()
			if err := v.Start(ctx); err != nil {
				return err
			}
			return op(ctx, v, p.pos[1:])
		})
	}
}

func (a *app) configGet(_ context.Context, v *config.Value[json.RawMessage], _ []string) error {
	cur, err := v.Get()
	if err != nil {
		return err
	}
	if a.json {
		return a.printJSON(map[string]any{"path": v.Path(), "value": cur.Value, "version": cur.Version})
	}
	a.printf("%s\n", cur.Value)
	return nil
}

func (a *app) configSet(ctx context.Context, v *config.Value[json.RawMessage], text string, version int32, create bool) error {
	if !json.Valid([]byte(text)) {
		return usagef("config set: %q is not JSON", text)
	}
	if create && version >= 0 {
		return usagef("config set: --create and --version exclude each other")
	}
	val := json.RawMessage(text)
	if !create && version < 0 {
		return v.Set(ctx, val)
	}
	if create {
		version = config.Absent
	}
	ok, err := v.CompareAndSet(ctx, version, val)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("config set: not written: the node changed (or exists, with --create)")
	}
	return nil
}

func (a *app) configWatch(ctx context.Context, v *config.Value[json.RawMessage], _ []string) error {
	sub := v.Subscribe()
	defer sub.Close()
	cur, err := v.Get()
	a.printUpdate(v.Path(), config.Update[json.RawMessage]{Current: cur, Present: !errors.Is(err, config.ErrAbsent), Err: err})
	for {
		u, err := sub.Next(ctx)
		if err != nil {
			return a.watchEnd(ctx, err)
		}
		a.printUpdate(v.Path(), u)
	}
}

func (a *app) printUpdate(path string, u config.Update[json.RawMessage]) {
	now := time.Now()
	if a.json {
		m := map[string]any{"time": now.UTC().Format(time.RFC3339Nano), "path": path, "present": u.Present}
		switch {
		case u.Err != nil && u.Present:
			m["error"] = u.Err.Error()
		case u.Present:
			m["value"], m["version"] = u.Value, u.Version
		}
		_ = a.printJSON(m)
		return
	}
	switch {
	case !u.Present:
		a.printf("%s absent\n", now.Format("15:04:05.000"))
	case u.Err != nil:
		a.printf("%s invalid: %v\n", now.Format("15:04:05.000"), u.Err)
	default:
		a.printf("%s version %d: %s\n", now.Format("15:04:05.000"), u.Version, u.Value)
	}
}
