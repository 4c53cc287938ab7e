package discovery_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
)

// Written by Curator 5.4's JsonInstanceSerializer(Map.class) (the
// serializer ServiceDiscoveryBuilder uses by default), captured with
// testdata/DiscoveryInterop.java's encode mode.
const (
	curatorDynamic = `{"name":"svc","id":"inst-00","address":"127.0.0.1","port":10000,"sslPort":null,` +
		`"payload":{"@class":"java.util.LinkedHashMap","zone":"z0","weight":1},"registrationTimeUTC":1700000000000,` +
		`"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},{"value":"://","variable":false},` +
		`{"value":"address","variable":true},{"value":":","variable":false},{"value":"port","variable":true}]}}`
	curatorStatic = `{"name":"svc","id":"i\"d\\u00e9<>","address":"127.0.0.1","port":10000,"sslPort":10443,` +
		`"payload":{"@class":"java.util.LinkedHashMap","zone":"z/0é","weight":1},"registrationTimeUTC":1700000000000,` +
		`"serviceType":"STATIC","uriSpec":null}`
)

// Records in the shape Spring Cloud Zookeeper and Dubbo 3 write (both
// through Curator's serializer, with payload classes of their own:
// ZookeeperInstance{id, name, metadata}), and one of a newer Curator
// with compatibleSerializationMode off (an "enabled" member).
const (
	springRecord = `{"name":"cloud-provider-payment","id":"6d4e5121-6c17-4023-8f7b-8922f8b70cae","address":"10.1.2.3",` +
		`"port":8005,"sslPort":null,"payload":{"@class":"org.springframework.cloud.zookeeper.discovery.ZookeeperInstance",` +
		`"id":"application-1","name":"cloud-provider-payment","metadata":{"instance_status":"UP"}},` +
		`"registrationTimeUTC":1610116500446,"serviceType":"DYNAMIC","uriSpec":{"parts":[{"value":"scheme","variable":true},` +
		`{"value":"://","variable":false},{"value":"address","variable":true},{"value":":","variable":false},{"value":"port","variable":true}]}}`
	dubboRecord = `{"name":"demo-provider","id":"10.1.2.4:20880","address":"10.1.2.4","port":20880,"sslPort":null,` +
		`"payload":{"@class":"org.apache.dubbo.registry.zookeeper.ZookeeperInstance","id":"10.1.2.4:20880","name":"demo-provider",` +
		`"metadata":{"dubbo.metadata.revision":"a1b2c3","dubbo.metadata.storage-type":"local"}},` +
		`"registrationTimeUTC":1654000000000,"serviceType":"DYNAMIC","uriSpec":null}`
	enabledFalseRecord = `{"name":"svc","id":"x","address":"h","port":1,"sslPort":null,"payload":null,` +
		`"registrationTimeUTC":5,"serviceType":"DYNAMIC","uriSpec":null,"enabled":false}`
)

func TestMarshal_CuratorBytes(t *testing.T) {
	payload := func(zone string) json.RawMessage {
		p, err := discovery.MapPayload(struct {
			Zone   string `json:"zone"`
			Weight int    `json:"weight"`
		}{zone, 1})
		require.NoError(t, err)
		return p
	}
	for _, tc := range []struct {
		name string
		in   discovery.Instance
		want string
	}{
		{"dynamic", discovery.Instance{Name: "svc", ID: "inst-00", Address: "127.0.0.1", Port: 10000,
			Payload: payload("z0"), Registered: time.UnixMilli(1700000000000), URISpec: "{scheme}://{address}:{port}"}, curatorDynamic},
		{"static, escapes", discovery.Instance{Name: "svc", ID: `i"d\u00e9<>`, Address: "127.0.0.1", Port: 10000, SSLPort: 10443,
			Payload: payload("z/0é"), Registered: time.UnixMilli(1700000000000), ServiceType: discovery.Static}, curatorStatic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := discovery.Marshal(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			back, err := discovery.Unmarshal(got)
			require.NoError(t, err)
			assert.Equal(t, tc.in.ID, back.ID)
			assert.Equal(t, tc.in.URISpec, back.URISpec)
			assert.True(t, tc.in.Registered.Equal(back.Registered))
		})
	}
}

