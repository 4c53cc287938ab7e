package discovery

import (
	"fmt"
	"strings"

	"github.com/zkrecipes/zkrecipes"
)

// uriPart is one part of Curator's UriSpec: literal text, or a variable
// ("{scheme}") filled in by a reader.
type uriPart struct {
	Value    string `json:"value"`
	Variable bool   `json:"variable"`
}

// parseURISpec splits a template as Curator's UriSpec(String) does:
// text between braces is a variable. "" is no spec (null).
func parseURISpec(spec string) ([]uriPart, error) {
	if spec == "" {
		return nil, nil
	}
	var parts []uriPart
	var cur strings.Builder
	inside := false
	for _, r := range spec {
		switch {
		case r == '{' && !inside, r == '}' && inside:
			if cur.Len() > 0 {
				parts = append(parts, uriPart{Value: cur.String(), Variable: inside})
				cur.Reset()
			}
			inside = !inside
		case r == '{' || r == '}':
			return nil, fmt.Errorf("uri spec %q: unbalanced %q: %w", spec, r, zkrecipes.ErrInvalidArgument)
		default:
			cur.WriteRune(r)
		}
	}
	if inside {
		return nil, fmt.Errorf("uri spec %q: unclosed {: %w", spec, zkrecipes.ErrInvalidArgument)
	}
	if cur.Len() > 0 {
		parts = append(parts, uriPart{Value: cur.String()})
	}
	return parts, nil
}

// uriTemplate is parseURISpec's inverse.
func uriTemplate(parts []uriPart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Variable {
			b.WriteString("{" + p.Value + "}")
		} else {
			b.WriteString(p.Value)
		}
	}
	return b.String()
}
