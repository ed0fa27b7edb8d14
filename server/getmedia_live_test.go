package server_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// liveGap is how long the test producer waits between fragments: fast
// enough for a short test, slow enough that each fragment is read before
// the next is stored, as at a live edge.
const liveGap = 60 * time.Millisecond

// TestGetMediaLiveTail: a consumer that asked for NOW on an empty stream
// gets each fragment a producer puts, in order, as the producer puts them:
// most arrive before the producer's last PERSISTED ack, where a tail that
// polled slowly or sent at the end would have few. The latencies are
// logged, not bounded: a loaded machine is not a slow tail.
func TestGetMediaLiveTail(t *testing.T) {
	r, m := liveRig(t, 60)

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

	err = r.putLive(ctx, m, func(number string) {
		mu.Lock()
		persistedAt[number] = time.Now()
		order = append(order, number)
		mu.Unlock()
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
	last := persistedAt[order[len(order)-1]]
	early := 0
	for _, d := range docs {
		if d.at.Before(last) {
			early++
		}
	}
	assert.Greater(t, early, len(docs)/2, "fragments the consumer had while the producer was still putting")
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
	_, err := remux.Clip(&clip, bytes.NewReader(payload), nil)
	require.NoError(t, err)
	checkClip(t, clip.Bytes(), blockSizes(t, producerBody(t, m)))
}

// liveRig is a rig with an empty stream "cam" and seconds of media for a
// live producer.
func liveRig(t *testing.T, seconds float64) (*rig, *producerMedia) {
	r := newRig(t)
	r.createStream("cam", 24)
	return r, loadProducerMedia(t, gmMedia, true, false, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), seconds)
}

// putLive puts m's fragments on "cam" one at a time, liveGap apart, as a
// live producer does, and calls persisted with each PERSISTED number.
func (r *rig) putLive(ctx context.Context, m *producerMedia, persisted func(number string)) error {
	pr, pw := io.Pipe()
	go func() {
		var buf bytes.Buffer
		w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
		for _, f := range m.frags {
			buf.Reset()
			if err := w.WriteFragment(f); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := pw.Write(buf.Bytes()); err != nil {
				return
			}
			// The producer's pace is the input: fragments arrive at a
			// live edge, over time (TestGetMediaTimestampAhead reads
			// their arrival times).
			time.Sleep(liveGap)
		}
		pw.Close()
	}()
	return putclient.PutMedia(ctx, nil, putclient.Input{Endpoint: r.url, StreamName: "cam", TimecodeType: "RELATIVE", StartTimestamp: m.start,
		Body: pr, Credentials: &r.creds, Region: testRegion}, func(a putack.Ack) {
		if a.EventType == putack.Persisted {
			persisted(a.FragmentNumber)
		}
	})
}

// TestGetMediaLiveContinuation: a consumer of a live stream whose
// connection drops every few fragments, once inside a document, resumes
// each time with the last continuation token it got and so has every
// fragment once, in order, while the producer goes on.
func TestGetMediaLiveContinuation(t *testing.T) {
	r, m := liveRig(t, 30)
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()

	sel := gmSelector{StartSelectorType: "NOW"}
	out, err := r.getMedia(ctx, "cam", sel)
	require.NoError(t, err)
	var mu sync.Mutex
	var order []string
	produced := make(chan error, 1)
	go func() {
		produced <- r.putLive(ctx, m, func(n string) { mu.Lock(); order = append(order, n); mu.Unlock() })
	}()
	var got []string
	for drops := 0; len(got) < len(m.frags); drops++ {
		if drops > 0 {
			out, err = r.getMedia(ctx, "cam", sel)
			require.NoError(t, err)
		}
		var payload io.Reader = out.Payload
		if drops%2 == 1 {
			payload = &cutAfter{r: out.Payload, docs: 2}
		}
		n := 0
		gmDocs(t, payload, func(d gmDoc) bool {
			got = append(got, d.frag.Tags.FragmentNumber)
			sel = gmSelector{StartSelectorType: "CONTINUATION_TOKEN", ContinuationToken: d.frag.Tags.ContinuationToken}
			n++
			return n < 3 && len(got) < len(m.frags)
		})
		out.Payload.Close()
	}
	require.NoError(t, <-produced)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, order, got)
}

// TestGetMediaTimestampAhead: a SERVER_TIMESTAMP later than every stored
// fragment waits, and starts with the first new fragment that holds or
// follows the time.
func TestGetMediaTimestampAhead(t *testing.T) {
	r, m := liveRig(t, 40)
	ctx, cancel := context.WithTimeout(bg, 60*time.Second)
	defer cancel()
	// Server timestamps are arrival times, fragments arrive liveGap
	// apart and each lasts about a second: a time this far ahead is
	// held by a fragment well after the first.
	at := time.Now().Add(30 * liveGap).UnixMilli()
	out, err := r.getMedia(ctx, "cam", gmSelector{StartSelectorType: "SERVER_TIMESTAMP", StartTimestamp: secondsOf(at)})
	require.NoError(t, err)
	var lastNumber string
	require.NoError(t, r.putLive(ctx, m, func(n string) { lastNumber = n }))
	docs := readUntil(t, out, cancel, lastNumber)

	frags, err := r.store.List(bg, "cam", kvs.ServerTimestamp, math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	first := firstHolding(frags, at, func(f kvs.Fragment) int64 { return f.ServerMillis })
	require.Positive(t, first, "the time falls after the first fragment")
	var want []string
	for _, f := range frags[first:] {
		want = append(want, f.Number)
	}
	assert.Equal(t, want, numbersOf(docs))
}
