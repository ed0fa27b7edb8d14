package mp4

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	mp4ff "github.com/Eyevinn/mp4ff/mp4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// packet is one sample as a demuxer should report it.
type packet struct {
	stream   int
	pts, dts int64
	size     int
	key      bool
}

type clipConfig struct {
	name         string
	videoTS      uint32 // 0: no video track
	audio        bool
	ctoFrames    int32 // composition offset of every video sample, in frames
	audioTrackID uint32
}

// clip is what writeClip wrote: the bytes and, per fragment, the runs.
type clip struct {
	data      []byte
	tracks    []Track
	fragments []Fragment
	packets   [][]packet // per stream, decode order
}

// writeClip writes the KVS sample frames as one moof+mdat per GOP (1.8 s),
// the audio frames that start within a GOP going into its fragment.
func writeClip(t *testing.T, cfg clipConfig) clip {
	t.Helper()
	var c clip
	var video h264Media
	var audio [][]byte
	if cfg.videoTS != 0 {
		video = loadH264(t, h264FrameCount)
		c.tracks = append(c.tracks, Track{ID: 1, Timescale: cfg.videoTS, Codec: video.track})
		c.packets = append(c.packets, nil)
	}
	audioStream := len(c.tracks)
	if cfg.audio {
		audio = loadAAC(t, aacFrameCount)
		c.tracks = append(c.tracks, Track{ID: cfg.audioTrackID, Timescale: aacSampleRate, Codec: aacTrack()})
		c.packets = append(c.packets, nil)
	}

	var out bytes.Buffer
	w, err := NewWriter(&out, c.tracks)
	require.NoError(t, err)
	require.NoError(t, w.WriteInit())

	frameDur := cfg.videoTS / 25
	nFrag := (h264FrameCount + h264GOP - 1) / h264GOP
	nextAudio := 0
	for g := range nFrag {
		var f Fragment
		if cfg.videoTS != 0 {
			run := TrackRun{TrackID: 1, BaseDecodeTime: uint64(g*h264GOP) * uint64(frameDur)}
			for i := g * h264GOP; i < min((g+1)*h264GOP, h264FrameCount); i++ {
				s := Sample{Data: video.frames[i], Duration: frameDur, Sync: video.sync[i],
					CompositionOffset: cfg.ctoFrames * int32(frameDur)}
				run.Samples = append(run.Samples, s)
				dts := int64(i) * int64(frameDur)
				c.packets[0] = append(c.packets[0], packet{0, dts + int64(s.CompositionOffset), dts, len(s.Data), s.Sync})
			}
			f.Tracks = append(f.Tracks, run)
		}
		if cfg.audio {
			// The fragment ends where its GOP ends: (g+1)*1.8 s.
			end := int64(g+1) * h264GOP * aacSampleRate / 25
			run := TrackRun{TrackID: cfg.audioTrackID, BaseDecodeTime: uint64(nextAudio) * aacFrameLength}
			for ; nextAudio < len(audio) && int64(nextAudio)*aacFrameLength < end; nextAudio++ {
				run.Samples = append(run.Samples, Sample{Data: audio[nextAudio], Duration: aacFrameLength, Sync: true})
				dts := int64(nextAudio) * aacFrameLength
				c.packets[audioStream] = append(c.packets[audioStream], packet{audioStream, dts, dts, len(audio[nextAudio]), true})
			}
			f.Tracks = append(f.Tracks, run)
		}
		require.NoError(t, w.WriteFragment(&f))
		// What a reader should find: no traf for a run without samples,
		// no moof for a fragment without any.
		var written Fragment
		for _, r := range f.Tracks {
			if len(r.Samples) > 0 {
				written.Tracks = append(written.Tracks, r)
			}
		}
		if len(written.Tracks) > 0 {
			c.fragments = append(c.fragments, written)
		}
	}
	require.NoError(t, w.Flush())
	require.Equal(t, int64(out.Len()), w.BytesWritten())
	c.data = out.Bytes()
	return c
}

var clipConfigs = []clipConfig{
	{name: "video90k+audio", videoTS: 90000, audio: true, audioTrackID: 2},
	{name: "video1000+audio", videoTS: 1000, audio: true, audioTrackID: 7},
	{name: "video-only", videoTS: 90000},
	{name: "audio-only", audio: true, audioTrackID: 1},
	{name: "positive-cto", videoTS: 90000, audio: true, audioTrackID: 2, ctoFrames: 2},
	{name: "negative-cto", videoTS: 90000, ctoFrames: -1},
}

