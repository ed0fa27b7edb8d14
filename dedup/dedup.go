// Package dedup decides which fragments of an archive a GetClip request
// returns: the timestamp bounds, the removal of duplicates and the output
// caps of the KVS archived-media spec (§1.3–§1.5 of
// shared/spec/kvs-archived-media.md).
//
// It works on fragment metadata only — numbers, timestamps, sizes — so a
// service can run it over its index before it reads a single fragment, and
// the CLI can run it over a quick scan of its input files.
//
// # Public on purpose
//
// Some exported names are used by no code of this module outside the
// package and are public for callers all the same (make api-check holds
// the list, api/public-on-purpose.txt): the Reason values, the vocabulary
// of Drop.Reason, and MaxRangeMillis, GetClip's 24-hour rule as a number
// for callers that check or split a range before they ask.
package dedup

import (
	"cmp"
	"slices"
	"time"

	"github.com/kvsclip/kvsclip/kvs"
)

// MaxRangeMillis is the longest range a request may span, End − Start:
// 24 hours (spec §1.3, "within 24 hours").
const MaxRangeMillis = 24 * 60 * 60 * 1000

// Request is a GetClip ClipFragmentSelector: a selector type and an
// inclusive time range in milliseconds since the Unix epoch. KVS timestamps
// have millisecond precision, so integers compare them exactly where
// floating-point seconds would not.
type Request struct {
	Selector   kvs.Selector
	Start, End int64
}

// Validate applies GetClip's request rules (spec §1.3) and returns an
// InvalidArgument *kvs.Error for the first one broken. now is the
// server's clock, passed in so that callers and tests control it.
func (r Request) Validate(now time.Time) error {
	switch r.Selector {
	case kvs.ProducerTimestamp, kvs.ServerTimestamp:
	default:
		return kvs.Errorf(kvs.InvalidArgument,
			"FragmentSelectorType %q is not PRODUCER_TIMESTAMP or SERVER_TIMESTAMP", string(r.Selector))
	}
	// "Later than": an empty range is refused, not answered with nothing.
	if r.End <= r.Start {
		return kvs.Errorf(kvs.InvalidArgument,
			"EndTimestamp %s must be later than StartTimestamp %s", kvs.Millis(r.End).String(), kvs.Millis(r.Start).String())
	}
	// The difference is taken in uint64: End > Start, so it is exact
	// even when End − Start does not fit an int64.
	if uint64(r.End)-uint64(r.Start) > MaxRangeMillis {
		return kvs.Errorf(kvs.InvalidArgument,
			"EndTimestamp %s must be within 24 hours of StartTimestamp %s", kvs.Millis(r.End).String(), kvs.Millis(r.Start).String())
	}
	// Server timestamps of the future name fragments that do not exist
	// yet. The current millisecond itself counts as past: by the time the
	// answer is built, it is.
	if r.Selector == kvs.ServerTimestamp && r.End > now.UnixMilli() {
		return kvs.Errorf(kvs.InvalidArgument,
			"EndTimestamp %s must be in the past for SERVER_TIMESTAMP", kvs.Millis(r.End).String())
	}
	return nil
}

// Limits caps a clip. A zero field means no cap.
type Limits struct {
	// MaxFragments is the most fragments a clip holds.
	MaxFragments int
	// MaxBytes is the most fragment bytes (the sum of kvs.Fragment.Size) a clip
	// holds.
	MaxBytes int64
}

// KVSLimits are GetClip's hard limits (spec §1.5): 200 fragments or 100 MB,
// whichever comes first.
//
// The spec cannot say whether its MB is 10^6 or 2^20 bytes. We take 10^6:
// the AWS GetClip demo client warns when a clip nears the limit at
// 90×1000×1000 bytes, which only makes sense against a decimal 100 MB, and
// AWS quotas are written in decimal units elsewhere. If real KVS allows
// 2^20-byte megabytes, this cuts at most 4.6% early, which is the safe side:
// a clip never holds more than the service would send.
var KVSLimits = Limits{MaxFragments: 200, MaxBytes: 100_000_000}

// Reason says why a fragment is not in a clip. The values are the ones
// manifests show.
type Reason string

// The reasons of a selection.
const (
	// BeforeStart: the fragment starts before the range, even if it runs
	// into it (spec §1.4: no partial fragments).
	BeforeStart Reason = "before-start"
	// AfterEnd: the fragment starts after the range's end.
	AfterEnd Reason = "after-end"
	// Duplicate: another fragment has the same number (the same fragment
	// read twice), or the same producer timestamp and was ingested earlier.
	Duplicate Reason = "duplicate"
	// Cap: the clip was full (Limits) before this fragment's turn.
	Cap Reason = "cap"
	// NoTimestamp: the fragment lacks the timestamp kind the request
	// selects by, so it cannot be placed in the range.
	NoTimestamp Reason = "no-timestamp"
)

