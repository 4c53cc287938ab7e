package cache

// SetDefaultWatchesForTest makes w the default of NewTree and NewChildren
// (and NewNode), so that the package's tests run on either backend (see
// main_test.go's -cache.watches).
func SetDefaultWatchesForTest(w Watches) { testWatches = w }
