package main

import (
	"context"
	"flag"
	"runtime/debug"
)

func init() {
	register(&command{
		name: "version", synopsis: "version", summary: "print zkr's version and the Go and go-zookeeper versions it was built with",
		setup: func(a *app, fs *flag.FlagSet) runner {
			return func(ctx context.Context, p parsed) error {
				if err := wantArgs("version", p.pos, 0, 0); err != nil {
					return err
				}
				a.printf("%s\n", versionString())
				return nil
			}
		},
	})
}

func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "zkr (unknown build)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	zk := "?"
	for _, d := range bi.Deps {
		if d.Path == "github.com/go-zookeeper/zk" {
			zk = d.Version
		}
	}
	return "zkr " + v + " (" + bi.GoVersion + ", go-zookeeper/zk " + zk + ")"
}
