package archive_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
)

// TestS3CancelStopsCallsInFlight pauses the S3 server, so that requests
// hang, and cancels calls on their way: each returns within 100 ms of the
// cancel, long before OpTimeout, which is what ended them when the store
// ignored its callers.
func TestS3CancelStopsCallsInFlight(t *testing.T) {
	gw := storetest.StartGW(t)
	a, _ := gw.Open(t, archive.S3Options{})
	require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))
	m, doc := storetest.Fragment(1, 1000, 1000)
	require.NoError(t, a.Put(bg, "cam", m, doc))
	gw.Pause()
	for _, c := range []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Read", func(ctx context.Context) error { _, err := a.Read(ctx, "cam", m.Number); return err }},
		{"ReadAt", func(ctx context.Context) error {
			_, err := a.ReadAt(ctx, "cam", m.Number, make([]byte, 16), 8)
			return err
		}},
		{"Index", func(ctx context.Context) error {
			_, err := a.Index(ctx, "cam", archive.Fragment{Number: m.Number})
			return err
		}},
		{"List", func(ctx context.Context) error { _, err := a.List(ctx, "cam", archive.ByServer, 0, 1<<62); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(bg)
			done := make(chan error, 1)
			go func() { done <- c.call(ctx) }()
			time.Sleep(50 * time.Millisecond) // on its way, and hanging
			select {
			case err := <-done:
				t.Fatalf("returned before the cancel: %v", err)
			default:
			}
			cancel()
			cancelled := time.Now()
			select {
			case err := <-done:
				assert.ErrorIs(t, err, context.Canceled)
				assert.Less(t, time.Since(cancelled), 100*time.Millisecond)
			case <-time.After(10 * time.Second):
				t.Fatal("still running 10 s after the cancel")
			}
		})
	}
}
