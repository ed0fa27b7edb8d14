package sessions

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/playback"
)

// TestReplayPace: a LIVE_REPLAY shows its first fragment at once and each
// next one once the durations before it have elapsed, whatever gap lies
// before or between its fragments; it ends when its range is shown and
// can get no more fragments.
func TestReplayPace(t *testing.T) {
	const created = int64(1_800_000_000_000)
	// Three fragments of 2 s, an hour's gap, then one more: the gap is
	// not waited out.
	frags := []kvs.Fragment{
		{ProducerMillis: 1000, DurationMillis: 2000},
		{ProducerMillis: 3000, DurationMillis: 2000},
		{ProducerMillis: 5000, DurationMillis: 2000},
		{ProducerMillis: 3_605_000, DurationMillis: 2000},
	}
	cases := []struct {
		name    string
		sel     kvs.Selector
		hasEnd  bool
		end     int64
		elapsed int64
		frags   []kvs.Fragment
		n       int
		ended   bool
	}{
		{"at the start: the first", kvs.ProducerTimestamp, false, 0, 0, frags, 1, false},
		{"before its duration has passed", kvs.ProducerTimestamp, false, 0, 1999, frags, 1, false},
		{"the first's duration passed: the second", kvs.ProducerTimestamp, false, 0, 2000, frags, 2, false},
		{"the gap is not waited out", kvs.ProducerTimestamp, false, 0, 6000, frags, 4, false},
		{"no fragments yet", kvs.ProducerTimestamp, false, 0, 6000, nil, 0, false},
		{"with an end, not all shown", kvs.ServerTimestamp, true, 1, 2000, frags, 2, false},
		{"with a server end, all shown: ended", kvs.ServerTimestamp, true, 1, 6000, frags, 4, true},
		{"with a producer end still ahead", kvs.ProducerTimestamp, true, created + 60_000, 6000, frags, 4, false},
		{"with a producer end passed", kvs.ProducerTimestamp, true, created + 5000, 6000, frags, 4, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ss := &playback.Session{Mode: kvs.LiveReplay, Selector: c.sel, HasEnd: c.hasEnd, End: c.end, Created: created}
			n, ended := replayPace(ss, c.frags, time.UnixMilli(created+c.elapsed))
			assert.Equal(t, c.n, n)
			assert.Equal(t, c.ended, ended)
		})
	}
}

// TestNameInits: each run of segments (the window's first, or after a
// discontinuity) names its init by its first segment's fragment number,
// so that an EXT-X-MAP URI names a fragment the playlist shows.
func TestNameInits(t *testing.T) {
	uri := func(res, number string) string { return res + "?n=" + number }
	w := playback.Window{Segments: []playback.Segment{
		{Fragment: kvs.Fragment{Number: "10"}},
		{Fragment: kvs.Fragment{Number: "11"}},
		{Fragment: kvs.Fragment{Number: "12"}, Discontinuity: true},
		{Fragment: kvs.Fragment{Number: "13"}, Discontinuity: true},
		{Fragment: kvs.Fragment{Number: "14"}},
	}}
	nameInits(&w, uri)
	var got []string
	for _, s := range w.Segments {
		got = append(got, s.InitURI)
	}
	i := "getMP4InitFragment.mp4?n="
	assert.Equal(t, []string{i + "10", i + "10", i + "12", i + "13", i + "13"}, got)
}

// TestServeTime: the clock of UTCTiming, to the millisecond, never cached.
func TestServeTime(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 891_234_000, time.UTC)
	s, err := New(Deps{Now: func() time.Time { return now.In(time.FixedZone("x", 3600)) }}, Config{})
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	s.ServeTime(rec, httptest.NewRequest(http.MethodGet, TimePath, nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "2025-03-04T05:06:07.891Z", rec.Body.String())
	assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
	got, err := time.Parse(time.RFC3339Nano, rec.Body.String())
	require.NoError(t, err)
	assert.Equal(t, now.Truncate(time.Millisecond), got)
}
