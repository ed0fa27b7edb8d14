package server_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/media"
)

// openMedia opens a GetMedia NOW on stream and returns its cancel, or the
// error the server answered.
func (r *rig) openMedia(stream string) (func(), error) {
	ctx, cancel := context.WithCancel(context.Background())
	out, err := r.getMedia(ctx, stream, gmSelector{StartSelectorType: "NOW"})
	if err != nil {
		cancel()
		return nil, err
	}
	return func() { cancel(); out.Payload.Close() }, nil
}

// eventually retries open until it succeeds, for a slot that the server
// frees once it notices a connection gone; within only guards against a
// slot that never frees.
func eventually(t *testing.T, within time.Duration, open func() (func(), error)) func() {
	t.Helper()
	var stop func()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		s, err := open()
		if assert.NoError(c, err, "still refused") {
			stop = s
		}
	}, within, 20*time.Millisecond)
	return stop
}

// TestGetMediaConnectionLimit: KVS's 3 GetMedia connections per stream;
// a fourth gets ConnectionLimitExceededException (400), other streams are
// not affected, and a slot frees when its consumer leaves.
func TestGetMediaConnectionLimit(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	r.createStream("other", 24)
	var stops []func()
	for range media.DefaultMaxGetMediaConnections {
		stop, err := r.openMedia("cam")
		require.NoError(t, err)
		stops = append(stops, stop)
	}
	_, err := r.openMedia("cam")
	var ge *gmError
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, "ConnectionLimitExceededException", ge.Code)
	assert.Equal(t, 400, ge.Status)

	stop, err := r.openMedia("other")
	require.NoError(t, err)
	stop()

	stops[0]()
	eventually(t, 5*time.Second, func() (func(), error) { return r.openMedia("cam") })()
	for _, s := range stops[1:] {
		s()
	}
}

// TestGetMediaRateLimit: at KVS's 5 calls per second per stream, spread
// as GetClip's limiter spreads them (one token, refilled every 200 ms), a
// call on the heels of another is throttled with
// ClientLimitExceededException, and one 200 ms later is not.
func TestGetMediaRateLimit(t *testing.T) {
	now := time.Now() // signatures are checked against it
	r := newRig(t, func(c *server.Config) {
		c.Media.GetMediaTPSPerStream = 5
		c.Media.MaxGetMediaConnectionsPerStream = 100
		c.Now = func() time.Time { return now }
	})
	r.createStream("cam", 24)
	stop, err := r.openMedia("cam")
	require.NoError(t, err)
	defer stop()
	_, err = r.openMedia("cam")
	var ge *gmError
	require.ErrorAs(t, err, &ge)
	assert.Equal(t, "ClientLimitExceededException", ge.Code)
	now = now.Add(200 * time.Millisecond)
	stop2, err := r.openMedia("cam")
	require.NoError(t, err)
	stop2()
}

// TestGetMediaStalledConsumer: a consumer that stops reading holds no
// memory of the server's beyond the socket and one read-ahead chunk, and
// loses its connection, and so its slot, after GetMediaWriteTimeout.
func TestGetMediaStalledConsumer(t *testing.T) {
	r := newRig(t, func(c *server.Config) {
		c.Media.GetMediaWriteTimeout = 300 * time.Millisecond
		c.Media.GetMediaBytesPerSecond = -1
		c.Media.MaxGetMediaConnectionsPerStream = 1
	})
	r.createStream("cam", 24)
	// About 2 MB a fragment: far more than loopback sockets buffer.
	rec := syntheticRecording(t, bench.Synth{Fragments: 16})
	_, err := r.put("cam", "RELATIVE", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(rec))
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	out, err := r.getMedia(ctx, "cam", gmSelector{StartSelectorType: "EARLIEST"})
	require.NoError(t, err)
	_, err = io.ReadFull(out.Payload, make([]byte, 1000))
	require.NoError(t, err)
	stalled := time.Now()
	stop := eventually(t, 10*time.Second, func() (func(), error) { return r.openMedia("cam") })
	defer stop()
	freed := time.Since(stalled)
	t.Logf("the stalled consumer's slot was free %v after it stopped reading", freed.Round(time.Millisecond))
	// Not before the timeout: a lower bound, which a loaded machine only
	// makes easier to meet.
	assert.GreaterOrEqual(t, freed, 300*time.Millisecond)
	// The slot is free because the server cut the stalled connection:
	// what it had sent ends short, in an error, not the stream's end.
	_, err = io.Copy(io.Discard, out.Payload)
	assert.Error(t, err, "the stalled consumer's connection was cut")
}

// TestGetMediaDrain: a session waiting for fragments ends when the server
// drains, so that Shutdown does not wait on it.
func TestGetMediaDrain(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	out, err := r.getMedia(ctx, "cam", gmSelector{StartSelectorType: "NOW"})
	require.NoError(t, err)
	r.srv.Drain()
	// GetMedia has no idle end: only the drain ends this session, cleanly,
	// before ctx's deadline (which would be an error here) cuts it.
	b, err := io.ReadAll(out.Payload)
	require.NoError(t, err)
	assert.Empty(t, b)
}
