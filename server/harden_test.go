package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
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

// failingStore, once broken, fails every listing of streams with a cause
// only the log may show.
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

// TestInternalFailureLogsCause: the client learns only "internal
// failure"; the log has the cause and the request id to find it by.
func TestInternalFailureLogsCause(t *testing.T) {
	var logs syncBuffer
	var broken atomic.Bool
	r := newRig(t, func(c *Config) {
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
