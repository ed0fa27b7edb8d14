package playback

import (
	"encoding/binary"
)

// Track fragment and run flags (ISO/IEC 14496-12 §8.8.7, §8.8.8).
const (
	tfhdBaseDataOffset = 0x000001
	tfhdSampleDescr    = 0x000002
	tfhdDefaultDur     = 0x000008
	tfhdDefaultSize    = 0x000010
	trunDataOffset     = 0x000001
	trunFirstFlags     = 0x000004
	trunDuration       = 0x000100
	trunSize           = 0x000200
	trunFlags          = 0x000400
	trunCTO            = 0x000800
)

// TrackMoov returns moov with only the track id: its trak, and its trex in
// mvex. A DASH representation carries one track.
func TrackMoov(moov []byte, id uint32) ([]byte, error) {
	if typ, size, ok := box(moov, 0); !ok || typ != "moov" || size != len(moov) {
		return nil, ErrBoxes
	}
	out := append([]byte(nil), moov[:8]...)
	found := false
	err := children(moov, 8, len(moov), func(typ string, off, n int) error {
		child := moov[off : off+n]
		switch typ {
		case "trak":
			tid, err := trakID(child)
			if err != nil {
				return err
			}
			if tid != id {
				return nil
			}
			found = true
		case "mvex":
			mvex := append([]byte(nil), child[:8]...)
			err := children(child, 8, n, func(typ string, o, m int) error {
				if typ == "trex" && (m < 16 || binary.BigEndian.Uint32(child[o+12:]) != id) {
					return nil
				}
				mvex = append(mvex, child[o:o+m]...)
				return nil
			})
			if err != nil {
				return err
			}
			binary.BigEndian.PutUint32(mvex, uint32(len(mvex)))
			child = mvex
		}
		out = append(out, child...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrBoxes
	}
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out, nil
}

// trakID reads the track ID of a trak's tkhd.
func trakID(trak []byte) (uint32, error) {
	var id uint32
	err := children(trak, 8, len(trak), func(typ string, o, n int) error {
		if typ != "tkhd" {
			return nil
		}
		if n < 32 {
			return ErrBoxes
		}
		if trak[o+8] == 1 {
			id = binary.BigEndian.Uint32(trak[o+28:])
		} else {
			id = binary.BigEndian.Uint32(trak[o+20:])
		}
		return nil
	})
	if id == 0 && err == nil {
		err = ErrBoxes
	}
	return id, err
}

// Range is a byte range [Start, End) relative to the start of a moof.
type Range struct{ Start, End int64 }

// TrackFragment returns moof with only the traf of track id, its runs'
// data offsets rewritten for an mdat that follows it at once and holds the
// runs' bytes one after the other; and where those bytes are, relative to
// the original moof's start, in that order. The moof must use
// default-base-is-moof offsets, as the remux engine writes them.
func TrackFragment(moof []byte, id uint32) ([]byte, []Range, error) {
	if typ, size, ok := box(moof, 0); !ok || typ != "moof" || size != len(moof) {
		return nil, nil, ErrBoxes
	}
	out := append([]byte(nil), moof[:8]...)
	var traf []byte
	err := children(moof, 8, len(moof), func(typ string, off, n int) error {
		switch typ {
		case "mfhd":
			out = append(out, moof[off:off+n]...)
		case "traf":
			if n >= 24 && string(moof[off+12:off+16]) == "tfhd" && binary.BigEndian.Uint32(moof[off+20:]) == id {
				traf = append([]byte(nil), moof[off:off+n]...)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if traf == nil {
		return nil, nil, ErrBoxes
	}
	base := len(out)
	out = append(out, traf...)
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	// The runs, in the traf's order: where their bytes were, and where
	// they go in the new mdat.
	var ranges []Range
	var defSize uint32
	next := int64(len(out)) + 8 // the new mdat's payload
	err = children(out, base+8, len(out), func(typ string, o, n int) error {
		switch typ {
		case "tfhd":
			flags := binary.BigEndian.Uint32(out[o+8:]) & 0xFFFFFF
			if flags&tfhdBaseDataOffset != 0 {
				return ErrBoxes
			}
			p := o + 16
			if flags&tfhdSampleDescr != 0 {
				p += 4
			}
			if flags&tfhdDefaultDur != 0 {
				p += 4
			}
			if flags&tfhdDefaultSize != 0 {
				if p+4 > o+n {
					return ErrBoxes
				}
				defSize = binary.BigEndian.Uint32(out[p:])
			}
		case "trun":
			flags := binary.BigEndian.Uint32(out[o+8:]) & 0xFFFFFF
			if flags&trunDataOffset == 0 || n < 20 {
				return ErrBoxes
			}
			count := int64(binary.BigEndian.Uint32(out[o+12:]))
			start := int64(int32(binary.BigEndian.Uint32(out[o+16:])))
			p := o + 20
			if flags&trunFirstFlags != 0 {
				p += 4
			}
			per := 0
			for _, f := range []uint32{trunDuration, trunSize, trunFlags, trunCTO} {
				if flags&f != 0 {
					per += 4
				}
			}
			if int64(p)+count*int64(per) > int64(o+n) {
				return ErrBoxes
			}
			var total int64
			for k := range count {
				size := defSize
				if flags&trunSize != 0 {
					q := p + int(k)*per
					if flags&trunDuration != 0 {
						q += 4
					}
					size = binary.BigEndian.Uint32(out[q:])
				}
				total += int64(size)
			}
			ranges = append(ranges, Range{start, start + total})
			binary.BigEndian.PutUint32(out[o+16:], uint32(next))
			next += total
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, ranges, nil
}
