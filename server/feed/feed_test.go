package feed_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/server/feed"
)

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// TestFeed: a waiter taken before a fragment is persisted is woken by it;
// one taken after waits for the next; streams are apart.
func TestFeed(t *testing.T) {
	var f feed.Feed
	cam, door := f.Wait("cam"), f.Wait("door")
	assert.True(t, cam == f.Wait("cam"), "waiters of one stream share one channel")
	assert.False(t, closed(cam))

	f.Persisted("cam")
	assert.True(t, closed(cam))
	assert.False(t, closed(door), "another stream's fragment wakes nobody here")

	next := f.Wait("cam")
	assert.False(t, closed(next), "a waiter taken after the fragment waits for the next")
	f.Persisted("nobody-waits") // keeps no channel
	f.Persisted("cam")
	assert.True(t, closed(next))
}
