package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkrecipes/zkrecipes"
)

func init() {
	register(&command{
		name: "create", synopsis: "create [-e] [-s] [-c] [--ttl D] PATH [DATA|-]",
		summary: "create a node (persistent, ephemeral, sequential, container or TTL)",
		details: para("DATA is the node's data; \"-\" reads it from stdin; none makes an empty node.",
			"Prints the created path (for -s, with the sequence number the server appended).",
			"An ephemeral node (-e) lives as long as zkr's session, i.e. it is gone when",
			"zkr exits; it is mostly useful for testing. -s makes plain sequential names",
			"(no protection prefix: this is the raw ZooKeeper create). TTL nodes need the",
			"server's extendedTypesEnabled=true."),
		examples: []string{
			"zkr create /config",
			"zkr create /config/app 'debug=false'",
			"zkr create -s /jobs/job- < job.json",
			"zkr create -c /locks",
			"zkr create --ttl 1h /tmp/marker",
		},
		setup: func(a *app, fs *flag.FlagSet) runner {
			var o createFlags
			fs.BoolVar(&o.ephemeral, "e", false, "ephemeral: deleted when the session ends")
			fs.BoolVar(&o.sequential, "s", false, "sequential: the server appends a 10-digit sequence number")
			fs.BoolVar(&o.container, "c", false, "container: the server deletes it once its last child is gone")
			fs.DurationVar(&o.ttl, "ttl", 0, "time to live of a persistent node without children (e.g. 10m)")
			return func(ctx context.Context, p parsed) error { return a.create(ctx, p, o) }
		},
	})
}

type createFlags struct {
	ephemeral, sequential, container bool
	ttl                              time.Duration
}

func (o createFlags) mode() (zkrecipes.CreateMode, error) {
	switch {
	case o.container && (o.ephemeral || o.sequential || o.ttl != 0):
		return 0, usagef("create: -c cannot be combined with -e, -s or --ttl")
	case o.ttl < 0:
		return 0, usagef("create: --ttl must be positive")
	case o.ttl > 0 && o.ephemeral:
		return 0, usagef("create: --ttl cannot be combined with -e")
	case o.container:
		return zkrecipes.Container, nil
	case o.ttl > 0 && o.sequential:
		return zkrecipes.PersistentSequentialTTL, nil
	case o.ttl > 0:
		return zkrecipes.PersistentTTL, nil
	case o.ephemeral && o.sequential:
		return zkrecipes.EphemeralSequential, nil
	case o.ephemeral:
		return zkrecipes.Ephemeral, nil
	case o.sequential:
		return zkrecipes.PersistentSequential, nil
	}
	return zkrecipes.Persistent, nil
}

func (a *app) create(ctx context.Context, p parsed, o createFlags) error {
	if err := wantArgs("create", p.pos, 1, 2); err != nil {
		return err
	}
	path := p.pos[0]
	if err := validPath(path, false); err != nil {
		return err
	}
	if path == "/" {
		return usagef("create: cannot create /")
	}
	mode, err := o.mode()
	if err != nil {
		return err
	}
	var data []byte
	if len(p.pos) > 1 {
		if data, err = a.dataArg(p.pos[1:], false); err != nil {
			return err
		}
	}
	return a.withClient(ctx, path, false, func(c *zkrecipes.Client) error {
		if err := ensureNamespace(c); err != nil {
			return err
		}
		var created string
		var err error
		if o.sequential {
			created, err = rawSequential(c, path, data, mode, o.ttl)
		} else {
			var opts []zkrecipes.CreateOption
			if o.ttl > 0 {
				opts = append(opts, zkrecipes.WithTTL(o.ttl))
			}
			created, err = c.Create(ctx, path, data, mode, opts...)
		}
		if err != nil {
			return err
		}
		if a.json {
			return a.printJSON(map[string]string{"path": created})
		}
		a.printf("%s\n", created)
		return nil
	})
}

// rawSequential creates a sequential node with the plain name the user
// gave, as zkCli does. The library's Create would add its protection prefix
// (which lets recipes find a node whose create reply was lost); a one-shot
// shell command reports such an ambiguous failure instead.
func rawSequential(c *zkrecipes.Client, path string, data []byte, mode zkrecipes.CreateMode, ttl time.Duration) (string, error) {
	conn, ns := c.Conn(), c.Namespace()
	ap := absPath(ns, path)
	var got string
	var err error
	if ttl > 0 {
		got, err = conn.CreateTTL(ap, data, int32(mode), c.ACL(), ttl)
	} else {
		got, err = conn.Create(ap, data, int32(mode), c.ACL())
	}
	if err != nil {
		if errors.Is(err, zk.ErrConnectionClosed) {
			err = fmt.Errorf("%w (the node may or may not have been created)", err)
		}
		return "", &zkrecipes.OpError{Op: "create", Path: path, Err: err}
	}
	return relPath(ns, got), nil
}

// ensureNamespace creates the namespace's nodes (persistent, empty) if
// they are missing, so "zkr --namespace /app create /x" works on a fresh
// ensemble.
func ensureNamespace(c *zkrecipes.Client) error {
	ns := c.Namespace()
	if ns == "" {
		return nil
	}
	conn := c.Conn()
	if ok, _, err := conn.Exists(ns); err != nil || ok {
		return err
	}
	for i := 1; i <= len(ns); i++ {
		if i < len(ns) && ns[i] != '/' {
			continue
		}
		_, err := conn.Create(ns[:i], nil, 0, c.ACL())
		if err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return &zkrecipes.OpError{Op: "create namespace", Path: ns[:i], Err: err}
		}
	}
	return nil
}
