package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sort"
	"strconv"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

func init() {
	register(&command{
		name: "discover", synopsis: "discover [--base P] [--json] [SERVICE]",
		summary: "list the instances of a service (Curator service discovery), or the services",
		details: para("Prints one line per instance of SERVICE under BASE/SERVICE: id, address:port,",
			"then ssl=PORT, \"disabled\" and the payload when present; --json prints a JSON",
			"array of the instances' records (Curator's JSON as stored). Without SERVICE it",
			"prints the service names. Reads what Curator, Spring Cloud Zookeeper and Dubbo 3",
			"register."),
		examples: []string{"zkr discover web", "zkr discover --json orders", "zkr discover --base /services"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			base := fs.String("base", "/services", "base path of the registry")
			return func(ctx context.Context, p parsed) error { return a.discover(ctx, p, *base) }
		},
	})
	register(&command{
		name: "members", synopsis: "members [--json] PATH",
		summary: "list the members of a group: PATH's children with their data",
		details: para("Prints one line per child of PATH (the live members of a group such as",
			"/servers, where each server keeps an ephemeral node): name, then the data as text.",
			"--json prints a JSON array of {name, data, data_base64, ephemeral_owner}."),
		examples: []string{"zkr members /servers", "zkr members --json /servers"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			return func(ctx context.Context, p parsed) error { return a.members(ctx, p) }
		},
	})
}

func (a *app) discover(ctx context.Context, p parsed, base string) error {
	if err := wantArgs("discover", p.pos, 0, 1); err != nil {
		return err
	}
	return a.withClient(ctx, base, false, func(c *zkrecipes.Client) error {
		d, err := discovery.New(c, base)
		if err != nil {
			return usagef("discover: %v", err)
		}
		if len(p.pos) == 0 {
			names, err := d.Names(ctx)
			if err != nil {
				return err
			}
			if a.json {
				return a.printJSON(nonNil(names))
			}
			for _, n := range names {
				a.printf("%s\n", n)
			}
			return nil
		}
		ins, err := d.Instances(ctx, p.pos[0])
		if err != nil {
			return err
		}
		if a.json {
			return a.printRecords(ins)
		}
		for _, in := range ins {
			if err := a.printInstance(in); err != nil {
				return err
			}
		}
		return nil
	})
}

// printRecords prints instances as one JSON array of their records, each
// byte for byte as Curator writes it.
func (a *app) printRecords(ins []discovery.Instance) error {
	out := []byte{'['}
	for i, in := range ins {
		b, err := discovery.Marshal(in)
		if err != nil {
			return err
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, b...)
	}
	_, err := a.stdout.Write(append(out, ']', '\n'))
	return err
}

func (a *app) printInstance(in discovery.Instance) error {
	line := fmt.Sprintf("%s %s:%d", in.ID, in.Address, in.Port)
	if in.SSLPort != 0 {
		line += fmt.Sprintf(" ssl=%d", in.SSLPort)
	}
	if in.Disabled {
		line += " disabled"
	}
	if len(in.Payload) > 0 {
		var m map[string]json.RawMessage
		if in.DecodePayload(&m) == nil && len(m) > 0 {
			b, _ := json.Marshal(m)
			line += " " + string(b)
		}
	}
	a.printf("%s\n", line)
	return nil
}

func (a *app) members(ctx context.Context, p parsed) error {
	if err := wantArgs("members", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, true, func(c *zkrecipes.Client) error {
		kids, _, err := c.Children(ctx, path)
		if err != nil {
			return err
		}
		sort.Strings(kids)
		members := []map[string]any{}
		for _, k := range kids {
			data, st, err := c.Get(ctx, zkpath.Join(path, k))
			if err != nil {
				continue // left meanwhile
			}
			if a.json {
				members = append(members, dataFields(map[string]any{"name": k, "ephemeral_owner": st.EphemeralOwner}, data))
				continue
			}
			a.printf("%s %s\n", k, strconv.QuoteToGraphic(string(data)))
		}
		if a.json {
			return a.printJSON(members)
		}
		return nil
	})
}
