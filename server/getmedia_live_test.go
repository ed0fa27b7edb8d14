package server

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// liveGap is how long the test producer waits between fragments: fast
// enough for a short test, slow enough that each fragment is read before
// the next is stored, as at a live edge.
const liveGap = 60 * time.Millisecond

// TestGetMediaLiveTail: a consumer that asked for NOW on an empty stream
// gets each fragment a producer puts, in order, promptly after its
// PERSISTED ack.
func TestGetMediaLiveTail(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	m := loadProducerMedia(t, gmMedia, true, false, start, 60)

	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()
	out, err := r.getMedia(ctx, "cam", gmSelector{StartSelectorType: "NOW"})
	require.NoError(t, err, "the headers come before any fragment")

	var mu sync.Mutex
	persistedAt := map[string]time.Time{}
	var order []string
	got := make(chan []gmDoc, 1)
	go func() {
		var docs []gmDoc
		gmDocs(t, out.Payload, func(d gmDoc) bool {
			docs = append(docs, d)
			return len(docs) < len(m.frags)
		})
		got <- docs
	}()

	pr, pw := io.Pipe()
	go func() {
		var buf bytes.Buffer
		w := mkv.NewWriter(&buf, mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
		for _, f := range m.frags {
			buf.Reset()
			if err := w.WriteFragment(f); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := pw.Write(buf.Bytes()); err != nil {
				return
			}
			time.Sleep(liveGap)
		}
		pw.Close()
	}()
	err = PutMedia(ctx, nil, PutMediaInput{Endpoint: r.url, StreamName: "cam", TimecodeType: "RELATIVE", StartTimestamp: start,
		Body: pr, Credentials: &r.creds, Region: testRegion}, func(a Ack) {
		if a.EventType == AckPersisted {
			mu.Lock()
			persistedAt[a.FragmentNumber] = time.Now()
			order = append(order, a.FragmentNumber)
			mu.Unlock()
		}
	})
	require.NoError(t, err)
	var docs []gmDoc
	select {
	case docs = <-got:
	case <-ctx.Done():
		t.Fatal("the consumer did not get every fragment")
	}
	cancel()
	out.Payload.Close()

	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, order, numbersOf(docs), "every fragment once, in order")
	var lat []time.Duration
	for _, d := range docs {
		lat = append(lat, max(0, d.at.Sub(persistedAt[d.frag.Tags.FragmentNumber])))
	}
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[(len(lat)*99+99)/100-1]
	t.Logf("live tail: %d fragments, PERSISTED to consumer p50 %v, p99 %v, max %v", len(lat), p50, p99, lat[len(lat)-1])
	assert.Less(t, p99, 250*time.Millisecond)
}

// TestGetMediaClip: what GetMedia sends, remux.Clip (kvsclip clip) turns
// back into a clip with every frame the producer put, as ffmpeg decodes
// it.
func TestGetMediaClip(t *testing.T) {
	r := newRig(t)
	m, frags := gmStream(t, r, 8)
	var payload []byte
	for _, d := range r.readStream(gmSelector{StartSelectorType: "EARLIEST"}, frags[len(frags)-1].Number) {
		payload = append(payload, d.raw...)
	}
	var clip bytes.Buffer
	_, err := remux.Clip(&clip, bytes.NewReader(payload), &remux.Options{})
	require.NoError(t, err)
	checkClip(t, clip.Bytes(), blockSizes(t, producerBody(t, m)))
}
