package mp4

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/kvsclip/kvsclip/kvs"
)

// Sample flags (ISO/IEC 14496-12 8.8.3.1) for the two kinds of sample the
// engine writes. A sync sample depends on no other (sample_depends_on = 2);
// any other sample depends on others (1) and is marked
// sample_is_non_sync_sample, which is what players use to find random
// access points in a fragment.
const (
	sampleFlagsSync    uint32 = 0x02000000
	sampleFlagsNonSync uint32 = 0x01010000
)

// MaxFragmentSize is the largest moof+mdat accepted, in bytes. The trun
// data_offset that points from the moof start at a track's first sample is
// a signed 32-bit number, so nothing past 2 GiB-1 from the moof can be
// addressed, whatever the mdat header form. KVS caps a fragment at 50 MB,
// forty times below this, so the 64-bit mdat largesize form is never
// needed; a larger fragment is rejected with ErrFragmentTooLarge.
const MaxFragmentSize = math.MaxInt32

// Box sizes of the fixed parts of a moof.
const (
	boxHeaderSize  = 8
	fullHeaderSize = 12
	mfhdSize       = fullHeaderSize + 4
	tfdtSize       = fullHeaderSize + 8 // version 1: 64-bit decode time
	mdatHeaderSize = boxHeaderSize
)

// tfhd flags.
const (
	tfhdSampleDescriptionIndex = 0x000002
	tfhdDefaultDuration        = 0x000008
	tfhdDefaultSize            = 0x000010
	tfhdDefaultFlags           = 0x000020
	tfhdDefaultBaseIsMoof      = 0x020000
)

// trun flags.
const (
	trunDataOffset       = 0x000001
	trunFirstSampleFlags = 0x000004
	trunDuration         = 0x000100
	trunSize             = 0x000200
	trunFlags            = 0x000400
	trunCompositionTime  = 0x000800
)

// trafPlan is what the first pass over a TrackRun decides: which fields go
// into the tfhd as defaults and which the trun repeats per sample.
type trafPlan struct {
	run         *TrackRun
	tfhdFlags   uint32
	trunFlags   uint32
	trunVersion byte
	defDuration uint32
	defSize     uint32
	defFlags    uint32
	firstFlags  uint32
	payload     int64 // bytes of this run's samples in the mdat
	dataOffset  int32
}

func sampleFlags(s *Sample) uint32 {
	if s.Sync {
		return sampleFlagsSync
	}
	return sampleFlagsNonSync
}

// plan fills p for run r (which has at least one sample) and returns an
// error for an empty sample. With sizes, a sample without Data counts
// Sample.Size bytes; without, it is empty.
func (p *trafPlan) plan(r *TrackRun, sizes bool) error {
	*p = trafPlan{run: r}
	s := r.Samples
	first := &s[0]
	sameDur, sameSize, sameFlags, restSameFlags := true, true, true, true
	anyCTO, negCTO := false, false
	f0 := sampleFlags(first)
	var f1 uint32
	if len(s) > 1 {
		f1 = sampleFlags(&s[1])
	}
	for i := range s {
		x := &s[i]
		n := len(x.Data)
		if sizes && x.Data == nil {
			n = int(x.Size)
		}
		if n == 0 {
			return kvs.Errorf(kvs.InvalidArgument,
				"track %d sample %d has no data: %w", r.TrackID, i, ErrInvalidFragment)
		}
		p.payload += int64(n)
		sameDur = sameDur && x.Duration == first.Duration
		sameSize = sameSize && n == first.size()
		f := sampleFlags(x)
		sameFlags = sameFlags && f == f0
		if i > 0 {
			restSameFlags = restSameFlags && f == f1
		}
		anyCTO = anyCTO || x.CompositionOffset != 0
		negCTO = negCTO || x.CompositionOffset < 0
	}

	p.tfhdFlags = tfhdDefaultBaseIsMoof
	p.trunFlags = trunDataOffset
	if r.SampleDescriptionIndex > 1 {
		p.tfhdFlags |= tfhdSampleDescriptionIndex
	}
	if sameDur {
		p.tfhdFlags |= tfhdDefaultDuration
		p.defDuration = first.Duration
	} else {
		p.trunFlags |= trunDuration
	}
	if sameSize {
		p.tfhdFlags |= tfhdDefaultSize
		p.defSize = uint32(first.size())
	} else {
		p.trunFlags |= trunSize
	}
	switch {
	case sameFlags:
		// Audio, or a run of one sample.
		p.tfhdFlags |= tfhdDefaultFlags
		p.defFlags = f0
	case restSameFlags:
		// The usual video run: a key frame, then frames that depend on it.
		p.tfhdFlags |= tfhdDefaultFlags
		p.defFlags = f1
		p.trunFlags |= trunFirstSampleFlags
		p.firstFlags = f0
	default:
		p.trunFlags |= trunFlags
	}
	if anyCTO {
		p.trunFlags |= trunCompositionTime
		if negCTO {
			p.trunVersion = 1
		}
	}
	return nil
}

