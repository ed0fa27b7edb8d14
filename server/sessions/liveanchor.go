package sessions

import (
	"sync"
)

// A LIVE session numbers its segments by their place among all the
// fragments since it began, so that a number stays with its fragment at
// every refresh. Listing all of them for every playlist costs more the
// longer the session lasts (a day of 2 s fragments is 43,200 entries, a
// listing a second per viewer), so each server remembers, per session,
// the fragment just before the window it last served, with its place,
// and lists from there. Another server, or this one after a restart or
// an eviction, lists from the session's start once and goes on from
// there: the numbers are the same either way.

// How much earlier than its anchor a session's listing starts is
// Config.AnchorSlack: one server numbers fragments in the order of their
// server timestamps, but a fragment numbered after the anchor by another
// server sharing the archive may be stamped a little earlier by that
// server's clock, and the listing from the session's start has it too.

// sessionHead places a listing of a session's fragments in the session.
type sessionHead struct {
	// Seq is the sequence number of the listing's first fragment.
	Seq int64
	// DiscBefore counts the discontinuity markers of the segments before
	// it, and Disc is its own.
	DiscBefore int64
	Disc       bool
	// Origin is the producer timestamp (ms) of the session's first
	// fragment: the zero of a DASH session's timeline.
	Origin int64
	// OriginServer is that fragment's server timestamp (ms): with Origin,
	// it places the producer's clock on the server's (LIVE only).
	OriginServer int64
	// ended tells that the listing is all the session will show:
	// ON_DEMAND, or a LIVE_REPLAY played out (replayPace).
	ended bool
}

// liveAnchor is a fragment of a LIVE session and its place in it.
type liveAnchor struct {
	number       string
	serverMillis int64
	head         sessionHead
}

// maxLiveAnchors bounds the anchors kept: one per LIVE session watched
// lately. Past it, an arbitrary one goes, and its session lists from its
// start once more.
const maxLiveAnchors = 4096

// liveAnchors maps session IDs to their anchors; the zero value is ready.
type liveAnchors struct {
	mu sync.Mutex
	m  map[string]liveAnchor
}

func (c *liveAnchors) get(id string) (liveAnchor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[id]
	return a, ok
}

func (c *liveAnchors) put(id string, a liveAnchor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]liveAnchor{}
	}
	if _, ok := c.m[id]; !ok && len(c.m) >= maxLiveAnchors {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[id] = a
}

// forget drops every anchor: the next listing of each session is from its
// start.
func (c *liveAnchors) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.m)
}
