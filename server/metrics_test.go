package server_test

import (
	"math"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/metrics"
)

// histogramOf reads h's count and sum through the client library.
func histogramOf(t *testing.T, h prometheus.Observer) *dto.Histogram {
	t.Helper()
	var m dto.Metric
	require.NoError(t, h.(prometheus.Metric).Write(&m))
	return m.GetHistogram()
}

// TestMetricsConcurrent runs under -race: updates from many goroutines,
// with scrapes among them, lose nothing.
func TestMetricsConcurrent(t *testing.T) {
	const workers, each = 32, 2000
	m := metrics.New()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			api := []string{"A", "B"}[w%2]
			for i := range each {
				m.Requests.WithLabelValues(api).Inc()
				m.Errors.WithLabelValues(api, "X").Add(0.5)
				m.Latency.WithLabelValues(api).Observe(float64(i%4) * 0.25)
				m.ClipsOpen.Inc()
				m.ClipsOpen.Dec()
				m.Fragments.Inc()
				if i%100 == 0 {
					// Scrapes race with the updates.
					m.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
				}
			}
		})
	}
	wg.Wait()
	half := float64(workers / 2 * each)
	for _, api := range []string{"A", "B"} {
		assert.Equal(t, half, testutil.ToFloat64(m.Requests.WithLabelValues(api)))
		assert.Equal(t, half/2, testutil.ToFloat64(m.Errors.WithLabelValues(api, "X")))
		h := histogramOf(t, m.Latency.WithLabelValues(api))
		assert.Equal(t, uint64(half), h.GetSampleCount())
		// i%4 * 0.25 averages 0.375; all the terms are exact in binary.
		assert.Equal(t, half*0.375, h.GetSampleSum())
	}
	assert.Equal(t, 0.0, testutil.ToFloat64(m.ClipsOpen))
	assert.Equal(t, float64(workers*each), testutil.ToFloat64(m.Fragments))
}

// TestMetricsExposition reads a server's whole exposition with the
// official parser: every series has the type, labels and cumulative
// buckets it should, and odd label values round-trip.
func TestMetricsExposition(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	_, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("nope")})
	require.Error(t, err)
	r.srv.Metrics().Errors.WithLabelValues("Odd", "a\\b\"c\nd").Inc()
	r.srv.Metrics().PersistLatency.Observe(0.004)
	r.srv.Metrics().PersistLatency.Observe(1000)

	resp, err := http.Get(r.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8"), resp.Header.Get("Content-Type"))
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)

	types := map[string]dto.MetricType{
		"kvsclip_requests_total":               dto.MetricType_COUNTER,
		"kvsclip_errors_total":                 dto.MetricType_COUNTER,
		"kvsclip_request_duration_seconds":     dto.MetricType_HISTOGRAM,
		"kvsclip_getclip_outgoing_bytes_total": dto.MetricType_COUNTER,
		"kvsclip_getclip_in_flight":            dto.MetricType_GAUGE,
		"kvsclip_fragments_ingested_total":     dto.MetricType_COUNTER,
		"kvsclip_putmedia_bytes_total":         dto.MetricType_COUNTER,
		"kvsclip_putmedia_persist_seconds":     dto.MetricType_HISTOGRAM,
		"kvsclip_fragments_expired_total":      dto.MetricType_COUNTER,
		"go_goroutines":                        dto.MetricType_GAUGE,
		"go_threads":                           dto.MetricType_GAUGE,
		"go_memstats_alloc_bytes":              dto.MetricType_GAUGE,
		"go_memstats_heap_alloc_bytes":         dto.MetricType_GAUGE,
		"go_memstats_sys_bytes":                dto.MetricType_GAUGE,
		"go_memstats_last_gc_time_seconds":     dto.MetricType_GAUGE,
	}
	if runtime.GOOS == "linux" {
		types["process_cpu_seconds_total"] = dto.MetricType_COUNTER
		types["process_virtual_memory_bytes"] = dto.MetricType_GAUGE
		types["process_resident_memory_bytes"] = dto.MetricType_GAUGE
		types["process_open_fds"] = dto.MetricType_GAUGE
		types["process_max_fds"] = dto.MetricType_GAUGE
		types["process_start_time_seconds"] = dto.MetricType_GAUGE
	}
	for name, typ := range types {
		if assert.Contains(t, fams, name) {
			assert.Equal(t, typ, fams[name].GetType(), name)
		}
	}
	if f, ok := fams["process_resident_memory_bytes"]; ok {
		assert.Positive(t, f.GetMetric()[0].GetGauge().GetValue())
	}

	var odd bool
	for _, m := range fams["kvsclip_errors_total"].GetMetric() {
		lv := map[string]string{}
		for _, l := range m.GetLabel() {
			lv[l.GetName()] = l.GetValue()
		}
		if lv["api"] == "Odd" {
			odd = true
			assert.Equal(t, "a\\b\"c\nd", lv["kind"])
		}
	}
	assert.True(t, odd, "escaped label value round-trips")

	h := fams["kvsclip_putmedia_persist_seconds"].GetMetric()[0].GetHistogram()
	assert.Equal(t, uint64(2), h.GetSampleCount())
	assert.InDelta(t, 1000.004, h.GetSampleSum(), 1e-9)
	bs := h.GetBucket()
	require.Len(t, bs, 15, "14 bounds and +Inf")
	assert.True(t, math.IsInf(bs[14].GetUpperBound(), 1))
	assert.Equal(t, uint64(2), bs[14].GetCumulativeCount())
	assert.Equal(t, 0.001, bs[0].GetUpperBound())
	assert.InDelta(t, 149.01161193847656, bs[13].GetUpperBound(), 1e-9)
	var last uint64
	for i, b := range bs {
		assert.GreaterOrEqual(t, b.GetCumulativeCount(), last, "bucket %d", i)
		last = b.GetCumulativeCount()
	}
	assert.Equal(t, uint64(1), bs[13].GetCumulativeCount(), "1000 is only in +Inf")
	assert.Equal(t, uint64(0), bs[1].GetCumulativeCount(), "le=0.0025")
	assert.Equal(t, uint64(1), bs[2].GetCumulativeCount(), "le=0.00625")

	// The route is GET only.
	resp2, err := http.Post(r.url+"/metrics", "text/plain", strings.NewReader(""))
	require.NoError(t, err)
	resp2.Body.Close()
	assert.False(t, strings.HasPrefix(resp2.Header.Get("Content-Type"), "text/plain; version=0.0.4"))
}
