package clipcmd

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// clipManifest is the part of the manifest these tests read.
type clipManifest struct {
	Fragments []struct {
		Number   string `json:"number"`
		Index    int    `json:"index"`
		Included bool   `json:"included"`
		Reason   string `json:"reason"`
	} `json:"fragments"`
	Truncated bool     `json:"truncated"`
	NextStart *float64 `json:"next_start"`
	Gaps      []struct {
		AfterFragment string  `json:"after_fragment"`
		At            float64 `json:"at"`
		Duration      float64 `json:"duration"`
		Closed        bool    `json:"closed"`
	} `json:"gaps"`
	Tracks []struct {
		Samples int `json:"samples"`
	} `json:"tracks"`
}

// clipTo runs `kvsclip clip` into a temporary directory and returns the exit
// code, stderr, the output path and the manifest.
func clipTo(t *testing.T, args ...string) (code int, stderr, out string, man clipManifest, raw string) {
	t.Helper()
	dir := t.TempDir()
	out, manPath := filepath.Join(dir, "clip.mp4"), filepath.Join(dir, "clip.json")
	code, _, stderr = runCLI(nil, append([]string{"clip", "-o", out, "--manifest", manPath}, args...)...)
	b, err := os.ReadFile(manPath)
	require.NoError(t, err, stderr)
	require.NoError(t, json.Unmarshal(b, &man))
	return code, stderr, out, man, string(b)
}

// states lists each fragment's fate: "in" or its reason.
func states(m clipManifest) []string {
	var s []string
	for _, f := range m.Fragments {
		if f.Included {
			s = append(s, "in")
		} else {
			s = append(s, f.Reason)
		}
	}
	return s
}

// output_get_media.mkv: producer timestamps 1511852108.513 + 2 s steps,
// server timestamps 109.126, 110.915, 112.487, 113.414, 114.147.
func getMedia(t *testing.T) string {
	return filepath.Join(mediatest.SharedDir(t), "getmedia", "output_get_media.mkv")
}

func TestClipRange(t *testing.T) {
	in := getMedia(t)
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"producer, epoch seconds", []string{"--start", "1511852110.513", "--end", "1511852114.513"},
			[]string{"before-start", "in", "in", "in", "after-end"}},
		{"producer, RFC 3339", []string{"--start", "2017-11-28T06:55:10.513Z", "--end", "2017-11-28T07:55:14.513+01:00"},
			[]string{"before-start", "in", "in", "in", "after-end"}},
		{"producer, 1 ms short", []string{"--start", "1511852110.514", "--end", "1511852114.512"},
			[]string{"before-start", "before-start", "in", "after-end", "after-end"}},
		// The same bounds select differently on server timestamps, which
		// are spaced unevenly: 110.915, 112.487 and 113.414 are in range.
		{"producer, 110.000–113.500", []string{"--start", "1511852110", "--end", "1511852113.5"},
			[]string{"before-start", "in", "in", "after-end", "after-end"}},
		{"server, 110.000–113.500", []string{"--selector", "server", "--start", "1511852110", "--end", "1511852113.5"},
			[]string{"before-start", "in", "in", "in", "after-end"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // waits on ffmpeg; each clips into its own directory
			code, stderr, out, man, raw := clipTo(t, append(c.args, in)...)
			require.Equal(t, 0, code, stderr)
			assert.Equal(t, c.want, states(man))
			assert.False(t, man.Truncated)
			assert.Nil(t, man.NextStart)
			assert.Contains(t, raw, `"next_start": null`)
			in := 0
			for _, s := range states(man) {
				if s == "in" {
					in++
				}
			}
			require.Len(t, man.Tracks, 1)
			assert.Equal(t, 60*in, man.Tracks[0].Samples)
			msg, ok := mediatest.Decode(t, out)
			require.True(t, ok, msg)
			assert.Empty(t, msg)
		})
	}
}

func TestClipCaps(t *testing.T) {
	code, stderr, out, man, raw := clipTo(t, "--start", "1511852108.513", "--end", "1511852118.513", "--max-fragments", "2", getMedia(t))
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, []string{"in", "in", "cap", "cap", "cap"}, states(man))
	assert.True(t, man.Truncated)
	require.NotNil(t, man.NextStart)
	assert.Contains(t, raw, `"next_start": 1511852112.513`, "the start of the first fragment cut")
	msg, ok := mediatest.Decode(t, out)
	require.True(t, ok, msg)
	assert.Empty(t, msg)

	// 547925 + 492514 bytes fit in 1,100,000; the third fragment does not.
	code, stderr, _, man, _ = clipTo(t, "--max-bytes", "1100000", getMedia(t))
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, []string{"in", "in", "cap", "cap", "cap"}, states(man))
	assert.True(t, man.Truncated)
}

// The same file twice is every fragment read twice: the whole input is
// deduplicated by fragment number, and the copies are listed.
func TestClipDuplicateInput(t *testing.T) {
	in := fixture
	code, stderr, _, man, _ := clipTo(t, in, in)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, []string{"in", "in", "in", "in", "in", "duplicate", "duplicate", "duplicate", "duplicate", "duplicate"}, states(man))
	for i, f := range man.Fragments {
		assert.Equal(t, i, f.Index, "indices run across the inputs")
	}
	assert.Equal(t, man.Fragments[0].Number, man.Fragments[5].Number)
	assert.Equal(t, 100, man.Tracks[0].Samples)
}

