package playback

import (
	"encoding/binary"
	"errors"
)

// ErrBoxes is returned for ISO BMFF bytes that are not the layout the remux
// engine writes.
var ErrBoxes = errors.New("playback: unexpected MP4 box layout")

// box returns the type and size of the box at b[off:], or false.
func box(b []byte, off int) (typ string, size int, ok bool) {
	if off+8 > len(b) {
		return "", 0, false
	}
	size = int(binary.BigEndian.Uint32(b[off:]))
	if size < 8 || off+size > len(b) {
		return "", 0, false
	}
	return string(b[off+4 : off+8]), size, true
}

// children calls fn for each box in b[start:end].
func children(b []byte, start, end int, fn func(typ string, off, size int) error) error {
	for off := start; off < end; {
		typ, size, ok := box(b[:end], off)
		if !ok {
			return ErrBoxes
		}
		if err := fn(typ, off, size); err != nil {
			return err
		}
		off += size
	}
	return nil
}

// Timescales reads the track timescales of a moov box: track ID → mdhd
// timescale.
func Timescales(moov []byte) (map[uint32]uint32, error) {
	out := map[uint32]uint32{}
	err := children(moov, 8, len(moov), func(typ string, off, size int) error {
		if typ != "trak" {
			return nil
		}
		id, err := trakID(moov[off : off+size])
		if err != nil {
			return err
		}
		var scale uint32
		err = children(moov, off+8, off+size, func(typ string, o, n int) error {
			if typ != "mdia" {
				return nil
			}
			return children(moov, o+8, o+n, func(typ string, p, m int) error {
				if typ != "mdhd" || m < 32 {
					return nil
				}
				if moov[p+8] == 1 { // version 1: 64-bit times
					scale = binary.BigEndian.Uint32(moov[p+28:])
				} else {
					scale = binary.BigEndian.Uint32(moov[p+20:])
				}
				return nil
			})
		})
		if err != nil {
			return err
		}
		if scale == 0 {
			return ErrBoxes
		}
		out[id] = scale
		return nil
	})
	return out, err
}

// ShiftDecodeTimes adds shift nanoseconds, in each track's timescale, to
// every tfdt of a moof box in place: a fragment planned on its own starts
// at its own time 0, and the session's timeline puts it at its start.
// Times are rounded to the nearest unit, so every segment of a track lands
// where the same instant does.
func ShiftDecodeTimes(moof []byte, scales map[uint32]uint32, shift int64) error {
	if typ, size, ok := box(moof, 0); !ok || typ != "moof" || size != len(moof) {
		return ErrBoxes
	}
	return children(moof, 8, len(moof), func(typ string, off, size int) error {
		if typ != "traf" {
			return nil
		}
		var scale uint32
		return children(moof, off+8, off+size, func(typ string, o, n int) error {
			switch typ {
			case "tfhd":
				if n < 16 {
					return ErrBoxes
				}
				scale = scales[binary.BigEndian.Uint32(moof[o+12:])]
			case "tfdt":
				if scale == 0 || n != 20 || moof[o+8] != 1 {
					return ErrBoxes
				}
				add := unitsOf(shift, scale)
				t := binary.BigEndian.Uint64(moof[o+12:])
				binary.BigEndian.PutUint64(moof[o+12:], t+uint64(add))
			}
			return nil
		})
	})
}

// unitsOf converts ns to units of 1/scale s, rounded to nearest, without
// overflow for epoch times.
func unitsOf(ns int64, scale uint32) int64 {
	s := int64(scale)
	sec, rem := ns/1e9, ns%1e9
	return sec*s + (rem*s+5e8)/1e9
}

// WithoutBox returns parent (a container box) without its child boxes of
// type typ at path: e.g. the mehd of moov/mvex, which would give every
// init segment the duration of the fragment it was planned with.
func WithoutBox(parent []byte, path ...string) ([]byte, error) {
	typ, size, ok := box(parent, 0)
	if !ok || size != len(parent) {
		return nil, ErrBoxes
	}
	if len(path) == 0 {
		return parent, nil
	}
	out := append([]byte(nil), parent[:8]...)
	err := children(parent, 8, len(parent), func(t string, off, n int) error {
		child := parent[off : off+n]
		switch {
		case t == path[0] && len(path) == 1:
			return nil
		case t == path[0]:
			c, err := WithoutBox(child, path[1:]...)
			if err != nil {
				return err
			}
			out = append(out, c...)
		default:
			out = append(out, child...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	_ = typ
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out, nil
}
