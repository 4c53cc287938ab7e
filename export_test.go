package zkrecipes

// WatchersForTest returns how many watchers c's current session holds.
func WatchersForTest(c *Client) int {
	c.mu.Lock()
	g := c.cur
	c.mu.Unlock()
	return g.socks.Watches()
}
