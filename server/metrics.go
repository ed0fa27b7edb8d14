package server

import (
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// metrics are the server's Prometheus series, served by ServeHTTP in the
// text format (promtext.go). Each Server has its own, so several servers
// (tests) never collide.
type metrics struct {
	requests   *vec[*counter]
	errors     *vec[*counter]
	latency    *vec[*histogram]
	clipBytes  *counter
	clipsOpen  *gauge
	fragments  *counter
	ingested   *counter
	persistLat *histogram
	retained   *counter
	static     []family
}

// newMetrics returns the server's series, all at zero.
func newMetrics() *metrics {
	latencyBuckets := exponentialBuckets(0.001, 2.5, 14)
	m := &metrics{
		requests:   newVec(func() *counter { return new(counter) }, "api"),
		errors:     newVec(func() *counter { return new(counter) }, "api", "kind"),
		latency:    newVec(func() *histogram { return newHistogram(latencyBuckets) }, "api"),
		clipBytes:  new(counter),
		clipsOpen:  new(gauge),
		fragments:  new(counter),
		ingested:   new(counter),
		persistLat: newHistogram(latencyBuckets),
		retained:   new(counter),
	}
	m.static = []family{
		{"kvsclip_requests_total", "API requests by operation.", "counter", m.requests},
		{"kvsclip_errors_total", "API requests that failed, by operation and exception name (Aborted: failed after the response began).", "counter", m.errors},
		{"kvsclip_request_duration_seconds", "Time from request to the end of the response, by operation (PutMedia: whole sessions).", "histogram", m.latency},
		{"kvsclip_getclip_outgoing_bytes_total", "Bytes of GetClip payloads sent (KVS metric GetClip.OutgoingBytes).", "counter", m.clipBytes},
		{"kvsclip_getclip_in_flight", "GetClip requests being served.", "gauge", m.clipsOpen},
		{"kvsclip_fragments_ingested_total", "Fragments acknowledged PERSISTED.", "counter", m.fragments},
		{"kvsclip_putmedia_bytes_total", "Bytes of stored fragment documents.", "counter", m.ingested},
		{"kvsclip_putmedia_persist_seconds", "Time from a fragment's first byte to its PERSISTED ack.", "histogram", m.persistLat},
		{"kvsclip_fragments_expired_total", "Fragments deleted by retention.", "counter", m.retained},
	}
	return m
}

// ServeHTTP answers GET /metrics with every series in the text format.
func (m *metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	var b promBuf
	writeFamilies(&b, slices.Concat(m.static, runtimeFamilies(), processFamilies()))
	w.Header().Set("Content-Type", promContentType)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	_, _ = io.WriteString(w, b.String())
}

// runtimeFamilies are the Go runtime series the client library's Go
// collector gave, under the same names and help, read from
// runtime.MemStats rather than runtime/metrics (whose init every run of the
// binary would pay).
func runtimeFamilies() []family {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	threads, _ := runtime.ThreadCreateProfile(nil)
	return []family{
		{"go_goroutines", "Number of goroutines that currently exist.", "gauge", value(runtime.NumGoroutine())},
		{"go_threads", "Number of OS threads created.", "gauge", value(threads)},
		{"go_memstats_alloc_bytes", "Number of bytes allocated in heap and currently in use.", "gauge", value(ms.Alloc)},
		{"go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", "gauge", value(ms.HeapAlloc)},
		{"go_memstats_sys_bytes", "Number of bytes obtained from system.", "gauge", value(ms.Sys)},
		{"go_memstats_last_gc_time_seconds", "Number of seconds since 1970 of last garbage collection.", "gauge", value(float64(ms.LastGC) / 1e9)},
	}
}

// processFamilies are the process series the client library's process
// collector gave on Linux, read from /proc with plain file parsing (not
// procfs, whose init every run would pay). Elsewhere, and for any file
// that cannot be read, the series are left out.
func processFamilies() []family {
	if runtime.GOOS != "linux" {
		return nil
	}
	var fams []family
	if st, err := os.ReadFile("/proc/self/stat"); err == nil {
		// The fields after the command, which is in parentheses and may
		// contain spaces; f[0] is field 3 of proc(5), state.
		f := strings.Fields(string(st[strings.LastIndexByte(string(st), ')')+1:]))
		if len(f) > 21 {
			// USER_HZ is 100 on every Linux ABI Go supports (procfs
			// assumes the same).
			const userHZ = 100
			utime, _ := strconv.ParseFloat(f[11], 64)
			stime, _ := strconv.ParseFloat(f[12], 64)
			vsize, _ := strconv.ParseFloat(f[20], 64)
			rss, _ := strconv.ParseFloat(f[21], 64)
			fams = append(fams,
				family{"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter", value((utime + stime) / userHZ)},
				family{"process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", value(vsize)},
				family{"process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", value(rss * float64(os.Getpagesize()))})
			if btime, ok := bootTime(); ok {
				start, _ := strconv.ParseFloat(f[19], 64)
				fams = append(fams, family{"process_start_time_seconds", "Start time of the process since unix epoch in seconds.", "gauge", value(btime + start/userHZ)})
			}
		}
	}
	if d, err := os.Open("/proc/self/fd"); err == nil {
		names, err := d.Readdirnames(-1)
		d.Close()
		if err == nil {
			// Less the descriptor of the directory being read.
			fams = append(fams, family{"process_open_fds", "Number of open file descriptors.", "gauge", value(len(names) - 1)})
		}
	}
	if n, ok := maxFDs(); ok {
		fams = append(fams, family{"process_max_fds", "Maximum number of open file descriptors.", "gauge", value(n)})
	}
	return fams
}

// bootTime returns the btime line of /proc/stat: when the system booted,
// in seconds since the epoch. A process's start time is relative to it.
func bootTime() (float64, bool) {
	st, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(st)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			t, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return t, err == nil
		}
	}
	return 0, false
}

// maxFDs returns the soft limit on open files from /proc/self/limits; an
// unlimited one is left out.
func maxFDs() (float64, bool) {
	lim, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(lim)) {
		if v, ok := strings.CutPrefix(line, "Max open files"); ok {
			f := strings.Fields(v)
			if len(f) == 0 {
				return 0, false
			}
			n, err := strconv.ParseFloat(f[0], 64)
			return n, err == nil
		}
	}
	return 0, false
}
