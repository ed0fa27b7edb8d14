package dedup_test

import (
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/kvs"
)

// Times of the cases: d0 is 2017-11-28 00:00:00 UTC, the day of the real
// recording output_get_media.mkv; now is the server clock of every case.
const (
	d0  = int64(1511827200000)
	sec = int64(1000)
	mb  = int64(1000 * 1000)
	day = 24 * 60 * 60 * sec
)

var now = time.UnixMilli(1700000000000)

// p is a fragment with a producer timestamp only; ps one with both; s one
// with a server timestamp only.
func p(num string, prod int64) kvs.Fragment {
	return kvs.Fragment{Number: num, ProducerMillis: prod, NoServerTimestamp: true, Size: mb}
}

func ps(num string, prod, srv int64) kvs.Fragment {
	m := p(num, prod)
	m.ServerMillis, m.NoServerTimestamp = srv, false
	return m
}

func s(num string, srv int64) kvs.Fragment {
	return kvs.Fragment{Number: num, ServerMillis: srv, NoProducerTimestamp: true, Size: mb}
}

func sized(m kvs.Fragment, bytes int64) kvs.Fragment { m.Size = bytes; return m }

func producer(start, end int64) *dedup.Request {
	return &dedup.Request{Selector: kvs.ProducerTimestamp, Start: start, End: end}
}

func server(start, end int64) *dedup.Request {
	return &dedup.Request{Selector: kvs.ServerTimestamp, Start: start, End: end}
}

// num returns a 47-digit fragment number ending in i, like real ones.
func num(i int) string {
	return fmt.Sprintf("913438523331814323926820626077431%014d", i)
}

