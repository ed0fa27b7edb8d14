package codec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestName(t *testing.T) {
	for _, c := range []struct {
		id      string
		private []byte
		want    string
	}{
		{CodecIDAVC, nil, "H.264 (V_MPEG4/ISO/AVC)"},
		{CodecIDHEVC, nil, "H.265 (V_MPEGH/ISO/HEVC)"},
		{"A_AAC/MPEG4/LC", nil, "AAC (A_AAC/MPEG4/LC)"},
		{CodecIDACM, []byte{6, 0, 1, 0}, "G.711 A-law (A_MS/ACM, format tag 6)"},
		{CodecIDACM, []byte{7, 0}, "G.711 µ-law (A_MS/ACM, format tag 7)"},
		{CodecIDACM, []byte{1, 0}, "PCM (A_MS/ACM, format tag 1)"},
		{CodecIDACM, []byte{0x34, 0x12}, "audio of WAVEFORMATEX format tag 0x1234 (A_MS/ACM)"},
		{CodecIDACM, nil, "audio described by WAVEFORMATEX (A_MS/ACM, no format tag)"},
		{"A_OPUS", nil, "Opus (A_OPUS)"},
		{"X_NEW", nil, "X_NEW"},
	} {
		assert.Equal(t, c.want, Name(c.id, c.private), c.id)
	}
	_, err := ParseTrack("A_OPUS", []byte("OpusHead"), Hint{})
	assert.EqualError(t, err, "UnsupportedStreamMediaType: Opus (A_OPUS) is not supported (want H.264 (V_MPEG4/ISO/AVC), H.265 (V_MPEGH/ISO/HEVC), AAC (A_AAC) or G.711 A-law or µ-law (A_MS/ACM))")
	_, err = ParseTrack(CodecIDACM, []byte{1, 0, 1, 0, 0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0, 0, 0}, Hint{})
	assert.EqualError(t, err, "UnsupportedStreamMediaType: PCM (A_MS/ACM, format tag 1) is not supported (want G.711 A-law, format tag 6, or µ-law, format tag 7)")
}
