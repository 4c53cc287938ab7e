package memberopt_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/internal/memberopt"
	"github.com/zkrecipes/zkrecipes/internal/misuse"
)

func apply(opts ...func(*memberopt.Options)) (memberopt.Options, error) {
	var o memberopt.Options
	err := misuse.Apply("group", "New", &o, &o.Errs, opts)
	return o, err
}

func TestOptions(t *testing.T) {
	o, err := apply()
	require.NoError(t, err)
	assert.Empty(t, o.Node(), "defaults: node's own")
	assert.Len(t, o.Create(), 1, "parents only")

	acl := zk.WorldACL(zk.PermRead)
	o, err = apply(memberopt.ACL(acl), memberopt.ConflictWait(time.Second))
	require.NoError(t, err)
	assert.Equal(t, acl, o.ACL)
	assert.Equal(t, time.Second, o.ConflictWait)
	assert.Len(t, o.Node(), 2)
	assert.Len(t, o.Create(), 2)

	for name, opt := range map[string]func(*memberopt.Options){
		"group: New: WithACL: empty ACL":                     memberopt.ACL([]zk.ACL{}),
		"group: New: WithConflictWait(0s): must be positive": memberopt.ConflictWait(0),
	} {
		_, err := apply(opt)
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument, name)
		assert.ErrorContains(t, err, name)
	}
}
