package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sort"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

func init() {
	register(&command{
		name: "ls", synopsis: "ls [-R] PATH", summary: "list a node's children (-R: the whole subtree, as paths)",
		examples: []string{"zkr ls /", "zkr ls -R /locks", "zkr ls --json /jobs"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			recursive := fs.Bool("R", false, "recursive: print every path below PATH")
			return func(ctx context.Context, p parsed) error { return a.ls(ctx, p, *recursive) }
		},
	})
	register(&command{
		name: "get", synopsis: "get [-s] PATH", summary: "print a node's data (raw bytes, binary-safe)",
		details: para("The data is written to stdout exactly as stored; a newline is added only",
			"when stdout is a terminal. --json prints {path, data, data_base64, stat}."),
		examples: []string{"zkr get /config/app > app.conf", "zkr get -s /config/app", "zkr get --json /config/app"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			withStat := fs.Bool("s", false, "also print the node's stat")
			return func(ctx context.Context, p parsed) error { return a.get(ctx, p, *withStat) }
		},
	})
	register(&command{
		name: "stat", synopsis: "stat PATH", summary: "print a node's stat (versions, zxids, owner, sizes)",
		examples: []string{"zkr stat /locks/backup", "zkr stat --json /"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			return func(ctx context.Context, p parsed) error { return a.stat(ctx, p) }
		},
	})
	register(&command{
		name: "set", synopsis: "set [-v N] PATH [DATA|-]", summary: "write a node's data (from DATA, or stdin)",
		details: para("Without DATA (or with \"-\") the data is read from stdin, byte for byte.",
			"-v N writes only if the node's data version is N (compare-and-set); a mismatch exits 1."),
		examples: []string{"zkr set /config/app 'debug=true'", "zkr set /config/app < app.conf", "zkr set -v 3 /config/app new"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			version := fs.Int("v", -1, "expected data version (-1: any)")
			return func(ctx context.Context, p parsed) error { return a.set(ctx, p, int32(*version)) }
		},
	})
	register(&command{
		name: "delete", synopsis: "delete [-v N] PATH", summary: "delete a node (it must have no children)",
		examples: []string{"zkr delete /tmp/x", "zkr delete -v 2 /tmp/x"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			version := fs.Int("v", -1, "expected data version (-1: any)")
			return func(ctx context.Context, p parsed) error { return a.del(ctx, p, int32(*version)) }
		},
	})
	register(&command{
		name: "deleteall", synopsis: "deleteall PATH", summary: "delete a node and everything below it",
		examples: []string{"zkr deleteall /tmp/old-job"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			return func(ctx context.Context, p parsed) error { return a.deleteAll(ctx, p) }
		},
	})
}

// withClient validates path, connects, and runs fn.
func (a *app) withClient(ctx context.Context, path string, read bool, fn func(c *zkrecipes.Client) error) error {
	if err := validPath(path, read); err != nil {
		return err
	}
	c, err := a.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

func (a *app) ls(ctx context.Context, p parsed, recursive bool) error {
	if err := wantArgs("ls", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, true, func(c *zkrecipes.Client) error {
		var out []string
		if recursive {
			if err := walk(ctx, c, path, func(q string) { out = append(out, q) }); err != nil {
				return err
			}
		} else {
			kids, _, err := c.Children(ctx, path)
			if err != nil {
				return err
			}
			sort.Strings(kids)
			out = kids
		}
		if a.json {
			return a.printJSON(nonNil(out))
		}
		for _, s := range out {
			a.printf("%s\n", s)
		}
		return nil
	})
}

// walk visits path and every node below it, parents before children, in
// sorted order. Nodes deleted meanwhile are skipped.
func walk(ctx context.Context, c *zkrecipes.Client, path string, visit func(string)) error {
	kids, _, err := c.Children(ctx, path)
	if errors.Is(err, zk.ErrNoNode) && path != "/" {
		return nil
	}
	if err != nil {
		return err
	}
	visit(path)
	sort.Strings(kids)
	for _, k := range kids {
		if err := walk(ctx, c, zkpath.Join(path, k), visit); err != nil {
			return err
		}
	}
	return nil
}

func (a *app) get(ctx context.Context, p parsed, withStat bool) error {
	if err := wantArgs("get", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, true, func(c *zkrecipes.Client) error {
		data, st, err := c.Get(ctx, path)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(dataJSON(path, data, st))
		}
		if _, err := a.stdout.Write(data); err != nil {
			return err
		}
		if (withStat || a.isTerminal()) && len(data) > 0 && data[len(data)-1] != '\n' {
			a.printf("\n")
		}
		if withStat {
			a.printStat(st)
		}
		return nil
	})
}

func (a *app) stat(ctx context.Context, p parsed) error {
	if err := wantArgs("stat", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, true, func(c *zkrecipes.Client) error {
		ok, st, err := c.Exists(ctx, path)
		if err != nil {
			return err
		}
		if !ok {
			return &zkrecipes.OpError{Op: "stat", Path: path, Err: zk.ErrNoNode}
		}
		if a.json {
			return a.printJSON(statJSON(st))
		}
		a.printStat(st)
		return nil
	})
}

func (a *app) set(ctx context.Context, p parsed, version int32) error {
	if err := wantArgs("set", p.pos, 1, 2); err != nil {
		return err
	}
	path := p.pos[0]
	if err := validPath(path, false); err != nil {
		return err
	}
	data, err := a.dataArg(p.pos[1:], true)
	if err != nil {
		return err
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		st, err := c.Set(ctx, path, data, version)
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(statJSON(st))
		}
		return nil
	})
}

func (a *app) del(ctx context.Context, p parsed, version int32) error {
	if err := wantArgs("delete", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	if path == "/" {
		return usagef("delete: refusing to delete /")
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		err := c.Delete(ctx, path, version)
		if errors.Is(err, zk.ErrNotEmpty) {
			return fmt.Errorf("%w (use deleteall)", err)
		}
		return err
	})
}

func (a *app) deleteAll(ctx context.Context, p parsed) error {
	if err := wantArgs("deleteall", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	if path == "/" {
		return usagef("deleteall: refusing to delete /")
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		ok, _, err := c.Exists(ctx, path)
		if err != nil {
			return err
		}
		if !ok {
			return &zkrecipes.OpError{Op: "deleteall", Path: path, Err: zk.ErrNoNode}
		}
		return deleteTree(ctx, c, path)
	})
}

// deleteTree deletes path and its subtree, children first. Children added
// meanwhile are deleted too (a few attempts); nodes already gone are fine.
func deleteTree(ctx context.Context, c *zkrecipes.Client, path string) error {
	for attempt := 0; ; attempt++ {
		kids, _, err := c.Children(ctx, path)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := deleteTree(ctx, c, zkpath.Join(path, k)); err != nil {
				return err
			}
		}
		err = c.Delete(ctx, path, -1)
		switch {
		case err == nil, errors.Is(err, zk.ErrNoNode):
			return nil
		case errors.Is(err, zk.ErrNotEmpty) && attempt < 5:
			continue // a child appeared meanwhile
		}
		return err
	}
}
