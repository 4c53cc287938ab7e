package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With no server listening, or one that never answers (a black hole past
// the TCP handshake), zkr fails with exit 1 and says why within
// --connect-timeout, with no hang.
func TestConnectFailureIsClearAndBounded(t *testing.T) {
	refused, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := refused.Addr().String()
	refused.Close()
	hole, err := net.Listen("tcp", "127.0.0.1:0") // accepted by the kernel, never answered
	require.NoError(t, err)
	defer hole.Close()

	for _, tc := range []struct{ name, addr, why string }{
		{"NoServer", closedAddr, "connection refused"},
		{"BlackHole", hole.Addr().String(), "no ZooKeeper session"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := runZkr(t, nil, "--servers", tc.addr, "--connect-timeout", "1s", "ls", "/")
			took := time.Since(start)
			assert.Equal(t, exitFailure, r.code)
			assert.Contains(t, r.stderr, "no ZooKeeper session with "+tc.addr+" within 1s")
			assert.Contains(t, r.stderr, tc.why)
			assert.Less(t, took, 5*time.Second)
			t.Logf("%v: %s", took, r.stderr)

			r = runZkr(t, nil, "--servers", tc.addr, "--connect-timeout", "1s", "--json", "--high-exit-codes", "ls", "/")
			assert.Equal(t, highExitBase+exitFailure, r.code)
			var rec map[string]any
			require.NoError(t, json.Unmarshal([]byte(lastLine(r.stderr)), &rec), r.stderr)
			assert.Equal(t, "error", rec["level"])
			assert.Equal(t, "zkr", rec["by"])
			assert.Equal(t, "failure", rec["kind"])
			assert.EqualValues(t, highExitBase+exitFailure, rec["exit"])
			assert.Contains(t, rec["error"], "no ZooKeeper session")
		})
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}
