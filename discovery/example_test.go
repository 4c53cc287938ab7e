package discovery_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zkrecipes/zkrecipes"
	"github.com/zkrecipes/zkrecipes/discovery"
)

// A server registers itself where Java services on Curator, Spring Cloud
// Zookeeper or Dubbo 3 look, and stays registered until it unregisters.
func ExampleDiscovery_Register() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	d, err := discovery.New(c, "/services")
	if err != nil {
		log.Fatal(err)
	}
	payload, err := discovery.MapPayload(map[string]any{"zone": "eu-1", "weight": 10})
	if err != nil {
		log.Fatal(err)
	}
	r, err := d.Register(ctx, discovery.Instance{
		Name: "orders", ID: "orders-7", Address: "10.0.0.7", Port: 8080,
		Payload: payload, URISpec: "{scheme}://{address}:{port}",
	})
	if err != nil {
		log.Fatal(err) // ErrConflict: another live process is orders-7
	}
	defer r.Unregister(context.WithoutCancel(ctx))

	// Draining: listed, but Curator's providers no longer pick it.
	in := r.Instance()
	in.Disabled = true
	if err := r.Update(ctx, in); err != nil {
		log.Print(err)
	}
}

// A client lists who is up.
func ExampleDiscovery_Instances() {
	ctx := context.Background()
	c, err := zkrecipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	d, err := discovery.New(c, "/services")
	if err != nil {
		log.Fatal(err)
	}
	ins, err := d.Instances(ctx, "orders")
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range ins {
		var meta struct{ Zone string }
		if err := in.DecodePayload(&meta); err != nil {
			log.Print(err)
		}
		fmt.Printf("%s %s:%d zone=%s disabled=%v\n", in.ID, in.Address, in.Port, meta.Zone, in.Disabled)
	}
}
