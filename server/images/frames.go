package images

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// imageFrame is the frame chosen for one sample time, or why there is none.
type imageFrame struct {
	time   int64
	error  string // NO_MEDIA or MEDIA_ERROR when there is no frame
	stream string
	frag   kvs.Fragment
	track  *codec.Track
	smp    fragindex.Sample
	// key names the frame in the image cache.
	key string
	// spec is the image asked for; with HeightPixels alone, its width is
	// the picture's at that height.
	spec Spec
}

// KeyFrameLookback bounds how far back a sample time's key frame is sought
// when its own fragment has none before it: in up to this many earlier
// fragments, each ending where the next begins. Producers cut a fragment
// at a key frame, or, for a long group of pictures, at their maximum
// fragment duration without one: three fragments back covers groups of
// pictures up to four fragments long (the 7.6 s of the vogels recording's
// longest, at about 3 s a fragment) while one sample costs at most four
// index reads.
const KeyFrameLookback = 3

// contiguousSlack is the widest hole between two fragments that still
// counts as one recording when a key frame is sought in the earlier one:
// about a frame at low frame rates, so that rounding of fragment
// durations does not break a recording in two.
const contiguousSlack = 500 // ms

// imageFrames picks the key frame of each sample time: in the fragment
// whose span holds the time (the latest to start, should spans overlap),
// the last key frame of its video track at or before it, else the last
// one of the fragments just before it (KeyFrameLookback). A time no fragment
// holds has NO_MEDIA. Only the indexes of the fragments looked at are read.
func (a *API) imageFrames(ctx context.Context, st archive.Stream, q *imagesQuery, times []int64) ([]imageFrame, error) {
	startOf := func(f kvs.Fragment) int64 {
		if q.kind == kvs.ProducerTimestamp {
			return f.ProducerMillis
		}
		return f.ServerMillis
	}
	// A fragment that starts up to its longest duration before the first
	// time may still hold it, and KeyFrameLookback more before that may
	// hold its key frame.
	lookback := (1 + KeyFrameLookback) * a.d.MaxFragmentDuration.Milliseconds()
	from := times[0] - lookback
	if from > times[0] {
		from = math.MinInt64
	}
	frags, err := a.d.Store.List(ctx, st.Name, q.kind, from, times[len(times)-1])
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(frags, func(a, b kvs.Fragment) int { return compareInt64(startOf(a), startOf(b)) })
	out := make([]imageFrame, len(times))
	// chains[i] lists, in frags, the fragment holding times[i] and those
	// just before it where its key frame may be.
	chains := make([][]int, len(times))
	for i, t := range times {
		out[i] = imageFrame{time: t, error: imageNoMedia, stream: st.Name, spec: q.spec}
		j, _ := slices.BinarySearchFunc(frags, t+1, func(f kvs.Fragment, v int64) int { return compareInt64(startOf(f), v) })
		for j--; j >= 0; j-- {
			if t-startOf(frags[j]) <= frags[j].DurationMillis {
				break
			}
		}
		if j < 0 {
			continue
		}
		chains[i] = append(chains[i], j)
		for p := j - 1; p >= 0 && len(chains[i]) <= KeyFrameLookback; p-- {
			prev, next := frags[p], frags[chains[i][len(chains[i])-1]]
			if startOf(prev)+prev.DurationMillis+contiguousSlack < startOf(next) {
				break
			}
			chains[i] = append(chains[i], p)
		}
	}
	tracks := map[*mkv.Header]*videoTrack{}
	loaded := map[int]*fragindex.Index{} // by index in frags
	// Round d looks in the d-th fragment of each chain still without a
	// frame, after reading the indexes that round needs.
	for d := 0; d <= KeyFrameLookback; d++ {
		var want []int
		for i, c := range chains {
			if len(c) > d && out[i].error == imageNoMedia {
				if _, ok := loaded[c[d]]; !ok && !slices.Contains(want, c[d]) {
					want = append(want, c[d])
				}
			}
		}
		if len(want) > 0 {
			fs := make([]kvs.Fragment, len(want))
			for k, j := range want {
				fs[k] = frags[j]
			}
			idx, err := a.d.Reader.Indexes(ctx, httpapi.Log(ctx), st, fs)
			if err != nil {
				return nil, err
			}
			for k, j := range want {
				loaded[j] = idx[k]
			}
		}
		for i, c := range chains {
			fr := &out[i]
			if len(c) <= d || fr.error != imageNoMedia {
				continue
			}
			f, x := frags[c[d]], loaded[c[d]]
			vt, ok := tracks[x.Header]
			if !ok {
				vt = imageTrack(x.Header)
				tracks[x.Header] = vt
			}
			if vt.err != nil {
				fr.error = imageMediaError
				chains[i] = nil
				httpapi.Log(ctx).Warn("GetImages: no picture in fragment", "fragment", f.Number, "err", vt.err)
				continue
			}
			offset := int64(math.MaxInt64) // an earlier fragment's last key frame
			if d == 0 {
				offset = fr.time - startOf(f)
			}
			k := keyFrameAt(x, vt.number, offset)
			if k < 0 {
				continue // on to the fragment before, if any
			}
			fr.error, fr.frag, fr.track, fr.smp = "", f, vt.track, x.Samples[k]
			fr.key = st.ARN + "/" + f.Number + "/" + strconv.Itoa(k)
			if q.heightOnly {
				fr.spec.Width = widthAt(vt.track, q.spec.Height)
			}
		}
	}
	return out, nil
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// videoTrack is the track of a header images come from, or why none can.
type videoTrack struct {
	number uint64
	track  *codec.Track
	err    error
}

// imageTrack finds a header's first video track in a codec ffmpeg is given
// to decode (H.264 or H.265).
func imageTrack(h *mkv.Header) *videoTrack {
	if h == nil {
		return &videoTrack{err: errors.New("the fragment has no tracks")}
	}
	for _, mt := range h.Tracks {
		if mt.Type != mkv.TrackTypeVideo {
			continue
		}
		ct, err := codec.ParseTrack(mt.CodecID, mt.CodecPrivate, codec.Hint{PixelWidth: mt.PixelWidth, PixelHeight: mt.PixelHeight})
		if err != nil {
			return &videoTrack{err: fmt.Errorf("track %d: %w", mt.Number, err)}
		}
		if ct.AVC == nil && ct.HEVC == nil {
			return &videoTrack{err: fmt.Errorf("track %d: %s has no image decoder here", mt.Number, mt.CodecID)}
		}
		return &videoTrack{number: mt.Number, track: ct}
	}
	return &videoTrack{err: errors.New("the fragment has no H.264 or H.265 video track")}
}

// keyFrameAt returns the index of the last key frame of track at or before
// offset ms from the fragment's start, or -1. A time before the fragment's
// first frame (a producer's clock often stamps the fragment a few ms
// before the frame it opens with) gets that frame when it is a key frame:
// the fragment begins with that picture.
func keyFrameAt(x *fragindex.Index, track uint64, offset int64) int {
	scale := int64(x.Header.TimecodeScale)
	if scale <= 0 {
		scale = 1e6
	}
	best, bestTime, first := -1, int64(math.MinInt64), -1
	for k, smp := range x.Samples {
		if smp.Track != track {
			continue
		}
		if first < 0 {
			first = k
		}
		if smp.Flags&fragindex.Keyframe == 0 {
			continue
		}
		ms := (smp.Time - x.Timecode) * scale / 1e6
		if ms <= offset && ms >= bestTime {
			best, bestTime = k, ms
		}
	}
	if best < 0 && first >= 0 && x.Samples[first].Flags&fragindex.Keyframe != 0 {
		return first
	}
	return best
}

// widthAt is the width that keeps the picture's aspect ratio at height h,
// rounded to the nearest pixel.
func widthAt(t *codec.Track, h int) int {
	if t.Width == 0 || t.Height == 0 {
		return h
	}
	return max(1, int((int64(t.Width)*int64(h)*2+int64(t.Height))/(2*int64(t.Height))))
}
