package sessions

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/playback"
)

// sliceStore lists fragments held in memory, in number and server time
// order, of a stream it does not list; it serves nothing else.
type sliceStore struct {
	archive.Store
	frags []kvs.Fragment
}

func (s *sliceStore) Streams(context.Context) ([]archive.Stream, error) { return nil, nil }

func (s *sliceStore) List(ctx context.Context, stream string, kind kvs.Selector, start, end int64) ([]kvs.Fragment, error) {
	i, _ := slices.BinarySearchFunc(s.frags, start, func(f kvs.Fragment, t int64) int { return cmp.Compare(f.ServerMillis, t) })
	j, _ := slices.BinarySearchFunc(s.frags, end+1, func(f kvs.Fragment, t int64) int { return cmp.Compare(f.ServerMillis, t) })
	return slices.Clone(s.frags[i:j]), nil
}

// BenchmarkLiveWindow: the window of a LIVE session a day old (43,200
// fragments of 2 s), listed from the session's start, as every request
// did, and from the session's anchor, as a server that served its
// previous window does. The bytes are the media playlist's.
func BenchmarkLiveWindow(b *testing.B) {
	const n = 43_200
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	frags := make([]kvs.Fragment, n)
	for i := range frags {
		frags[i] = kvs.Fragment{Number: storetest.Number(i), ProducerMillis: t0 + int64(i)*2000, ServerMillis: t0 + int64(i)*2000 + 300,
			Size: 250_000, DurationMillis: 2000}
	}
	srv, err := New(Deps{Store: &sliceStore{frags: frags}, Now: time.Now}, Config{})
	require.NoError(b, err)
	ss := &playback.Session{ID: "bench", Protocol: kvs.HLS, Mode: kvs.Live, Stream: "cam", Start: frags[0].ServerMillis, From: frags[0].Number,
		MaxResults: 5, Selector: kvs.ServerTimestamp, Discontinuity: kvs.DiscontinuityAlways, Container: kvs.FragmentedMP4, Target: 2}
	now := time.UnixMilli(frags[n-1].ServerMillis)
	uri := func(res, number string) string { return res + "?SessionToken=t&FragmentNumber=" + number }
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		anchored bool
	}{{"from start", false}, {"from anchor", true}} {
		b.Run(c.name, func(b *testing.B) {
			var out strings.Builder
			win, _, _, err := srv.sessionWindow(ctx, ss, now, uri)
			require.NoError(b, err)
			_, err = (&playback.MediaPlaylist{Window: win, FMP4: true, TargetDuration: 2}).WriteTo(&out)
			require.NoError(b, err)
			b.SetBytes(int64(out.Len()))
			b.ReportAllocs()
			for b.Loop() {
				if !c.anchored {
					srv.anchors.forget()
				}
				if _, _, _, err := srv.sessionWindow(ctx, ss, now, uri); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