func (p *trafPlan) tfhdSize() int {
	n := fullHeaderSize + 4
	for _, f := range [...]uint32{tfhdSampleDescriptionIndex, tfhdDefaultDuration, tfhdDefaultSize, tfhdDefaultFlags} {
		if p.tfhdFlags&f != 0 {
			n += 4
		}
	}
	return n
}

func (p *trafPlan) perSampleSize() int {
	n := 0
	for _, f := range [...]uint32{trunDuration, trunSize, trunFlags, trunCompositionTime} {
		if p.trunFlags&f != 0 {
			n += 4
		}
	}
	return n
}

func (p *trafPlan) trunSize() int {
	n := fullHeaderSize + 4 + 4 // sample_count, data_offset
	if p.trunFlags&trunFirstSampleFlags != 0 {
		n += 4
	}
	return n + len(p.run.Samples)*p.perSampleSize()
}

func (p *trafPlan) trafSize() int {
	return boxHeaderSize + p.tfhdSize() + tfdtSize + p.trunSize()
}

// fragmentHeader is the hand-written encoder of one moof and the header of
// the mdat that follows it. It is reused from fragment to fragment, so its
// plan slice stops growing once it has seen the most tracks a fragment
// carries.
type fragmentHeader struct {
	// sizes lets samples be described by Sample.Size alone (Progressive's
	// plan, FragmentHeader); a writer of payloads leaves it false, so a
	// sample without Data is refused as empty.
	sizes    bool
	seq      uint32
	trafs    []trafPlan
	moofSize int
	payload  int64
}

// plan validates f against the writer's tracks and decides the layout of
// every traf. Runs with no samples get no traf.
func (h *fragmentHeader) plan(f *Fragment, trackIDs, descs []uint32) error {
	h.trafs = h.trafs[:0]
	h.payload = 0
	h.moofSize = boxHeaderSize + mfhdSize
	for i := range f.Tracks {
		r := &f.Tracks[i]
		if len(r.Samples) == 0 {
			continue
		}
		k := slices.Index(trackIDs, r.TrackID)
		if k < 0 {
			return kvs.Errorf(kvs.InvalidArgument, "fragment names track %d, which the writer does not have: %w",
				r.TrackID, ErrInvalidFragment)
		}
		for j := range h.trafs {
			if h.trafs[j].run.TrackID == r.TrackID {
				return kvs.Errorf(kvs.InvalidArgument, "fragment has two runs for track %d: %w",
					r.TrackID, ErrInvalidFragment)
			}
		}
		if r.SampleDescriptionIndex > descs[k] {
			return kvs.Errorf(kvs.InvalidArgument, "track %d: sample description %d does not exist (the track has %d): %w",
				r.TrackID, r.SampleDescriptionIndex, descs[k], ErrInvalidFragment)
		}
		h.trafs = append(h.trafs, trafPlan{})
		p := &h.trafs[len(h.trafs)-1]
		if err := p.plan(r, h.sizes); err != nil {
			return err
		}
		h.moofSize += p.trafSize()
		h.payload += p.payload
	}
	if len(h.trafs) == 0 {
		return nil
	}
	if int64(h.moofSize)+mdatHeaderSize+h.payload > MaxFragmentSize {
		return kvs.Errorf(kvs.InvalidArgument, "moof %d bytes + mdat %d bytes exceeds %d: %w",
			h.moofSize, mdatHeaderSize+h.payload, int64(MaxFragmentSize), ErrFragmentTooLarge)
	}
	// Each track's samples sit together in the mdat, in traf order.
	off := int64(h.moofSize + mdatHeaderSize)
	for i := range h.trafs {
		h.trafs[i].dataOffset = int32(off)
		off += h.trafs[i].payload
	}
	return nil
}

