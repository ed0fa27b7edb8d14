package server_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server"
)

// syncBuffer is a log sink tests read while the server writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// failingStore, once broken, fails every listing of streams or fragments
// with a cause only the log may show.
type failingStore struct {
	archive.Store
	broken *atomic.Bool
}

var errDiskOnFire = errors.New("open /var/lib/kvsclip/streams: disk on fire")

func (f failingStore) Streams(ctx context.Context) ([]archive.Stream, error) {
	if f.broken.Load() {
		return nil, errDiskOnFire
	}
	return f.Store.Streams(ctx)
}

func (f failingStore) List(ctx context.Context, stream string, kind kvs.Selector, start, end int64) ([]kvs.Fragment, error) {
	if f.broken.Load() {
		return nil, errDiskOnFire
	}
	return f.Store.List(ctx, stream, kind, start, end)
}

// TestInternalFailureLogsCause: the client learns only "internal
// failure"; the log has the cause and the request id to find it by.
func TestInternalFailureLogsCause(t *testing.T) {
	var logs syncBuffer
	var broken atomic.Bool
	r := newRig(t, func(c *server.Config) {
		c.Store = failingStore{c.Store, &broken}
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	broken.Store(true)
	_, err := r.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(10)})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "disk on fire", "the cause stays on the server")
	assert.Contains(t, logs.String(), "disk on fire")
	assert.Contains(t, logs.String(), "level=ERROR")
}

// TestSessionInternalFailureLogsCause: the same for the HLS and DASH
// session resources, served apart from the API routes. Their failures
// were classified before reaching the log, which then said only
// "internal failure".
func TestSessionInternalFailureLogsCause(t *testing.T) {
	var logs syncBuffer
	var broken atomic.Bool
	r := newRig(t, func(c *server.Config) {
		c.Store = failingStore{c.Store, &broken}
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	r.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putRecording(t, r, "cam", "h264-aac-160x120.getmedia.mkv", false, start, 2)
	u := hlsSession(t, r, &am.GetHLSStreamingSessionURLInput{
		StreamName:   aws.String("cam"),
		PlaybackMode: amtypes.HLSPlaybackModeOnDemand,
		HLSFragmentSelector: &amtypes.HLSFragmentSelector{
			FragmentSelectorType: amtypes.HLSFragmentSelectorTypeProducerTimestamp,
			TimestampRange:       &amtypes.HLSTimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Hour))},
		},
	})
	broken.Store(true)
	code, body := fetchURL(t, u)
	require.Equal(t, http.StatusInternalServerError, code, string(body))
	assert.NotContains(t, string(body), "disk on fire", "the cause stays on the server")
	assert.Contains(t, logs.String(), "disk on fire")
	assert.Contains(t, logs.String(), "level=ERROR")
}
