package config_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/config"
	"github.com/zkrecipes/zkrecipes/zktest"
)

type flags struct {
	Checkout bool `json:"checkout"`
	Limit    int  `json:"limit"`
}

func TestValue_BadInput(t *testing.T) {
	c := new(zkrecipes.Client) // never used for I/O
	_, err := config.New[flags](c, "no-slash")
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidPath)
	assert.ErrorContains(t, err, "config: New: ")
	_, err = config.New[flags](c, "/a", config.WithCodec(func(b []byte) (int, error) { return strconv.Atoi(string(b)) }, nil))
	assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument)
	assert.ErrorContains(t, err, "does not match the value type config_test.flags")
	assert.PanicsWithValue(t, "config: New: nil client", func() { _, _ = config.New[flags](nil, "/a") })
}

func TestIntegration_Value_WaitSetCompareAndSetDelete(t *testing.T) {
	zktest.SkipIfShort(t)
	c := zktest.Client(t)
	ctx := zktest.Context(t, 20*time.Second)
	v := zktest.Must(config.New[flags](c, "/config/flags"))
	defer v.Close()
	sub := v.Subscribe()
	defer sub.Close()
	require.NoError(t, v.Start(ctx))
	_, err := v.Get()
	require.ErrorIs(t, err, config.ErrAbsent)

	waited := make(chan config.Current[flags], 1)
	go func() {
		cur, err := v.Wait(ctx)
		assert.NoError(t, err)
		waited <- cur
	}()
	ok, err := v.CompareAndSet(ctx, config.Absent, flags{Limit: 1})
	require.NoError(t, err)
	require.True(t, ok)
	cur := <-waited
	assert.Equal(t, flags{Limit: 1}, cur.Value)
	u, err := sub.Next(ctx)
	require.NoError(t, err)
	assert.True(t, u.Present)
	assert.Equal(t, 1, u.Value.Limit)

	ok, err = v.CompareAndSet(ctx, config.Absent, flags{Limit: 9})
	require.NoError(t, err)
	assert.False(t, ok, "created over an existing node")
	ok, err = v.CompareAndSet(ctx, cur.Version, flags{Limit: 2})
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = v.CompareAndSet(ctx, cur.Version, flags{Limit: 3})
	require.NoError(t, err)
	assert.False(t, ok, "a stale version wrote")
	u, err = sub.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, u.Value.Limit)
	got, err := v.Get()
	require.NoError(t, err)
	assert.Equal(t, 2, got.Value.Limit)
	assert.Equal(t, int32(1), got.Version)

	require.NoError(t, v.Set(ctx, flags{Checkout: true}))
	u, err = sub.Next(ctx)
	require.NoError(t, err)
	assert.True(t, u.Value.Checkout)

	_, err = c.Set(ctx, "/config/flags", []byte("not json"), -1)
	require.NoError(t, err)
	u, err = sub.Next(ctx)
	require.NoError(t, err)
	assert.True(t, u.Present)
	assert.Error(t, u.Err)
	_, err = v.Get()
	var syn *json.SyntaxError
	assert.True(t, errors.As(err, &syn), "%v", err)

	require.NoError(t, c.Delete(ctx, "/config/flags", -1))
	u, err = sub.Next(ctx)
	require.NoError(t, err)
	assert.False(t, u.Present, "a deleted node is absent")
	_, err = v.Get()
	assert.ErrorIs(t, err, config.ErrAbsent)

	require.NoError(t, v.Set(ctx, flags{Limit: 7}), "Set creates")
	u, err = sub.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, 7, u.Value.Limit)

	wctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = v.Wait(wctx)
	assert.NoError(t, err, "the node exists: no wait")
}
