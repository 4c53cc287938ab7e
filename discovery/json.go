package discovery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Marshal returns in's JSON, byte for byte what Curator 5's default
// JsonInstanceSerializer writes for the same values: its field order,
// null for absent values, Jackson's string escapes, and no "enabled"
// member unless the instance is disabled (Curator's compatible mode,
// its default, omits it; every Curator reader takes absent as true).
func Marshal(in Instance) ([]byte, error) {
	spec, err := parseURISpec(in.URISpec)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"name":`)
	quote(&b, in.Name)
	b.WriteString(`,"id":`)
	quote(&b, in.ID)
	b.WriteString(`,"address":`)
	optString(&b, in.Address)
	b.WriteString(`,"port":`)
	optInt(&b, in.Port)
	b.WriteString(`,"sslPort":`)
	optInt(&b, in.SSLPort)
	b.WriteString(`,"payload":`)
	if p := bytes.TrimSpace(in.Payload); len(p) > 0 {
		if err := json.Compact(&b, p); err != nil {
			return nil, fmt.Errorf("discovery: payload: %w", err)
		}
	} else {
		b.WriteString("null")
	}
	b.WriteString(`,"registrationTimeUTC":`)
	b.WriteString(strconv.FormatInt(in.Registered.UnixMilli(), 10))
	b.WriteString(`,"serviceType":`)
	quote(&b, string(in.serviceType()))
	b.WriteString(`,"uriSpec":`)
	if spec == nil {
		b.WriteString("null")
	} else {
		b.WriteString(`{"parts":[`)
		for i, p := range spec {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"value":`)
			quote(&b, p.Value)
			b.WriteString(`,"variable":`)
			b.WriteString(strconv.FormatBool(p.Variable))
			b.WriteByte('}')
		}
		b.WriteString("]}")
	}
	if in.Disabled {
		b.WriteString(`,"enabled":false`)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// record is the JSON of an instance as read: pointers tell absent and
// null from zero values.
type record struct {
	Name                string          `json:"name"`
	ID                  string          `json:"id"`
	Address             *string         `json:"address"`
	Port                *int            `json:"port"`
	SSLPort             *int            `json:"sslPort"`
	Payload             json.RawMessage `json:"payload"`
	RegistrationTimeUTC int64           `json:"registrationTimeUTC"`
	ServiceType         string          `json:"serviceType"`
	URISpec             *struct {
		Parts []uriPart `json:"parts"`
	} `json:"uriSpec"`
	Enabled *bool `json:"enabled"`
}

// Unmarshal reads an instance written by Curator (any version, either
// serializer mode), Spring Cloud Zookeeper, Dubbo 3 or Marshal: unknown
// members are ignored, an absent "enabled" means enabled, the payload is
// kept as it is (its "@class" included).
func Unmarshal(data []byte) (Instance, error) {
	var r record
	if err := json.Unmarshal(data, &r); err != nil {
		return Instance{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	in := Instance{
		Name:        r.Name,
		ID:          r.ID,
		Registered:  time.UnixMilli(r.RegistrationTimeUTC),
		ServiceType: ServiceType(r.ServiceType),
		Disabled:    r.Enabled != nil && !*r.Enabled,
	}
	if r.Address != nil {
		in.Address = *r.Address
	}
	if r.Port != nil {
		in.Port = *r.Port
	}
	if r.SSLPort != nil {
		in.SSLPort = *r.SSLPort
	}
	if p := bytes.TrimSpace(r.Payload); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		in.Payload = bytes.Clone(p)
	}
	if r.URISpec != nil {
		in.URISpec = uriTemplate(r.URISpec.Parts)
	}
	return in, nil
}

func optString(b *bytes.Buffer, s string) {
	if s == "" {
		b.WriteString("null")
		return
	}
	quote(b, s)
}

func optInt(b *bytes.Buffer, n int) {
	if n == 0 {
		b.WriteString("null")
		return
	}
	b.WriteString(strconv.Itoa(n))
}

const hexDigits = "0123456789ABCDEF"

// quote writes s as a JSON string the way Jackson does: '"' and '\\'
// escaped, control characters as \b \t \n \f \r or \u00XX (upper-case
// hex), everything else (non-ASCII, '/', '<') as UTF-8. Invalid UTF-8
// becomes U+FFFD (a Java string cannot hold it).
func quote(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[r>>4])
			b.WriteByte(hexDigits[r&0xF])
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}
