// Package ts writes the MPEG-TS segments of an HLS session (ContainerFormat
// MPEG_TS): H.264 or H.265 video in Annex-B, with an access unit delimiter
// on every frame and the parameter sets before every key frame, and AAC
// audio in ADTS, one PES per frame. The transport stream itself (PAT, PMT,
// PES packetization, continuity counters, PCR) is written by
// github.com/asticode/go-astits.
package ts

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/asticode/go-astits"
)

// Codec is what a track carries.
type Codec uint8

// The codecs a segment carries. G.711 is not among them: KVS's HLS
// requirements name AAC as the only audio codec.
const (
	H264 Codec = iota + 1
	H265
	AAC
)

// Track is one track of a segment.
type Track struct {
	Codec Codec
	// ParamSets are the video parameter sets (VPS, SPS, PPS) without start
	// codes, written before every key frame so that every segment decodes
	// on its own.
	ParamSets [][]byte
	// LengthSize is the size of the video frames' NAL unit length prefixes
	// (1, 2 or 4), or 0 for frames in Annex-B.
	LengthSize int
	// ObjectType, FreqIndex and ChannelConfig are the AAC facts an ADTS
	// header carries.
	ObjectType, FreqIndex, ChannelConfig byte
}

// Sample is one frame. PTS and DTS are in 90 kHz units.
type Sample struct {
	Track    int // index in the Writer's tracks
	PTS, DTS int64
	Key      bool
	Data     []byte
}

// The PIDs: the PMT's, then one per track from firstPID. They are those of
// common HLS segmenters, so that a player's PID filter is never surprised.
const (
	firstPID = 256
	// maxADTSFrame is the largest frame ADTS can frame: 13 bits of length,
	// header included.
	maxADTSFrame   = 1<<13 - 1 - adtsHeaderSize
	adtsHeaderSize = 7
	// ptsWrap: PTS and DTS are 33-bit fields.
	ptsWrap = 1 << 33
	// pcrLead puts the PCR this far (90 kHz units) before the first
	// decode time, as decoders expect some buffering time.
	pcrLead = 9000 / 100 * 10 // 100 ms
)

// ErrFrame is returned for a frame the writer cannot carry: a truncated
// NAL unit length, or an AAC frame larger than ADTS can frame.
var ErrFrame = errors.New("ts: frame cannot be carried")

// Writer writes one segment.
type Writer struct {
	mux    *astits.Muxer
	tracks []Track
	pcrPID uint16
	buf    []byte
	// started marks the tracks that have had a packet in this segment.
	started []bool
	reuse   pesParts
}

// pesParts are the structures of one PES for the muxer.
type pesParts struct {
	data          astits.MuxerData
	pes           astits.PESData
	hdr           astits.PESHeader
	oh            astits.PESOptionalHeader
	af            astits.PacketAdaptationField
	pts, dts, pcr astits.ClockReference
}

// wrap33 is a time in 90 kHz units as a 33-bit PTS, DTS or PCR base.
func wrap33(t int64) int64 {
	return (t%ptsWrap + ptsWrap) % ptsWrap
}

// NewWriter starts a segment on w. Track 0 must be the video.
func NewWriter(ctx context.Context, w io.Writer, tracks []Track) (*Writer, error) {
	if len(tracks) == 0 || (tracks[0].Codec != H264 && tracks[0].Codec != H265) {
		return nil, errors.New("ts: the first track must be H.264 or H.265 video")
	}
	tw := &Writer{mux: astits.NewMuxer(ctx, w), tracks: tracks, pcrPID: firstPID, started: make([]bool, len(tracks))}
	for i, t := range tracks {
		es := astits.PMTElementaryStream{ElementaryPID: uint16(firstPID + i)}
		switch t.Codec {
		case H264:
			es.StreamType = astits.StreamTypeH264Video
		case H265:
			es.StreamType = astits.StreamTypeH265Video
		case AAC:
			es.StreamType = astits.StreamTypeAACAudio
		default:
			return nil, fmt.Errorf("ts: track %d: unknown codec %d", i, t.Codec)
		}
		if err := tw.mux.AddElementaryStream(es); err != nil {
			return nil, err
		}
	}
	tw.mux.SetPCRPID(tw.pcrPID)
	if _, err := tw.mux.WriteTables(); err != nil {
		return nil, err
	}
	return tw, nil
}

// WriteSample writes one frame as one PES packet.
func (tw *Writer) WriteSample(s *Sample) error {
	if s.Track < 0 || s.Track >= len(tw.tracks) {
		return fmt.Errorf("ts: no track %d", s.Track)
	}
	t := &tw.tracks[s.Track]
	var err error
	tw.buf = tw.buf[:0]
	switch t.Codec {
	case H264, H265:
		tw.buf, err = appendAnnexB(tw.buf, t, s)
	case AAC:
		tw.buf, err = appendADTS(tw.buf, t, s.Data)
	}
	if err != nil {
		return err
	}
	pid := uint16(firstPID + s.Track)
	// The PES's structures are the Writer's, filled afresh for each
	// frame: the muxer does not keep them past WriteData.
	r := &tw.reuse
	r.pts = astits.ClockReference{Base: wrap33(s.PTS)}
	r.oh = astits.PESOptionalHeader{MarkerBits: 2, PTSDTSIndicator: astits.PTSDTSIndicatorOnlyPTS,
		PTS: &r.pts, DataAlignmentIndicator: true}
	if s.DTS != s.PTS {
		r.dts = astits.ClockReference{Base: wrap33(s.DTS)}
		r.oh.PTSDTSIndicator, r.oh.DTS = astits.PTSDTSIndicatorBothPresent, &r.dts
	}
	r.hdr = astits.PESHeader{OptionalHeader: &r.oh}
	r.pes = astits.PESData{Header: &r.hdr, Data: tw.buf}
	r.data = astits.MuxerData{PID: pid, PES: &r.pes}
	d := &r.data
	r.af = astits.PacketAdaptationField{}
	if pid == tw.pcrPID {
		r.pcr = astits.ClockReference{Base: wrap33(s.DTS - pcrLead)}
		r.af.HasPCR, r.af.PCR, r.af.RandomAccessIndicator = true, &r.pcr, s.Key
		d.AdaptationField = &r.af
	}
	if !tw.started[s.Track] {
		// Each segment is written on its own, its continuity counters
		// from 0: its first packet of each stream says so, and a player
		// reading segment after segment takes the jump as announced.
		r.af.DiscontinuityIndicator = true
		d.AdaptationField = &r.af
		tw.started[s.Track] = true
	}
	_, err = tw.mux.WriteData(d)
	return err
}