func TestClipGaps(t *testing.T) {
	in := filepath.Join(mediatest.SharedDir(t), "getmedia", "output-get-media-non-increasing-timecode.mkv")
	code, stderr, out, man, _ := clipTo(t, "--gaps", "close", in)
	require.Equal(t, 0, code, stderr)
	require.Len(t, man.Gaps, 1)
	assert.Equal(t, "91343852338381293673923423239754896920603583280", man.Gaps[0].AfterFragment)
	assert.True(t, man.Gaps[0].Closed)
	assert.InDelta(t, 5.48, man.Gaps[0].Duration, 0.05)
	msg, ok := mediatest.Decode(t, out)
	require.True(t, ok, msg)
	assert.Empty(t, msg, "a closed gap leaves ffmpeg nothing to say")

	code, stderr, _, man, raw := clipTo(t, getMedia(t))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, raw, `"gaps": []`)
}

// The fixture's producer timestamps are 1700000000 to about 1700000004.
func TestClipRequestFailures(t *testing.T) {
	in := fixture
	for _, c := range []struct {
		name string
		args []string
		kind string
		msg  string
	}{
		{"nothing in range", []string{"--start", "1700000200", "--end", "1700000300"},
			"ResourceNotFound", kvs.NoFragmentsMessage},
		{"end before start", []string{"--start", "1700000003.5", "--end", "1700000001.5"}, "InvalidArgument", "later than"},
		{"end equal to start", []string{"--start", "1700000001.5", "--end", "1700000001.5"}, "InvalidArgument", "later than"},
		{"more than 24 h", []string{"--start", "1700000001.5", "--end", "1700086401.501"}, "InvalidArgument", "24 hours"},
		{"server end in the future", []string{"--selector", "server", "--start", "2999-01-01T00:00:00Z", "--end", "2999-01-01T01:00:00Z"}, "InvalidArgument", "in the past"},
		{"start alone", []string{"--start", "1700000001.5"}, "InvalidArgument", "together"},
		{"bad time", []string{"--start", "yesterday", "--end", "1700000001.5"}, "InvalidArgument", "--start"},
		{"sub-millisecond", []string{"--start", "1700000001.5001", "--end", "1700000003"}, "InvalidArgument", "millisecond"},
		{"bad selector", []string{"--selector", "both", "--start", "1", "--end", "2"}, "InvalidArgument", "--selector"},
		{"bad gaps", []string{"--gaps", "fill"}, "InvalidArgument", "--gaps"},
		{"negative cap", []string{"--max-fragments", "-1"}, "InvalidArgument", "negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "clip.mp4")
			code, _, stderr := runCLI(nil, append(append([]string{"clip", "-o", out}, c.args...), in)...)
			assertClipFailed(t, code, stderr, dir, c.kind, c.msg)
		})
	}
}

func TestClipNotFoundManifest(t *testing.T) {
	code, _, _, man, _ := clipTo(t, "--start", "1700000200", "--end", "1700000300", fixture)
	assert.Equal(t, 1, code)
	assert.Equal(t, []string{"before-start", "before-start", "before-start", "before-start", "before-start"}, states(man),
		"the manifest still says why each fragment is out")
}

// TestClipCapsPlannedAsBefore: a capped clip, planned from the chosen
// fragments' indexes over the mapped input, is byte for byte what
// remux.Clip's planned clip is of the same fragments, in both layouts, to
// a file and to stdout.
func TestClipCapsPlannedAsBefore(t *testing.T) {
	data, err := os.ReadFile(getMedia(t))
	require.NoError(t, err)
	r := mkv.NewBytesReader(data)
	var end int64
	for range 2 {
		f, err := r.Next()
		require.NoError(t, err)
		end = f.Offset + f.Size
	}
	for _, format := range []remux.Format{remux.FormatMP4, remux.FormatFMP4} {
		var want bytes.Buffer
		_, err = remux.Clip(&want, bytes.NewReader(data[:end]), &remux.ClipOptions{Format: format, Planned: true})
		require.NoError(t, err)

		args := []string{"--format", format.String(), "--max-fragments", "2", getMedia(t)}
		code, stderr, out, _, _ := clipTo(t, args...)
		require.Equal(t, 0, code, stderr)
		got, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want.Bytes(), got), "%s to a file", format)
		code, stdout, stderr := runCLI(nil, append([]string{"clip"}, args...)...)
		require.Equal(t, 0, code, stderr)
		assert.True(t, bytes.Equal(want.Bytes(), []byte(stdout)), "%s to stdout", format)
	}
}

// TestClipPlannedErrorOffset: a bad frame in a planned clip is reported at
// its offset in the input, as the Clipper reports it.
func TestClipPlannedErrorOffset(t *testing.T) {
	data, err := os.ReadFile(fixture)
	require.NoError(t, err)
	r := mkv.NewBytesReader(data)
	_, err = r.Next()
	require.NoError(t, err)
	second, err := r.Next()
	require.NoError(t, err)
	b := second.Blocks[0]
	for _, blk := range second.Blocks {
		if blk.Track == 1 {
			b = blk
			break
		}
	}
	bad := bytes.Clone(data)
	copy(bad[b.Offset:], []byte{0x7f, 0xff, 0xff, 0xff}) // a NAL unit longer than the frame
	in := filepath.Join(t.TempDir(), "bad.mkv")
	require.NoError(t, os.WriteFile(in, bad, 0o644))

	_, want := remux.Clip(io.Discard, bytes.NewReader(bad), &remux.ClipOptions{Format: remux.FormatMP4})
	require.Error(t, want)
	code, _, stderr := runCLI(nil, "clip", "--format", "mp4", "--max-fragments", "3", in)
	assert.Equal(t, 1, code)
	assert.Equal(t, Describe(want)+"\n", stderr)
	assert.Contains(t, stderr, "offset "+strconv.FormatInt(b.Offset, 10))
}
