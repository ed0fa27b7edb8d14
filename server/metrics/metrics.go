// Package metrics is the server's Prometheus registry and the metrics its
// surfaces share: requests, errors and latency by operation, clip bytes
// and plans, ingested fragments, retention. A surface with metrics of its
// own registers them in Registry.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's Prometheus series, served by ServeHTTP. Each
// server has its own registry, so several servers (tests) never collide.
type Metrics struct {
	// Registry holds every series; a surface registers its own in it.
	Registry *prometheus.Registry
	handler  http.Handler
	// Requests, Errors and Latency are by operation (Errors also by
	// exception name).
	Requests *prometheus.CounterVec
	Errors   *prometheus.CounterVec
	Latency  *prometheus.HistogramVec
	// ClipBytes, ClipsOpen and ClipPlans count GetClip's payload bytes,
	// clips in flight, and plans by where they came from.
	ClipBytes prometheus.Counter
	ClipsOpen prometheus.Gauge
	ClipPlans *prometheus.CounterVec
	// Fragments, Ingested and PersistLatency count PutMedia's stored
	// fragments, their bytes, and the time to their PERSISTED acks.
	Fragments      prometheus.Counter
	Ingested       prometheus.Counter
	PersistLatency prometheus.Histogram
	// Retained counts the fragments retention deleted.
	Retained prometheus.Counter
}

// New returns the server's series, all at zero, registered with the Go
// runtime's and the process's series.
func New() *Metrics {
	// Both duration histograms go from 1 ms to about 150 s, so that a
	// PutMedia session of minutes and a ListFragments of a millisecond
	// are both resolved.
	latencyBuckets := prometheus.ExponentialBuckets(0.001, 2.5, 14)
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_requests_total",
			Help: "API requests by operation.",
		}, []string{"api"}),
		Errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_errors_total",
			Help: "API requests that failed, by operation and exception name (Aborted: failed after the response began).",
		}, []string{"api", "kind"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kvsclip_request_duration_seconds",
			Help:    "Time from request to the end of the response, by operation (PutMedia: whole sessions).",
			Buckets: latencyBuckets,
		}, []string{"api"}),
		ClipBytes: counter("kvsclip_getclip_outgoing_bytes_total", "Bytes of GetClip payloads sent (KVS metric GetClip.OutgoingBytes)."),
		ClipsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kvsclip_getclip_in_flight",
			Help: "GetClip requests being served.",
		}),
		ClipPlans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_getclip_plans_total",
			Help: "Clips sent (GetClip and /clips), by where their plan came from: planned, or cached from an earlier request of the same clip.",
		}, []string{"plan"}),
		Fragments: counter("kvsclip_fragments_ingested_total", "Fragments acknowledged PERSISTED."),
		Ingested:  counter("kvsclip_putmedia_bytes_total", "Bytes of stored fragment documents."),
		PersistLatency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kvsclip_putmedia_persist_seconds",
			Help:    "Time from a fragment's first byte to its PERSISTED ack.",
			Buckets: latencyBuckets,
		}),
		Retained: counter("kvsclip_fragments_expired_total", "Fragments deleted by retention."),
	}
	m.Registry.MustRegister(m.Requests, m.Errors, m.Latency, m.ClipBytes, m.ClipsOpen, m.ClipPlans,
		m.Fragments, m.Ingested, m.PersistLatency, m.Retained,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
	return m
}

// counter is a counter without labels.
func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

// ServeHTTP answers GET /metrics with every series, in the format the
// scraper asks for (the text format by default).
func (m *Metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.handler.ServeHTTP(w, r)
}
