package zkrecipes

import "github.com/zkrecipes/zkrecipes/internal/scope"

// Recipes keep their per-client and per-session state in the store of its
// owner, which ends with it (see internal/scope): Close ends the client's,
// and the end of a session its own (see Session.suspend).
func init() {
	scope.Install(func(owner any) *scope.Store {
		switch o := owner.(type) {
		case *Client:
			return &o.store
		case *Session:
			return &o.store
		}
		return nil
	})
}
