package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The recipes' nodes get the ACL of --acl: a lock taken by alice inside a
// protected tree cannot be deleted by another client.
func TestIntegration_ACL_LockNodeProtected(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, out, errb := zkrCmd(ctx, nil, e.args("--auth", "alice:secret", "--acl", "auth::cdrwa", "--json", "lock", "/locks/acl")...)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.HasSuffix(out.String(), "\n") }, 20*time.Second, 20*time.Millisecond, errb.String())
	var held struct {
		Node  string
		Token int64
	}
	require.NoError(t, json.Unmarshal([]byte(out.String()), &held))
	require.NotEmpty(t, held.Node)

	err := e.c.Delete(ctx, held.Node, -1)
	assert.ErrorIs(t, err, zk.ErrNoAuth, "a client without alice's credentials must not delete her lock")
	_, _, err = e.c.Children(ctx, "/locks/acl")
	assert.ErrorIs(t, err, zk.ErrNoAuth, "the lock's directory is protected too")

	credFile := filepath.Join(t.TempDir(), "alice")
	require.NoError(t, os.WriteFile(credFile, []byte("alice:secret\n"), 0o600))
	r := runZkr(t, nil, e.args("--auth-file", credFile, "getacl", held.Node)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `^digest:alice:[A-Za-z0-9+/=]+:cdrwa\n$`, r.stdout)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, waitExit(t, cmd, 20*time.Second), errb.String())
}

// create --acl, getacl and setacl, with credentials from --auth-file and
// $ZKR_AUTH (never on the command line, where ps shows them).
func TestIntegration_ACL_CreateGetSet(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	credFile := filepath.Join(t.TempDir(), "alice")
	require.NoError(t, os.WriteFile(credFile, []byte("alice:secret\n"), 0o600))

	cmd, _, errb := zkrCmd(ctx, nil, e.args("create", "--acl", "auth::cdrwa", "/secret", "x")...)
	cmd.Env = append(cmd.Env, "ZKR_AUTH=alice:secret")
	require.NoError(t, cmd.Run(), errb.String())
	_, _, err := e.c.Get(ctx, "/secret")
	assert.ErrorIs(t, err, zk.ErrNoAuth)

	r := runZkr(t, nil, e.args("get", "/secret")...)
	assert.Equal(t, exitFailure, r.code)
	assert.Contains(t, r.stderr, "not authenticated")
	r = runZkr(t, nil, e.args("--auth-file", credFile, "get", "/secret")...)
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "x", r.stdout)

	r = runZkr(t, nil, e.args("--auth-file", credFile, "setacl", "/secret", "auth::cdrwa,world:anyone:r")...)
	require.Equal(t, 0, r.code, r.stderr)
	data, _, err := e.c.Get(ctx, "/secret")
	require.NoError(t, err)
	assert.Equal(t, "x", string(data))
	_, err = e.c.Set(ctx, "/secret", []byte("y"), -1)
	assert.ErrorIs(t, err, zk.ErrNoAuth)

	r = runZkr(t, nil, e.args("getacl", "--json", "/secret")...)
	require.Equal(t, 0, r.code, r.stderr)
	var got struct {
		Path string
		ACL  []struct{ Scheme, ID, Perms string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
	require.Len(t, got.ACL, 2)
	assert.Equal(t, "digest", got.ACL[0].Scheme)
	assert.True(t, strings.HasPrefix(got.ACL[0].ID, "alice:"))
	assert.Equal(t, "cdrwa", got.ACL[0].Perms)
	assert.Equal(t, "world", got.ACL[1].Scheme)
	assert.Equal(t, "r", got.ACL[1].Perms)
}
