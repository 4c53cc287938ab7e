package main

import (
	"context"
	"flag"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

func init() {
	register(&command{
		name: "getacl", synopsis: "getacl PATH", summary: "print a node's ACL, one scheme:id:perms entry a line",
		details: para("Each line is an entry in the syntax --acl and setacl take (perms from",
			"cdrwa: create, delete, read, write, admin). --json prints",
			"{path, acl: [{scheme, id, perms}], aversion}."),
		examples: []string{"zkr getacl /config", "zkr getacl --json /config"},
		setup: func(a *app, fs *flag.FlagSet) runner {
			return func(ctx context.Context, p parsed) error { return a.getACL(ctx, p) }
		},
	})
	register(&command{
		name: "setacl", synopsis: "setacl [-v N] PATH ACL", summary: "replace a node's ACL (zkCli's setAcl)",
		details: para("ACL is scheme:id:perms[,scheme:id:perms...], as for --acl: world:anyone:r,",
			"auth::cdrwa (the identities of --auth), digest:user:base64(sha1(user:password)):cdrwa,",
			"ip:10.0.0.0/8:r. -v N sets it only if the ACL version is N."),
		examples: []string{
			"zkr --auth-file ~/.zk-alice setacl /app auth::cdrwa,world:anyone:r",
			"zkr setacl -v 0 /app world:anyone:cdrwa",
		},
		setup: func(a *app, fs *flag.FlagSet) runner {
			version := fs.Int("v", -1, "expected ACL version (-1: any)")
			return func(ctx context.Context, p parsed) error { return a.setACL(ctx, p, int32(*version)) }
		},
	})
}

func (a *app) getACL(ctx context.Context, p parsed) error {
	if err := wantArgs("getacl", p.pos, 1, 1); err != nil {
		return err
	}
	path := p.pos[0]
	return a.withClient(ctx, path, true, func(c *zkrecipes.Client) error {
		var acl []zk.ACL
		var st *zk.Stat
		err := onConn(ctx, func() (err error) {
			acl, st, err = c.Conn().GetACL(absPath(c.Namespace(), path))
			return err
		})
		if err != nil {
			return &zkrecipes.OpError{Op: "getacl", Path: path, Err: err}
		}
		if a.json {
			entries := make([]map[string]string, len(acl))
			for i, e := range acl {
				entries[i] = map[string]string{"scheme": e.Scheme, "id": e.ID, "perms": formatPerms(e.Perms)}
			}
			return a.printJSON(map[string]any{"path": path, "acl": entries, "aversion": st.Aversion})
		}
		for _, e := range acl {
			a.printf("%s\n", formatACL([]zk.ACL{e}))
		}
		return nil
	})
}

func (a *app) setACL(ctx context.Context, p parsed, version int32) error {
	if err := wantArgs("setacl", p.pos, 2, 2); err != nil {
		return err
	}
	path := p.pos[0]
	acl, err := parseACL(p.pos[1])
	if err != nil {
		return usagef("setacl: %v", err)
	}
	if err := validPath(path, false); err != nil {
		return err
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		var st *zk.Stat
		err := onConn(ctx, func() (err error) {
			st, err = c.Conn().SetACL(absPath(c.Namespace(), path), acl, version)
			return err
		})
		if err != nil {
			return &zkrecipes.OpError{Op: "setacl", Path: path, Err: err}
		}
		if a.json {
			return a.printJSON(statJSON(st))
		}
		return nil
	})
}

// onConn runs fn, a call on the raw go-zookeeper connection (which takes
// no context), and returns its error, or ctx's if ctx ends first.
func onConn(ctx context.Context, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
