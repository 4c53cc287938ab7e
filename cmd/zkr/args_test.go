package main

import (
	"context"
	"flag"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseArgs(t *testing.T) {
	newFS := func() (*flag.FlagSet, *time.Duration, *bool) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return fs, fs.Duration("timeout", 0, ""), fs.Bool("R", false, "")
	}
	cases := []struct {
		name     string
		args     []string
		pos      []string
		after    []string
		dashdash bool
		timeout  time.Duration
		r        bool
	}{
		{"flags first", []string{"--timeout", "5s", "-R", "/p"}, []string{"/p"}, nil, false, 5 * time.Second, true},
		{"flags after", []string{"/p", "--timeout=5s", "-R"}, []string{"/p"}, nil, false, 5 * time.Second, true},
		{"command", []string{"/p", "--timeout", "1s", "--", "ls", "-l", "--timeout"}, []string{"/p"}, []string{"ls", "-l", "--timeout"}, true, time.Second, false},
		{"negative number", []string{"/c", "-5"}, []string{"/c", "-5"}, nil, false, 0, false},
		{"stdin dash", []string{"/c", "-"}, []string{"/c", "-"}, nil, false, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, timeout, r := newFS()
			p, err := parseArgs(fs, tc.args, false, io.Discard)
			require.NoError(t, err)
			assert.Equal(t, tc.pos, p.pos)
			assert.Equal(t, tc.after, p.after)
			assert.Equal(t, tc.dashdash, p.dashdash)
			assert.Equal(t, tc.timeout, *timeout)
			assert.Equal(t, tc.r, *r)
		})
	}
}

func TestParseArgsIgnoreUnknown(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	n := fs.Int("w1-cycles", 0, "")
	p, err := parseArgs(fs, []string{"--w5-variants", "fast,default", "--w1-cycles", "7", "--foo=bar", "--flag"}, true, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 7, *n)
	assert.Empty(t, p.pos)

	_, err = parseArgs(fs, []string{"--w5-variants", "x"}, false, io.Discard)
	assert.Equal(t, exitUsage, exitCode(context.Background(), err))
}

func TestAnchorMode(t *testing.T) {
	assert.True(t, anchorMode([]string{"--connect", "h:1", "--workloads", "w1"}))
	assert.True(t, anchorMode([]string{"--workloads=raw"}))
	assert.False(t, anchorMode([]string{"all", "--json"}))
}

func TestSelectWorkloads(t *testing.T) {
	ws, err := selectWorkloads(nil, "raw", io.Discard)
	require.NoError(t, err)
	require.NotEmpty(t, ws)
	assert.Equal(t, "rtt", ws[0].Name)

	ws, err = selectWorkloads([]string{"all"}, "", io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "rtt", ws[0].Name, "rtt runs first")

	ws, err = selectWorkloads([]string{"list"}, "", io.Discard)
	require.NoError(t, err)
	assert.Nil(t, ws)

	_, err = selectWorkloads([]string{"nope"}, "", io.Discard)
	assert.Equal(t, exitUsage, exitCode(context.Background(), err))
}

func TestCreateMode(t *testing.T) {
	for _, bad := range []createFlags{
		{container: true, ephemeral: true},
		{ttl: time.Second, ephemeral: true},
		{ttl: -time.Second},
	} {
		_, err := bad.mode()
		assert.Error(t, err, "%+v", bad)
	}
	m, err := createFlags{sequential: true, ttl: time.Minute}.mode()
	require.NoError(t, err)
	assert.EqualValues(t, 6, m)
}

func TestExitCode(t *testing.T) {
	ctx := context.Background()
	assert.Equal(t, 0, exitCode(ctx, nil))
	assert.Equal(t, 1, exitCode(ctx, io.EOF))
	assert.Equal(t, 2, exitCode(ctx, usagef("x")))
	assert.Equal(t, 3, exitCode(ctx, lostf("x")))
	assert.Equal(t, 4, exitCode(ctx, timeoutf("x")))
	assert.Equal(t, 42, exitCode(ctx, status(42)))
	assert.Equal(t, 0, exitCode(ctx, flag.ErrHelp))
}

func TestNamespacePaths(t *testing.T) {
	assert.Equal(t, "/ns/a", absPath("/ns", "/a"))
	assert.Equal(t, "/ns", absPath("/ns", "/"))
	assert.Equal(t, "/a", absPath("", "/a"))
	assert.Equal(t, "/a", relPath("/ns", "/ns/a"))
	assert.Equal(t, "/", relPath("/ns", "/ns"))
}
