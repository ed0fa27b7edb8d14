package mp4

import (
	"github.com/Eyevinn/mp4ff/bits"
	mp4ff "github.com/Eyevinn/mp4ff/mp4"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
)

// movieTimescale is the mvhd timescale. Nothing in a fragmented file is
// counted in it (mvhd duration is 0, and so is the segment_duration of the
// edit lists), so milliseconds, the unit people read, is as good as any.
const movieTimescale = 1000

// Track header flags: track_enabled | track_in_movie. track_in_preview is
// left clear; it has no meaning for players today.
const tkhdFlags = 0x000003

// brands lists the ftyp brands. The major brand iso6 is the first ISO
// brand that covers everything a fragment here uses: movie fragments
// (iso2+), signed composition offsets in trun version 1 (iso4+),
// default-base-is-moof in tfhd (iso5+) and tfdt (iso6). iso5 is listed too
// because some MSE implementations and DASH tools look for it by name;
// mp41 lets older MP4 players that only know the MP4 v2 brand accept the
// file; avc1 says the file holds H.264 in the 14496-15 layout.
func brands(tracks []Track) []string {
	b := []string{"iso6", "iso5", "mp41"}
	for i := range tracks {
		if tracks[i].Codec.SampleEntry == "avc1" {
			return append(b, "avc1")
		}
	}
	return b
}

// InitSegment returns the init segment (ftyp and moov) of tracks, which it
// validates as NewWriter does: what Writer.WriteInit writes, for a caller
// that writes the fragments itself (FragmentHeader). A duration other than
// 0, the presentation's length in milliseconds (the movie timescale), goes
// into a movie extends header (mehd), from which a player shows the length
// at once; 0 leaves the mehd out, for a presentation whose length the init
// segment does not know (a live stream, a segment of a session).
func InitSegment(tracks []Track, duration uint64) ([]byte, error) {
	if err := validateTracks(tracks); err != nil {
		return nil, err
	}
	init, err := buildInit(tracks, duration > 0, duration)
	if err != nil {
		return nil, kvs.Errorf(kvs.InvalidArgument, "building init segment: %w", err)
	}
	return init, nil
}

// buildInit encodes ftyp+moov for the (already validated) tracks; with
// mehd, the mvex starts with a version 1 mehd of duration.
func buildInit(tracks []Track, mehd bool, duration uint64) ([]byte, error) {
	seg := mp4ff.NewMP4Init()
	seg.AddChild(mp4ff.NewFtyp("iso6", 0, brands(tracks)))

	moov := mp4ff.NewMoovBox()
	seg.AddChild(moov)
	mvhd := mp4ff.CreateMvhd()
	mvhd.Timescale = movieTimescale
	var maxID uint32
	for i := range tracks {
		maxID = max(maxID, tracks[i].ID)
	}
	// A track ID of 0xFFFFFFFF leaves no next ID; 0 is how ISO BMFF says
	// "search for an unused one".
	mvhd.NextTrackID = maxID + 1
	moov.AddChild(mvhd)

	mvex := mp4ff.NewMvexBox()
	if mehd {
		// ISO/IEC 14496-12 puts the mehd first in the mvex; version 1
		// holds any 64-bit duration.
		mvex.AddChild(&mp4ff.MehdBox{Version: 1, FragmentDuration: int64(duration)})
	}
	for i := range tracks {
		trak, err := buildTrak(&tracks[i])
		if err != nil {
			return nil, err
		}
		moov.AddChild(trak)
		// All defaults live in each tfhd, so the trex only names the
		// first sample description.
		mvex.AddChild(mp4ff.CreateTrex(tracks[i].ID))
	}
	moov.AddChild(mvex)

	sw := bits.NewFixedSliceWriter(int(seg.Size()))
	if err := seg.EncodeSW(sw); err != nil {
		return nil, err
	}
	return sw.Bytes(), nil
}

