package discovery

// SetRoundRobinCounter sets a RoundRobin strategy's counter, to test the
// wrap-around without 2^64 picks.
func SetRoundRobinCounter(s Strategy, n uint64) { s.(*roundRobin).n.Store(n) }
