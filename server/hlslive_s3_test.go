package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
)

// liveLatencyOtherServer is the bound on the time from a
// fragment's PERSISTED ack on one server to its first appearance in a
// live playlist of another that shares the S3 archive: that server learns
// of it only by listing the store.
const liveLatencyOtherServer = time.Second

// TestHLSLiveSecondServer: a producer streams into server A; a player's
// LIVE session is on server B, which shares A's S3 archive and nothing
// else. Every fragment shows in B's live playlist within a second of its
// PERSISTED ack on A.
func TestHLSLiveSecondServer(t *testing.T) {
	gw := storetest.StartGW(t)
	storeA, reopen := gw.Open(t, archive.S3Options{})
	a := newRig(t, withStore(storeA))
	b := newRig(t, withStore(reopen()))
	p, media, _, mediaURL := startLiveSession(t, a, b)

	// First sight of each fragment number in B's playlist.
	seen := map[string]time.Time{}
	stopPolling := pollPlaylist(mediaURL, func(at time.Time, body []byte) {
		for _, m := range fragmentParam.FindAllSubmatch(body, -1) {
			if _, ok := seen[string(m[1])]; !ok {
				seen[string(m[1])] = at
			}
		}
	})
	for _, f := range media.frags[1:liveFragments] {
		time.Sleep(hlsLiveGap)
		p.send(t, f)
	}
	time.Sleep(liveLatencyOtherServer + 200*time.Millisecond)
	stopPolling()
	p.close(t)

	p50, p99, n := ackToPlaylist(t, p, seen)
	t.Logf("PERSISTED on A to B's live playlist over %d fragments: p50 %v, p99 %v (polling every %v)", n, p50, p99, livePoll)
	assert.Less(t, p99, liveLatencyOtherServer)
}
