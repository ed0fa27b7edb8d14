package ingest

import (
	"cmp"
	"time"
)

// Config is PutMedia's limits. Zero fields take the defaults below
// (SetDefaults).
type Config struct {
	// MaxFragmentBytes and MaxFragmentDuration bound one PutMedia fragment
	// (KVS: 50 MB, 10 s); a larger one gets an ERROR ack.
	MaxFragmentBytes    int64
	MaxFragmentDuration time.Duration
	// PutMediaIdleTimeout and PutMediaMinBytes are PutMedia's progress
	// rule: in every window of PutMediaIdleTimeout at least
	// PutMediaMinBytes must arrive (KVS ends a session idle for 30 s). A
	// rate, not a deadline per read: a trickle of a byte now and then
	// does not keep a session.
	PutMediaIdleTimeout time.Duration
	PutMediaMinBytes    int64
	// MaxPutMediaSessions caps the PutMedia sessions in progress; beyond
	// it a PutMedia gets ClientLimitExceeded. A session holds a fragment
	// in memory (up to MaxFragmentBytes) and a goroutine.
	MaxPutMediaSessions int
	// PutMediaIdleAck is how long PutMedia may go without receiving data
	// before it sends an IDLE ack, and then how often it sends one, so
	// that the producer knows the session is alive.
	PutMediaIdleAck time.Duration
	// MaxPutMediaDuration is the longest a PutMedia session lasts (KVS: 45
	// min): then it ends with an ERROR ack, 4003, and the producer opens
	// another.
	MaxPutMediaDuration time.Duration
}

// Defaults of Config.
const (
	DefaultMaxFragmentBytes    = 50_000_000
	DefaultMaxFragmentDuration = 10 * time.Second
	DefaultPutMediaIdleTimeout = 30 * time.Second
	DefaultPutMediaIdleAck     = 3 * time.Second
	DefaultMaxPutMediaDuration = 45 * time.Minute
	// DefaultPutMediaMinBytes is 1 KiB per PutMediaIdleTimeout window:
	// the header of one fragment, far below any real producer's rate.
	DefaultPutMediaMinBytes = 1 << 10
	// DefaultMaxPutMediaSessions: 256 producers, each up to one 50 MB
	// fragment in flight, is within what the server's memory budget
	// must allow anyway.
	DefaultMaxPutMediaSessions = 256
)

// SetDefaults gives every zero field its default. The server calls it with
// the rest of its configuration, before it reads these fields itself (the
// signed-body check applies the progress rule too).
func (c *Config) SetDefaults() {
	c.MaxFragmentBytes = cmp.Or(c.MaxFragmentBytes, DefaultMaxFragmentBytes)
	c.MaxFragmentDuration = cmp.Or(c.MaxFragmentDuration, DefaultMaxFragmentDuration)
	c.PutMediaIdleTimeout = cmp.Or(c.PutMediaIdleTimeout, DefaultPutMediaIdleTimeout)
	c.PutMediaMinBytes = cmp.Or(c.PutMediaMinBytes, DefaultPutMediaMinBytes)
	c.MaxPutMediaSessions = cmp.Or(c.MaxPutMediaSessions, DefaultMaxPutMediaSessions)
	c.PutMediaIdleAck = cmp.Or(c.PutMediaIdleAck, DefaultPutMediaIdleAck)
	c.MaxPutMediaDuration = cmp.Or(c.MaxPutMediaDuration, DefaultMaxPutMediaDuration)
}
