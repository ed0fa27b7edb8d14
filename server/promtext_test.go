package server

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
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expose returns the exposition of fams.
func expose(fams ...family) string {
	var b promBuf
	writeFamilies(&b, fams)
	return b.String()
}

func TestPromTextExposition(t *testing.T) {
	for _, tc := range []struct {
		name string
		fam  func() family
		want string
	}{{
		name: "counter with escaped labels and help",
		fam: func() family {
			v := newVec(func() *counter { return new(counter) }, "api", "kind")
			v.WithLabelValues("b", `back\slash "quoted"`+"\nline").Add(2.5)
			v.WithLabelValues("a", "x").Inc()
			v.WithLabelValues("b", "a").Inc()
			v.WithLabelValues("a", "x").Inc()
			return family{"c_total", "Help with \\ and\nnewline \"kept\".", "counter", v}
		},
		want: `# HELP c_total Help with \\ and\nnewline "kept".
# TYPE c_total counter
c_total{api="a",kind="x"} 2
c_total{api="b",kind="a"} 1
c_total{api="b",kind="back\\slash \"quoted\"\nline"} 2.5
`,
	}, {
		name: "plain counter ignores negative adds",
		fam: func() family {
			c := new(counter)
			c.Add(1e6)
			c.Add(-5)
			return family{"plain_total", "Plain.", "counter", c}
		},
		want: "# HELP plain_total Plain.\n# TYPE plain_total counter\nplain_total 1e+06\n",
	}, {
		name: "gauge",
		fam: func() family {
			g := new(gauge)
			g.Inc()
			g.Inc()
			g.Dec()
			g.Add(0.25)
			return family{"g", "A gauge.", "gauge", g}
		},
		want: "# HELP g A gauge.\n# TYPE g gauge\ng 1.25\n",
	}, {
		name: "gauge special values",
		fam: func() family {
			v := newVec(func() *gauge { return new(gauge) }, "v")
			v.WithLabelValues("inf").Set(math.Inf(1))
			v.WithLabelValues("minf").Set(math.Inf(-1))
			v.WithLabelValues("nan").Set(math.NaN())
			v.WithLabelValues("small").Set(1e-7)
			return family{"g", "", "gauge", v}
		},
		want: "# HELP g \n# TYPE g gauge\n" +
			"g{v=\"inf\"} +Inf\ng{v=\"minf\"} -Inf\ng{v=\"nan\"} NaN\ng{v=\"small\"} 1e-07\n",
	}, {
		name: "histogram is cumulative with +Inf",
		fam: func() family {
			h := newHistogram([]float64{0.5, 1, 2.5})
			for _, x := range []float64{0.1, 0.5, 0.7, 1, 3, 100} {
				h.Observe(x)
			}
			return family{"h_seconds", "A histogram.", "histogram", h}
		},
		want: `# HELP h_seconds A histogram.
# TYPE h_seconds histogram
h_seconds_bucket{le="0.5"} 2
h_seconds_bucket{le="1"} 4
h_seconds_bucket{le="2.5"} 4
h_seconds_bucket{le="+Inf"} 6
h_seconds_sum 105.3
h_seconds_count 6
`,
	}, {
		name: "vec without children is left out",
		fam: func() family {
			return family{"none_total", "None.", "counter", newVec(func() *counter { return new(counter) }, "api")}
		},
		want: "",
	}, {
		name: "histogram vec",
		fam: func() family {
			v := newVec(func() *histogram { return newHistogram([]float64{1}) }, "api")
			v.WithLabelValues(`q"`).Observe(2)
			v.WithLabelValues("a").Observe(0.5)
			return family{"hv", "By api.", "histogram", v}
		},
		want: `# HELP hv By api.
# TYPE hv histogram
hv_bucket{api="a",le="1"} 1
hv_bucket{api="a",le="+Inf"} 1
hv_sum{api="a"} 0.5
hv_count{api="a"} 1
hv_bucket{api="q\"",le="1"} 0
hv_bucket{api="q\"",le="+Inf"} 1
hv_sum{api="q\""} 2
hv_count{api="q\""} 1
`,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, expose(tc.fam()))
		})
	}
}

func TestPromTextFamiliesSortedByName(t *testing.T) {
	out := expose(
		family{"b", "B.", "gauge", value(2)},
		family{"a", "A.", "gauge", value(1)},
	)
	assert.Equal(t, "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 2\n", out)
}

func TestPromTextExponentialBuckets(t *testing.T) {
	b := exponentialBuckets(0.001, 2.5, 14)
	require.Len(t, b, 14)
	assert.Equal(t, 0.001, b[0])
	assert.Equal(t, "0.0025", formatFloat(b[1]))
	assert.Equal(t, "149.01161193847656", formatFloat(b[13]))
}

func TestPromTextWrongLabelCountPanics(t *testing.T) {
	v := newVec(func() *counter { return new(counter) }, "api", "kind")
	assert.Panics(t, func() { v.WithLabelValues("only one") })
}

// TestPromTextConcurrent runs under -race: no update may be lost.
func TestPromTextConcurrent(t *testing.T) {
	const workers, each = 32, 2000
	m := newMetrics()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			api := []string{"A", "B"}[w%2]
			for i := range each {
				m.requests.WithLabelValues(api).Inc()
				m.errors.WithLabelValues(api, "X").Add(0.5)
				m.latency.WithLabelValues(api).Observe(float64(i%4) * 0.25)
				m.clipsOpen.Inc()
				m.clipsOpen.Dec()
				m.fragments.Inc()
				if i%100 == 0 {
					// Scrapes race with the updates.
					m.ServeHTTP(httptest.NewRecorder(), nil)
				}
			}
		})
	}
	wg.Wait()
	half := float64(workers / 2 * each)
	for _, api := range []string{"A", "B"} {
		assert.Equal(t, half, m.requests.WithLabelValues(api).v.load())
		assert.Equal(t, half/2, m.errors.WithLabelValues(api, "X").v.load())
		h := m.latency.WithLabelValues(api)
		var n uint64
		for i := range h.counts {
			n += h.counts[i].Load()
		}
		assert.Equal(t, uint64(half), n)
		// i%4 * 0.25 averages 0.375; all the terms are exact in binary.
		assert.Equal(t, half*0.375, h.sum.load())
	}
	assert.Equal(t, 0.0, m.clipsOpen.v.load())
	assert.Equal(t, float64(workers*each), m.fragments.v.load())
}

// TestPromTextParses proves a server's whole exposition valid with the
// official parser, and that it has the types, labels and cumulative
// buckets it should.
func TestPromTextParses(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	_, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("nope")})
	require.Error(t, err)
	r.srv.m.errors.WithLabelValues("Odd", "a\\b\"c\nd").Inc()
	r.srv.m.persistLat.Observe(0.004)
	r.srv.m.persistLat.Observe(1000)

	resp, err := http.Get(r.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "text/plain; version=0.0.4; charset=utf-8", resp.Header.Get("Content-Type"))
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
		"go_memstats_heap_alloc_bytes":         dto.MetricType_GAUGE,
		"go_memstats_sys_bytes":                dto.MetricType_GAUGE,
	}
	if runtime.GOOS == "linux" {
		types["process_cpu_seconds_total"] = dto.MetricType_COUNTER
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
	assert.NotEqual(t, "text/plain; version=0.0.4; charset=utf-8", resp2.Header.Get("Content-Type"))
}
