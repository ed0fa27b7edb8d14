package server_test

import (
	"bytes"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// TestS3OneProducerAcrossServers: two servers share a bucket; a PutMedia
// on one ends the stream's session on the other at its next fragment,
// which is not stored (ERROR 4000), as KVS ends the older connection.
func TestS3OneProducerAcrossServers(t *testing.T) {
	gw := storetest.StartGW(t)
	storeA, reopen := gw.Open(t, archive.S3Options{})
	a := newRig(t, withStore(storeA))
	b := newRig(t, withStore(reopen()))
	a.createStream("cam", 24)
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	ends := fragmentEnds(t, src)

	pr, pw := io.Pipe()
	type result struct {
		acks []putack.Ack
		err  error
	}
	onA := make(chan result, 1)
	go func() {
		acks, err := a.put("cam", "RELATIVE", time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), pr)
		onA <- result{acks, err}
	}()
	_, err = pw.Write(src[:ends[2]+100])
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		frags, _ := storeA.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<62)
		return len(frags) == 3
	}, 10*time.Second, 20*time.Millisecond)

	acks, err := b.put("cam", "RELATIVE", time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(src))
	require.NoError(t, err)
	require.Len(t, persisted(acks), 9)

	// A's producer sends on: its next fragment meets the lost lease.
	go func() {
		pw.Write(src[ends[2]+100:])
		pw.Close()
	}()
	var first result
	select {
	case first = <-onA:
	case <-time.After(10 * time.Second):
		t.Fatal("the session on A goes on")
	}
	require.ErrorIs(t, first.err, putclient.ErrAckError)
	assert.Len(t, persisted(first.acks), 3)
	last := first.acks[len(first.acks)-1]
	assert.Equal(t, putack.Error, last.EventType)
	assert.Equal(t, 4000, last.ErrorID)
	frags, err := storeA.List(bg, "cam", kvs.ServerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	assert.Len(t, frags, 12, "A's first three and B's nine")
}
