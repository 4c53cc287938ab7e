package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The connection settings come from flags, the environment and a config
// file under the same names; a flag wins over the environment, which wins
// over the file.
func TestIntegration_Settings_FlagsEnvironmentConfigFile(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("create", "/here", "x")...)
	require.Equal(t, 0, r.code, r.stderr)

	dir := t.TempDir()
	conf := filepath.Join(dir, "zkr.conf")
	require.NoError(t, os.WriteFile(conf, []byte("# zkr settings\nservers = "+e.servers+"\nnamespace = \""+e.ns+"\"\nconnect-timeout=20s\n"), 0o600))

	run := func(env []string, args ...string) result {
		t.Helper()
		ctx := t.Context()
		cmd, out, errb := zkrCmd(ctx, nil, args...)
		cmd.Env = append(cmd.Env, env...)
		code := 0
		if err := cmd.Run(); err != nil {
			code = cmd.ProcessState.ExitCode()
		}
		return result{code, out.String(), errb.String()}
	}
	r = run(nil, "--config-file", conf, "ls", "/")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "here\n", r.stdout, "servers and namespace from --config-file")

	r = run([]string{"ZKR_CONFIG_FILE=" + conf}, "ls", "/")
	assert.Equal(t, "here\n", r.stdout, "the file named by $ZKR_CONFIG_FILE: %s", r.stderr)

	// The default file, under the user's config directory.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "zkr"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "zkr", "config"), []byte("servers = "+e.servers+"\nnamespace = "+e.ns+"\n"), 0o600))
	r = run([]string{"XDG_CONFIG_HOME=" + dir}, "ls", "/")
	assert.Equal(t, "here\n", r.stdout, "the default config file: %s", r.stderr)

	r = run([]string{"ZKR_SERVERS=" + e.servers, "ZKR_NAMESPACE=" + e.ns}, "ls", "/")
	assert.Equal(t, "here\n", r.stdout, "from the environment: %s", r.stderr)

	r = run([]string{"ZKR_NAMESPACE=/elsewhere"}, "--config-file", conf, "ls", "/")
	assert.Equal(t, 1, r.code, "the environment wins over the file: %s", r.stderr)
	assert.Contains(t, r.stderr, "node does not exist")

	r = run([]string{"ZKR_NAMESPACE=/elsewhere"}, "--config-file", conf, "--namespace", e.ns, "ls", "/")
	assert.Equal(t, "here\n", r.stdout, "a flag wins over the environment: %s", r.stderr)

	r = run([]string{"ZKR_CONNECT_TIMEOUT=soon"}, "--config-file", conf, "ls", "/")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, "$ZKR_CONNECT_TIMEOUT")

	require.NoError(t, os.WriteFile(conf, []byte("servers = "+e.servers+"\nsesion-timeout = 5s\n"), 0o600))
	r = run(nil, "--config-file", conf, "ls", "/")
	assert.Equal(t, exitUsage, r.code)
	assert.Contains(t, r.stderr, conf+`:2: unknown setting "sesion-timeout"`)
}
