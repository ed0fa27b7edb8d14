package codec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
)

// TestG711SDKFrames: the producer SDK's A-law sample frames are 160 bytes,
// 20 ms at 8 kHz mono, under the WAVEFORMATEX the SDK writes for them.
func TestG711SDKFrames(t *testing.T) {
	tr, err := ParseTrack(CodecIDACM, waveFormat(6, 1, 8000, 1000, 1, 0, 0), Hint{})
	require.NoError(t, err)
	names, _ := filepath.Glob(filepath.Join(mediatest.SharedDir(t), "frames", "alawSampleFrames", "sample-*.alaw"))
	require.Len(t, names, 1000)
	for _, n := range names[:50] {
		b, err := os.ReadFile(n)
		require.NoError(t, err)
		samples, err := tr.G711.FrameSamples(b)
		require.NoError(t, err)
		assert.Equal(t, uint32(160), samples)
	}
}

func TestG711FrameSamples(t *testing.T) {
	stereo := &G711Config{FormatTag: WaveFormatMuLaw, Channels: 2}
	n, err := stereo.FrameSamples(make([]byte, 320))
	require.NoError(t, err)
	assert.Equal(t, uint32(160), n)
	_, err = stereo.FrameSamples(make([]byte, 321))
	assert.Equal(t, kvs.InvalidMediaFrame, kvs.KindOf(err))
	_, err = stereo.FrameSamples(nil)
	assert.Equal(t, kvs.InvalidMediaFrame, kvs.KindOf(err))

	w, err := parseWaveFormatEx(waveFormat(6, 1, 8000, 1000, 1, 0, 2, 9, 8, 7))
	require.NoError(t, err)
	assert.Equal(t, waveFormatEx{FormatTag: 6, Channels: 1, SamplesPerSec: 8000, AvgBytesPerSec: 1000, BlockAlign: 1, Extra: []byte{9, 8}}, w)
}