func TestRealMediaDecodesWithFFmpeg(t *testing.T) {
	mediatest.Need(t, "ffmpeg")
	for _, cfg := range clipConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			t.Parallel() // each subtest spends its time waiting for ffmpeg
			c := writeClip(t, cfg)
			path := filepath.Join(t.TempDir(), "out.mp4")
			require.NoError(t, os.WriteFile(path, c.data, 0o644))

			cmd := exec.Command("ffmpeg", "-nostdin", "-xerror", "-v", "error", "-i", path, "-f", "null", "-")
			msg, err := cmd.CombinedOutput()
			require.NoError(t, err, "ffmpeg: %s", msg)
			require.Empty(t, string(msg), "ffmpeg reported problems")

			// Without an edit list, ffmpeg moves presentation times
			// later by the largest negative composition offset so that
			// no frame is presented before it is decoded; an edit list
			// (a later issue) is what will map them back.
			ptsShift := -min(int64(cfg.ctoFrames)*int64(cfg.videoTS/25), 0)
			got := ffprobePackets(t, path, len(c.packets))
			for s := range c.packets {
				require.Len(t, got[s], len(c.packets[s]), "stream %d packet count", s)
				shift := int64(0)
				if s == 0 && cfg.videoTS != 0 {
					shift = ptsShift
				}
				for i, want := range c.packets[s] {
					g := got[s][i]
					require.Equal(t, want.size, g.size, "stream %d packet %d size", s, i)
					require.Equal(t, want.dts, g.dts, "stream %d packet %d dts", s, i)
					require.Equal(t, want.pts+shift, g.pts, "stream %d packet %d pts", s, i)
					require.Equal(t, want.key, g.key, "stream %d packet %d key flag", s, i)
				}
			}
		})
	}
}

// ffprobePackets returns the packets ffprobe demuxes, per stream in decode
// order.
func ffprobePackets(t *testing.T, path string, streams int) [][]packet {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "packet=stream_index,pts,dts,size,flags",
		"-of", "csv=p=0", path).Output()
	require.NoError(t, err)
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	require.NoError(t, err)
	got := make([][]packet, streams)
	atoi := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		require.NoError(t, err, "ffprobe field %q", s)
		return n
	}
	for _, r := range recs {
		require.Len(t, r, 5, "ffprobe line %v", r)
		p := packet{stream: int(atoi(r[0])), pts: atoi(r[1]), dts: atoi(r[2]), size: int(atoi(r[3])),
			key: strings.HasPrefix(r[4], "K")}
		require.Less(t, p.stream, streams)
		got[p.stream] = append(got[p.stream], p)
	}
	return got
}

// TestRealMediaBoxes reads the output back with mp4ff and checks the init
// segment's fields and that every trun points at the bytes written.
func TestRealMediaBoxes(t *testing.T) {
	for _, cfg := range clipConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			c := writeClip(t, cfg)
			f, err := mp4ff.DecodeFile(bytes.NewReader(c.data))
			require.NoError(t, err)
			require.True(t, f.IsFragmented())
			checkInit(t, f.Init, c.data, c.tracks)

			var frags []*mp4ff.Fragment
			for _, seg := range f.Segments {
				frags = append(frags, seg.Fragments...)
			}
			require.Len(t, frags, len(c.fragments))
			for i, fr := range frags {
				want := c.fragments[i]
				assert.Equal(t, uint32(i+1), fr.Moof.Mfhd.SequenceNumber)
				require.Len(t, fr.Moof.Trafs, len(want.Tracks))
				for j, traf := range fr.Moof.Trafs {
					run := want.Tracks[j]
					assert.Equal(t, run.TrackID, traf.Tfhd.TrackID)
					assert.True(t, traf.Tfhd.DefaultBaseIfMoof())
					assert.False(t, traf.Tfhd.HasBaseDataOffset())
					assert.Equal(t, byte(1), traf.Tfdt.Version)
					assert.Equal(t, run.BaseDecodeTime, traf.Tfdt.BaseMediaDecodeTime())
					require.Len(t, traf.Truns, 1)
					if cfg.ctoFrames < 0 && run.TrackID == 1 {
						assert.Equal(t, byte(1), traf.Trun.Version)
					} else {
						assert.Equal(t, byte(0), traf.Trun.Version)
					}

					trex, ok := f.Init.Moov.Mvex.GetTrex(run.TrackID)
					require.True(t, ok)
					full, err := fr.GetFullSamples(trex)
					require.NoError(t, err)
					require.Len(t, full, len(run.Samples))
					dts := run.BaseDecodeTime
					for k, s := range full {
						ws := run.Samples[k]
						require.True(t, bytes.Equal(ws.Data, s.Data), "track %d fragment %d sample %d data", run.TrackID, i, k)
						assert.Equal(t, ws.Duration, s.Dur)
						assert.Equal(t, ws.CompositionOffset, s.CompositionTimeOffset)
						assert.Equal(t, ws.Sync, s.IsSync())
						assert.Equal(t, dts, s.DecodeTime)
						dts += uint64(ws.Duration)
					}
				}
			}
		})
	}
}

