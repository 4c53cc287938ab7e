package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// runner runs a command once its flags are parsed.
type runner func(ctx context.Context, p parsed) error

// command is one "zkr NAME" (or "zkr GROUP NAME") command.
type command struct {
	name     string
	synopsis string // after "zkr [global flags] "
	summary  string // one line for the command list
	details  string // paragraphs for "zkr help NAME"
	examples []string

	// setup registers the command's flags on fs and returns its runner.
	// It has no side effects, so help can call it to list the flags.
	setup func(a *app, fs *flag.FlagSet) runner
	subs  []*command // a group ("queue put|take|..."): setup is nil

	takesCmd          bool                // words after "--" are a command to run
	ownSessionTimeout bool                // setup registers --session-timeout itself
	ignoreUnknown     func([]string) bool // drop unknown flags for these args
	parent            *command            // set for members of a group
}

var commands []*command

func register(c *command) {
	for _, s := range c.subs {
		s.parent = c
	}
	commands = append(commands, c)
}

func lookupCommand(name string) (*command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return nil, false
}

func (c *command) fullName() string {
	if c.parent != nil {
		return c.parent.name + " " + c.name
	}
	return c.name
}

func (c *command) run(ctx context.Context, a *app, args []string) error {
	if len(c.subs) > 0 {
		return c.runGroup(ctx, a, args)
	}
	fs := flag.NewFlagSet("zkr "+c.fullName(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.globalFlags(fs, !c.ownSessionTimeout)
	r := c.setup(a, fs)
	ignore := c.ignoreUnknown != nil && c.ignoreUnknown(args)
	p, err := parseArgs(fs, args, ignore, a.stderr)
	if errors.Is(err, flag.ErrHelp) {
		a.printCommandHelp(a.stdout, c, c.flags(a))
		return nil
	}
	if err != nil {
		return err
	}
	a.noteGiven(fs)
	if err := a.loadSettings(); err != nil {
		return err
	}
	if !c.takesCmd && p.dashdash {
		p.pos = append(p.pos, p.after...)
		p.after, p.dashdash = nil, false
	}
	return r(ctx, p)
}

func (c *command) runGroup(ctx context.Context, a *app, args []string) error {
	if len(args) == 0 {
		return usagef("%s: missing subcommand (%s)", c.name, c.subNames())
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		a.printCommandHelp(a.stdout, c, nil)
		return nil
	}
	for _, s := range c.subs {
		if s.name == args[0] {
			return s.run(ctx, a, args[1:])
		}
	}
	return usagef("%s: unknown subcommand %q (%s)", c.name, args[0], c.subNames())
}

func (c *command) subNames() string {
	var names []string
	for _, s := range c.subs {
		names = append(names, s.name)
	}
	return strings.Join(names, "|")
}

// flags returns a flag set with only the command's own flags, for help.
func (c *command) flags(a *app) *flag.FlagSet {
	if c.setup == nil {
		return nil
	}
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.setup(&app{}, fs)
	return fs
}

func (a *app) printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	if len(c.subs) > 0 {
		fmt.Fprintf(w, "zkr %s: %s\n", c.name, c.summary)
		if c.details != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.details))
		}
		for _, s := range c.subs {
			fmt.Fprintln(w)
			fmt.Fprintln(w, strings.Repeat("-", 72))
			a.printCommandHelp(w, s, s.flags(a))
		}
		return
	}
	fmt.Fprintf(w, "Usage: zkr [global flags] %s\n\n%s\n", c.synopsis, c.summary)
	if c.details != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.details))
	}
	if fs != nil && hasFlags(fs) {
		fmt.Fprintf(w, "\nFlags:\n")
		printFlags(w, fs)
	}
	if len(c.examples) > 0 {
		fmt.Fprintf(w, "\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	if c.parent == nil {
		fmt.Fprintf(w, "\nGlobal flags (see 'zkr --help') may also follow the command name.\n")
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}
