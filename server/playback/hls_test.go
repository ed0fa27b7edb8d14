package playback

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
)

func segs(durations ...int64) []Segment {
	var out []Segment
	t := int64(1_700_000_000_000)
	for i, d := range durations {
		out = append(out, Segment{Fragment: kvs.Fragment{Number: "9" + string(rune('0'+i)), ProducerMillis: t, DurationMillis: d}, Seq: int64(10 + i), Start: t,
			URI: "seg" + string(rune('0'+i)) + ".mp4", InitURI: "init.mp4"})
		t += d
	}
	return out
}

func TestMediaPlaylist(t *testing.T) {
	cases := []struct {
		name string
		p    MediaPlaylist
		has  []string
		not  []string
	}{
		{"on demand fMP4", MediaPlaylist{Window: Window{Segments: segs(2000, 2000), Ended: true}, FMP4: true, VOD: true, TargetDuration: 2},
			[]string{"#EXT-X-VERSION:7\n", "#EXT-X-TARGETDURATION:2\n", "#EXT-X-MEDIA-SEQUENCE:10\n", "#EXT-X-PLAYLIST-TYPE:VOD\n",
				"#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF:2.000,\nseg0.mp4\n#EXTINF:2.000,\nseg1.mp4\n#EXT-X-ENDLIST\n"},
			[]string{"#EXT-X-DISCONTINUITY\n", "PROGRAM-DATE-TIME"}},
		{"live: no ENDLIST", MediaPlaylist{Window: Window{Segments: segs(2000)}, FMP4: true},
			[]string{"#EXT-X-MEDIA-SEQUENCE:10\n"}, []string{"ENDLIST", "PLAYLIST-TYPE"}},
		{"target duration rounds up past the least", MediaPlaylist{Window: Window{Segments: segs(1000, 3600)}, TargetDuration: 2},
			[]string{"#EXT-X-TARGETDURATION:4\n", "#EXT-X-VERSION:3\n"}, []string{"EXT-X-MAP"}},
		{"target duration: 2.4 s rounds to 2", MediaPlaylist{Window: Window{Segments: segs(2400)}, TargetDuration: 1},
			[]string{"#EXT-X-TARGETDURATION:2\n"}, nil},
		{"discontinuities repeat the map", MediaPlaylist{Window: Window{Segments: func() []Segment {
			s := segs(2000, 2000)
			s[1].Discontinuity = true
			return s
		}(), Discontinuities: 3}, FMP4: true},
			[]string{"#EXT-X-DISCONTINUITY-SEQUENCE:3\n", "seg0.mp4\n#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXTINF"}, nil},
		{"program date time", MediaPlaylist{Window: Window{Segments: segs(2000)}, ProgramDateTime: true},
			[]string{"#EXT-X-PROGRAM-DATE-TIME:2023-11-14T22:13:20.000Z\n#EXTINF"}, nil},
		{"empty live window keeps its sequence", MediaPlaylist{MediaSequence: 7},
			[]string{"#EXT-X-MEDIA-SEQUENCE:7\n"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			_, err := c.p.WriteTo(&b)
			require.NoError(t, err)
			out := b.String()
			require.True(t, strings.HasPrefix(out, "#EXTM3U\n"))
			for _, h := range c.has {
				assert.Contains(t, out, h)
			}
			for _, n := range c.not {
				assert.NotContains(t, out, n)
			}
		})
	}
}

func TestDiscontinuous(t *testing.T) {
	a := Segment{Fragment: kvs.Fragment{ProducerMillis: 1000, DurationMillis: 2000}}
	cases := []struct {
		mode kvs.DiscontinuityMode
		next int64
		want bool
	}{
		{"ALWAYS", 3000, true},
		{"NEVER", 9000, false},
		{"ON_DISCONTINUITY", 3000, false},
		{"ON_DISCONTINUITY", 3050, false},
		{"ON_DISCONTINUITY", 3051, true},
		{"ON_DISCONTINUITY", 2949, true},
	}
	for _, c := range cases {
		b := Segment{Fragment: kvs.Fragment{ProducerMillis: c.next}}
		assert.Equal(t, c.want, Discontinuous(c.mode, &a, &b), "%s %d", c.mode, c.next)
	}
}

func TestManifest(t *testing.T) {
	m := &Manifest{Window: Window{Segments: segs(2000, 1000)}, Origin: 1_700_000_000_000, DisplayNumber: true, DisplayTimestamp: true,
		Tracks:  []Track{{ID: 1, Video: true, Width: 160, Height: 120}, {ID: 2}},
		InitURI: "init.mp4?T=x&TrackNumber=%d", MediaURI: "media.mp4?T=x&FragmentNumber=$Number$&TrackNumber=%d"}
	var b strings.Builder
	_, err := m.WriteTo(&b)
	require.NoError(t, err)
	out := b.String()
	for _, h := range []string{`type="static"`, `mediaPresentationDuration="PT3.000S"`, `contentType="video"`, `contentType="audio"`,
		`startNumber="10"`, `presentationTimeOffset="1700000000000"`, `media="media.mp4?T=x&amp;FragmentNumber=$Number$&amp;TrackNumber=2"`,
		`<S t="1700000002000" d="1000" kvs:ts="1700000002.000" kvs:fn="91">`} {
		assert.Contains(t, out, h)
	}
	m.Dynamic = true
	b.Reset()
	_, err = m.WriteTo(&b)
	require.NoError(t, err)
	assert.Contains(t, b.String(), `type="dynamic"`)
	assert.Contains(t, b.String(), `minimumUpdatePeriod="PT1.000S"`)
	assert.NotContains(t, b.String(), "mediaPresentationDuration")
}

func TestMasterPlaylist(t *testing.T) {
	cases := []struct {
		name string
		p    MasterPlaylist
		want string
	}{
		{"muxed TS", MasterPlaylist{MediaURI: "m.m3u8?T=1", Bandwidth: 800},
			"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=800\nm.m3u8?T=1\n"},
		{"per-track fMP4", MasterPlaylist{MediaURI: "m.m3u8?T=1&TrackNumber=1", AudioURI: "m.m3u8?T=1&TrackNumber=2", Bandwidth: 800, Width: 160, Height: 120, FMP4: true},
			"#EXTM3U\n#EXT-X-VERSION:7\n" +
				"#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"audio\",DEFAULT=YES,AUTOSELECT=YES,URI=\"m.m3u8?T=1&TrackNumber=2\"\n" +
				"#EXT-X-STREAM-INF:BANDWIDTH=800,AUDIO=\"audio\",RESOLUTION=160x120\nm.m3u8?T=1&TrackNumber=1\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			_, err := c.p.WriteTo(&b)
			require.NoError(t, err)
			assert.Equal(t, c.want, b.String())
		})
	}
}
