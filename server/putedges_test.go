package server_test

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// TestPutMediaBodyEndsInNextHeader: a body that ends within the first
// bytes of the next fragment (inside its first element header) keeps the
// fragments before it: each was complete when its Cluster ended.
func TestPutMediaBodyEndsInNextHeader(t *testing.T) {
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	ends := fragmentEnds(t, src)
	r := newRig(t)
	for cut := int64(1); cut <= 11; cut++ {
		t.Run(fmt.Sprintf("%d bytes", cut), func(t *testing.T) {
			name := "cut" + string(rune('a'+cut))
			r.createStream(name, 1)
			acks, _ := r.put(name, "RELATIVE", time.Now(), bytes.NewReader(src[:ends[2]+cut]))
			assert.Len(t, persisted(acks), 3, "the three whole fragments, with %d bytes of the fourth", cut)
		})
	}
}

// TestPutMediaOneSegment: a second EBML document in one body is refused
// with ERROR 4006 (INVALID_MKV_DATA), and what came before it is kept.
func TestPutMediaOneSegment(t *testing.T) {
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	r := newRig(t)
	r.createStream("cam", 1)
	acks, err := r.put("cam", "RELATIVE", time.Now(), bytes.NewReader(append(bytes.Clone(src), src...)))
	require.ErrorIs(t, err, putclient.ErrAckError)
	assert.Len(t, persisted(acks), 9, "the first document's fragments")
	last := acks[len(acks)-1]
	assert.Equal(t, putack.Error, last.EventType)
	assert.Equal(t, 4006, last.ErrorID)
	assert.Equal(t, "INVALID_MKV_DATA", last.ErrorCode)
}
