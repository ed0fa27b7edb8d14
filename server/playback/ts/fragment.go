package ts

import (
	"slices"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// aacRateIndex is ADTS's sampling_frequency_index of a rate.
var aacRateIndex = map[uint32]byte{96000: 0, 88200: 1, 64000: 2, 48000: 3, 44100: 4, 32000: 5, 24000: 6,
	22050: 7, 16000: 8, 12000: 9, 11025: 10, 8000: 11, 7350: 12}

// FromFragment describes a KVS fragment for a Writer: its tracks (video
// first, as KVS requires of track 1) and its frames in document order,
// timed on the media time line (producer time, at 90 kHz). Errors carry a
// KVS error kind.
func FromFragment(f *mkv.Fragment) ([]Track, []Sample, error) {
	tracks, byNum, err := tracksOf(f.Header)
	if err != nil {
		return nil, nil, err
	}
	return tracks, samplesOf(f, byNum), nil
}

// tracksOf describes the fragment's tracks for the TS writer, video first;
// byNum maps a Matroska track number to its index.
func tracksOf(h *mkv.Header) ([]Track, map[uint64]int, error) {
	if h == nil || len(h.Tracks) == 0 {
		return nil, nil, kvs.Errorf(kvs.UnsupportedStreamMediaType, "the fragment has no tracks")
	}
	var tracks []Track
	byNum := map[uint64]int{}
	for _, mt := range h.Tracks {
		ct, err := codec.ParseTrack(mt.CodecID, mt.CodecPrivate, codec.Hint{SamplingFrequency: mt.SamplingFrequency, Channels: mt.Channels})
		if err != nil {
			return nil, nil, err
		}
		var t Track
		switch {
		case ct.AVC != nil:
			t = Track{Codec: H264, LengthSize: ct.AVC.LengthSize, ParamSets: slices.Concat(ct.AVC.SPS, ct.AVC.SPSExt, ct.AVC.PPS)}
		case ct.HEVC != nil:
			t = Track{Codec: H265, LengthSize: ct.HEVC.LengthSize, ParamSets: slices.Concat(ct.HEVC.VPS, ct.HEVC.SPS, ct.HEVC.PPS)}
		case ct.AAC != nil:
			asc, err := codec.ParseAudioSpecificConfig(ct.AAC.Config)
			idx, ok := aacRateIndex[asc.SampleRate]
			if err != nil || !ok || asc.ChannelConfig == 0 {
				return nil, nil, kvs.Errorf(kvs.InvalidCodecPrivateData, "the AAC configuration cannot be framed in ADTS")
			}
			t = Track{Codec: AAC, ObjectType: asc.ObjectType, FreqIndex: idx, ChannelConfig: asc.ChannelConfig}
		default:
			return nil, nil, kvs.Errorf(kvs.UnsupportedStreamMediaType, "track %d: MPEG-TS segments do not carry %s", mt.Number, mt.CodecID)
		}
		byNum[mt.Number] = len(tracks)
		tracks = append(tracks, t)
	}
	return tracks, byNum, nil
}

// samplesOf lists the fragment's frames in document order with their 90 kHz
// times. Matroska gives presentation times; the video's decode times are
// its presentation times in increasing order, moved back by the largest
// reordering, so that none decodes after it presents.
func samplesOf(f *mkv.Fragment, byNum map[uint64]int) []Sample {
	scale := int64(f.Header.TimecodeScale)
	start := f.Timecode * scale
	if f.Tags.HasProducerTimestamp {
		start = f.Tags.ProducerTimestamp * 1e6
	}
	base := start - f.Timecode*scale
	var out []Sample
	var video []int
	for _, b := range f.Blocks {
		k, ok := byNum[b.Track]
		if !ok {
			continue
		}
		pts := to90kHz(base + b.Time*scale)
		out = append(out, Sample{Track: k, PTS: pts, DTS: pts, Key: b.Keyframe, Data: b.Data})
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

// to90kHz converts ns to 90 kHz units, rounding down, without the
// overflow of ns×9 for epoch times.
func to90kHz(ns int64) int64 {
	return ns/100_000*9 + ns%100_000*9/100_000
}
