package playback

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/codec"
)

func TestCodecs(t *testing.T) {
	cases := []struct {
		name  string
		track codec.Track
		want  string
	}{
		{"H.264 constrained baseline 1.3", codec.Track{SampleEntry: "avc1", AVC: &codec.AVCConfig{Profile: 66, Compatibility: 0xc0, Level: 13}}, "avc1.42c00d"},
		{"H.264 high 3.1", codec.Track{SampleEntry: "avc1", AVC: &codec.AVCConfig{Profile: 100, Level: 31}}, "avc1.64001f"},
		{"H.265 main 3.1, progressive frames", codec.Track{SampleEntry: "hvc1", HEVC: &codec.HEVCConfig{HEVCProfile: codec.HEVCProfile{
			ProfileIDC: 1, CompatibilityFlags: 0x60000000, LevelIDC: 93, ConstraintFlags: 0xB0 << 40}}}, "hvc1.1.6.L93.B0"},
		{"H.265 main 10 high tier, space 1", codec.Track{SampleEntry: "hev1", HEVC: &codec.HEVCConfig{HEVCProfile: codec.HEVCProfile{
			ProfileSpace: 1, Tier: true, ProfileIDC: 2, CompatibilityFlags: 0x20000000, LevelIDC: 120, ConstraintFlags: 0x90_00_00_00_00_01}}}, "hev1.A2.4.H120.90.0.0.0.0.1"},
		{"AAC-LC", codec.Track{SampleEntry: "mp4a", AAC: &codec.AACConfig{ObjectType: 2}}, "mp4a.40.2"},
		{"A-law", codec.Track{SampleEntry: "alaw", G711: &codec.G711Config{}}, "alaw"},
		{"nothing known", codec.Track{SampleEntry: "xxxx"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Codecs(&c.track))
		})
	}
}
