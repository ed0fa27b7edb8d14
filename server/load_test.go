package server_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
)

// TestLoad runs 8 producers and 16 clip clients against one server on
// loopback: 30 s normally, 3 s with -short. Each producer loops PutMedia of
// a 9-fragment H.264+AAC recording into its own stream, each pass 30 s
// later in producer time; each client clips random finished passes. It
// fails on any error or any PERSISTED fragment missing from the index.
func TestLoad(t *testing.T) {
	const producers, clients = 8, 16
	dur := 30 * time.Second
	if testing.Short() {
		dur = 3 * time.Second
	}
	r := newRig(t)
	data, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const pass = 30 * time.Second

	var (
		stop      atomic.Bool
		passes    [producers]atomic.Int64
		fragsIn   atomic.Int64
		clips     atomic.Int64
		bytesOut  atomic.Int64
		mu        sync.Mutex
		latencies []time.Duration
		errs      []error
		acked     [producers][]string
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	// A client clips a producer's finished passes: it waits for the
	// first, or for the end of the run.
	stopped := make(chan struct{})
	var firstPass [producers]chan struct{}
	for p := range producers {
		r.createStream(fmt.Sprintf("load-%d", p), 24)
		firstPass[p] = make(chan struct{})
	}
	var wg sync.WaitGroup
	began := time.Now()
	for p := range producers {
		wg.Go(func() {
			stream := fmt.Sprintf("load-%d", p)
			for k := 0; !stop.Load(); k++ {
				acks, err := r.put(stream, "RELATIVE", base.Add(time.Duration(k)*pass), bytes.NewReader(data))
				if err != nil {
					fail(fmt.Errorf("%s pass %d: %w", stream, k, err))
					return
				}
				nums := persisted(acks)
				fragsIn.Add(int64(len(nums)))
				acked[p] = append(acked[p], nums...)
				passes[p].Store(int64(k + 1))
				if k == 0 {
					close(firstPass[p])
				}
			}
		})
	}
	sampleDir := t.TempDir()
	for c := range clients {
		wg.Go(func() {
			for n := 0; !stop.Load(); n++ {
				p := (c + n) % producers
				done := passes[p].Load()
				if done == 0 {
					select {
					case <-firstPass[p]:
					case <-stopped:
					}
					continue
				}
				k := (int64(c) * 7919 * int64(n+1)) % done
				from := base.Add(time.Duration(k) * pass)
				to := from.Add(pass - time.Millisecond)
				t0 := time.Now()
				out, err := r.media.GetClip(bg, &am.GetClipInput{StreamName: aws.String(fmt.Sprintf("load-%d", p)),
					ClipFragmentSelector: &amtypes.ClipFragmentSelector{FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
						TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: &from, EndTimestamp: &to}}})
				if err != nil {
					fail(fmt.Errorf("clip %s pass %d: %w", fmt.Sprintf("load-%d", p), k, err))
					return
				}
				var buf bytes.Buffer
				_, err = buf.ReadFrom(out.Payload)
				out.Payload.Close()
				if err != nil {
					fail(err)
					return
				}
				d := time.Since(t0)
				clips.Add(1)
				bytesOut.Add(int64(buf.Len()))
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
				if n == 0 { // one clip per client goes through ffmpeg after the run
					os.WriteFile(filepath.Join(sampleDir, fmt.Sprintf("c%d.mp4", c)), buf.Bytes(), 0o644)
				}
			}
		})
	}
	time.Sleep(dur) // the run's length: the input
	stop.Store(true)
	close(stopped)
	wg.Wait()
	elapsed := time.Since(began)
	require.Empty(t, errs)

	for p := range producers {
		out, err := r.store.List(bg, fmt.Sprintf("load-%d", p), kvs.ProducerTimestamp, -1<<62, 1<<62)
		require.NoError(t, err)
		listed := map[string]bool{}
		for _, f := range out {
			listed[f.Number] = true
		}
		for _, n := range acked[p] {
			assert.True(t, listed[n], "PERSISTED fragment %s of producer %d is not listed", n, p)
		}
	}
	samples, _ := filepath.Glob(filepath.Join(sampleDir, "*.mp4"))
	for _, s := range samples {
		msg, ok := mediatest.Decode(t, s)
		assert.True(t, ok, msg)
	}
	require.NotEmpty(t, latencies)
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(q float64) time.Duration { return latencies[int(q*float64(len(latencies)-1))] }
	secs := elapsed.Seconds()
	t.Logf("load %s: %d producers, %d clients: %.1f fragments/s in, %.1f clips/s and %.1f MB/s out, GetClip latency p50 %s p99 %s (%d clips, %d fragments)",
		elapsed.Round(time.Millisecond), producers, clients, float64(fragsIn.Load())/secs, float64(clips.Load())/secs,
		float64(bytesOut.Load())/secs/1e6, pct(0.5).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), clips.Load(), fragsIn.Load())
}
