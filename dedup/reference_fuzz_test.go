package dedup_test

import (
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/kvs"
)

// The reference below restates Select's rules (spec §1.3–§1.5, as
// dedup.Select's doc comment fixes them) in the plainest way: quadratic
// scans instead of sorts, every comparison written out. FuzzSelect holds
// Select to it field by field.

// refNumberClass and refNumberCompare order fragment numbers as Select does: decimal numbers by
// value, then strings that are not numbers in byte order, then no number.
func refNumberClass(s string) int {
	switch {
	case s == "":
		return 2
	case kvs.ValidFragmentNumber(s):
		return 0
	}
	return 1
}

func refNumberCompare(a, b string) int {
	ca, cb := refNumberClass(a), refNumberClass(b)
	switch {
	case ca != cb:
		return ca - cb
	case ca == 0:
		return kvs.CompareFragmentNumbers(a, b)
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// refStamp returns a timestamp of kind sel, or 0 and false when the
// fragment has none.
func refStamp(sel kvs.Selector, f *kvs.Fragment) (int64, bool) {
	if sel == kvs.ServerTimestamp {
		if f.HasServerTimestamp() {
			return f.ServerMillis, true
		}
		return 0, false
	}
	if f.HasProducerTimestamp() {
		return f.ProducerMillis, true
	}
	return 0, false
}

func refOther(sel kvs.Selector) kvs.Selector {
	if sel == kvs.ServerTimestamp {
		return kvs.ProducerTimestamp
	}
	return kvs.ServerTimestamp
}

// refOlder reports whether fragment a was ingested before b: a server
// timestamp before none, the earlier one, then the smaller number, then
// the earlier position.
func refOlder(in []kvs.Fragment, a, b int) bool {
	fa, fb := &in[a], &in[b]
	if fa.HasServerTimestamp() != fb.HasServerTimestamp() {
		return fa.HasServerTimestamp()
	}
	if fa.HasServerTimestamp() && fa.ServerMillis != fb.ServerMillis {
		return fa.ServerMillis < fb.ServerMillis
	}
	if c := refNumberCompare(fa.Number, fb.Number); c != 0 {
		return c < 0
	}
	return a < b
}

// refSelect is the reference selection.
func refSelect(req *dedup.Request, in []kvs.Fragment, lim dedup.Limits) (dedup.Selection, bool) {
	reason := make([]dedup.Reason, len(in))
	// 1. Range, by the fragment's start.
	if req != nil {
		for i := range in {
			ts, ok := refStamp(req.Selector, &in[i])
			switch {
			case !ok:
				reason[i] = dedup.NoTimestamp
			case ts < req.Start:
				reason[i] = dedup.BeforeStart
			case ts > req.End:
				reason[i] = dedup.AfterEnd
			}
		}
	}
	// 2. A number already listed by an earlier candidate: the first copy
	// stays.
	for i := range in {
		if reason[i] != "" || in[i].Number == "" {
			continue
		}
		for j := 0; j < i; j++ {
			if reason[j] == "" && refNumberCompare(in[j].Number, in[i].Number) == 0 {
				reason[i] = dedup.Duplicate
				break
			}
		}
	}
	// 3. A producer timestamp shared with an older candidate.
	dup := make([]bool, len(in))
	for i := range in {
		if reason[i] != "" || !in[i].HasProducerTimestamp() {
			continue
		}
		for j := range in {
			if j != i && reason[j] == "" && in[j].HasProducerTimestamp() && in[j].ProducerMillis == in[i].ProducerMillis && refOlder(in, j, i) {
				dup[i] = true
			}
		}
	}
	var order []int
	for i := range in {
		if dup[i] {
			reason[i] = dedup.Duplicate
		} else if reason[i] == "" {
			order = append(order, i)
		}
	}
	// 4. Clip order: input order, or by the selected timestamp, then the
	// other one (0 when absent), then number, then position.
	if req != nil {
		less := func(a, b int) bool {
			ta, _ := refStamp(req.Selector, &in[a])
			tb, _ := refStamp(req.Selector, &in[b])
			if ta != tb {
				return ta < tb
			}
			oa, _ := refStamp(refOther(req.Selector), &in[a])
			ob, _ := refStamp(refOther(req.Selector), &in[b])
			if oa != ob {
				return oa < ob
			}
			if c := refNumberCompare(in[a].Number, in[b].Number); c != 0 {
				return c < 0
			}
			return a < b
		}
		// Insertion sort: obviously a sort.
		for k := 1; k < len(order); k++ {
			for j := k; j > 0 && less(order[j], order[j-1]); j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
	}
	// 5. Caps along that order; the first fragment is always taken.
	var s dedup.Selection
	var total uint64 // a sum of non-negative int64s, at most two of them past MaxBytes
	for k, i := range order {
		n := uint64(max(in[i].Size, 0))
		if lim.MaxFragments > 0 && k >= lim.MaxFragments || lim.MaxBytes > 0 && k > 0 && total+n > uint64(lim.MaxBytes) {
			s.Truncated = true
			if req != nil {
				s.NextStart, s.HasNextStart = refStamp(req.Selector, &in[i])
			} else {
				s.NextStart, s.HasNextStart = refStamp(kvs.ProducerTimestamp, &in[i])
			}
			for _, j := range order[k:] {
				reason[j] = dedup.Cap
			}
			order = order[:k]
			break
		}
		total += n
	}
	s.Chosen = order
	for i, r := range reason {
		if r != "" {
			s.Dropped = append(s.Dropped, dedup.Drop{Index: i, Reason: r})
		}
	}
	return s, len(order) > 0
}

// checkReference holds Select's answer to the reference's.
func checkReference(t *testing.T, req *dedup.Request, in []kvs.Fragment, lim dedup.Limits, sel dedup.Selection, err error) {
	t.Helper()
	want, ok := refSelect(req, in, lim)
	require.Equal(t, ok, err == nil, "error %v", err)
	if err != nil {
		require.Equal(t, kvs.ResourceNotFound, kvs.KindOf(err))
		require.Equal(t, kvs.NoFragmentsMessage, (err.(*kvs.Error)).Msg)
	}
	norm := func(s dedup.Selection) dedup.Selection {
		if len(s.Chosen) == 0 {
			s.Chosen = nil
		}
		if len(s.Dropped) == 0 {
			s.Dropped = nil
		}
		s.Chosen = slices.Clip(s.Chosen)
		s.Dropped = slices.Clip(s.Dropped)
		return s
	}
	require.Equal(t, norm(want), norm(sel))
}

// Select's allocation bound: its four slices cost at most selectPerFragment
// bytes per fragment (a Reason, a prepared number, a candidate index, a
// Drop); selectOverhead covers the error value and what the fuzzing
// machinery allocates on other goroutines while Select runs.
const (
	selectOverhead    = 16 << 10
	selectPerFragment = 128
)

// selectAllocated runs Select and returns what it returned and the bytes it
// allocated. The cheap figure of runtime/metrics misses small objects still
// in per-P caches, so a figure over limit is measured again exactly with
// ReadMemStats, which flushes them but stops the world.
func selectAllocated(req *dedup.Request, in []kvs.Fragment, lim dedup.Limits, limit uint64) (dedup.Selection, error, uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	sel, err := dedup.Select(req, in, lim)
	metrics.Read(s)
	if got := s[0].Value.Uint64() - before; got <= limit {
		return sel, err, got
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before = m.TotalAlloc
	sel, err = dedup.Select(req, in, lim)
	runtime.ReadMemStats(&m)
	return sel, err, m.TotalAlloc - before
}

// TestSelectOrderIgnoresAbsentTimestamps is FuzzSelect's finding
// (testdata/fuzz/FuzzSelect/0692b9170af85b83) as a unit test: two fragments
// tie on the selected server timestamp and have no producer timestamp, but
// stale ProducerMillis values; the clip order must come from the numbers.
func TestSelectOrderIgnoresAbsentTimestamps(t *testing.T) {
	in := []kvs.Fragment{
		{Number: "2", ServerMillis: 400_000, ProducerMillis: 720_895, NoProducerTimestamp: true},
		{Number: "3", ServerMillis: 400_000, ProducerMillis: -44, NoProducerTimestamp: true},
	}
	sel, err := dedup.Select(&dedup.Request{Selector: kvs.ServerTimestamp, Start: 0, End: 500_000}, in, dedup.Limits{})
	require.NoError(t, err)
	require.Equal(t, []int{0, 1}, sel.Chosen)
}
