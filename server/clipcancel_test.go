package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
)

// watchedStore counts a store's payload reads in flight, and can hold
// back every read after the first few, as a stalled disk or object store
// would, until the read's context ends.
type watchedStore struct {
	archive.Store
	inflight atomic.Int32
	started  atomic.Int32
	// stallBut, when set, makes every read of another fragment hang: the
	// clip's first span (its first fragment) comes, the rest stall. (A
	// count of reads would race with the order in which the read-ahead's
	// concurrent reads start, and could stall the first fragment.)
	stallBut string
	mu       sync.Mutex
	ended    time.Time // when the last read returned
	cut      []error   // why each read that returned with its context ended did
}

func (w *watchedStore) ReadAt(ctx context.Context, stream, number string, p []byte, off int64) (int, error) {
	w.started.Add(1)
	w.inflight.Add(1)
	defer func() {
		w.mu.Lock()
		w.ended = time.Now()
		if ctx.Err() != nil {
			w.cut = append(w.cut, ctx.Err())
		}
		w.mu.Unlock()
		w.inflight.Add(-1)
	}()
	if w.stallBut != "" && number != w.stallBut {
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return w.Store.ReadAt(ctx, stream, number, p, off)
}

// TestGetClipClientGone: a GetClip whose client disconnects while the
// server waits on a payload read stops its reads, cut by the client's
// going (context.Canceled, not a timeout of the server's), and starts no
// other, on both stores. How soon is logged (the issue asked for 100 ms),
// not asserted: a loaded machine is not a slow server. On S3 the object store
// itself stalls (versitygw stopped); on the filesystem, reads of any but
// the first fragment hang until their context ends.
func TestGetClipClientGone(t *testing.T) {
	rec := syntheticRecording(t, bench.Synth{Fragments: 40, KeyFrame: 30_000, Frame: 3_600, Audio: 300})

	for _, name := range []string{"filesystem", "s3"} {
		t.Run(name, func(t *testing.T) {
			var store archive.Store
			var gw *storetest.GW
			if name == "s3" {
				gw = storetest.StartGW(t)
				store, _ = gw.Open(t, archive.S3Options{})
			} else {
				fs, err := archive.Open(t.TempDir())
				require.NoError(t, err)
				store = fs
			}
			ws := &watchedStore{Store: store}
			r := newRig(t, withStore(ws), func(c *server.Config) { c.Credentials = nil })
			r.createStream("cam", 24)
			start := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
			_, err := r.put("cam", "RELATIVE", start, bytes.NewReader(rec))
			require.NoError(t, err)
			if gw == nil {
				frags, err := store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
				require.NoError(t, err)
				ws.stallBut = frags[0].Number
			}

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			body := fmt.Sprintf(`{"StreamName":"cam","ClipFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":%d,"EndTimestamp":%d}}}`,
				start.Unix(), start.Unix()+3600)
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+"/getClip", strings.NewReader(body))
			require.NoError(t, err)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			_, err = io.ReadFull(resp.Body, make([]byte, 1))
			require.NoError(t, err, "the first byte")
			if gw != nil {
				gw.Pause()
			}
			// Wait until a read hangs.
			require.Eventually(t, func() bool {
				return ws.inflight.Load() > 0 && (gw == nil || ws.started.Load() >= 3)
			}, 10*time.Second, 5*time.Millisecond, "no read hung")

			gone := time.Now()
			cancel()
			resp.Body.Close()
			require.Eventually(t, func() bool { return ws.inflight.Load() == 0 }, 10*time.Second, time.Millisecond, "reads still in flight")
			before := ws.started.Load()
			ws.mu.Lock()
			stopped, cut := ws.ended.Sub(gone), ws.cut
			ws.mu.Unlock()
			require.NotEmpty(t, cut, "the hung reads ended with their context")
			for _, err := range cut {
				assert.ErrorIs(t, err, context.Canceled, "cut by the client's going")
			}
			// Once the GetClip's handler has returned (it is counted as
			// it ends), nothing of it is left to start a read.
			require.Eventually(t, func() bool { return r.metric("kvsclip_requests_total", "api", "GetClip") == 1 },
				10*time.Second, 5*time.Millisecond, "the GetClip never ended")
			assert.Equal(t, before, ws.started.Load(), "no read starts after the client is gone")
			t.Logf("%s: the reads stopped %v after the client went away", name, stopped.Round(time.Millisecond))
		})
	}
}
