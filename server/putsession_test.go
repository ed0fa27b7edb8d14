package server_test

import (
	"bytes"
	"io"
	"math/bits"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// pausedBody is a PutMedia body that sends src up to cut, waits pause, then
// sends the rest (a producer that stops and resumes).
func pausedBody(src []byte, cut int64, pause time.Duration) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		if _, err := pw.Write(src[:cut]); err != nil {
			return
		}
		time.Sleep(pause)
		_, _ = pw.Write(src[cut:])
		pw.Close()
	}()
	return pr
}

// putPaused puts the producer recording to a new stream cam of a rig tuned
// by tune, pausing 16 bytes into its fourth fragment, and returns the rig,
// the acks and the session's error.
func putPaused(t *testing.T, tune func(*server.Config), pause time.Duration) (*rig, []putack.Ack, error) {
	return putPausedAt(t, tune, pause, 16)
}

// putPausedAt is putPaused pausing into bytes into the fourth fragment.
func putPausedAt(t *testing.T, tune func(*server.Config), pause time.Duration, into int64) (*rig, []putack.Ack, error) {
	t.Helper()
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	ends := fragmentEnds(t, src)
	r := newRig(t, tune)
	r.createStream("cam", 24)
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	acks, err := r.put("cam", "RELATIVE", start, pausedBody(src, ends[2]+into, pause))
	return r, acks, err
}

// TestPutMediaIdleAcks: while a producer sends nothing the server sends
// IDLE acks, and the session goes on when data comes again.
func TestPutMediaIdleAcks(t *testing.T) {
	_, acks, err := putPaused(t, func(c *server.Config) { c.Ingest.PutMediaIdleAck = 40 * time.Millisecond }, 400*time.Millisecond)
	require.NoError(t, err)
	// The three fragments before the pause are PERSISTED before the pause
	// ends (an IDLE ack may come before the third's PERSISTED when its
	// fsync is slow), the fourth is RECEIVED after it.
	idle, persistedBefore, received := 0, 0, 0
	for _, a := range acks {
		switch a.EventType {
		case putack.Idle:
			idle++
			assert.Nil(t, a.FragmentTimecode)
			assert.Empty(t, a.FragmentNumber)
		case putack.Received:
			received++
			if received == 4 {
				assert.Positive(t, idle, "the fourth fragment is received after the pause")
			}
		case putack.Persisted:
			if received < 4 {
				persistedBefore++
			}
		}
	}
	assert.GreaterOrEqual(t, idle, 3, "IDLE acks during the 400 ms pause, one per 40 ms")
	assert.Equal(t, 3, persistedBefore, "the three fragments before the pause, before the fourth arrives")
	assert.Len(t, persisted(acks), 9, "and every fragment once data came again")
}

// TestPutMediaSessionLength: a session ends at Config.Ingest.MaxPutMediaDuration
// with an ERROR ack 4003 (MAX_CONNECTION_DURATION_REACHED); what was
// persisted before stays, nothing after is stored.
func TestPutMediaSessionLength(t *testing.T) {
	r, acks, err := putPaused(t, func(c *server.Config) { c.Ingest.MaxPutMediaDuration = 300 * time.Millisecond }, time.Second)
	require.ErrorIs(t, err, putclient.ErrAckError)
	require.NotEmpty(t, acks)
	last := acks[len(acks)-1]
	assert.Equal(t, putack.Error, last.EventType)
	assert.Equal(t, 4003, last.ErrorID)
	assert.Equal(t, "MAX_CONNECTION_DURATION_REACHED", last.ErrorCode)
	assert.Len(t, persisted(acks), 3)
	stored, err := r.store.List(bg, "cam", kvs.ProducerTimestamp, -1<<62, 1<<62)
	require.NoError(t, err)
	assert.Len(t, stored, 3)
}

// TestPutMediaBufferingAtFirstBytes: BUFFERING is sent when a fragment's
// first bytes are in, RECEIVED when all of it is. With the producer pausing
// 200 bytes into its fourth fragment (its Cluster timecode and part of a
// frame sent), that fragment's BUFFERING comes before the IDLE acks of the
// pause and its RECEIVED after them, under the same fragment number.
func TestPutMediaBufferingAtFirstBytes(t *testing.T) {
	_, acks, err := putPausedAt(t, func(c *server.Config) { c.Ingest.PutMediaIdleAck = 40 * time.Millisecond }, 400*time.Millisecond, 200)
	require.NoError(t, err)
	require.Len(t, persisted(acks), 9)
	fourth := persisted(acks)[3]
	var events []string // the fourth fragment's acks and the pause's IDLE ones, in order
	for _, a := range acks {
		switch {
		case a.EventType == putack.Idle && (len(events) == 0 || events[len(events)-1] != putack.Idle):
			events = append(events, putack.Idle)
		case a.EventType != putack.Idle && a.FragmentNumber == fourth:
			events = append(events, a.EventType)
		}
	}
	assert.Equal(t, []string{putack.Buffering, putack.Idle, putack.Received, putack.Persisted}, events)
}

// TestPutMediaClusterWithoutTimecode: a fragment whose Cluster has no
// timecode to report early (here the first one's Timecode element made
// a Void) is acknowledged BUFFERING when read whole, then RECEIVED and
// PERSISTED, under one number.
func TestPutMediaClusterWithoutTimecode(t *testing.T) {
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	at := bytes.Index(src, []byte{0x1F, 0x43, 0xB6, 0x75}) // the first Cluster
	require.Positive(t, at)
	at += 4 + bits.LeadingZeros8(src[at+4]) + 1 // past its ID and size
	require.Equal(t, byte(0xE7), src[at], "the Cluster starts with its Timecode")
	src = bytes.Clone(src)
	src[at] = 0xEC // Void

	r := newRig(t)
	r.createStream("cam", 24)
	acks, err := r.put("cam", "RELATIVE", time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(src))
	require.NoError(t, err)
	require.Len(t, persisted(acks), 9)
	first := persisted(acks)[0]
	var events []string
	for _, a := range acks {
		if a.FragmentNumber == first {
			events = append(events, a.EventType)
		}
	}
	assert.Equal(t, []string{putack.Buffering, putack.Received, putack.Persisted}, events)
}