// MarshalSize returns the size of moof plus mdat header, as planned.
func (h *fragmentHeader) MarshalSize() int {
	return h.moofSize + mdatHeaderSize
}

// MarshalTo encodes moof and the mdat header into b, which must hold
// MarshalSize bytes, and returns the number of bytes written.
func (h *fragmentHeader) MarshalTo(b []byte) int {
	_ = b[h.MarshalSize()-1]
	o := putBoxHeader(b, 0, h.moofSize, "moof")
	o = putFullBoxHeader(b, o, mfhdSize, "mfhd", 0, 0)
	o = put32(b, o, h.seq)
	for i := range h.trafs {
		o = h.trafs[i].marshalTo(b, o)
	}
	return putBoxHeader(b, o, int(mdatHeaderSize+h.payload), "mdat")
}

func (p *trafPlan) marshalTo(b []byte, o int) int {
	r := p.run
	o = putBoxHeader(b, o, p.trafSize(), "traf")

	o = putFullBoxHeader(b, o, p.tfhdSize(), "tfhd", 0, p.tfhdFlags)
	o = put32(b, o, r.TrackID)
	if p.tfhdFlags&tfhdSampleDescriptionIndex != 0 {
		o = put32(b, o, r.SampleDescriptionIndex)
	}
	if p.tfhdFlags&tfhdDefaultDuration != 0 {
		o = put32(b, o, p.defDuration)
	}
	if p.tfhdFlags&tfhdDefaultSize != 0 {
		o = put32(b, o, p.defSize)
	}
	if p.tfhdFlags&tfhdDefaultFlags != 0 {
		o = put32(b, o, p.defFlags)
	}

	o = putFullBoxHeader(b, o, tfdtSize, "tfdt", 1, 0)
	binary.BigEndian.PutUint64(b[o:], r.BaseDecodeTime)
	o += 8

	o = putFullBoxHeader(b, o, p.trunSize(), "trun", p.trunVersion, p.trunFlags)
	o = put32(b, o, uint32(len(r.Samples)))
	o = put32(b, o, uint32(p.dataOffset))
	if p.trunFlags&trunFirstSampleFlags != 0 {
		o = put32(b, o, p.firstFlags)
	}
	tf := p.trunFlags
	for i := range r.Samples {
		s := &r.Samples[i]
		if tf&trunDuration != 0 {
			o = put32(b, o, s.Duration)
		}
		if tf&trunSize != 0 {
			o = put32(b, o, uint32(s.size()))
		}
		if tf&trunFlags != 0 {
			o = put32(b, o, sampleFlags(s))
		}
		if tf&trunCompositionTime != 0 {
			// Version 0 reads the field as unsigned, version 1 as signed;
			// plan chose version 1 whenever an offset is negative, so the
			// two's complement bits mean the right thing either way.
			o = put32(b, o, uint32(s.CompositionOffset))
		}
	}
	return o
}

func put32(b []byte, o int, v uint32) int {
	binary.BigEndian.PutUint32(b[o:], v)
	return o + 4
}

func putBoxHeader(b []byte, o, size int, typ string) int {
	o = put32(b, o, uint32(size))
	copy(b[o:o+4], typ)
	return o + 4
}

func putFullBoxHeader(b []byte, o, size int, typ string, version byte, flags uint32) int {
	o = putBoxHeader(b, o, size, typ)
	return put32(b, o, uint32(version)<<24|flags&0xFFFFFF)
}
