package zkrecipes

import "github.com/zkrecipes/zkrecipes/internal/seam/hook"

// Recipes reach the client's plumbing through internal/seam, which gives
// these hooks their types; users see none of it.
func init() {
	hook.Install(hook.Hooks{
		Go:             (*Client).goOwned,
		Connections:    (*Session).connections,
		CreateAndList:  (*Session).createAndList,
		ReplaceAndList: (*Session).replaceAndList,
		Listing:        (*Session).listing,
		Observer:       (*Client).observer,
		WatchTree:      (*Session).watchTree,
	})
}
