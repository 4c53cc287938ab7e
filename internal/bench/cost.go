package bench

import (
	"bufio"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// costs is what the client process spent over a window: CPU time, heap
// allocations, read and write system calls, goroutine wake-ups and
// requests. Every figure is process-wide, so a workload measures it
// alone in its process (as "zkr bench" runs them, one after another).
type costs struct {
	cpu      time.Duration // user + system
	mallocs  uint64
	syscalls int64 // read and write system calls (/proc/self/io; Linux only)
	wakeups  uint64
	created  uint64 // goroutines created
	requests int64
}

// schedSample is the runtime's count of goroutines scheduled to run
// (/sched/latencies), which it samples one in gTrackingPeriod (8).
const schedSample = 8

var costMetrics = []metrics.Sample{{Name: "/sched/latencies:seconds"}, {Name: "/sched/goroutines-created:goroutines"}}

func takeCosts(reqs *Counter) costs {
	var c costs
	c.cpu = cpuTime()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c.mallocs = ms.Mallocs
	c.syscalls = ioSyscalls()
	ss := make([]metrics.Sample, len(costMetrics))
	copy(ss, costMetrics)
	metrics.Read(ss)
	if ss[0].Value.Kind() == metrics.KindFloat64Histogram {
		for _, n := range ss[0].Value.Float64Histogram().Counts {
			c.wakeups += n * schedSample
		}
	}
	if ss[1].Value.Kind() == metrics.KindUint64 {
		c.created = ss[1].Value.Uint64()
	}
	if reqs != nil {
		c.requests = reqs.Requests()
	}
	return c
}

func (c costs) minus(o costs) costs {
	return costs{
		cpu: c.cpu - o.cpu, mallocs: c.mallocs - o.mallocs, syscalls: c.syscalls - o.syscalls,
		wakeups: c.wakeups - o.wakeups, created: c.created - o.created, requests: c.requests - o.requests,
	}
}

// per adds the costs per operation (n operations in the window) to r.
func (c costs) per(n int64, r Result) {
	f := float64(n)
	r["cpu_us_per_acq"] = R2(float64(c.cpu) / float64(time.Microsecond) / f)
	r["allocs_per_acq"] = R2(float64(c.mallocs) / f)
	r["rw_syscalls_per_acq"] = R2(float64(c.syscalls) / f)
	r["wakeups_per_acq"] = R2(float64(c.wakeups) / f)
	r["goroutines_per_acq"] = R2(float64(c.created) / f)
	r["requests_per_acq"] = R2(float64(c.requests) / f)
}

// ioSyscalls returns the process's read and write system calls so far
// (syscr + syscw of /proc/self/io), 0 where there is none.
func ioSyscalls() int64 {
	f, err := os.Open("/proc/self/io")
	if err != nil {
		return 0
	}
	defer f.Close()
	var n int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if ok && (k == "syscr" || k == "syscw") {
			x, _ := strconv.ParseInt(v, 10, 64)
			n += x
		}
	}
	return n
}
