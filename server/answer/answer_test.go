package answer

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

func newCounter() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: "test_bytes"})
}

// TestWriterHoldsUntilReady: nothing goes out, status included, until the
// source is ready or the writer is flushed; then the status, the held
// bytes and the rest, all counted.
func TestWriterHoldsUntilReady(t *testing.T) {
	rec := httptest.NewRecorder()
	sent := newCounter()
	w := New(rec, sent)
	w.Status = http.StatusPartialContent
	ready := false
	w.Ready = func() bool { return ready }

	_, err := w.Write([]byte("ftyp"))
	require.NoError(t, err)
	assert.False(t, rec.Flushed || rec.Body.Len() > 0, "held")
	assert.Zero(t, w.Sent())
	assert.True(t, w.First().IsZero())

	ready = true
	_, err = w.Write([]byte("mdat"))
	require.NoError(t, err)
	require.NoError(t, w.Flush())
	assert.Equal(t, http.StatusPartialContent, rec.Code)
	assert.Equal(t, "ftypmdat", rec.Body.String())
	assert.Equal(t, "video/mp4", rec.Header().Get("Content-Type"))
	assert.EqualValues(t, 8, w.Sent())
	assert.InDelta(t, 8, testutil.ToFloat64(sent), 0)
	assert.False(t, w.First().IsZero())
}

// TestFailedBeforeFirstByte: the error is returned for the middleware to
// answer, without the success headers.
func TestFailedBeforeFirstByte(t *testing.T) {
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Amzn-Requestid", "id")
	rec.Header().Set("Content-Length", "100")
	w := New(rec, newCounter())
	w.Ready = func() bool { return false }
	_, _ = w.Write([]byte("moov"))
	cause := errors.New("unreadable")
	assert.Equal(t, cause, Failed(context.Background(), w, cause))
	assert.Equal(t, http.Header{"X-Amzn-Requestid": {"id"}}, rec.Header())
}

// TestFailedAfterFirstByte: the response is cut, and the request counted
// as aborted.
func TestFailedAfterFirstByte(t *testing.T) {
	rec := httptest.NewRecorder()
	w := New(rec, newCounter())
	_, _ = w.Write([]byte("ftyp"))
	c := &httpapi.Call{API: "GetClip", Log: slog.New(slog.DiscardHandler)}
	ctx := httpapi.WithCall(context.Background(), c)
	assert.PanicsWithValue(t, http.ErrAbortHandler, func() { _ = Failed(ctx, w, errors.New("late")) })
	assert.Equal(t, httpapi.AbortedCode, c.Code)
}
