package server

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// This file is a small implementation of the Prometheus text exposition
// format 0.0.4: counters, gauges and histograms, with or without labels. It
// replaces github.com/prometheus/client_golang, whose package init (and
// that of procfs, protobuf and runtime/metrics under it) every run of the
// kvsclip binary paid, even the CLI commands that never serve metrics.

// promContentType is the Content-Type of the text format 0.0.4.
const promContentType = "text/plain; version=0.0.4; charset=utf-8"

// atomicFloat is a float64 updated with atomics: its bits live in a uint64.
type atomicFloat struct{ bits atomic.Uint64 }

// add adds d with a CAS loop, so concurrent adds are never lost.
func (f *atomicFloat) add(d float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// set stores v.
func (f *atomicFloat) set(v float64) { f.bits.Store(math.Float64bits(v)) }

// load returns the value.
func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }

// sampleWriter is a metric that writes its samples under a family's name
// and the labels that select it (nil for a metric without labels).
type sampleWriter interface {
	writeSamples(b *promBuf, name string, labels, values []string)
}

// counter only goes up.
type counter struct{ v atomicFloat }

// Inc adds 1.
func (c *counter) Inc() { c.v.add(1) }

// Add adds d, which must not be negative: a counter only goes up (the
// client library panicked; a negative d is ignored here, as a metric must
// never take the server down).
func (c *counter) Add(d float64) {
	if d >= 0 {
		c.v.add(d)
	}
}

// writeSamples writes the counter's one sample.
func (c *counter) writeSamples(b *promBuf, name string, labels, values []string) {
	b.sample(name, labels, values, "", 0, c.v.load())
}

// gauge goes up and down.
type gauge struct{ v atomicFloat }

// Set sets the gauge to v.
func (g *gauge) Set(v float64) { g.v.set(v) }

// Inc adds 1.
func (g *gauge) Inc() { g.v.add(1) }

// Dec subtracts 1.
func (g *gauge) Dec() { g.v.add(-1) }

// Add adds d, which may be negative.
func (g *gauge) Add(d float64) { g.v.add(d) }

// writeSamples writes the gauge's one sample.
func (g *gauge) writeSamples(b *promBuf, name string, labels, values []string) {
	b.sample(name, labels, values, "", 0, g.v.load())
}

// value is a sample computed at scrape time (the runtime and process
// series).
type value float64

// writeSamples writes the value as the family's one sample.
func (v value) writeSamples(b *promBuf, name string, labels, values []string) {
	b.sample(name, labels, values, "", 0, float64(v))
}

// histogram counts observations in buckets. Each bucket has its own
// (non-cumulative) count, so Observe is one search and two atomic adds; the
// counts are summed into cumulative ones at scrape time. _count is the sum
// of the buckets, so it always equals the +Inf bucket; _sum is read
// separately and may lag an observation that is in progress during a
// scrape.
type histogram struct {
	upper  []float64       // upper bounds, ascending, without +Inf; shared
	counts []atomic.Uint64 // len(upper)+1: the last one is the +Inf bucket
	sum    atomicFloat
}

// newHistogram returns a histogram with the upper bounds given, which must
// be sorted ascending and exclude +Inf.
func newHistogram(upper []float64) *histogram {
	return &histogram{upper: upper, counts: make([]atomic.Uint64, len(upper)+1)}
}

// Observe records v. A value equal to a bound falls in that bound's bucket
// (le: less or equal); NaN falls in +Inf only, as in the client library.
func (h *histogram) Observe(v float64) {
	h.counts[sort.SearchFloat64s(h.upper, v)].Add(1)
	h.sum.add(v)
}

// writeSamples writes the cumulative _bucket series including le="+Inf",
// then _sum and _count.
func (h *histogram) writeSamples(b *promBuf, name string, labels, values []string) {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
		le := math.Inf(1)
		if i < len(h.upper) {
			le = h.upper[i]
		}
		b.sample(name+"_bucket", labels, values, "le", le, float64(n))
	}
	b.sample(name+"_sum", labels, values, "", 0, h.sum.load())
	b.sample(name+"_count", labels, values, "", 0, float64(n))
}

// exponentialBuckets returns count bounds starting at start, each factor
// times the previous one: the same values as the client library's
// ExponentialBuckets, so the le labels keep their spelling.
func exponentialBuckets(start, factor float64, count int) []float64 {
	b := make([]float64, count)
	for i := range b {
		b[i] = start
		start *= factor
	}
	return b
}

