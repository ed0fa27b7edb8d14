// Command gen makes the media committed in testdata/: small KVS recordings
// built from ffmpeg's test sources, so the tests have inputs whose every
// property is known. Run it with `make testdata`; it needs ffmpeg (with
// libx264 and libx265).
//
// Besides the fixtures in testdata/ itself, it makes the B-frame family in
// testdata/bframes (family): small recordings, one per reorder structure the
// timing must present exactly (x264 B-pyramid none, strict and normal, 0 to
// 16 B-frames, a structure that changes from GOP to GOP, HEVC open GOPs, 23.976
// to 60 fps, audio before and after the video), which remux's
// TestPresentationTimes clips along every output path.
//
// Each fixture is encoded by ffmpeg into a producer-side MKV (a Cluster per
// GOP), then read with kvsclip's own mkv.Reader and written again with
// mkv.Writer as a GetMedia dump: one document per fragment with the AWS
// fragment number, producer and server timestamp tags.
//
// Determinism: the encoders run single-threaded (x264 threads=1, x265
// pools=none and one frame thread) and every ffmpeg stage is asked for
// bit-exact output, so with the same ffmpeg, x264 and x265 builds a second
// run writes the same bytes. Checked with Debian 12's ffmpeg 5.1.9 (libx264
// 164, libx265 3.5): three runs wrote identical files, including the first
// fixture, which predates these flags and leaves x264 its default threads.
// Other encoder versions change the bitstreams, and with them the sizes and
// counts the tests list (remux/fixtures_test.go).
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/kvsclip/kvsclip/mkv"
)

// fixture is one generated recording.
type fixture struct {
	name string
	// ffmpeg arguments after the inputs; the output is a Matroska file.
	inputs, encode []string
	startMillis    int64
	// sdkWaveFormat rewrites the CodecPrivate of A_MS/ACM tracks as the
	// KVS producer SDK fills it (spec §5.1): avgBytesPerSec is
	// channels*rate/8 and bitsPerSample 0, where ffmpeg writes the true
	// values.
	sdkWaveFormat bool
	// keepClusters writes ffmpeg's Clusters as the fragments, as the
	// first fixture was made (its tests count them); the others are
	// fragmented at video key frames.
	keepClusters bool
	// audioFirst: the generator checks that the first audio frame is
	// presented before the first video frame.
	audioFirst bool
	// dir is the subdirectory of the output the fixture goes to ("" for
	// the output itself).
	dir string
}

// Common ffmpeg arguments. Every fixture has 1 s closed GOPs, and so a
// fragment per second once readFragments splits at key frames. The cluster
// limits keep ffmpeg's own Clusters near a GOP, which is what the first
// fixture's fragments are.
var (
	clusters = []string{"-cluster_time_limit", "999", "-cluster_size_limit", "10000000"}
	// closed 1 s GOPs at 25 fps, IDR at every one
	x264GOP = []string{"-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-threads", "1", "-flags:v", "+bitexact"}
)

// testsrc is a lavfi video source; sine a lavfi audio one. Sine frames of
// 160 samples make 20 ms G.711 blocks at 8 kHz; the AAC encoder regroups
// them into 1024-sample frames.
func testsrc(size string, rate, secs int) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%s:rate=%d:duration=%d", size, rate, secs)}
}

func sine(freq, rate, secs int) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=%d:sample_rate=%d:duration=%d:samples_per_frame=160", freq, rate, secs)}
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func x264(profile string, extra ...string) []string {
	return join([]string{"-c:v", "libx264", "-profile:v", profile, "-pix_fmt", "yuv420p"}, x264GOP, extra)
}

// x265 encodes HEVC with closed GOPs (IDR, no leading pictures that would
// reach into the previous fragment) of 25 frames and three B-frames.
func x265(pixFmt string) []string {
	return []string{"-c:v", "libx265", "-pix_fmt", pixFmt, "-flags:v", "+bitexact", "-x265-params",
		"log-level=error:bframes=3:keyint=25:min-keyint=25:scenecut=0:open-gop=0:pools=none:frame-threads=1:info=0"}
}

func aac(channels int, bitrate string) []string {
	return []string{"-c:a", "aac", "-ac", fmt.Sprint(channels), "-b:a", bitrate, "-flags:a", "+bitexact"}
}

func g711(c string) []string {
	return []string{"-c:a", c, "-ac", "1", "-flags:a", "+bitexact"}
}

