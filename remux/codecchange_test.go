package remux_test

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// encodeFragments has ffmpeg encode a short H.264 clip of the given size
// (a Cluster per 1 s GOP) and returns its fragments, placed from startMs on
// as a RELATIVE producer's would be.
func encodeFragments(t *testing.T, size string, startMs int64) []*mkv.Fragment {
	mediatest.Need(t, "ffmpeg")
	path := filepath.Join(t.TempDir(), size+".mkv")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
		"-i", "testsrc2=size="+size+":rate=25:duration=2", "-c:v", "libx264", "-g", "25", "-bf", "0",
		"-pix_fmt", "yuv420p", "-cluster_time_limit", "999", path).CombinedOutput()
	require.NoError(t, err, string(out))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	frags := cloneFragments(t, data)
	for _, f := range frags {
		f.Tags = mkv.Tags{ProducerTimestamp: startMs + f.Timecode, HasProducerTimestamp: true}
	}
	return frags
}

// TestCodecChange joins two recordings whose SPS differ (a camera
// reconfigured from 176x144 to 160x120).
func TestCodecChange(t *testing.T) {
	a := encodeFragments(t, "176x144", 1_700_000_000_000)
	b := encodeFragments(t, "160x120", 1_700_000_002_000)
	all := append(append([]*mkv.Fragment{}, a...), b...)

	t.Run("refused by default", func(t *testing.T) {
		c := remux.NewClipper(io.Discard, nil)
		var err error
		for _, f := range all {
			if err = c.Add(f); err != nil {
				break
			}
		}
		require.Error(t, err)
		assert.Equal(t, kvs.InvalidCodecPrivateData, kvs.KindOf(err))
		var ke *kvs.Error
		require.ErrorAs(t, err, &ke)
		assert.Equal(t, b[0].Name(), ke.Fragment, "the error names the fragment where the change happens")
	})

	t.Run("joined with AllowCodecChange", func(t *testing.T) {
		var out bytes.Buffer
		c := remux.NewClipper(&out, &remux.Options{AllowCodecChange: true}, a[0].Header, b[0].Header)
		for _, f := range all {
			require.NoError(t, c.Add(f))
		}
		man, err := c.Close()
		require.NoError(t, err)
		frames := 0
		for _, f := range all {
			frames += len(f.Blocks)
		}
		assert.Equal(t, frames, man.Tracks[0].Samples)
		path := filepath.Join(t.TempDir(), "joined.mp4")
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
		msg, ok := mediatest.Decode(t, path)
		require.True(t, ok, msg)
		assert.Empty(t, msg)
		pkts := mediatest.Packets(t, path)
		require.Len(t, pkts, frames)
		for i := 1; i < len(pkts); i++ {
			assert.Greater(t, pkts[i].DTS, pkts[i-1].DTS)
		}
	})

	t.Run("undeclared change", func(t *testing.T) {
		c := remux.NewClipper(io.Discard, &remux.Options{AllowCodecChange: true})
		var err error
		for _, f := range all {
			if err = c.Add(f); err != nil {
				break
			}
		}
		assert.Equal(t, kvs.InvalidCodecPrivateData, kvs.KindOf(err))
	})
}
