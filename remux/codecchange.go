package remux

import (
	"bytes"
	"encoding/binary"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// alternate is a further configuration of a track.
type alternate struct {
	private []byte
	info    *codec.Track
}

// declareAlternates gives each track the configurations of the headers
// given to NewClipper (for a plan, those of the indexes) that differ from
// its first one. A header whose tracks differ in another way is left for
// checkHeader to refuse when its fragment comes.
func (c *Clipper) declareAlternates(f *mkv.Fragment) error {
	if !c.opts.AllowCodecChange {
		return nil
	}
	for _, h := range c.expected {
		for i := range h.Tracks {
			mt := &h.Tracks[i]
			t := c.byNum[mt.Number]
			if t == nil || t.codecID != mt.CodecID || t.description(mt.CodecPrivate) != 0 {
				continue
			}
			info, err := codec.ParseTrack(mt.CodecID, mt.CodecPrivate, hintOf(mt))
			if err != nil {
				return c.locate(err, f, mt.Number, -1)
			}
			// One track keeps one timescale and one kind of sample
			// entry; a change of those is a different stream.
			if info.Kind != t.info.Kind || info.SampleRate != t.info.SampleRate || codecFamily(info) != codecFamily(t.info) {
				return c.locate(kvs.Errorf(kvs.UnsupportedStreamMediaType,
					"track %d changes from %s to %s: only codec data may change within a clip", mt.Number, t.info.SampleEntry, info.SampleEntry), f, mt.Number, -1)
			}
			t.alts = append(t.alts, alternate{private: mt.CodecPrivate, info: info})
		}
	}
	return nil
}

// codecFamily groups sample entry types that describe the same codec.
func codecFamily(t *codec.Track) string {
	if t.HEVC != nil {
		return "hevc"
	}
	return t.SampleEntry
}

// description returns the sample description index (1 for the first
// configuration) whose codec data equals private, or 0.
func (t *track) description(private []byte) uint32 {
	if bytes.Equal(t.private, private) {
		return 1
	}
	for i, a := range t.alts {
		if bytes.Equal(a.private, private) {
			return uint32(i + 2)
		}
	}
	return 0
}

// descriptionInfo returns the codec facts of sample description idx.
func (t *track) descriptionInfo(idx uint32) *codec.Track {
	if idx <= 1 || int(idx-2) >= len(t.alts) {
		return t.info
	}
	return t.alts[idx-2].info
}

// withParameterSets returns frame behind the parameter sets of the
// description now in force, as length-prefixed NAL units. Players (ffmpeg
// among them) do not reconfigure their decoder when a fragment selects
// another sample description, so the first frame after a switch carries
// the new parameter sets in-band, where every decoder looks.
func (t *track) withParameterSets(frame []byte) []byte {
	sets := t.parameterSets(t.sdi)
	if sets == nil {
		return frame
	}
	return append(append(make([]byte, 0, len(sets)+len(frame)), sets...), frame...)
}

// parameterSets returns the parameter sets of sample description sdi as
// length-prefixed NAL units, or nil when the codec has none.
func (t *track) parameterSets(sdi uint32) []byte {
	info := t.descriptionInfo(sdi)
	var sets [][]byte
	switch {
	case info.AVC != nil:
		sets = append(append(sets, info.AVC.SPS...), info.AVC.PPS...)
	case info.HEVC != nil:
		sets = append(append(append(sets, info.HEVC.VPS...), info.HEVC.SPS...), info.HEVC.PPS...)
	default:
		return nil
	}
	n := 0
	for _, s := range sets {
		n += 4 + len(s)
	}
	out := make([]byte, 0, n)
	for _, s := range sets {
		out = binary.BigEndian.AppendUint32(out, uint32(len(s)))
		out = append(out, s...)
	}
	return out
}

func hintOf(mt *mkv.Track) codec.Hint {
	return codec.Hint{
		PixelWidth: mt.PixelWidth, PixelHeight: mt.PixelHeight,
		SamplingFrequency: mt.SamplingFrequency, Channels: mt.Channels, BitDepth: mt.BitDepth,
	}
}