var fixtures = []fixture{
	{
		// H.264 High with AAC-LC stereo: 4 s of 25 fps 160x120, a GOP per
		// second, audio at 48 kHz.
		name:   "h264-aac-160x120",
		inputs: []string{"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=4", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4"},
		encode: []string{"-c:v", "libx264", "-profile:v", "high", "-bf", "0", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
			"-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-b:a", "64k", "-cluster_time_limit", "999", "-cluster_size_limit", "10000000"},
		startMillis:  1_700_000_000_000,
		keepClusters: true,
	},
	{
		// H.264 Constrained Baseline (no B-frames, CAVLC) with AAC-LC
		// mono at 16 kHz.
		name:        "h264-baseline-aac16k-mono",
		inputs:      join(testsrc("128x96", 25, 3), sine(300, 16000, 3)),
		encode:      join(x264("baseline"), aac(1, "24k"), clusters),
		startMillis: 1_700_000_100_000,
	},
	{
		// H.264 Main with two B-frames and AAC-LC stereo at 44.1 kHz.
		name:        "h264-main-aac44k-stereo",
		inputs:      join(testsrc("128x96", 25, 3), sine(500, 44100, 3)),
		encode:      join(x264("main", "-bf", "2"), aac(2, "48k"), clusters),
		startMillis: 1_700_000_200_123,
	},
	{
		// H.264 High with three B-frames in a pyramid (B-frames used as
		// references, so decode and presentation order differ by up to
		// three frames), AAC-LC mono at 48 kHz.
		name:        "h264-high-bpyramid-aac48k-mono",
		inputs:      join(testsrc("128x96", 25, 3), sine(700, 48000, 3)),
		encode:      join(x264("high", "-bf", "3", "-x264-params", "b-pyramid=normal"), aac(1, "32k"), clusters),
		startMillis: 1_700_000_300_456,
	},
	{
		// H.264 at 174x142: neither side a multiple of 16, so the SPS
		// crops the coded 176x144. A-law mono at 8 kHz in 20 ms blocks.
		name:        "h264-174x142-alaw",
		inputs:      join(testsrc("174x142", 25, 3), sine(440, 8000, 3)),
		encode:      join(x264("high", "-bf", "0"), g711("pcm_alaw"), clusters),
		startMillis: 1_700_000_400_789,
	},
	{
		// HEVC Main with three B-frames, µ-law mono at 8 kHz whose
		// WAVEFORMATEX is written the producer SDK's way.
		name:          "hevc-main-bframes-ulaw",
		inputs:        join(testsrc("128x96", 25, 3), sine(600, 8000, 3)),
		encode:        join(x265("yuv420p"), g711("pcm_mulaw"), clusters),
		startMillis:   1_700_000_500_000,
		sdkWaveFormat: true,
	},
	{
		// HEVC Main 10 with three B-frames at 174x142 (not a multiple of
		// the 8-pixel minimum coding block: a conformance window), AAC-LC
		// stereo at 16 kHz.
		name:        "hevc-main10-174x142-aac16k-stereo",
		inputs:      join(testsrc("174x142", 25, 2), sine(350, 16000, 2)),
		encode:      join(x265("yuv420p10le"), aac(2, "32k"), clusters),
		startMillis: 1_700_000_600_321,
	},
	{
		// Variable frame rate: 30 fps with frames dropped in an uneven
		// pattern, so consecutive frames are 33, 67 or 100 ms apart. Key
		// frames are forced each second rather than every n frames. AAC-LC
		// stereo at 48 kHz.
		name:   "h264-vfr-aac48k-stereo",
		inputs: join(testsrc("128x96", 30, 3), sine(800, 48000, 3)),
		encode: join([]string{"-vf", "select='not(eq(mod(n,5),2))*not(eq(mod(n,7),4))'", "-fps_mode:v", "vfr",
			"-c:v", "libx264", "-profile:v", "main", "-pix_fmt", "yuv420p", "-bf", "0",
			"-g", "1000", "-keyint_min", "1000", "-sc_threshold", "0", "-force_key_frames", "expr:gte(t,n_forced)",
			"-threads", "1", "-flags:v", "+bitexact"}, aac(2, "48k"), clusters),
		startMillis: 1_700_000_700_654,
	},
	{
		// Audio that starts 200 ms before the video (the video input is
		// offset), AAC-LC mono at 44.1 kHz: the first fragment opens with
		// audio frames.
		name:        "h264-audio-first-aac44k-mono",
		inputs:      join([]string{"-itsoffset", "0.2"}, testsrc("128x96", 25, 2), sine(900, 44100, 3)),
		encode:      join(x264("main", "-bf", "0"), aac(1, "32k"), []string{"-t", "2.2"}, clusters),
		startMillis: 1_700_000_800_987,
		audioFirst:  true,
	},
}

// familyDir is where the B-frame family goes, under the output.
const familyDir = "bframes"

// familySize is the family's picture size: small enough that a few seconds
// make a few tens of KB, and still whole macroblocks and HEVC CTUs.
const familySize = "128x96"

// x264Family encodes H.264 High at rate fps (an ffmpeg rational) with a
// closed GOP of gop frames, up to bf B-frames placed by b_strategy
// strategy (0 fixed, 1 fast, 2 trellis: 1 and 2 adapt the structure to the
// picture, so it changes with the content) and the B-pyramid mode pyramid
// (none, strict or normal).
func x264Family(rate string, gop, bf, strategy int, pyramid string) []string {
	g := fmt.Sprint(gop)
	return []string{"-r", rate, "-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-crf", "40",
		"-g", g, "-keyint_min", g, "-sc_threshold", "0", "-bf", fmt.Sprint(bf), "-b_strategy", fmt.Sprint(strategy),
		"-x264-params", "b-pyramid=" + pyramid, "-threads", "1", "-flags:v", "+bitexact"}
}

// withScenecut lets x264 put a key frame at a scene change (x264Family
// turns that off): at the cut from noise to a test pattern the GOP before
// it ends one frame early, with a shallower reorder structure than the
// rest. The fragments still start at key frames.
func withScenecut(args []string) []string {
	i := slices.Index(args, "-sc_threshold")
	return slices.Delete(slices.Clone(args), i, i+2)
}

// x265OpenGOP encodes HEVC with open GOPs of gop frames (CRA pictures whose
// leading B-frames precede them in presentation order and reference the
// GOP before) and up to bf B-frames in a pyramid.
func x265OpenGOP(gop, bf int) []string {
	return []string{"-c:v", "libx265", "-pix_fmt", "yuv420p", "-flags:v", "+bitexact", "-x265-params",
		fmt.Sprintf("log-level=error:bframes=%d:b-pyramid=1:b-adapt=2:keyint=%d:min-keyint=%d:scenecut=0:open-gop=1:crf=36:pools=none:frame-threads=1:info=0", bf, gop, gop)}
}

// smallSource is the family's video: testsrc2 at rate for secs seconds.
func smallSource(rate string, secs int) []string {
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=%s:rate=%s:duration=%d", familySize, rate, secs)}
}

// changingSource alternates one second of noise with one second of
// testsrc2: encoded withScenecut, the GOP structure changes from fragment
// to fragment, and the first GOP reorders less deeply than the second (as
// x264's often does), which one B-frame delay must cover from the start.
func changingSource(rate string, secs int) []string {
	var chain string
	for i := range secs {
		if i%2 == 0 {
			chain += fmt.Sprintf("nullsrc=size=%s:rate=%s:duration=1,geq=lum='random(1)*255':cb=128:cr=128,format=yuv420p[s%d];", familySize, rate, i)
		} else {
			chain += fmt.Sprintf("testsrc2=size=%s:rate=%s:duration=1,format=yuv420p[s%d];", familySize, rate, i)
		}
	}
	for i := range secs {
		chain += fmt.Sprintf("[s%d]", i)
	}
	return []string{"-f", "lavfi", "-i", fmt.Sprintf("%sconcat=n=%d:v=1:a=0", chain, secs)}
}

// familyAAC and familyALaw are the family's audio: AAC-LC mono at 16 kHz,
// or G.711 A-law at 8 kHz in 20 ms blocks.
var (
	familyAAC  = join([]string{"-c:a", "aac", "-ac", "1", "-ar", "16000", "-b:a", "16k", "-flags:a", "+bitexact"})
	familyALaw = g711("pcm_alaw")
)

// family is the B-frame family (testdata/bframes): every reorder structure
// the timing must present exactly, in every output. Names say codec,
// B-pyramid mode, most B-frames, frame rate and what else is special.
var family = []fixture{
	{name: "x264-none-bf3-30fps-alaw", inputs: join(smallSource("30", 3), sine(440, 8000, 3)),
		encode: join(x264Family("30", 30, 3, 1, "none"), familyALaw, clusters)},
	{name: "x264-strict-bf3-25fps", inputs: join(smallSource("25", 3), sine(500, 16000, 3)),
		encode: join(x264Family("25", 25, 3, 1, "strict"), familyAAC, clusters)},
	{name: "x264-normal-bf3-30fps-alaw-changing", inputs: join(changingSource("30", 4), sine(600, 8000, 4)),
		encode: join(withScenecut(x264Family("30", 30, 3, 2, "normal")), familyALaw, clusters)},
	{name: "x264-bf0-60fps", inputs: join(smallSource("60", 3), sine(700, 16000, 3)),
		encode: join(x264Family("60", 60, 0, 1, "none"), familyAAC, clusters)},
	{name: "x264-none-bf1-23.976fps", inputs: join(smallSource("24000/1001", 3), sine(800, 16000, 3)),
		encode: join(x264Family("24000/1001", 24, 1, 1, "none"), familyAAC, clusters)},
	{name: "x264-normal-bf16-30fps", inputs: join(smallSource("30", 3), sine(900, 16000, 3)),
		encode: join(x264Family("30", 30, 16, 0, "normal"), familyAAC, clusters)},
	{name: "x264-strict-bf8-50fps-alaw", inputs: join(smallSource("50", 3), sine(300, 8000, 3)),
		encode: join(x264Family("50", 50, 8, 2, "strict"), familyALaw, clusters)},
	{name: "x264-normal-bf5-29.97fps-changing", inputs: join(changingSource("30000/1001", 4), sine(350, 16000, 4)),
		encode: join(withScenecut(x264Family("30000/1001", 30, 5, 2, "normal")), familyAAC, clusters)},
	{name: "x264-normal-bf2-25fps-audio-first", inputs: join([]string{"-itsoffset", "0.3"}, smallSource("25", 3), sine(450, 16000, 4)),
		encode: join(x264Family("25", 25, 2, 1, "normal"), familyAAC, []string{"-t", "3.3"}, clusters), audioFirst: true},
	{name: "x264-normal-bf3-30fps-audio-after", inputs: join(smallSource("30", 3), []string{"-itsoffset", "0.3"}, sine(550, 16000, 3)),
		encode: join(x264Family("30", 30, 3, 1, "normal"), familyAAC, []string{"-t", "3"}, clusters)},
	{name: "hevc-open-pyramid-bf4-25fps", inputs: join(smallSource("25", 3), sine(650, 16000, 3)),
		encode: join(x265OpenGOP(25, 4), familyAAC, clusters)},
	{name: "hevc-open-pyramid-bf7-60fps-alaw", inputs: join(smallSource("60", 3), sine(750, 8000, 3)),
		encode: join(x265OpenGOP(60, 7), familyALaw, clusters)},
}

func main() {
	out := flag.String("out", "testdata", "directory to write the fixtures to")
	flag.String("shared", "", "shared test data (unused: kept for make's uniform call)")
	flag.Parse()
	for i := range family {
		family[i].dir = familyDir
		family[i].startMillis = 1_700_001_000_000 + int64(i)*100_000
	}
	for _, fx := range append(slices.Clone(fixtures), family...) {
		if err := build(fx, *out); err != nil {
			log.Fatalf("%s: %v", fx.name, err)
		}
	}
}

func build(fx fixture, dir string) error {
	tmp, err := os.MkdirTemp("", "kvsclip-gen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	producer := filepath.Join(tmp, "producer.mkv")
	args := append([]string{"-nostdin", "-v", "error", "-y"}, fx.inputs...)
	args = append(append(args, fx.encode...), "-fflags", "+bitexact", "-map_metadata", "-1", producer)
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg: %w", err)
	}
	data, err := os.ReadFile(producer)
	if err != nil {
		return err
	}
	frags, err := readFragments(data, fx)
	if err != nil {
		return err
	}
	var firstAudio, firstVideo *int64
	var doc bytes.Buffer
	w := mkv.NewWriter(&doc, nil)
	for i, f := range frags {
		for _, b := range f.Blocks {
			switch f.Header.Track(b.Track).Type {
			case mkv.TrackTypeAudio:
				if firstAudio == nil {
					firstAudio = &b.Time
				}
			case mkv.TrackTypeVideo:
				if firstVideo == nil {
					firstVideo = &b.Time
				}
			}
		}
		// A RELATIVE producer: the producer timestamp is the start plus the
		// cluster timecode (spec §4.4); KVS adds the number and the
		// server's receive time.
		ms := fx.startMillis + f.Timecode*int64(f.Header.TimecodeScale)/1e6
		f.Tags = mkv.Tags{
			FragmentNumber:       fmt.Sprintf("91343852333181432392682062607743920146159%06d", i),
			ProducerTimestamp:    ms,
			HasProducerTimestamp: true,
			ServerTimestamp:      ms + 250,
			HasServerTimestamp:   true,
		}
		if err := w.WriteFragment(f); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if fx.audioFirst && (firstAudio == nil || firstVideo == nil || *firstAudio >= *firstVideo) {
		return fmt.Errorf("audio does not start before video")
	}
	if err := os.MkdirAll(filepath.Join(dir, fx.dir), 0o755); err != nil {
		return err
	}
	path := filepath.Join(dir, fx.dir, fx.name+".getmedia.mkv")
	log.Printf("%s: %d bytes", path, doc.Len())
	return os.WriteFile(path, doc.Bytes(), 0o644)
}

// readFragments reads the producer MKV. Unless the fixture keeps ffmpeg's
// Clusters, its frames are grouped again as the producer SDK fragments a
// stream: a fragment begins at each video key frame and holds the frames
// that follow in file order until the next one. ffmpeg's Matroska muxer
// also starts a Cluster whenever one grows longer than its time limit,
// whatever the frame, which with audio ahead of the video puts delta
// frames at the head of a Cluster, and leaves a last Cluster of audio.
func readFragments(data []byte, fx fixture) ([]*mkv.Fragment, error) {
	r := mkv.NewBytesReader(data)
	var frags []*mkv.Fragment
	var cur *mkv.Fragment
	hasVideo := false
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if fx.sdkWaveFormat {
			// Fragments share their header; rewriting it again is a no-op.
			for j := range f.Header.Tracks {
				if err := sdkWaveFormatEx(&f.Header.Tracks[j]); err != nil {
					return nil, err
				}
			}
		}
		// The Reader reuses its Fragments; the blocks' Data are slices of
		// data, so copies of the Blocks outlive the next calls to Next.
		if fx.keepClusters {
			c := *f
			c.Blocks = slices.Clone(f.Blocks)
			frags = append(frags, &c)
			continue
		}
		for _, b := range f.Blocks {
			video := f.Header.Track(b.Track).Type == mkv.TrackTypeVideo
			if cur == nil || video && b.Keyframe && hasVideo || cur.Header != f.Header {
				cur = &mkv.Fragment{Header: f.Header, Timecode: b.Time}
				frags = append(frags, cur)
				hasVideo = false
			}
			cur.Blocks = append(cur.Blocks, b)
			cur.Timecode = min(cur.Timecode, b.Time)
			hasVideo = hasVideo || video
		}
	}
	return frags, nil
}

// sdkWaveFormatEx rewrites an A_MS/ACM track's CodecPrivate as the 18-byte
// WAVEFORMATEX the producer SDK writes for G.711: the format tag, channels
// and rate as they were, avgBytesPerSec channels*rate/8, blockAlign the
// channel count, bitsPerSample and cbSize 0. Other tracks are left alone.
func sdkWaveFormatEx(t *mkv.Track) error {
	if t.CodecID != "A_MS/ACM" {
		return nil
	}
	cp := t.CodecPrivate
	if len(cp) < 16 {
		return fmt.Errorf("track %d: WAVEFORMATEX of %d bytes", t.Number, len(cp))
	}
	le := binary.LittleEndian
	tag, channels, rate := le.Uint16(cp), le.Uint16(cp[2:]), le.Uint32(cp[4:])
	if tag != 6 && tag != 7 {
		return fmt.Errorf("track %d: WAVEFORMATEX tag %d is not G.711", t.Number, tag)
	}
	b := make([]byte, 18)
	le.PutUint16(b, tag)
	le.PutUint16(b[2:], channels)
	le.PutUint32(b[4:], rate)
	le.PutUint32(b[8:], uint32(channels)*rate/8)
	le.PutUint16(b[12:], channels)
	t.CodecPrivate = b
	return nil
}
