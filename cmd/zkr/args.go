package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/zkrecipes/zkrecipes/internal/zkpath"
)

// parsed is a command line split into flags, positional arguments and the
// words after "--" (the command to run).
type parsed struct {
	pos      []string
	after    []string
	dashdash bool
}

// parseArgs parses fs's flags wherever they appear before "--", so that
// "zkr lock /p --timeout 5s -- cmd" and "zkr lock --timeout 5s /p -- cmd"
// both work. Negative numbers ("-5") are positional. With ignoreUnknown,
// unknown flags (and a following value word) are dropped with a note on
// stderr: the anchor harness passes flags meant for other programs.
func parseArgs(fs *flag.FlagSet, args []string, ignoreUnknown bool, stderr io.Writer) (parsed, error) {
	var p parsed
	var flags []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			p.after, p.dashdash = args[i+1:], true
			break
		}
		if !isFlag(a) {
			p.pos = append(p.pos, a)
			continue
		}
		name, hasVal := flagName(a)
		f := fs.Lookup(name)
		needsVal := f != nil && !hasVal && !isBoolFlag(f)
		switch {
		case f == nil && ignoreUnknown && name != "h" && name != "help":
			if !hasVal && i+1 < len(args) && !isFlag(args[i+1]) && args[i+1] != "--" {
				i++
			}
			fmt.Fprintf(stderr, "zkr: ignoring unknown flag %s\n", a)
		case needsVal && i+1 < len(args):
			flags = append(flags, a, args[i+1])
			i++
		default:
			flags = append(flags, a)
		}
	}
	if err := fs.Parse(flags); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return p, err
		}
		return p, usagef("%s: %v", fs.Name(), err)
	}
	return p, nil
}

func isFlag(a string) bool {
	if len(a) < 2 || a[0] != '-' {
		return false
	}
	if a[1] >= '0' && a[1] <= '9' {
		return false // a negative number
	}
	return a != "--"
}

func flagName(a string) (name string, hasVal bool) {
	name = strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		return name[:i], true
	}
	return name, false
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// validPath checks a znode path before any I/O: bad paths are usage errors.
func validPath(p string, read bool) error {
	check := zkpath.Validate
	if read {
		check = zkpath.ValidateAny
	}
	if err := check(p); err != nil {
		return usagef("%v", err)
	}
	return nil
}

// wantArgs checks the number of positional arguments.
func wantArgs(cmd string, pos []string, min, max int) error {
	switch {
	case len(pos) < min:
		return usagef("%s: missing argument (see 'zkr help %s')", cmd, strings.Fields(cmd)[0])
	case max >= 0 && len(pos) > max:
		return usagef("%s: unexpected argument %q", cmd, pos[max])
	}
	return nil
}

// absPath turns a namespace-relative path into the server's path.
func absPath(ns, p string) string {
	ns = strings.TrimSuffix(ns, "/")
	if ns == "" {
		return p
	}
	if p == "/" {
		return ns
	}
	return ns + p
}

// relPath is absPath's inverse for paths under ns.
func relPath(ns, p string) string {
	ns = strings.TrimSuffix(ns, "/")
	switch {
	case ns == "":
		return p
	case p == ns:
		return "/"
	case strings.HasPrefix(p, ns+"/"):
		return p[len(ns):]
	}
	return p
}