// run returns n fragments, 2 s apart from start, numbered in order.
func run(n int, start int64) []kvs.Fragment {
	out := make([]kvs.Fragment, n)
	for i := range out {
		out[i] = sized(ps(num(i), start+int64(i)*2*sec, start+int64(i)*2*sec+700), 400_000)
	}
	return out
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// reversed returns run(n, start) listed last first, as ListFragments may.
func reversed(n int, start int64) []kvs.Fragment {
	out := run(n, start)
	slices.Reverse(out)
	return out
}

// selectCase is one row of the table every test of the package reads: the
// unit tests, the fuzz seeds and the benchmark. spec quotes the line of
// shared/spec/kvs-archived-media.md (or of the issue, "issue:") that the
// case proves, so a reader can check them side by side.
type selectCase struct {
	name string
	spec string
	req  *dedup.Request // nil: the whole input
	lim  dedup.Limits
	in   []kvs.Fragment

	invalid bool // Validate(now) must refuse req

	chosen    []int // positions in in, in clip order
	dropped   map[int]dedup.Reason
	truncated bool
	nextStart int64 // checked when truncated
	notFound  bool  // Select must return ResourceNotFound
}

var cases = []selectCase{
	// §1.3 validation.
	{name: "end equal to start",
		spec: "§1.3 EndTimestamp must be later than StartTimestamp (equal is not allowed by the wording \"later than\")",
		req:  producer(d0, d0), invalid: true},
	{name: "end before start",
		spec: "§1.3 EndTimestamp must be later than StartTimestamp",
		req:  producer(d0+sec, d0), invalid: true},
	{name: "exactly 24 hours",
		spec: "§1.3 EndTimestamp must be within 24 hours of StartTimestamp (End − Start ≤ 24 h)",
		req:  producer(d0, d0+day), in: []kvs.Fragment{p("", d0+day)}, chosen: []int{0}},
	{name: "24 hours and 1 ms",
		spec: "§1.3 EndTimestamp must be within 24 hours of StartTimestamp (End − Start ≤ 24 h)",
		req:  producer(d0, d0+day+1), invalid: true},
	{name: "range wider than int64",
		spec: "§1.3 End − Start ≤ 24 h (a difference that overflows is still too wide)",
		req:  producer(-1<<63, 1<<62), invalid: true},
	{name: "server end in the future",
		spec: "§1.3 With SERVER_TIMESTAMP, EndTimestamp must be in the past (relative to the server clock)",
		req:  server(now.UnixMilli()-sec, now.UnixMilli()+1), invalid: true},
	{name: "server end now",
		spec: "§1.3 With SERVER_TIMESTAMP, EndTimestamp must be in the past (the current ms counts as past)",
		req:  server(now.UnixMilli()-sec, now.UnixMilli()), in: []kvs.Fragment{s("1", now.UnixMilli())}, chosen: []int{0}},
	{name: "producer end in the future",
		spec: "§1.3 the in-the-past rule is stated for SERVER_TIMESTAMP only",
		req:  producer(now.UnixMilli()-sec, now.UnixMilli()+day/2), in: []kvs.Fragment{p("1", now.UnixMilli())}, chosen: []int{0}},
	{name: "unknown selector",
		spec: "§1.2 FragmentSelectorType: PRODUCER_TIMESTAMP or SERVER_TIMESTAMP; required",
		req:  &dedup.Request{Selector: "producer", Start: d0, End: d0 + sec}, invalid: true},
	{name: "missing selector",
		spec: "§1.3 Missing required members, bad enum value → InvalidArgumentException",
		req:  &dedup.Request{Start: d0, End: d0 + sec}, invalid: true},

	// §1.4 choice.
	{name: "ListFragments example",
		spec: "§3.1 fragments at 00:00, 00:02, 00:04, 00:06 with range 00:01–00:04 → 00:02 and 00:04",
		req:  producer(d0+1*sec, d0+4*sec), in: []kvs.Fragment{p("1", d0), p("2", d0+2*sec), p("3", d0+4*sec), p("4", d0+6*sec)},
		chosen: []int{1, 2}, dropped: map[int]dedup.Reason{0: dedup.BeforeStart, 3: dedup.AfterEnd}},
	{name: "start is inclusive",
		spec: "§1.4 a fragment is included only if it starts exactly at or after StartTimestamp",
		req:  producer(d0, d0+10*sec), in: []kvs.Fragment{p("1", d0-1), p("2", d0)},
		chosen: []int{1}, dropped: map[int]dedup.Reason{0: dedup.BeforeStart}},
	{name: "fragment running into the range",
		spec: "§1.4 A fragment that started before Start and runs past it is excluded (no partial fragments)",
		req:  producer(d0+sec, d0+10*sec), in: run(3, d0), // 2 s fragments: the first runs to d0+2s
		chosen: []int{1, 2}, dropped: map[int]dedup.Reason{0: dedup.BeforeStart}},
	{name: "end is inclusive",
		spec: "§1.4 End bound: inclusive, compared with the fragment's start ... included whole",
		req:  producer(d0, d0+4*sec), in: []kvs.Fragment{p("1", d0+4*sec), p("2", d0+4*sec+1)},
		chosen: []int{0}, dropped: map[int]dedup.Reason{1: dedup.AfterEnd}},
	{name: "timestamp order",
		spec: "§1.4 Ordering: fragments are emitted in timestamp order of the chosen selector; §3.1 Fragments come back in no particular order",
		req:  producer(d0, d0+60*sec), in: []kvs.Fragment{p("3", d0+4*sec), p("1", d0), p("2", d0+2*sec)},
		chosen: []int{1, 2, 0}},
	{name: "server selector",
		spec:   "§1.4 A fragment's timestamp is its start timestamp: the producer timestamp or the server timestamp depending on FragmentSelectorType",
		req:    server(d0+10*sec, d0+20*sec),
		in:     []kvs.Fragment{ps("1", d0+10*sec, d0+9*sec), ps("2", d0+12*sec, d0+15*sec), ps("3", d0+14*sec, d0+21*sec)},
		chosen: []int{1}, dropped: map[int]dedup.Reason{0: dedup.BeforeStart, 2: dedup.AfterEnd}},
	{name: "server order differs from producer order",
		spec:   "§1.4 fragments are emitted in timestamp order of the chosen selector",
		req:    server(d0, d0+60*sec),
		in:     []kvs.Fragment{ps("1", d0, d0+5*sec), ps("2", d0+2*sec, d0+3*sec), ps("3", d0+4*sec, d0+4*sec)},
		chosen: []int{1, 2, 0}},
	{name: "no timestamp of the selected kind",
		spec: "§1.4 A fragment's timestamp is its start timestamp of the selected kind (without one it cannot be placed: our rule)",
		req:  server(d0, d0+60*sec), in: []kvs.Fragment{p("1", d0+sec), ps("2", d0+2*sec, d0+3*sec)},
		chosen: []int{1}, dropped: map[int]dedup.Reason{0: dedup.NoTimestamp}},

	// §1.4 dedup.
	{name: "same producer timestamp: oldest ingested wins",
		spec:   "§1.4 only the oldest-ingested set is kept ... keep the one with the earliest server timestamp / smallest fragment number",
		req:    producer(d0, d0+60*sec),
		in:     []kvs.Fragment{ps(num(7), d0, d0+3600*sec), ps(num(3), d0+2*sec, d0+3*sec), ps(num(2), d0, d0+sec)},
		chosen: []int{2, 1}, dropped: map[int]dedup.Reason{0: dedup.Duplicate}},
	{name: "same producer and server timestamp: smaller number wins",
		spec:   "§3.1 FragmentNumber: real ones are 47 decimal digits — too big for uint64, compare by length then lexically or use big integers",
		req:    producer(d0, d0+60*sec),
		in:     []kvs.Fragment{ps("10", d0, d0+sec), ps("9", d0, d0+sec)},
		chosen: []int{1}, dropped: map[int]dedup.Reason{0: dedup.Duplicate}},
	{name: "47-digit numbers against 46",
		spec: "§3.1 FragmentNumber ... monotonically increasing with ingestion order; compare by length then lexically",
		req:  producer(d0, d0+60*sec),
		in: []kvs.Fragment{
			ps("91343852333181432392682062607743920146159169392", d0, d0+sec),
			ps("9134385233318143239268206260774392014615916939", d0, d0+sec),
		},
		chosen: []int{1}, dropped: map[int]dedup.Reason{0: dedup.Duplicate}},
	{name: "same producer timestamp with the server selector",
		spec:   "§1.4 Duplicate producer timestamps are de-duplicated (whatever the selector type)",
		req:    server(d0, d0+60*sec),
		in:     []kvs.Fragment{ps(num(2), d0, d0+5*sec), ps(num(1), d0, d0+4*sec), ps(num(3), d0+2*sec, d0+6*sec)},
		chosen: []int{1, 2}, dropped: map[int]dedup.Reason{0: dedup.Duplicate}},
	{name: "same fragment read twice",
		spec:   "issue: The same fragment read twice (same number) is one",
		req:    producer(d0, d0+60*sec),
		in:     []kvs.Fragment{ps(num(1), d0, d0+sec), ps(num(2), d0+2*sec, d0+3*sec), ps(num(1), d0, d0+sec)},
		chosen: []int{0, 1}, dropped: map[int]dedup.Reason{2: dedup.Duplicate}},
	{name: "same number with leading zeros",
		spec:   "§3.1 FragmentNumber compared as the integer it denotes",
		req:    producer(d0, d0+60*sec),
		in:     []kvs.Fragment{ps("0042", d0, d0+sec), ps("42", d0, d0+sec)},
		chosen: []int{0}, dropped: map[int]dedup.Reason{1: dedup.Duplicate}},

	// §1.5 caps.
	{name: "201 fragments",
		spec: "§1.5 The payload holds the first 100 MB or the first 200 fragments ... the rest of the range is silently dropped",
		req:  producer(d0, d0+day), lim: dedup.KVSLimits, in: run(201, d0),
		chosen: seq(0, 200), dropped: map[int]dedup.Reason{200: dedup.Cap}, truncated: true, nextStart: d0 + 400*sec},
	{name: "200 fragments",
		spec: "§1.5 max 200 fragments [hard]: exactly 200 is not a truncation",
		req:  producer(d0, d0+day), lim: dedup.KVSLimits, in: run(200, d0),
		chosen: seq(0, 200)},
	{name: "bytes cap",
		spec: "§1.5 stop before the fragment that would push the MP4 over 100 MB (never emit partial fragments)",
		req:  producer(d0, d0+60*sec), lim: dedup.KVSLimits,
		in:     []kvs.Fragment{sized(p("1", d0), 40*mb), sized(p("2", d0+2*sec), 40*mb), sized(p("3", d0+4*sec), 40*mb), sized(p("4", d0+6*sec), 1)},
		chosen: []int{0, 1}, dropped: map[int]dedup.Reason{2: dedup.Cap, 3: dedup.Cap}, truncated: true, nextStart: d0 + 4*sec},
	{name: "exactly 100 MB, decimal",
		spec: "§1.5 100 MB size limit; 1 MB = 10^6 or 2^20 is not stated (the demo client warns at 90×1000×1000 bytes): 10^6",
		req:  producer(d0, d0+60*sec), lim: dedup.KVSLimits,
		in:     []kvs.Fragment{sized(p("1", d0), 50*mb), sized(p("2", d0+2*sec), 50*mb)},
		chosen: []int{0, 1}},
	{name: "100 MB and 1 byte",
		spec: "§1.5 100 MB size limit, 1 MB = 10^6 bytes (our choice)",
		req:  producer(d0, d0+60*sec), lim: dedup.KVSLimits,
		in:     []kvs.Fragment{sized(p("1", d0), 50*mb), sized(p("2", d0+2*sec), 50*mb+1)},
		chosen: []int{0}, dropped: map[int]dedup.Reason{1: dedup.Cap}, truncated: true, nextStart: d0 + 2*sec},
	{name: "first fragment over the bytes cap",
		spec: "§1.5 UNKNOWN whether the cut splits fragments: never split; the first fragment is always taken so a next request can move on",
		req:  producer(d0, d0+60*sec), lim: dedup.Limits{MaxBytes: 10},
		in:     []kvs.Fragment{sized(p("1", d0), 20), sized(p("2", d0+2*sec), 1)},
		chosen: []int{0}, dropped: map[int]dedup.Reason{1: dedup.Cap}, truncated: true, nextStart: d0 + 2*sec},
	{name: "caps count from start",
		spec: "§1.5 the first 200 fragments counted from the start timestamp",
		req:  producer(d0+3*sec, d0+60*sec), lim: dedup.Limits{MaxFragments: 2}, in: run(5, d0),
		chosen: []int{2, 3}, dropped: map[int]dedup.Reason{0: dedup.BeforeStart, 1: dedup.BeforeStart, 4: dedup.Cap},
		truncated: true, nextStart: d0 + 8*sec},
	{name: "caps count in timestamp order",
		spec: "§1.5 the first ... fragments counted from the start timestamp; §3.1 fragments come back in no particular order",
		req:  producer(d0, d0+60*sec), lim: dedup.Limits{MaxFragments: 2}, in: reversed(4, d0),
		chosen: []int{3, 2}, dropped: map[int]dedup.Reason{0: dedup.Cap, 1: dedup.Cap}, truncated: true, nextStart: d0 + 4*sec},
	{name: "dedup before caps",
		spec: "issue: Dedup applies before caps (a duplicate does not use up the 200)",
		req:  producer(d0, d0+60*sec), lim: dedup.Limits{MaxFragments: 2},
		in:     []kvs.Fragment{ps(num(1), d0, d0+sec), ps(num(5), d0, d0+9*sec), ps(num(2), d0+2*sec, d0+3*sec)},
		chosen: []int{0, 2}, dropped: map[int]dedup.Reason{1: dedup.Duplicate}},
	{name: "no caps",
		spec: "issue: Both caps are options (0 = none)",
		req:  producer(d0, d0+day), in: run(300, d0),
		chosen: seq(0, 300)},
	{name: "10000 fragments listed backwards",
		spec: "§3.1 Fragments come back in no particular order, even across pages — clients must sort",
		req:  producer(d0, d0+day), in: reversed(10000, d0),
		chosen: func() []int { c := seq(0, 10000); slices.Reverse(c); return c }()},

	// §1.4 nothing found.
	{name: "nothing in range",
		spec: "§1.4 No fragment in range → ResourceNotFoundException, HTTP 404, `No fragments found in the stream for the clip request.`",
		req:  producer(d0+10*sec, d0+20*sec), in: run(3, d0),
		dropped: map[int]dedup.Reason{0: dedup.BeforeStart, 1: dedup.BeforeStart, 2: dedup.BeforeStart}, notFound: true},
	{name: "empty archive",
		spec: "§1.4 No fragment in range → ResourceNotFoundException",
		req:  producer(d0, d0+sec), notFound: true},

	// The whole input (CLI without --start / --end).
	{name: "whole input keeps input order",
		spec:   "issue: without --start/--end the whole input",
		in:     []kvs.Fragment{{Number: "", Size: 5, NoProducerTimestamp: true, NoServerTimestamp: true}, p("", d0-sec), {Number: "", Size: 7, NoProducerTimestamp: true, NoServerTimestamp: true}},
		chosen: []int{0, 1, 2}},
	{name: "whole input is deduplicated",
		spec:   "issue: Fragments with the same producer timestamp are one ... The same fragment read twice (same number) is one",
		in:     []kvs.Fragment{ps(num(2), d0, d0+9*sec), ps(num(1), d0, d0+sec), ps(num(3), d0+2*sec, d0+3*sec), ps(num(3), d0+2*sec, d0+3*sec)},
		chosen: []int{1, 2}, dropped: map[int]dedup.Reason{0: dedup.Duplicate, 3: dedup.Duplicate}},
	{name: "whole input capped",
		spec: "§1.5 first 200 fragments (the caps apply to the whole input too)",
		lim:  dedup.Limits{MaxFragments: 1}, in: []kvs.Fragment{p("", d0+5*sec), p("", d0)},
		chosen: []int{0}, dropped: map[int]dedup.Reason{1: dedup.Cap}, truncated: true, nextStart: d0},
}

func TestSelect(t *testing.T) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Log(c.spec)
			require.NotEmpty(t, c.spec, "every case cites the line it proves")
			if c.req != nil {
				err := c.req.Validate(now)
				if c.invalid {
					require.Error(t, err)
					assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err), "%v", err)
					return
				}
				require.NoError(t, err)
			}
			sel, err := dedup.Select(c.req, c.in, c.lim)
			if c.notFound {
				require.Error(t, err)
				assert.Equal(t, kvs.ResourceNotFound, kvs.KindOf(err))
				assert.Equal(t, "ResourceNotFound: No fragments found in the stream for the clip request.", err.Error())
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, c.chosen, nilIfEmpty(sel.Chosen), "chosen")
			got := map[int]dedup.Reason{}
			for _, d := range sel.Dropped {
				got[d.Index] = d.Reason
			}
			want := c.dropped
			if want == nil {
				want = map[int]dedup.Reason{}
			}
			assert.Equal(t, want, got, "dropped")
			assert.Equal(t, c.truncated, sel.Truncated, "truncated")
			assert.Equal(t, c.truncated, sel.HasNextStart, "next start known")
			if c.truncated {
				assert.Equal(t, kvs.Millis(c.nextStart).String(), kvs.Millis(sel.NextStart).String(), "next start")
			}
			checkInvariants(t, c.req, c.in, c.lim, sel, err)
		})
	}
}

