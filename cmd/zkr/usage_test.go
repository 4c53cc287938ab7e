package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Usage errors are found before any connection, so these need no server.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"no command", nil, "Usage: zkr"},
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"unknown global flag", []string{"--bogus", "ls", "/"}, "flag provided but not defined: -bogus"},
		{"unknown command flag", []string{"ls", "--bogus", "/"}, "flag provided but not defined: -bogus"},
		{"relative path", []string{"get", "nopath"}, `invalid path "nopath": must start with /`},
		{"trailing slash", []string{"ls", "/a/"}, "trailing slash"},
		{"reserved path", []string{"create", "/zookeeper/x"}, "/zookeeper is reserved"},
		{"missing path", []string{"stat"}, "missing argument"},
		{"extra argument", []string{"delete", "/a", "/b"}, `unexpected argument "/b"`},
		{"bad flag value", []string{"set", "-v", "x", "/a", "d"}, "invalid value"},
		{"bad create mode", []string{"create", "-c", "-e", "/a"}, "-c cannot be combined"},
		{"lock without path", []string{"lock"}, "missing PATH"},
		{"lock bad path", []string{"lock", "x", "--", "true"}, "must start with /"},
		{"semaphore negative", []string{"lock", "--semaphore", "-2", "/l", "--", "true"}, "at least 1"},
		{"elect observe with cmd", []string{"elect", "--observe", "/e", "--", "true"}, "take no CMD"},
		{"elect bad layout", []string{"elect", "--layout", "mutex", "/e"}, "latch or selector"},
		{"barrier without members", []string{"barrier", "enter", "/b"}, "--members N"},
		{"barrier unknown sub", []string{"barrier", "open", "/b"}, `unknown subcommand "open"`},
		{"bench unknown workload", []string{"bench", "no-such-workload"}, `unknown workload "no-such-workload"`},
		{"bad auth", []string{"--auth", "nocolon", "ls", "/"}, "want user:password"},
		{"delete root", []string{"delete", "/"}, "refusing to delete /"},
		{"semaphore zero", []string{"lock", "--semaphore", "0", "/l", "--", "true"}, "at least 1"},
		{"server port not a number", []string{"--servers", "localhost:notaport", "ls", "/"}, `port "notaport" is not a number`},
		{"server port out of range", []string{"--servers", "localhost:70000", "ls", "/"}, "from 1 to 65535"},
		{"connect timeout zero", []string{"--connect-timeout", "0s", "ls", "/"}, "--connect-timeout must be positive"},
		{"bad acl", []string{"--acl", "world:anyone", "ls", "/"}, "want scheme:id:perms"},
		{"bad acl perms", []string{"create", "--acl", "world:anyone:rx", "/a"}, `permission 'x'`},
		{"auth and auth file", []string{"--auth", "a:b", "--auth-file", "/dev/null", "ls", "/"}, "exclude each other"},
		{"tls cert without key", []string{"--tls-cert", "/dev/null", "ls", "/"}, "go together"},
		{"missing config file", []string{"--config-file", "/nonexistent/zkr.conf", "ls", "/"}, "config file"},
		{"setacl bad acl", []string{"setacl", "/a", "nonsense"}, "want scheme:id:perms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runZkr(t, nil, append([]string{"--servers", "127.0.0.1:1"}, tc.args...)...)
			assert.Equal(t, exitUsage, r.code, "stderr: %s", r.stderr)
			assert.Contains(t, r.stderr, tc.msg)
			assert.Empty(t, r.stdout)
		})
	}
}

func TestHelp(t *testing.T) {
	r := runZkr(t, nil, "--help")
	assert.Equal(t, 0, r.code)
	for _, want := range []string{"lock", "elect", "queue", "barrier", "counter", "ls", "watch", "bench", "demo", "Exit codes:"} {
		assert.Contains(t, r.stdout, want)
	}
	for _, c := range commands {
		r := runZkr(t, nil, "help", c.name)
		assert.Equal(t, 0, r.code, c.name)
		assert.Contains(t, r.stdout, "zkr", c.name)
		if len(c.subs) == 0 {
			assert.Contains(t, r.stdout, "Usage: zkr [global flags] "+c.name, c.name)
		}
		r = runZkr(t, nil, c.name, "--help")
		assert.Equal(t, 0, r.code, c.name)
	}
}