// Drop is one fragment left out of a clip.
type Drop struct {
	// Index is the fragment's position in the slice given to Select.
	Index  int
	Reason Reason
}

// Selection is the answer of Select.
type Selection struct {
	// Chosen holds the positions (in the slice given to Select) of the
	// fragments of the clip, in clip order: by the selected timestamp for
	// a request, input order for the whole input.
	Chosen []int
	// Dropped holds every other fragment, in input order. Every position
	// is in exactly one of Chosen and Dropped.
	Dropped []Drop
	// Truncated is set when a cap left fragments of the range out.
	Truncated bool
	// NextStart is where a next request should start to get the rest: the
	// timestamp, of the selected kind, of the first fragment a cap left
	// out. HasNextStart is false when nothing was cut, or when the whole
	// input was selected and that fragment has no producer timestamp.
	NextStart    int64
	HasNextStart bool
}

// Select chooses the fragments of a clip from their metadata (spec
// §1.4–§1.5). req is the request's range, which the caller has checked with
// Validate; nil selects the whole input, in input order, which is what the
// CLI does without --start and --end. frags is in input order.
//
// The steps, each over what the step before left:
//
//  1. Range: a fragment is in when its timestamp of the selected kind is at
//     or after Start and at or before End. Only its start counts: a
//     fragment that begins before Start is out whole, one that begins by
//     End is in whole.
//  2. Same number: a fragment listed again with a number already seen is
//     the same fragment; the first copy is kept.
//  3. Same producer timestamp: of the fragments sharing one, only the
//     oldest-ingested is kept — the earliest server timestamp, then the
//     smallest fragment number compared as an integer. This runs for both
//     selector types and for the whole input: GetClip states it without
//     condition.
//  4. Order by the selected timestamp (ties: the other timestamp, then the
//     number, then input order), or keep input order without a request.
//  5. Caps, counted along that order from the start: the clip stops before
//     the fragment that would exceed MaxFragments or MaxBytes. A fragment
//     is never split, and the first one is always taken even if it alone
//     exceeds MaxBytes — otherwise a next request starting at NextStart
//     would get nothing and pagination could never pass it (under
//     KVSLimits this cannot happen: PutMedia refuses fragments over 50 MB).
//
// With nothing chosen, Select returns a ResourceNotFound error with
// GetClip's message, together with the Selection, whose Dropped says why.
// An unknown selector type is an InvalidArgument error. Select makes at
// most four allocations whatever the input, and runs in O(n log n).
func Select(req *Request, frags []kvs.Fragment, lim Limits) (Selection, error) {
	if req != nil && req.Selector != kvs.ProducerTimestamp && req.Selector != kvs.ServerTimestamp {
		return Selection{}, kvs.Errorf(kvs.InvalidArgument,
			"FragmentSelectorType %q is not PRODUCER_TIMESTAMP or SERVER_TIMESTAMP", string(req.Selector))
	}
	// reason[i] is "" while fragment i is still a candidate.
	reason := make([]Reason, len(frags))
	// Fragment numbers are checked and stripped of leading zeros once, not
	// in every comparison of the sorts below.
	nums := make([]number, len(frags))
	for i := range frags {
		nums[i] = parseNumber(frags[i].Number)
	}
	cand := make([]int, 0, len(frags))
	for i := range frags {
		if req != nil {
			ts, ok := selected(req.Selector, &frags[i])
			switch {
			case !ok:
				reason[i] = NoTimestamp
				continue
			case ts < req.Start:
				reason[i] = BeforeStart
				continue
			case ts > req.End:
				reason[i] = AfterEnd
				continue
			}
		}
		cand = append(cand, i)
	}

	// Steps 2 and 3 sort the candidates so that equal keys are adjacent
	// and the one to keep comes first; a sort instead of a map keeps the
	// cost predictable and the result independent of hashing.
	slices.SortStableFunc(cand, func(a, b int) int {
		return nums[a].compare(nums[b])
	})
	for k := 1; k < len(cand); k++ {
		a, b := cand[k-1], cand[k]
		if frags[a].Number != "" && nums[a].compare(nums[b]) == 0 {
			// The stable sort left the first copy in input order
			// first; cand[k-1] may itself be a dropped copy, which
			// has the same number, so the run is handled whole.
			reason[cand[k]] = Duplicate
		}
	}
	cand = slices.DeleteFunc(cand, func(i int) bool { return reason[i] != "" })
	slices.SortFunc(cand, func(a, b int) int {
		fa, fb := &frags[a], &frags[b]
		if c := cmp.Compare(boolKey(!fa.HasProducerTimestamp()), boolKey(!fb.HasProducerTimestamp())); c != 0 {
			return c
		}
		if c := cmp.Compare(fa.ProducerMillis, fb.ProducerMillis); c != 0 && fa.HasProducerTimestamp() {
			return c
		}
		return olderFirst(fa, fb, nums, a, b)
	})
	for k := 1; k < len(cand); k++ {
		a, b := &frags[cand[k-1]], &frags[cand[k]]
		if a.HasProducerTimestamp() && b.HasProducerTimestamp() && a.ProducerMillis == b.ProducerMillis {
			reason[cand[k]] = Duplicate
		}
	}
	cand = slices.DeleteFunc(cand, func(i int) bool { return reason[i] != "" })

	if req == nil {
		slices.Sort(cand)
	} else {
		sel := req.Selector
		slices.SortFunc(cand, func(a, b int) int {
			fa, fb := &frags[a], &frags[b]
			ta, _ := selected(sel, fa)
			tb, _ := selected(sel, fb)
			if c := cmp.Compare(ta, tb); c != 0 {
				return c
			}
			oa, _ := other(sel, fa)
			ob, _ := other(sel, fb)
			if c := cmp.Compare(oa, ob); c != 0 {
				return c
			}
			if c := nums[a].compare(nums[b]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
	}

	var s Selection
	keep := len(cand)
	var total int64
	for k, i := range cand {
		n := max(frags[i].Size, 0)
		over := lim.MaxFragments > 0 && k >= lim.MaxFragments ||
			lim.MaxBytes > 0 && k > 0 && n > lim.MaxBytes-total
		if over {
			keep = k
			s.Truncated = true
			if req != nil {
				s.NextStart, _ = selected(req.Selector, &frags[i])
				s.HasNextStart = true
			} else if frags[i].HasProducerTimestamp() {
				s.NextStart, s.HasNextStart = frags[i].ProducerMillis, true
			}
			break
		}
		total += n
	}
	for _, i := range cand[keep:] {
		reason[i] = Cap
	}
	s.Chosen = cand[:keep:keep]
	s.Dropped = make([]Drop, 0, len(frags)-keep)
	for i, r := range reason {
		if r != "" {
			s.Dropped = append(s.Dropped, Drop{Index: i, Reason: r})
		}
	}
	if len(s.Chosen) == 0 {
		return s, kvs.New(kvs.ResourceNotFound, kvs.NoFragmentsMessage)
	}
	return s, nil
}

// selected returns f's timestamp of kind sel.
func selected(sel kvs.Selector, f *kvs.Fragment) (int64, bool) {
	if sel == kvs.ServerTimestamp {
		return f.ServerMillis, f.HasServerTimestamp()
	}
	return f.ProducerMillis, f.HasProducerTimestamp()
}

// other returns f's timestamp of the kind sel does not select, or 0 when f
// has none. (The 0 matters: a kvs.Fragment may carry a value with its No flag on,
// and the clip order must not depend on it. FuzzSelect found the order
// following such stale values before this returned 0.)
func other(sel kvs.Selector, f *kvs.Fragment) (int64, bool) {
	ts, ok := f.ServerMillis, f.HasServerTimestamp()
	if sel == kvs.ServerTimestamp {
		ts, ok = f.ProducerMillis, f.HasProducerTimestamp()
	}
	if !ok {
		return 0, false
	}
	return ts, true
}

// olderFirst orders two fragments by ingestion: a known server timestamp
// before none, the earlier one first, then the smaller number (none last),
// then input position, so the order is total and the oldest comes first.
func olderFirst(fa, fb *kvs.Fragment, nums []number, a, b int) int {
	if c := cmp.Compare(boolKey(!fa.HasServerTimestamp()), boolKey(!fb.HasServerTimestamp())); c != 0 {
		return c
	}
	if fa.HasServerTimestamp() {
		if c := cmp.Compare(fa.ServerMillis, fb.ServerMillis); c != 0 {
			return c
		}
	}
	if c := nums[a].compare(nums[b]); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// number is a fragment number prepared for comparison.
type number struct {
	s     string // without leading zeros when valid
	class int8   // 0: a decimal number, 1: not one (no valid input has it), 2: none
}

func parseNumber(s string) number {
	switch {
	case s == "":
		return number{class: 2}
	case !kvs.ValidFragmentNumber(s):
		return number{s: s, class: 1}
	}
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return number{s: s}
}

// compare orders fragment numbers as integers, then strings that are not
// numbers in byte order, then fragments without a number, so that the
// order is total whatever the caller passes.
func (a number) compare(b number) int {
	if c := cmp.Compare(a.class, b.class); c != 0 || a.class == 2 {
		return c
	}
	if a.class == 0 {
		// Without leading zeros, a longer number is a larger one.
		if c := cmp.Compare(len(a.s), len(b.s)); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.s, b.s)
}

func boolKey(b bool) int {
	if b {
		return 1
	}
	return 0
}
