package remux

import (
	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
)

// Profile says which combinations of tracks a clip may carry.
type Profile int

const (
	// ProfileExtended accepts one H.264 or H.265 video track with at most
	// one AAC, A-law or µ-law audio track: everything kvsclip can write
	// and players decode. It is the zero value and the CLI's default.
	ProfileExtended Profile = iota
	// ProfileKVS accepts exactly what GetClip accepts (spec §1.6): H.264
	// alone, with AAC or with A-law; H.265 alone or with AAC. The service
	// uses it by default, so its clips fail where KVS's would.
	ProfileKVS
)

// String names the profile as the CLI flag does.
func (p Profile) String() string {
	if p == ProfileKVS {
		return "kvs"
	}
	return "extended"
}

// ParseProfile reads a profile name ("kvs" or "extended").
func ParseProfile(s string) (Profile, error) {
	switch s {
	case "kvs":
		return ProfileKVS, nil
	case "extended", "":
		return ProfileExtended, nil
	}
	return 0, kvs.Errorf(kvs.InvalidArgument, "unknown profile %q (want kvs or extended)", s)
}

// kvsCombinations lists GetClip's playable pairs of sample entry types; ""
// stands for no audio track.
var kvsCombinations = map[[2]string]bool{
	{"avc1", ""}: true, {"avc1", "mp4a"}: true, {"avc1", "alaw"}: true,
	{"hvc1", ""}: true, {"hvc1", "mp4a"}: true,
	{"hev1", ""}: true, {"hev1", "mp4a"}: true,
}

// check returns an UnsupportedStreamMediaType error when the tracks are not a
// combination the profile accepts.
func (p Profile) check(video, audio []*codec.Track) error {
	if len(video) != 1 || len(audio) > 1 {
		return kvs.Errorf(kvs.UnsupportedStreamMediaType,
			"a clip needs one video track and at most one audio track; the stream has %d video and %d audio tracks",
			len(video), len(audio))
	}
	if p != ProfileKVS {
		return nil
	}
	pair := [2]string{video[0].SampleEntry, ""}
	if len(audio) == 1 {
		pair[1] = audio[0].SampleEntry
	}
	if !kvsCombinations[pair] {
		return kvs.Errorf(kvs.UnsupportedStreamMediaType,
			"GetClip does not play %s with %s (profile kvs; the extended profile does)", video[0].Name(), audio[0].Name())
	}
	return nil
}
