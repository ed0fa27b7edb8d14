package playback

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/kvsclip/kvsclip/codec"
)

// Codecs is a track's codecs parameter (RFC 6381), as a DASH
// Representation's @codecs and Media Source Extensions' isTypeSupported
// take it: players such as dash.js play no representation without one.
// It is "" for a codec without a parameter form.
func Codecs(t *codec.Track) string {
	switch {
	case t.AVC != nil:
		return fmt.Sprintf("%s.%02x%02x%02x", t.SampleEntry, t.AVC.Profile, t.AVC.Compatibility, t.AVC.Level)
	case t.HEVC != nil:
		return t.SampleEntry + "." + hevcCodecs(&t.HEVC.HEVCProfile)
	case t.AAC != nil:
		return fmt.Sprintf("mp4a.40.%d", t.AAC.ObjectType)
	case t.G711 != nil:
		return t.SampleEntry
	}
	return ""
}

// hevcCodecs writes the profile, tier and level part of an HEVC codecs
// parameter (ISO/IEC 14496-15 Annex E): profile space and profile, the
// compatibility flags in reverse bit order, tier and level, then the
// constraint bytes without the trailing zero ones.
func hevcCodecs(p *codec.HEVCProfile) string {
	var b strings.Builder
	if p.ProfileSpace > 0 {
		b.WriteByte('A' + p.ProfileSpace - 1)
	}
	tier := 'L'
	if p.Tier {
		tier = 'H'
	}
	fmt.Fprintf(&b, "%d.%X.%c%d", p.ProfileIDC, bits.Reverse32(p.CompatibilityFlags), tier, p.LevelIDC)
	var cons [6]byte
	for i := range cons {
		cons[i] = byte(p.ConstraintFlags >> (40 - 8*i))
	}
	n := len(cons)
	for n > 0 && cons[n-1] == 0 {
		n--
	}
	for _, c := range cons[:n] {
		fmt.Fprintf(&b, ".%X", c)
	}
	return b.String()
}
