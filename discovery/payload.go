package discovery

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// JavaMapClass is the "@class" of a payload that Java readers with a
// Map payload type (ServiceDiscoveryBuilder.builder(Map.class)) accept.
const JavaMapClass = "java.util.LinkedHashMap"

// MapPayload returns v's JSON (a struct, a map: any JSON object) as a
// payload Curator readers typed on Map read, with "@class":
// "java.util.LinkedHashMap" as its first member unless v has a "@class"
// of its own. Members keep v's order (a struct's field order; a Go map's
// keys sorted). A Java reader with a payload class of its own needs
// "@class" to name that class: put it in v.
func MapPayload(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // Jackson writes < > & as they are
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("discovery: payload: %w", err)
	}
	raw := bytes.TrimSpace(b.Bytes())
	if len(raw) < 2 || raw[0] != '{' {
		return nil, fmt.Errorf("discovery: payload must be a JSON object, got %.20s", raw)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("discovery: payload: %w", err)
	}
	if _, ok := probe["@class"]; ok {
		return raw, nil
	}
	out := []byte(`{"@class":"` + JavaMapClass + `"`)
	if len(probe) > 0 {
		out = append(out, ',')
	}
	return append(out, raw[1:]...), nil
}

// DecodePayload decodes in's payload into v (a struct, a map), without
// its "@class" member: for a map, "@class" is removed; a struct ignores
// it unless it has a field for it. A nil payload leaves v alone.
func (in Instance) DecodePayload(v any) error {
	if len(in.Payload) == 0 {
		return nil
	}
	if err := json.Unmarshal(in.Payload, v); err != nil {
		return fmt.Errorf("discovery: payload of %s/%s: %w", in.Name, in.ID, err)
	}
	switch m := v.(type) {
	case *map[string]any:
		delete(*m, "@class")
	case *map[string]json.RawMessage:
		delete(*m, "@class")
	case *map[string]string:
		delete(*m, "@class")
	}
	return nil
}

// Class returns the payload's "@class", or "".
func (in Instance) Class() string {
	var p struct {
		Class string `json:"@class"`
	}
	_ = json.Unmarshal(in.Payload, &p)
	return p.Class
}