func TestUnmarshal_OtherWriters(t *testing.T) {
	sp, err := discovery.Unmarshal([]byte(springRecord))
	require.NoError(t, err)
	assert.Equal(t, "cloud-provider-payment", sp.Name)
	assert.Equal(t, 8005, sp.Port)
	assert.Zero(t, sp.SSLPort)
	assert.False(t, sp.Disabled, "enabled absent means enabled")
	assert.Equal(t, "{scheme}://{address}:{port}", sp.URISpec)
	assert.Equal(t, "org.springframework.cloud.zookeeper.discovery.ZookeeperInstance", sp.Class())
	var spring struct {
		ID       string            `json:"id"`
		Metadata map[string]string `json:"metadata"`
	}
	require.NoError(t, sp.DecodePayload(&spring))
	assert.Equal(t, "UP", spring.Metadata["instance_status"])
	assert.Equal(t, int64(1610116500446), sp.Registered.UnixMilli())

	db, err := discovery.Unmarshal([]byte(dubboRecord))
	require.NoError(t, err)
	assert.Equal(t, discovery.Dynamic, db.ServiceType)
	assert.Empty(t, db.URISpec)
	var dubbo map[string]any
	require.NoError(t, db.DecodePayload(&dubbo))
	assert.NotContains(t, dubbo, "@class")
	assert.Equal(t, "demo-provider", dubbo["name"])

	// Read back, written again: a payload of another class survives as is.
	again, err := discovery.Marshal(db)
	require.NoError(t, err)
	assert.JSONEq(t, dubboRecord, string(again))

	off, err := discovery.Unmarshal([]byte(enabledFalseRecord))
	require.NoError(t, err)
	assert.True(t, off.Disabled)
	assert.Nil(t, off.Payload)
	b, err := discovery.Marshal(off)
	require.NoError(t, err)
	assert.Equal(t, enabledFalseRecord, string(b), "disabled is written as Curator's enabled:false")

	_, err = discovery.Unmarshal([]byte(`{"name":`))
	assert.ErrorIs(t, err, discovery.ErrCorrupt)
}

func TestMapPayload(t *testing.T) {
	p, err := discovery.MapPayload(map[string]any{"b": 1, "a": "<&>"})
	require.NoError(t, err)
	assert.Equal(t, `{"@class":"java.util.LinkedHashMap","a":"<&>","b":1}`, string(p))
	p, err = discovery.MapPayload(map[string]string{})
	require.NoError(t, err)
	assert.Equal(t, `{"@class":"java.util.LinkedHashMap"}`, string(p))
	p, err = discovery.MapPayload(map[string]string{"@class": "com.example.Meta", "k": "v"})
	require.NoError(t, err)
	assert.Equal(t, `{"@class":"com.example.Meta","k":"v"}`, string(p), "a class of the caller's own is kept")
	_, err = discovery.MapPayload([]int{1})
	assert.Error(t, err)
}

func TestMarshal_URISpec(t *testing.T) {
	for _, bad := range []string{"{a", "a}", "{{a}}", "{a{b}}"} {
		_, err := discovery.Marshal(discovery.Instance{Name: "s", ID: "i", URISpec: bad})
		assert.ErrorIs(t, err, zkrecipes.ErrInvalidArgument, bad)
	}
	b, err := discovery.Marshal(discovery.Instance{Name: "s", ID: "i", URISpec: "http://{address}/x"})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"uriSpec":{"parts":[{"value":"http://","variable":false},{"value":"address","variable":true},{"value":"/x","variable":false}]}`)
}
