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
				if a.json {
					return a.printJSON(versionInfo())
				}
				a.printf("%s\n", versionString())
				return nil
			}
		},
	})
}

// versionInfo is the version as JSON fields: version (the module version,
// "(devel)" for a local build), revision (the VCS commit, "" if unknown),
// go and zk (the Go and go-zookeeper versions).
func versionInfo() map[string]string {
	out := map[string]string{"version": "unknown", "revision": "", "go": "", "zk": ""}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	out["version"], out["go"] = bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			out["revision"] = s.Value
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/go-zookeeper/zk" {
			out["zk"] = d.Version
		}
	}
	return out
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
