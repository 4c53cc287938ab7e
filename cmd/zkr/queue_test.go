package main

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes/queue"
)

func TestIntegration_Queue_PutTakeBinarySafe(t *testing.T) {
	e := newEnv(t)
	payloads := [][]byte{
		{0, 0xff, 'a', 0, '\n', 0xfe, 0x80, 0},
		[]byte("plain text\n"),
		{},
	}
	for _, p := range payloads {
		r := runZkr(t, p, e.args("queue", "put", "/q")...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.NotEmpty(t, strings.TrimSpace(r.stdout), "prints the id")
	}
	r := runZkr(t, nil, e.args("queue", "len", "/q")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "3\n", r.stdout)
	for _, p := range payloads {
		r := runZkr(t, nil, e.args("queue", "take", "--timeout", "10s", "/q")...)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, p, []byte(r.stdout))
	}
	r = runZkr(t, nil, e.args("queue", "take", "--timeout", "200ms", "/q")...)
	assert.Equal(t, exitTimeout, r.code, r.stderr)
}

func TestIntegration_Queue_ExecAcksOnlyOnSuccess(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, []byte{'x', 0, 0xff}, e.args("queue", "put", "/q")...)
	require.Equal(t, 0, r.code, r.stderr)

	// CMD fails: the message goes back, zkr exits with CMD's status.
	r = runZkr(t, nil, e.args("queue", "take", "--exec", "cat >/dev/null; exit 9", "/q")...)
	assert.Equal(t, 9, r.code, r.stderr)
	// CMD gets the exact bytes on stdin and succeeds: acknowledged.
	r = runZkr(t, nil, e.args("queue", "take", "/q", "--", "sh", "-c", `od -An -tx1 | tr -d ' \n'; echo " $ZKR_MESSAGE_DELIVERIES"`)...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "7800ff 2\n", r.stdout, "second delivery, exact bytes")
	r = runZkr(t, nil, e.args("queue", "len", "/q")...)
	assert.Equal(t, "0\n", r.stdout)
}

func TestIntegration_Queue_KilledConsumerMessageIsRedelivered(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, []byte("job"), e.args("queue", "put", "/q")...)
	require.Equal(t, 0, r.code, r.stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, out, errb := zkrCmd(ctx, nil, e.args("--session-timeout", "1s", "queue", "take", "--exec", "echo started; exec sleep 30", "/q")...)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "started") }, 20*time.Second, 20*time.Millisecond, errb.String())
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()

	r = runZkr(t, nil, e.args("queue", "take", "--timeout", "20s", "--json", "/q")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, `"data":"job"`)
	assert.Contains(t, r.stdout, `"deliveries":2`)
}

func TestIntegration_Queue_InterruptReturnsMessage(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, []byte("job"), e.args("queue", "put", "/q")...)
	require.Equal(t, 0, r.code, r.stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd, out, errb := zkrCmd(ctx, nil, e.args("queue", "take", "--exec", "echo started; exec sleep 30", "/q")...)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "started") }, 20*time.Second, 20*time.Millisecond, errb.String())
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 128+int(syscall.SIGTERM), waitExit(t, cmd, 20*time.Second), errb.String())
	// Returned at once (Nack), not after a session timeout.
	r = runZkr(t, nil, e.args("queue", "take", "--timeout", "2s", "/q")...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "job", r.stdout)
}

// queue peek only reads: an operator's peeks use up none of a message's
// deliveries, so it is not dead-lettered before any consumer saw it.
func TestIntegration_Queue_PeekCountsNoDelivery(t *testing.T) {
	e := newEnv(t)
	r := runZkr(t, nil, e.args("queue", "put", "/q", "job")...)
	require.Equal(t, 0, r.code, r.stderr)
	id := strings.TrimSpace(r.stdout)
	for range 3 {
		r = runZkr(t, nil, e.args("queue", "peek", "--json", "/q")...)
		require.Equal(t, 0, r.code, r.stderr)
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &m))
		assert.Equal(t, id, m["id"])
		assert.Equal(t, "job", m["data"])
		assert.EqualValues(t, 0, m["deliveries"])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q, err := queue.New(e.c, "/q", queue.WithMaxDeliveries(2))
	require.NoError(t, err)
	m, err := q.Take(ctx)
	require.NoError(t, err, "the message must not have been dead-lettered by peeks")
	assert.Equal(t, 1, m.Deliveries)
	require.NoError(t, m.Ack(ctx))
}
