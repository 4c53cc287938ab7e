package queue

// Sleepers returns how many takers of q wait for a change of the queue,
// having sent every request they had to send.
func Sleepers(q *Queue) int {
	q.cur.mu.Lock()
	defer q.cur.mu.Unlock()
	return q.cur.sleepers
}
