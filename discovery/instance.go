package discovery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/zkrecipes/zkrecipes"
)

// ServiceType is Curator's ServiceType: how an instance's node lives.
type ServiceType string

// The service types of Curator. Register supports Dynamic (the default:
// an ephemeral node, kept in place while registered), Static and
// Permanent (persistent nodes, which outlive the process until
// unregistered). DynamicSequential records are read, not written.
const (
	Dynamic           ServiceType = "DYNAMIC"
	Static            ServiceType = "STATIC"
	Permanent         ServiceType = "PERMANENT"
	DynamicSequential ServiceType = "DYNAMIC_SEQUENTIAL"
)

// Instance is one registered instance of a service: Curator's
// ServiceInstance, stored as its JSON at /<base>/<name>/<id>.
type Instance struct {
	Name    string // the service; a znode name
	ID      string // unique within the service; a znode name
	Address string // "" is written as null
	Port    int    // 0 is written as null (Java's Integer port left unset)
	SSLPort int    // 0 is written as null
	// Payload is the payload's JSON as stored, "@class" member included
	// (see MapPayload and DecodePayload); nil is written as null.
	Payload json.RawMessage
	// Registered is registrationTimeUTC, to the millisecond; Register
	// sets it to the current time when it is zero.
	Registered  time.Time
	ServiceType ServiceType // "" means Dynamic
	// URISpec is Curator's UriSpec as its template, e.g.
	// "{scheme}://{address}:{port}"; "" is written as null.
	URISpec string
	// Disabled is the negation of Curator's "enabled" (absent means
	// enabled): a disabled instance is listed but not picked.
	Disabled bool
}

// check validates what Register and Update take.
func (in *Instance) check() error {
	for _, f := range []struct{ what, v string }{{"name", in.Name}, {"id", in.ID}} {
		if f.v == "" || f.v == "." || f.v == ".." || strings.ContainsAny(f.v, "/\x00") {
			return fmt.Errorf("instance %s %q is not a znode name: %w", f.what, f.v, zkrecipes.ErrInvalidArgument)
		}
	}
	switch in.ServiceType {
	case "", Dynamic, Static, Permanent:
	default:
		return fmt.Errorf("service type %q cannot be registered: %w", in.ServiceType, zkrecipes.ErrInvalidArgument)
	}
	if _, err := parseURISpec(in.URISpec); err != nil {
		return err
	}
	if len(bytes.TrimSpace(in.Payload)) > 0 && !json.Valid(in.Payload) {
		return fmt.Errorf("payload is not valid JSON: %w", zkrecipes.ErrInvalidArgument)
	}
	return nil
}

func (in *Instance) serviceType() ServiceType {
	if in.ServiceType == "" {
		return Dynamic
	}
	return in.ServiceType
}
