package clipcmd

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
)

// dumpOf has ffmpeg encode 2 s of H.264 at the given size and writes it as
// a GetMedia dump whose producer timestamps start at startMs.
func dumpOf(t *testing.T, size string, startMs int64) string {
	mediatest.Need(t, "ffmpeg")
	dir := t.TempDir()
	src := filepath.Join(dir, "src.mkv")
	out, err := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi",
		"-i", "testsrc2=size="+size+":rate=25:duration=2", "-c:v", "libx264", "-g", "25", "-bf", "0",
		"-pix_fmt", "yuv420p", "-cluster_time_limit", "999", src).CombinedOutput()
	require.NoError(t, err, string(out))
	data, err := os.ReadFile(src)
	require.NoError(t, err)
	var dump bytes.Buffer
	w := mkv.NewWriter(&dump, nil)
	r := mkv.NewBytesReader(data)
	for i := 0; ; i++ {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		f.Tags = mkv.Tags{
			FragmentNumber:       fmt.Sprintf("913438523331814323926820626077439201%011d", startMs/1000*10+int64(i)),
			ProducerTimestamp:    startMs + f.Timecode,
			HasProducerTimestamp: true,
		}
		require.NoError(t, w.WriteFragment(f))
	}
	require.NoError(t, w.Close())
	path := filepath.Join(dir, size+".mkv")
	require.NoError(t, os.WriteFile(path, dump.Bytes(), 0o644))
	return path
}

// TestAllowCodecChange joins two recordings whose SPS differ, as after a
// camera reconfiguration.
func TestAllowCodecChange(t *testing.T) {
	a := dumpOf(t, "176x144", 1_700_000_000_000)
	b := dumpOf(t, "160x120", 1_700_000_002_000)
	out := filepath.Join(t.TempDir(), "joined.mp4")

	code, _, stderr := runCLI(nil, "clip", "-o", out, a, b)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(stderr, "kvsclip: InvalidCodecPrivateData: "), stderr)
	assert.Contains(t, stderr, "fragment 91343852333181432392682062607743920117000000020", "names the first fragment of the new configuration")

	code, _, stderr = runCLI(nil, "clip", "--allow-codec-change", "-o", out, a, b)
	require.Equal(t, 0, code, stderr)
	msg, ok := mediatest.Decode(t, out)
	require.True(t, ok, msg)
	assert.Empty(t, msg)
	assert.Len(t, mediatest.Packets(t, out), 100, "both recordings, 50 frames each")
}