func nilIfEmpty(s []int) []int {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestSelectRejectsUnknownSelector(t *testing.T) {
	_, err := dedup.Select(&dedup.Request{Selector: "BOTH", End: 1}, run(2, d0), dedup.Limits{})
	assert.Equal(t, kvs.InvalidArgument, kvs.KindOf(err))
}

// checkInvariants holds for every input, valid or not: it is the fuzz
// oracle, and every table case runs it too.
func checkInvariants(t *testing.T, req *dedup.Request, in []kvs.Fragment, lim dedup.Limits, sel dedup.Selection, err error) {
	t.Helper()
	seen := make([]int, len(in))
	for _, i := range sel.Chosen {
		require.True(t, i >= 0 && i < len(in), "chosen index %d", i)
		seen[i]++
	}
	capped := false
	for k, d := range sel.Dropped {
		require.True(t, d.Index >= 0 && d.Index < len(in), "dropped index %d", d.Index)
		seen[d.Index]++
		if k > 0 {
			require.Less(t, sel.Dropped[k-1].Index, d.Index, "dropped in input order")
		}
		capped = capped || d.Reason == dedup.Cap
	}
	for i, n := range seen {
		require.Equal(t, 1, n, "fragment %d must be chosen or dropped exactly once", i)
	}
	require.Equal(t, capped, sel.Truncated, "truncated exactly when a cap dropped something")
	require.Equal(t, len(sel.Chosen) == 0, err != nil, "an error exactly when nothing is chosen: %v", err)
	if err != nil {
		require.Equal(t, kvs.ResourceNotFound, kvs.KindOf(err))
	}

	// Order, range and uniqueness.
	var total int64
	numbers := map[string]struct{}{}
	producers := map[int64]int{}
	for k, i := range sel.Chosen {
		f := &in[i]
		total += max(f.Size, 0)
		if req != nil {
			ts, ok := ts(req.Selector, f)
			require.True(t, ok, "chosen fragment %d has the selected timestamp", i)
			require.True(t, ts >= req.Start && ts <= req.End, "chosen fragment %d in range", i)
			if k > 0 {
				prev, _ := tsOf(req.Selector, &in[sel.Chosen[k-1]])
				require.LessOrEqual(t, prev, ts, "chosen in timestamp order")
			}
		} else if k > 0 {
			require.Less(t, sel.Chosen[k-1], i, "whole input in input order")
		}
		if f.Number != "" {
			key := numberKey(f.Number)
			_, dup := numbers[key]
			require.False(t, dup, "fragment %d shares its number with an earlier chosen one", i)
			numbers[key] = struct{}{}
		}
		if f.HasProducerTimestamp() {
			_, dup := producers[f.ProducerMillis]
			require.False(t, dup, "fragment %d shares its producer timestamp with an earlier chosen one", i)
			producers[f.ProducerMillis] = i
		}
	}

	// Caps.
	if lim.MaxFragments > 0 {
		require.LessOrEqual(t, len(sel.Chosen), lim.MaxFragments)
	}
	if lim.MaxBytes > 0 && len(sel.Chosen) > 1 {
		require.LessOrEqual(t, total, lim.MaxBytes)
	}

	// Oldest ingested wins: no fragment dropped as a duplicate of a
	// chosen one's producer timestamp was ingested before it. (A number
	// listed twice with different timestamps contradicts itself; which
	// copy wins is then not a matter of age, so those are left out.)
	listed := map[string]int{}
	for _, f := range in {
		listed[numberKey(f.Number)]++
	}
	for _, d := range sel.Dropped {
		g := &in[d.Index]
		i, ok := producers[g.ProducerMillis]
		if d.Reason != dedup.Duplicate || !g.HasProducerTimestamp() || !ok || g.Number != "" && listed[numberKey(g.Number)] > 1 {
			continue
		}
		f := &in[i]
		if f.HasServerTimestamp() && g.HasServerTimestamp() && g.ServerMillis != f.ServerMillis {
			require.Less(t, f.ServerMillis, g.ServerMillis, "fragment %d kept over older %d", i, d.Index)
		}
		if !f.HasServerTimestamp() {
			require.False(t, g.HasServerTimestamp(), "fragment %d without server time kept over %d with one", i, d.Index)
		}
	}
}

// numberKey is a fragment number as the integer it denotes, the way
// CompareFragmentNumbers sees it.
func numberKey(s string) string {
	if kvs.ValidFragmentNumber(s) {
		return strings.TrimLeft(s, "0")
	}
	return s
}

func ts(sel kvs.Selector, f *kvs.Fragment) (int64, bool) { return tsOf(sel, f) }

func tsOf(sel kvs.Selector, f *kvs.Fragment) (int64, bool) {
	if sel == kvs.ServerTimestamp {
		return f.ServerMillis, f.HasServerTimestamp()
	}
	return f.ProducerMillis, f.HasProducerTimestamp()
}

// The fuzz input format, compact so that mutations stay meaningful:
//
//	byte      bit 0: a request; bit 1: SERVER_TIMESTAMP
//	varint    Start, End (ms)
//	uvarint   MaxFragments; varint MaxBytes
//	then per fragment:
//	byte      bit 0: producer timestamp; bit 1: server timestamp
//	varint    producer ms, server ms, bytes
//	byte      length of the number, then its bytes
func encode(c *selectCase) []byte {
	var b []byte
	flags := byte(0)
	var req dedup.Request
	if c.req != nil {
		req = *c.req
		flags |= 1
		if req.Selector == kvs.ServerTimestamp {
			flags |= 2
		}
	}
	b = append(b, flags)
	b = binary.AppendVarint(b, req.Start)
	b = binary.AppendVarint(b, req.End)
	b = binary.AppendUvarint(b, uint64(c.lim.MaxFragments))
	b = binary.AppendVarint(b, c.lim.MaxBytes)
	for _, f := range c.in {
		fl := byte(0)
		if f.HasProducerTimestamp() {
			fl |= 1
		}
		if f.HasServerTimestamp() {
			fl |= 2
		}
		b = append(b, fl)
		b = binary.AppendVarint(b, f.ProducerMillis)
		b = binary.AppendVarint(b, f.ServerMillis)
		b = binary.AppendVarint(b, f.Size)
		b = append(b, byte(len(f.Number)))
		b = append(b, f.Number...)
	}
	return b
}

// maxFuzzFragments keeps one fuzz run fast; the invariant check is
// quadratic.
const maxFuzzFragments = 1000

func decode(b []byte) (*dedup.Request, []kvs.Fragment, dedup.Limits) {
	var lim dedup.Limits
	if len(b) == 0 {
		return nil, nil, lim
	}
	flags := b[0]
	b = b[1:]
	varint := func() int64 {
		v, n := binary.Varint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	var req *dedup.Request
	start, end := varint(), varint()
	if flags&1 != 0 {
		req = &dedup.Request{Selector: kvs.ProducerTimestamp, Start: start, End: end}
		if flags&2 != 0 {
			req.Selector = kvs.ServerTimestamp
		}
	}
	mf, n := binary.Uvarint(b)
	if n > 0 {
		b = b[n:]
		lim.MaxFragments = int(min(mf, 1<<30))
	} else {
		b = nil
	}
	lim.MaxBytes = max(varint(), 0)
	var in []kvs.Fragment
	for len(b) > 0 && len(in) < maxFuzzFragments {
		fl := b[0]
		b = b[1:]
		m := kvs.Fragment{NoProducerTimestamp: fl&1 == 0, NoServerTimestamp: fl&2 == 0}
		m.ProducerMillis, m.ServerMillis, m.Size = varint(), varint(), varint()
		if len(b) == 0 {
			break
		}
		l := int(b[0])
		b = b[1:]
		l = min(l, len(b))
		m.Number, b = string(b[:l]), b[l:]
		in = append(in, m)
	}
	return req, in, lim
}

func FuzzSelect(f *testing.F) {
	for i := range cases {
		if len(cases[i].in) <= maxFuzzFragments {
			f.Add(encode(&cases[i]))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, in, lim := decode(data)
		limit := uint64(selectOverhead + selectPerFragment*len(in))
		sel, err, alloc := selectAllocated(req, in, lim, limit)
		if alloc > limit {
			t.Fatalf("Select allocated %d bytes for %d fragments, limit %d", alloc, len(in), limit)
		}
		checkInvariants(t, req, in, lim, sel, err)
		checkReference(t, req, in, lim, sel, err)
	})
}

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzSelect from the case table")

// TestFuzzSeeds keeps the committed seed corpus equal to the table, so that
// `go test` runs every case through the fuzz oracle even without -fuzz and
// a fuzzing run starts from them.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzSelect")
	for i := range cases {
		c := &cases[i]
		if len(c.in) > maxFuzzFragments {
			continue
		}
		path := filepath.Join(dir, fmt.Sprintf("case-%02d", i))
		want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(encode(c))) + ")\n"
		if *updateSeeds {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./dedup -run TestFuzzSeeds -update-seeds")
		assert.Equal(t, want, string(got), "%s (%s) is stale: run with -update-seeds", path, c.name)
	}
}

// BenchmarkSelect selects from the table's largest case: 10,000 fragments
// listed backwards, all in range. SetBytes counts 100 bytes per fragment,
// about the size of a ListFragments entry, so MB/s reads as index
// throughput.
func BenchmarkSelect(b *testing.B) {
	var big *selectCase
	for i := range cases {
		if big == nil || len(cases[i].in) > len(big.in) {
			big = &cases[i]
		}
	}
	for _, lim := range []struct {
		name string
		lim  dedup.Limits
	}{{"nocap", dedup.Limits{}}, {"kvs", dedup.KVSLimits}} {
		b.Run(fmt.Sprintf("%d/%s", len(big.in), lim.name), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(100 * len(big.in)))
			for b.Loop() {
				if _, err := dedup.Select(big.req, big.in, lim.lim); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
