package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series. Each Server has its own
// registry, so several servers (tests) never collide.
type metrics struct {
	reg        *prometheus.Registry
	requests   *prometheus.CounterVec
	errors     *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	clipBytes  prometheus.Counter
	clipsOpen  prometheus.Gauge
	fragments  prometheus.Counter
	ingested   prometheus.Counter
	persistLat prometheus.Histogram
	retained   prometheus.Counter
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_requests_total", Help: "API requests by operation.",
		}, []string{"api"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kvsclip_errors_total", Help: "API requests that failed, by operation and exception name (Aborted: failed after the response began).",
		}, []string{"api", "kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "kvsclip_request_duration_seconds", Help: "Time from request to the end of the response, by operation (PutMedia: whole sessions).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14),
		}, []string{"api"}),
		clipBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kvsclip_getclip_outgoing_bytes_total", Help: "Bytes of GetClip payloads sent (KVS metric GetClip.OutgoingBytes).",
		}),
		clipsOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kvsclip_getclip_in_flight", Help: "GetClip requests being served.",
		}),
		fragments: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kvsclip_fragments_ingested_total", Help: "Fragments acknowledged PERSISTED.",
		}),
		ingested: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kvsclip_putmedia_bytes_total", Help: "Bytes of stored fragment documents.",
		}),
		persistLat: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "kvsclip_putmedia_persist_seconds", Help: "Time from a fragment's first byte to its PERSISTED ack.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14),
		}),
		retained: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kvsclip_fragments_expired_total", Help: "Fragments deleted by retention.",
		}),
	}
	m.reg.MustRegister(m.requests, m.errors, m.latency, m.clipBytes, m.clipsOpen,
		m.fragments, m.ingested, m.persistLat, m.retained,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
