package images

import (
	"encoding/binary"
	"fmt"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
)

// annexBAccessUnit makes one stored frame of an H.264 or H.265 track into
// what a decoder reads from a raw byte stream: the track's parameter sets
// (VPS, SPS, PPS), then the frame's NAL units, each behind a start code. A
// key frame alone, so prefixed, decodes to its picture.
func annexBAccessUnit(t *codec.Track, frame []byte) ([]byte, error) {
	var params [][]byte
	var avcc []byte
	var err error
	switch {
	case t.AVC != nil:
		params = append(append(append(params, t.AVC.SPS...), t.AVC.SPSExt...), t.AVC.PPS...)
		avcc, err = t.AVC.Frame(nil, frame)
	case t.HEVC != nil:
		params = append(append(append(params, t.HEVC.VPS...), t.HEVC.SPS...), t.HEVC.PPS...)
		avcc, err = t.HEVC.Frame(nil, frame)
	default:
		return nil, fmt.Errorf("%s frames are not H.264 or H.265", t.SampleEntry)
	}
	if err != nil {
		return nil, err
	}
	size := len(avcc)
	for _, p := range params {
		size += 4 + len(p)
	}
	out := make([]byte, 0, size)
	for _, p := range params {
		out = append(append(out, 0, 0, 0, 1), p...)
	}
	// The frame has 4-byte NAL lengths now; each becomes a start code.
	for rest := avcc; len(rest) > 0; {
		if len(rest) < 4 {
			return nil, kvs.Errorf(kvs.InvalidMediaFrame, "a NAL unit length is cut short")
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-4) {
			return nil, kvs.Errorf(kvs.InvalidMediaFrame, "a NAL unit of %d bytes runs past its frame", n)
		}
		out = append(append(out, 0, 0, 0, 1), rest[4:4+n]...)
		rest = rest[4+n:]
	}
	return out, nil
}
