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
	"github.com/zkrecipes/zkrecipes/group"
	"github.com/zkrecipes/zkrecipes/internal/roster"
	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

func init() {
	register(&command{
		name: "discover", synopsis: "discover [--base P] [--json] [--watch] [SERVICE]",
		summary: "list the instances of a service (Curator service discovery), or the services",
		details: para("Prints one line per instance of SERVICE under BASE/SERVICE: id, address:port,",
			"then ssl=PORT, \"disabled\" and the payload when present; --json prints a JSON",
			"array of the instances' records (Curator's JSON as stored). Without SERVICE it",
			"prints the service names. Reads what Curator, Spring Cloud Zookeeper and Dubbo 3",
			"register.",
			"",
			"--watch prints the list, then one line per change until interrupted: \"+\" and the",
			"instance when one registers, \"-\" when one leaves (unregistered, or its session",
			"expired), \"~\" when one is updated; with --json one object per line with",
			"\"change\" (listed, joined, left, updated) and \"instance\" (Curator's record)."),
		examples: []string{"zkr discover web", "zkr discover --json orders", "zkr discover --watch web", "zkr discover --base /services"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			base := fs.String("base", "/services", "base path of the registry")
			watch := fs.Bool("watch", false, "print changes until interrupted")
			return func(ctx context.Context, p parsed) error { return a.discover(ctx, p, *base, *watch) }
		},
	})
	register(&command{
		name: "members", synopsis: "members [--json] [--watch] PATH",
		summary: "list the members of a group: PATH's children with their data",
		details: para("Prints one line per child of PATH (the live members of a group such as",
			"/servers, where each server keeps an ephemeral node): name, then the data as text.",
			"--json prints a JSON array of {name, data, data_base64, ephemeral_owner}.",
			"--watch prints the members, then one line per change until interrupted (\"+\"",
			"joined, \"-\" left, \"~\" data changed; with --json one object per line with",
			"\"change\": listed, joined, left or updated)."),
		examples: []string{"zkr members /servers", "zkr members --json /servers", "zkr members --watch /servers"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			watch := fs.Bool("watch", false, "print changes until interrupted")
			return func(ctx context.Context, p parsed) error { return a.members(ctx, p, *watch) }
		},
	})
}

func (a *app) discover(ctx context.Context, p parsed, base string, watch bool) error {
	if err := wantArgs("discover", p.pos, 0, 1); err != nil {
		return err
	}
	if watch && len(p.pos) == 0 {
		return usagef("discover: --watch needs a SERVICE")
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
		if watch {
			return a.discoverWatch(ctx, d, p.pos[0])
		}
		ins, err := d.Instances(ctx, p.pos[0])
		if err != nil {
			return err
		}
		if a.json {
			return a.printRecords(ins)
		}
		for _, in := range ins {
			if err := a.printInstance("", in); err != nil {
				return err
			}
		}
		return nil
	})
}

// discoverWatch prints the instances, then every change until ctx ends.
func (a *app) discoverWatch(ctx context.Context, d *discovery.Discovery, name string) error {
	sc, err := d.Cache(ctx, name)
	if err != nil {
		return watchErr(ctx, err)
	}
	defer sc.Close()
	sub := sc.Subscribe()
	defer sub.Close()
	for _, in := range sc.Instances() {
		if err := a.printInstance("=", in); err != nil {
			return err
		}
	}
	for {
		ch, err := sub.Next(ctx)
		if err != nil {
			return watchErr(ctx, err)
		}
		in := ch.New
		if ch.Kind == discovery.Left {
			in = ch.Old
		}
		if err := a.printInstance(changeMark(ch.Kind), in); err != nil {
			return err
		}
	}
}

// watchErr ends a watch: interrupted is success.
func watchErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}

func changeMark(k roster.Kind) string {
	switch k {
	case roster.Joined:
		return "+"
	case roster.Left:
		return "-"
	}
	return "~"
}

var changeWords = map[string]string{"=": "listed", "+": "joined", "-": "left", "~": "updated"}

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

// printInstance prints one instance of a watch, after mark ("=" listed
// at the start, shown as nothing; "+", "-", "~" for a change).
func (a *app) printInstance(mark string, in discovery.Instance) error {
	if a.json {
		b, err := discovery.Marshal(in)
		if err != nil {
			return err
		}
		if mark != "" {
			b = []byte(fmt.Sprintf(`{"change":%q,"instance":%s}`, changeWords[mark], b))
		}
		_, err = a.stdout.Write(append(b, '\n'))
		return err
	}
	line := fmt.Sprintf("%s %s:%d", in.ID, in.Address, in.Port)
	if mark != "" && mark != "=" {
		line = mark + " " + line
	}
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

func (a *app) members(ctx context.Context, p parsed, watch bool) error {
	if err := wantArgs("members", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	if watch {
		return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error { return a.membersWatch(ctx, c, path) })
	}
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

// membersWatch prints the members, then every change until ctx ends.
func (a *app) membersWatch(ctx context.Context, c *zkrecipes.Client, path string) error {
	g, err := group.New(c, path)
	if err != nil {
		return usagef("members: %v", err)
	}
	v, err := g.Watch(ctx)
	if err != nil {
		return watchErr(ctx, err)
	}
	defer v.Close()
	sub := v.Subscribe()
	defer sub.Close()
	for _, m := range v.Members() {
		if err := a.printMember("=", m); err != nil {
			return err
		}
	}
	for {
		ch, err := sub.Next(ctx)
		if err != nil {
			return watchErr(ctx, err)
		}
		m := ch.New
		if ch.Kind == group.Left {
			m = ch.Old
		}
		if err := a.printMember(changeMark(ch.Kind), m); err != nil {
			return err
		}
	}
}

func (a *app) printMember(mark string, m group.Member) error {
	if a.json {
		j := dataFields(map[string]any{"name": m.ID, "ephemeral_owner": m.Session}, m.Data)
		if mark != "" {
			j["change"] = changeWords[mark]
		}
		return a.printJSON(j)
	}
	if mark != "" && mark != "=" {
		a.printf("%s ", mark)
	}
	a.printf("%s %s\n", m.ID, strconv.QuoteToGraphic(string(m.Data)))
	return nil
}
