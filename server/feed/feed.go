// Package feed is the in-process signal of new fragments: the server that
// stores a fragment (package ingest) wakes the GetMedia tails of its stream
// (package media), which then read the fragment from the archive. It
// carries no fragment, only the news, so a slow consumer holds no copy;
// and it reaches only the consumers of the server that stored the
// fragment, not those of other servers sharing the archive.
package feed

import "sync"

// Feed tells GetMedia consumers that a stream has a new fragment. Each
// stream has a channel that is closed when a fragment is PERSISTED and then
// replaced: a consumer takes the channel before it lists the archive and
// waits on it after, so a fragment stored in between is never missed, and
// the fragment itself is always read from the archive (a consumer holds no
// copy of it in memory, however far behind it is).
type Feed struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// Wait returns the channel that the stream's next PERSISTED fragment
// closes.
func (f *Feed) Wait(stream string) <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch == nil {
		f.ch = map[string]chan struct{}{}
	}
	c := f.ch[stream]
	if c == nil {
		c = make(chan struct{})
		f.ch[stream] = c
	}
	return c
}

// Persisted wakes the stream's consumers. A stream nobody waits on keeps
// no channel.
func (f *Feed) Persisted(stream string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.ch[stream]; c != nil {
		close(c)
		delete(f.ch, stream)
	}
}
