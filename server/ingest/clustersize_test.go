package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/feed"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/metrics"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// TestPersistedAtClusterEnd: a producer that writes Clusters with their
// size and no end-of-fragment tag (ffmpeg, GStreamer's matroskamux) gets
// the PERSISTED ack of a fragment at its last byte, while it sends
// nothing more and keeps the body open; a Cluster of unknown size without
// an end tag still waits for what follows it.
func TestPersistedAtClusterEnd(t *testing.T) {
	for _, unknown := range []bool{false, true} {
		store, err := archive.Open(t.TempDir())
		require.NoError(t, err)
		t.Cleanup(func() { store.Close() })
		ctx := context.Background()
		require.NoError(t, store.CreateStream(ctx, archive.Stream{Name: "cam", RetentionHours: 1}))
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc, err := New(Config{}, Deps{Store: store, Now: time.Now, Log: log, Metrics: metrics.New(),
			Streams: streamref.Resolver{Store: store, Region: "us-west-2", AccountID: "123456789012"},
			Feed:    &feed.Feed{}, Draining: func() (time.Time, bool) { return time.Time{}, false }})
		require.NoError(t, err)
		rt := svc.Routes()[0]
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c := &httpapi.Call{API: rt.Name, Request: r, Log: log}
			if err := rt.Serve(w, r.WithContext(httpapi.WithCall(r.Context(), c))); err != nil {
				httpapi.WriteError(w, httpapi.From(err))
			}
		}))
		t.Cleanup(hs.Close)

		pr, pw := io.Pipe()
		req, err := http.NewRequest(http.MethodPost, hs.URL+"/putMedia", pr)
		require.NoError(t, err)
		req.Header.Set("x-amzn-stream-name", "cam")
		req.Header.Set("x-amzn-fragment-timecode-type", "RELATIVE")
		req.Header.Set("x-amzn-producer-start-timestamp", "1700000000")
		var body bytes.Buffer
		w := mkv.NewWriter(&body, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: unknown})
		require.NoError(t, w.WriteFragment(oneFragment()))
		go pw.Write(body.Bytes())

		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		acks := make(chan putack.Ack, 16)
		go func() {
			defer close(acks)
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				var a putack.Ack
				if json.Unmarshal(sc.Bytes(), &a) == nil && a.EventType != putack.Idle {
					acks <- a
				}
			}
		}()
		// Bounded wait for the ack: a failure bound, not the pass
		// condition. Without the size, the fragment is only complete
		// once the body ends.
		persisted := false
		deadline := time.After(10 * time.Second)
	wait:
		for !persisted {
			select {
			case a := <-acks:
				require.NotEqual(t, putack.Error, a.EventType, "%+v", a)
				persisted = a.EventType == putack.Persisted
			case <-deadline:
				break wait
			}
			if unknown && !persisted {
				// Now end the body: the unknown-size Cluster ends
				// with it.
				pw.Close()
			}
		}
		assert.True(t, persisted, "unknown=%v", unknown)
		frags, err := store.List(ctx, "cam", "PRODUCER_TIMESTAMP", 0, 1<<50)
		require.NoError(t, err)
		assert.Len(t, frags, 1)
		pw.Close()
		resp.Body.Close()
	}
}

// oneFragment is a fragment of two video frames and an audio frame.
func oneFragment() *mkv.Fragment {
	h := &mkv.Header{TimecodeScale: 1_000_000, MuxingApp: "test", WritingApp: "test", Tracks: []mkv.Track{
		{Number: 1, UID: 1, Type: mkv.TrackTypeVideo, CodecID: "V_MPEG4/ISO/AVC",
			CodecPrivate: []byte{0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x00, 0x01, 0x00, 0x00}, PixelWidth: 320, PixelHeight: 240},
		{Number: 2, UID: 2, Type: mkv.TrackTypeAudio, CodecID: "A_AAC", CodecPrivate: []byte{0x11, 0x90}, SamplingFrequency: 48000, Channels: 2},
	}}
	return &mkv.Fragment{Header: h, Timecode: 0, Blocks: []mkv.Block{
		{Track: 1, Time: 0, Keyframe: true, Data: []byte{0, 0, 0, 2, 0x65, 0x88}},
		{Track: 2, Time: 5, Keyframe: true, Data: []byte{0x21, 0x10, 0x04}},
		{Track: 1, Time: 40, Data: []byte{0, 0, 0, 2, 0x41, 0x9a}},
	}}
}
