package media

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/storeread"
)

// tailOverlap is how far before the newest server timestamp a consumer has
// passed each listing of new fragments begins, on top of the longest
// fragment. A fragment is listed by its server timestamp, the moment it
// began arriving, but becomes visible only once it is whole and stored: up
// to MaxFragmentDuration later, plus the store's own time, for which a
// minute is ample. Fragments already passed are skipped by number.
const tailOverlap = time.Minute

// cursor is where a GetMedia session stands in its stream: the
// fragments it has passed, and the rule for the first one it sends.
type cursor struct {
	store  archive.Store
	stream string
	// after is the greatest fragment number passed (sent, or skipped
	// before the first one matched); "" when none.
	after string
	// sinceMs is the server time the next listing starts at.
	sinceMs int64
	// overlap is tailOverlap plus the longest fragment.
	overlap int64
	// first, until it accepts a fragment, decides where the stream
	// begins; nil once it has.
	first func(kvs.Fragment) bool
}

// newCursor places a cursor as the start selector says (the media
// API model's StartSelectorType documentation):
//
//   - EARLIEST: the earliest fragment stored;
//   - NOW: the latest fragment stored, or the next one to arrive;
//   - FRAGMENT_NUMBER: the fragment after AfterFragmentNumber, which must
//     be stored (ResourceNotFound otherwise);
//   - CONTINUATION_TOKEN: the fragment after the one the token names (the
//     last a consumer got), even when retention has deleted that one,
//     since numbers order the stream;
//   - SERVER_TIMESTAMP, PRODUCER_TIMESTAMP: the fragment containing the
//     time, or else the first that starts after it, waiting for one if
//     none is stored yet.
//
// Then every later fragment follows in number order, stored or new.
func newCursor(ctx context.Context, store archive.Store, stream string, st startPoint, maxFragment time.Duration, now time.Time) (*cursor, error) {
	c := &cursor{store: store, stream: stream, sinceMs: math.MinInt64,
		overlap: (tailOverlap + maxFragment).Milliseconds()}
	switch st.kind {
	case startEarliest:
	case startNow:
		latest, ok, err := latestFragment(ctx, store, stream, now)
		if err != nil || !ok {
			return c, err
		}
		c.from(latest)
	case startFragmentNumber, startContinuationToken:
		f, err := store.Lookup(ctx, stream, st.after)
		switch {
		case err == nil:
			c.passed(f)
		case !errors.Is(err, archive.ErrFragmentNotFound):
			return nil, err
		case st.kind == startFragmentNumber:
			return nil, httpapi.Errorf(kvs.ResourceNotFound, "Fragment %s of stream %s was not found.", st.after, stream)
		default:
			// Expired, or from another archive: continue by number
			// over a listing of the whole stream.
			c.after = st.after
		}
	case startServerTimestamp, startProducerTimestamp:
		kind := kvs.ServerTimestamp
		if st.kind == startProducerTimestamp {
			kind = kvs.ProducerTimestamp
		}
		at := st.at
		ts := func(f kvs.Fragment) int64 {
			if kind == kvs.ProducerTimestamp {
				return f.ProducerMillis
			}
			return f.ServerMillis
		}
		// Holds the time, or starts at or after it.
		match := func(f kvs.Fragment) bool { return ts(f) >= at || ts(f)+f.DurationMillis > at }
		// Only a fragment starting at most one fragment's length
		// before the time can hold it.
		frags, err := store.List(ctx, stream, kind, satSub(at, c.overlap), math.MaxInt64)
		if err != nil {
			return nil, err
		}
		for _, f := range frags {
			if match(f) {
				c.from(f)
				return c, nil
			}
		}
		// None yet: the first new fragment that matches.
		c.sinceMs = satSub(now.UnixMilli(), c.overlap)
		c.first = match
	}
	return c, nil
}

// latestFragment is the stream's newest fragment, found in the shortest
// recent window that holds one (storeread.Newest): on S3 a busy stream
// costs a listing of its last minute, not of its retention.
func latestFragment(ctx context.Context, store archive.Store, stream string, now time.Time) (kvs.Fragment, bool, error) {
	frags, err := storeread.Newest(ctx, store, stream, now)
	if err != nil || len(frags) == 0 {
		return kvs.Fragment{}, false, err
	}
	return frags[len(frags)-1], true, nil
}

// from makes f the first fragment sent.
func (c *cursor) from(f kvs.Fragment) {
	c.sinceMs = satSub(f.ServerMillis, c.overlap)
	c.first = func(g kvs.Fragment) bool { return kvs.CompareFragmentNumbers(g.Number, f.Number) >= 0 }
}

// passed records that the session is past f.
func (c *cursor) passed(f kvs.Fragment) {
	if c.after == "" || kvs.CompareFragmentNumbers(f.Number, c.after) > 0 {
		c.after = f.Number
	}
	c.sinceMs = max(c.sinceMs, satSub(f.ServerMillis, c.overlap))
}

// next lists the fragments to send now, in number order: those after the
// cursor, from the first that the start rule accepts. The caller sends
// them and calls passed for each.
func (c *cursor) next(ctx context.Context) ([]kvs.Fragment, error) {
	frags, err := c.store.List(ctx, c.stream, kvs.ServerTimestamp, c.sinceMs, math.MaxInt64)
	if err != nil {
		return nil, err
	}
	out := frags[:0]
	for _, f := range frags {
		if c.after != "" && kvs.CompareFragmentNumbers(f.Number, c.after) <= 0 {
			// Passed already (a token of an expired fragment is
			// known only by number): the next listing need not
			// reach back before it.
			c.sinceMs = max(c.sinceMs, satSub(f.ServerMillis, c.overlap))
			continue
		}
		if c.first != nil {
			if !c.first(f) {
				c.passed(f)
				continue
			}
			c.first = nil
		}
		out = append(out, f)
	}
	return out, nil
}

// satSub is a − b, held at math.MinInt64 instead of wrapping.
func satSub(a, b int64) int64 {
	if a < math.MinInt64+b {
		return math.MinInt64
	}
	return a - b
}
