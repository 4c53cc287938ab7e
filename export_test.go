package zkrecipes

// WatchersForTest returns how many watchers c's current session holds.
func WatchersForTest(c *Client) int {
	c.mu.Lock()
	g := c.cur
	c.mu.Unlock()
	return g.socks.Watches()
}

// HoldCallsForTest hands every operation that call runs on a pooled
// goroutine to h (which must run it) until the returned restore is called.
func HoldCallsForTest(h func(run func())) (restore func()) {
	testHookCall.Store(&h)
	return func() { testHookCall.Store(nil) }
}