func buildTrak(t *Track) (*mp4ff.TrakBox, error) {
	c := t.Codec
	mediaType, handlerName := "audio", "kvsclip sound"
	if c.Kind == codec.Video {
		mediaType, handlerName = "video", "kvsclip video"
	}
	trak := mp4ff.CreateEmptyTrak(t.ID, t.Timescale, mediaType, "und")
	trak.Tkhd.Flags = tkhdFlags
	trak.Mdia.Hdlr.Name = handlerName
	if c.Kind == codec.Video {
		trak.Tkhd.Width = mp4ff.Fixed32(uint32(c.Width) << 16)
		trak.Tkhd.Height = mp4ff.Fixed32(uint32(c.Height) << 16)
	}
	stsd := trak.Mdia.Minf.Stbl.Stsd
	for _, d := range t.descriptions() {
		switch d.SampleEntry {
		case "avc1":
			stsd.AddChild(avc1Entry(d))
		case "hvc1", "hev1":
			stsd.AddChild(hevcEntry(d))
		case "mp4a":
			stsd.AddChild(mp4aEntry(d))
		case "alaw", "ulaw":
			stsd.AddChild(g711Entry(d))
		}
	}
	if t.EditMediaTime > 0 {
		addEdit(trak, t.EditMediaTime)
	}
	return trak, nil
}

// addEdit puts an edts with one edit into trak, between tkhd and mdia
// where ISO/IEC 14496-12 places it: media time mediaTime is presented at
// time 0, at normal rate, for the whole (unknown) length of the track.
func addEdit(trak *mp4ff.TrakBox, mediaTime int64) {
	setEdits(trak, []mp4ff.ElstEntry{{SegmentDuration: 0, MediaTime: mediaTime, MediaRateInteger: 1}})
}

// avc1Entry builds the avc1 sample entry. The avcC payload is copied from
// the codec record byte for byte rather than re-encoded from its decoded
// form: the record is the authority (it may carry the High-profile
// chroma/bit-depth trailer, SPS extensions or bits a re-encode would
// normalise), and a clip must describe exactly the stream it holds.
func avc1Entry(c *codec.Track) *mp4ff.VisualSampleEntryBox {
	rec := c.AVC.Record
	avcC := mp4ff.CreateUnknownBox("avcC", uint64(8+len(rec)), rec)
	e := mp4ff.CreateVisualSampleEntryBox("avc1", c.Width, c.Height, avcC)
	e.CompressorName = ""
	return e
}

// hevcEntry builds the hvc1 or hev1 sample entry; like avcC, the hvcC
// payload is the codec record byte for byte.
func hevcEntry(c *codec.Track) *mp4ff.VisualSampleEntryBox {
	rec := c.HEVC.Record
	hvcC := mp4ff.CreateUnknownBox("hvcC", uint64(8+len(rec)), rec)
	e := mp4ff.CreateVisualSampleEntryBox(c.SampleEntry, c.Width, c.Height, hvcC)
	e.CompressorName = ""
	return e
}

// g711Entry builds the alaw or ulaw sample entry: a plain audio sample
// entry with no child box. The format is fully named by the entry type;
// samplesize is 16, the ISO/IEC 14496-12 template value, which is also what
// ffmpeg writes for these entries in QuickTime files (there it stands for
// the decoded sample size); decoders know a G.711 sample is one byte per
// channel whatever the field says.
func g711Entry(c *codec.Track) *mp4ff.AudioSampleEntryBox {
	return mp4ff.CreateAudioSampleEntryBox(c.SampleEntry, c.Channels, 16, uint16(c.SampleRate), nil)
}

// mp4aEntry builds the mp4a sample entry with an esds whose
// DecoderSpecificInfo is the AudioSpecificConfig.
func mp4aEntry(c *codec.Track) *mp4ff.AudioSampleEntryBox {
	// The sample entry holds the rate as the integer part of a 16.16
	// number. Rates above 65535 (88.2 and 96 kHz AAC) do not fit; 0 is
	// written then, and decoders take the real rate from the
	// AudioSpecificConfig, which always carries it.
	rate := uint16(0)
	if c.SampleRate <= 0xFFFF {
		rate = uint16(c.SampleRate)
	}
	esds := mp4ff.CreateEsdsBox(c.AAC.Config)
	return mp4ff.CreateAudioSampleEntryBox("mp4a", c.Channels, 16, rate, esds)
}