func checkInit(t *testing.T, init *mp4ff.InitSegment, raw []byte, tracks []Track) {
	t.Helper()
	require.NotNil(t, init)
	assert.Equal(t, "iso6", init.Ftyp.MajorBrand())
	wantBrands := []string{"iso6", "iso5", "mp41"}
	if tracks[0].Codec.SampleEntry == "avc1" {
		wantBrands = append(wantBrands, "avc1")
	}
	assert.Equal(t, wantBrands, init.Ftyp.CompatibleBrands())
	moov := init.Moov
	assert.Equal(t, uint32(1000), moov.Mvhd.Timescale)
	require.Len(t, moov.Traks, len(tracks))
	require.Len(t, moov.Mvex.Trexs, len(tracks))
	var maxID uint32
	for i, tr := range tracks {
		maxID = max(maxID, tr.ID)
		trak := moov.Traks[i]
		assert.Equal(t, tr.ID, trak.Tkhd.TrackID)
		assert.Equal(t, uint32(3), trak.Tkhd.Flags)
		assert.Equal(t, tr.Timescale, trak.Mdia.Mdhd.Timescale)
		assert.Equal(t, "und", trak.Mdia.Mdhd.GetLanguage())
		assert.Equal(t, tr.ID, moov.Mvex.Trexs[i].TrackID)
		assert.Equal(t, uint32(1), moov.Mvex.Trexs[i].DefaultSampleDescriptionIndex)
		stsd := trak.Mdia.Minf.Stbl.Stsd
		require.Len(t, stsd.Children, 1)
		switch tr.Codec.SampleEntry {
		case "avc1":
			assert.Equal(t, "vide", trak.Mdia.Hdlr.HandlerType)
			assert.Equal(t, uint32(640), uint32(trak.Tkhd.Width)>>16)
			assert.Equal(t, uint32(480), uint32(trak.Tkhd.Height)>>16)
			require.NotNil(t, stsd.AvcX)
			assert.Equal(t, "avc1", stsd.AvcX.Type())
			assert.Equal(t, uint16(640), stsd.AvcX.Width)
			assert.Equal(t, uint16(480), stsd.AvcX.Height)
			// The avcC payload is the codec record, byte for byte.
			i := bytes.Index(raw, []byte("avcC"))
			require.Positive(t, i)
			typ, size := boxAt(raw[i-4:])
			require.Equal(t, "avcC", typ)
			assert.Equal(t, tr.Codec.AVC.Record, raw[i+4:i-4+size])
		case "mp4a":
			assert.Equal(t, "soun", trak.Mdia.Hdlr.HandlerType)
			assert.Equal(t, mp4ff.Fixed16(0x0100), trak.Tkhd.Volume)
			require.NotNil(t, stsd.Mp4a)
			assert.Equal(t, uint16(tr.Codec.SampleRate), stsd.Mp4a.SampleRate)
			assert.Equal(t, tr.Codec.Channels, stsd.Mp4a.ChannelCount)
			assert.Equal(t, tr.Codec.AAC.Config, stsd.Mp4a.Esds.DecConfigDescriptor.DecSpecificInfo.DecConfig)
		}
	}
	assert.Equal(t, maxID+1, moov.Mvhd.NextTrackID)
}
