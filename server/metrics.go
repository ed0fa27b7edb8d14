package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus series, served by ServeHTTP. Each
// Server has its own registry, so several servers (tests) never collide.
type metrics struct {
	reg        *prometheus.Registry
	handler    http.Handler
	requests   *prometheus.CounterVec
	errors     *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	clipBytes  prometheus.Counter
	clipsOpen  prometheus.Gauge
	clipPlans  *prometheus.CounterVec
	fragments  prometheus.Counter
	ingested   prometheus.Counter
	persistLat prometheus.Histogram
	retained   prometheus.Counter
}

// newMetrics returns the server's series, all at zero, registered with the
// Go runtime's and the process's series.
func newMetrics() *metrics {
	// Both duration histograms go from 1 ms to about 150 s, so that a
	// PutMedia session of minutes and a ListFragments of a millisecond
	// are both resolved.
	latencyBuckets := prometheus.ExponentialBuckets(0.001, 2.5, 14)
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_requests_total",
			Help: "API requests by operation.",
		}, []string{"api"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_errors_total",
			Help: "API requests that failed, by operation and exception name (Aborted: failed after the response began).",
		}, []string{"api", "kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kvsclip_request_duration_seconds",
			Help:    "Time from request to the end of the response, by operation (PutMedia: whole sessions).",
			Buckets: latencyBuckets,
		}, []string{"api"}),
		clipBytes: counter("kvsclip_getclip_outgoing_bytes_total", "Bytes of GetClip payloads sent (KVS metric GetClip.OutgoingBytes)."),
		clipsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kvsclip_getclip_in_flight",
			Help: "GetClip requests being served.",
		}),
		clipPlans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_getclip_plans_total",
			Help: "Clips sent (GetClip and /clips), by where their plan came from: planned, or cached from an earlier request of the same clip.",
		}, []string{"plan"}),
		fragments: counter("kvsclip_fragments_ingested_total", "Fragments acknowledged PERSISTED."),
		ingested:  counter("kvsclip_putmedia_bytes_total", "Bytes of stored fragment documents."),
		persistLat: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "kvsclip_putmedia_persist_seconds",
			Help:    "Time from a fragment's first byte to its PERSISTED ack.",
			Buckets: latencyBuckets,
		}),
		retained: counter("kvsclip_fragments_expired_total", "Fragments deleted by retention."),
	}
	m.reg.MustRegister(m.requests, m.errors, m.latency, m.clipBytes, m.clipsOpen, m.clipPlans,
		m.fragments, m.ingested, m.persistLat, m.retained,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.handler = promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return m
}

// counter is a counter without labels.
func counter(name, help string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
}

// ServeHTTP answers GET /metrics with every series, in the format the
// scraper asks for (the text format by default).
func (m *metrics) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.handler.ServeHTTP(w, r)
}