// vec is a family of metrics of one kind told apart by label values, made
// on first use. The children are in a sync.Map: after the first request
// of each kind, WithLabelValues is a lock-free load.
type vec[M sampleWriter] struct {
	labels   []string
	newChild func() M
	children sync.Map // joined label values -> *vecChild[M]
}

// vecChild is one metric of a vec with its label values.
type vecChild[M sampleWriter] struct {
	values []string
	m      M
}

// newVec returns a vec with the label names given, whose children newChild
// makes.
func newVec[M sampleWriter](newChild func() M, labels ...string) *vec[M] {
	return &vec[M]{labels: labels, newChild: newChild}
}

// WithLabelValues returns the metric with these label values, one per
// label name in order, making it on first use. Like the client library it
// panics on a wrong number of values: that is a bug at the call site.
func (v *vec[M]) WithLabelValues(values ...string) M {
	if len(values) != len(v.labels) {
		panic("metrics: " + strconv.Itoa(len(values)) + " label values for " + strconv.Itoa(len(v.labels)) + " labels")
	}
	// \xff is not valid UTF-8, so no label value contains it and the key
	// is unambiguous.
	key := strings.Join(values, "\xff")
	if c, ok := v.children.Load(key); ok {
		return c.(*vecChild[M]).m
	}
	c, _ := v.children.LoadOrStore(key, &vecChild[M]{values: slices.Clone(values), m: v.newChild()})
	return c.(*vecChild[M]).m
}

// empty reports whether the vec has no children yet: such a family is
// left out of the exposition, as the client library did.
func (v *vec[M]) empty() bool {
	empty := true
	v.children.Range(func(_, _ any) bool {
		empty = false
		return false
	})
	return empty
}

// writeSamples writes the children sorted by their label values, so every
// scrape lists the series in the same order.
func (v *vec[M]) writeSamples(b *promBuf, name string, _, _ []string) {
	var cs []*vecChild[M]
	v.children.Range(func(_, c any) bool {
		cs = append(cs, c.(*vecChild[M]))
		return true
	})
	slices.SortFunc(cs, func(x, y *vecChild[M]) int { return slices.Compare(x.values, y.values) })
	for _, c := range cs {
		c.m.writeSamples(b, name, v.labels, c.values)
	}
}

// family is one metric family: its name, help, type and samples.
type family struct {
	name, help, typ string // typ: counter, gauge or histogram
	m               sampleWriter
}

// writeFamilies writes the families sorted by name in the text format,
// leaving out vecs without children.
func writeFamilies(b *promBuf, fams []family) {
	slices.SortFunc(fams, func(x, y family) int { return strings.Compare(x.name, y.name) })
	for _, f := range fams {
		if v, ok := f.m.(interface{ empty() bool }); ok && v.empty() {
			continue
		}
		b.WriteString("# HELP ")
		b.WriteString(f.name)
		b.WriteByte(' ')
		helpEscaper.WriteString(b, f.help)
		b.WriteString("\n# TYPE ")
		b.WriteString(f.name)
		b.WriteByte(' ')
		b.WriteString(f.typ)
		b.WriteByte('\n')
		f.m.writeSamples(b, f.name, nil, nil)
	}
}

// Escapers of the text format: help text escapes backslash and newline,
// label values also the double quote.
var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

// promBuf accumulates an exposition.
type promBuf struct{ strings.Builder }

// sample writes one line: name, the labels (and the extra label, such as
// le, if extra is not empty) and the value.
func (b *promBuf) sample(name string, labels, values []string, extra string, extraVal, v float64) {
	b.WriteString(name)
	if len(labels) > 0 || extra != "" {
		b.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(l)
			b.WriteString(`="`)
			labelEscaper.WriteString(b, values[i])
			b.WriteByte('"')
		}
		if extra != "" {
			if len(labels) > 0 {
				b.WriteByte(',')
			}
			b.WriteString(extra)
			b.WriteString(`="`)
			b.WriteString(formatFloat(extraVal))
			b.WriteByte('"')
		}
		b.WriteByte('}')
	}
	b.WriteByte(' ')
	b.WriteString(formatFloat(v))
	b.WriteByte('\n')
}

// formatFloat spells v as Prometheus does: shortest 'g' form, and +Inf,
// -Inf and NaN.
func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
