package server_test

import (
	"testing"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
)

// liveLatencyOtherServer is the bound on the time from a
// fragment's PERSISTED ack on one server to its first appearance in a
// live playlist of another that shares the S3 archive: that server learns
// of it only by listing the store. Logged beside the measure, not
// asserted: ackToPlaylist asserts that B's playlist follows live.
const liveLatencyOtherServer = time.Second

// TestHLSLiveSecondServer: a producer streams into server A; a player's
// LIVE session is on server B, which shares A's S3 archive and nothing
// else. Every fragment shows in B's live playlist, most of them while the
// producer is still putting.
func TestHLSLiveSecondServer(t *testing.T) {
	gw := storetest.StartGW(t)
	storeA, reopen := gw.Open(t, archive.S3Options{})
	a := newRig(t, withStore(storeA))
	b := newRig(t, withStore(reopen()))
	p, media, _, mediaURL := startLiveSession(t, a, b)

	poll := pollPlaylist(mediaURL, nil)
	for _, f := range media.frags[1:liveFragments] {
		time.Sleep(hlsLiveGap) // the producer's live pace: the input
		p.send(t, f)
	}
	poll.waitShown(t, p.waitAcked(t, liveFragments))
	seen := poll.stop()
	p.close(t)

	p50, p99, n := ackToPlaylist(t, p, seen)
	t.Logf("PERSISTED on A to B's live playlist over %d fragments: p50 %v, p99 %v (polling every %v; the issue's bound %v)", n, p50, p99, livePoll, liveLatencyOtherServer)
}
