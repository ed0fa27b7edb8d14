package server

import (
	"context"
	"net/http"
	"slices"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/playback/ts"
)

// aacRateIndex is ADTS's sampling_frequency_index of a rate.
var aacRateIndex = map[uint32]byte{96000: 0, 88200: 1, 64000: 2, 48000: 3, 44100: 4, 32000: 5, 24000: 6,
	22050: 7, 16000: 8, 12000: 9, 11025: 10, 8000: 11, 7350: 12}

// sendTS answers getTSFragment.ts: the last fragment of frags, read whole
// (a fragment is at most a few MB, and a TS segment is its own copy of
// every frame anyway) and written as a transport stream. Times are the
// frames' producer times at 90 kHz, the session's timeline.
func (s *Server) sendTS(ctx context.Context, rq *request, w http.ResponseWriter, st archive.Stream, frags []archive.Fragment) error {
	f := frags[len(frags)-1]
	doc, err := s.cfg.Store.Read(ctx, st.Name, f.Number)
	if err != nil {
		return err
	}
	frag, err := mkv.NewBytesReader(doc).Next()
	if err != nil {
		return kindErr(kvserr.InvalidMediaFrame, "Fragment %s cannot be read: %v", f.Number, err)
	}
	tracks, byNum, err := tsTracks(frag.Header, f.Number)
	if err != nil {
		return err
	}
	samples := tsSamples(frag, byNum)
	w.Header().Set("Content-Type", "video/mp2t")
	tw, err := ts.NewWriter(ctx, w, tracks)
	if err != nil {
		return err
	}
	for i := range samples {
		if err := tw.WriteSample(&samples[i]); err != nil {
			// The headers are out: the response is cut.
			s.abort(rq, "GetTSFragment", err)
			return nil
		}
	}
	return nil
}

// tsTracks describes the fragment's tracks for the TS writer, video first;
// byNum maps a Matroska track number to its index.
func tsTracks(h *mkv.Header, number string) ([]ts.Track, map[uint64]int, error) {
	if err := playbackCodecs(h, "HLS", number); err != nil {
		return nil, nil, err
	}
	var tracks []ts.Track
	byNum := map[uint64]int{}
	for _, mt := range h.Tracks {
		ct, err := codec.ParseTrack(mt.CodecID, mt.CodecPrivate, codec.Hint{SamplingFrequency: mt.SamplingFrequency, Channels: mt.Channels})
		if err != nil {
			return nil, nil, err
		}
		var t ts.Track
		switch {
		case ct.AVC != nil:
			t = ts.Track{Codec: ts.H264, LengthSize: ct.AVC.LengthSize, ParamSets: slices.Concat(ct.AVC.SPS, ct.AVC.SPSExt, ct.AVC.PPS)}
		case ct.HEVC != nil:
			t = ts.Track{Codec: ts.H265, LengthSize: ct.HEVC.LengthSize, ParamSets: slices.Concat(ct.HEVC.VPS, ct.HEVC.SPS, ct.HEVC.PPS)}
		case ct.AAC != nil:
			asc, err := codec.ParseAudioSpecificConfig(ct.AAC.Config)
			idx, ok := aacRateIndex[asc.SampleRate]
			if err != nil || !ok || asc.ChannelConfig == 0 {
				return nil, nil, kindErr(kvserr.InvalidCodecPrivateData, "The AAC configuration of fragment %s cannot be framed in ADTS.", number)
			}
			t = ts.Track{Codec: ts.AAC, ObjectType: asc.ObjectType, FreqIndex: idx, ChannelConfig: asc.ChannelConfig}
		default:
			return nil, nil, kindErr(kvserr.UnsupportedStreamMediaType, "Fragment %s has a track MPEG-TS does not carry.", number)
		}
		if t.Codec != ts.AAC && t.LengthSize == 0 {
			return nil, nil, kindErr(kvserr.InvalidCodecPrivateData, "The video of fragment %s is Annex-B in its codec data; MPEG_TS sessions carry length-prefixed frames.", number)
		}
		byNum[mt.Number] = len(tracks)
		tracks = append(tracks, t)
	}
	return tracks, byNum, nil
}

// tsSamples lists the fragment's frames in document order with their 90 kHz
// times. Matroska gives presentation times; the video's decode times are
// its presentation times in increasing order, moved back by the largest
// reordering, so that none decodes after it presents.
func tsSamples(f *mkv.Fragment, byNum map[uint64]int) []ts.Sample {
	_, base, scale := mediaTimeline(f.Timecode, f.Header.TimecodeScale, &f.Tags)
	var out []ts.Sample
	var video []int
	for _, b := range f.Blocks {
		k, ok := byNum[b.Track]
		if !ok {
			continue
		}
		pts := (base + b.Time*scale) * 9 / 100_000 // ns → 90 kHz
		out = append(out, ts.Sample{Track: k, PTS: pts, DTS: pts, Key: b.Keyframe, Data: b.Data})
		if k == 0 {
			video = append(video, len(out)-1)
		}
	}
	sorted := make([]int64, len(video))
	for i, j := range video {
		sorted[i] = out[j].PTS
	}
	slices.Sort(sorted)
	var delay int64
	for i, j := range video {
		delay = max(delay, sorted[i]-out[j].PTS)
	}
	for i, j := range video {
		out[j].DTS = sorted[i] - delay
	}
	return out
}
