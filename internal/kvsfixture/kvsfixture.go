// Package kvsfixture builds KVS fragments from the real sample frames in the
// shared test data, for the tests of mkv, remux and the packages above them.
//
// The frames are the producer C SDK's samples (see PROVENANCE.md next to
// them): 403 Annex-B H.264 frames at 25 fps with an IDR every 45 frames, and
// raw AAC-LC frames of 1024 samples at 48 kHz stereo. SampleFragments turns
// them into what KVS stores: AVCC frames with 4-byte lengths, an avcC
// CodecPrivate, one fragment per GOP, and the AWS tags KVS adds.
package kvsfixture

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/Eyevinn/mp4ff/avc"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
)

// Facts of the fixture, for tests that check times and counts.
const (
	// VideoFrames is the number of H.264 sample frames.
	VideoFrames = 403
	// GOPLength is the distance between IDR frames; each fragment holds
	// one GOP, so there are 9 fragments (the last with 43 frames).
	GOPLength = 45
	// VideoFrameMillis is the duration of a video frame at 25 fps.
	VideoFrameMillis = 40
	// AudioFrames is the number of AAC sample frames. They last 12.4 s,
	// less than the video's 16.12 s, so the audio track loops over them
	// to keep every fragment holding both tracks, as PutMedia requires.
	AudioFrames = 582
	// AudioSampleRate and AudioFrameSamples give the AAC frame duration,
	// 1024/48000 s = 21.333 ms.
	AudioSampleRate   = 48000
	AudioFrameSamples = 1024
	// TimecodeScale is 1 ms, as in every real KVS file.
	TimecodeScale = 1_000_000
	// StartMillis is the producer timestamp of the first fragment; the
	// Cluster timecodes are relative to it (a RELATIVE producer), so a
	// fragment's producer timestamp is StartMillis plus its timecode.
	StartMillis = 1_700_000_000_000
	// ServerDelayMillis is how much later than the producer timestamp
	// the server timestamps are.
	ServerDelayMillis = 312
)

// AudioSpecificConfig is the CodecPrivate of the AAC track: AAC-LC, 48 kHz,
// 2 channels.
var AudioSpecificConfig = []byte{0x11, 0x90}

// fragmentNumberPrefix makes 47-digit fragment numbers like KVS's; the last
// five digits count up.
const fragmentNumberPrefix = "913438523331814323926820626077439201461591"

// FragmentNumber returns the fragment number SampleFragments gives fragment
// i: 47 digits, increasing with i.
func FragmentNumber(i int) string {
	return fmt.Sprintf("%s%05d", fragmentNumberPrefix, 69392+i*1013)
}

// Fragments returns SampleFragments of the shared recordings' frames, for a
// test. Without the recordings the test skips, or fails under CI, as
// mediatest.SharedDir does; frames that are there but cannot be read fail
// it. It never returns a partial fixture.
func Fragments(tb testing.TB, withAudio bool) []*mkv.Fragment {
	tb.Helper()
	frags, err := SampleFragments(mediatest.SharedDir(tb), withAudio)
	if err != nil {
		tb.Fatalf("kvsfixture: %v", err)
	}
	return frags
}

// SampleFragments returns the sample frames as KVS fragments, one per GOP.
// shared is the KVS test data directory (the one holding frames/, see
// mediatest.SharedDir).
//
// Track 1 is V_MPEG4/ISO/AVC: the frames converted from Annex-B to AVCC with
// every NAL unit kept (AUD, and SPS/PPS/SEI in the first frame), CodecPrivate
// an avcC record made from the in-band SPS and PPS. With withAudio, track 2
// is A_AAC with CodecPrivate AudioSpecificConfig, every block a key frame,
// interleaved with the video by time (video first on equal times).
//
// Times are in milliseconds (TimecodeScale 1 ms): video frame i at 40·i,
// audio frame j at 1024·j/48 rounded to the millisecond; each fragment's
// Timecode is the time of its IDR frame. Each fragment carries a
// FragmentNumber (FragmentNumber(i)), a producer timestamp StartMillis +
// Timecode and a server timestamp ServerDelayMillis later; no other tags.
// All fragments share one *Header, and Index counts them from 0.
func SampleFragments(shared string, withAudio bool) ([]*mkv.Fragment, error) {
	video := make([][]byte, VideoFrames)
	for i := range video {
		b, err := os.ReadFile(filepath.Join(shared, "frames", "h264SampleFrames", fmt.Sprintf("frame-%03d.h264", i+1)))
		if err != nil {
			return nil, err
		}
		video[i] = b
	}
	spss, ppss := avc.GetParameterSetsFromByteStream(video[0])
	if len(spss) == 0 || len(ppss) == 0 {
		return nil, errors.New("kvsfixture: first H.264 frame has no SPS/PPS")
	}
	// The samples are trusted: the VUI-skipping SPS parse is enough for
	// the picture size.
	sps, err := avc.ParseSPSNALUnit(spss[0], false)
	if err != nil {
		return nil, fmt.Errorf("kvsfixture: SPS: %w", err)
	}
	rec, err := avc.CreateAVCDecConfRec(spss, ppss, true)
	if err != nil {
		return nil, fmt.Errorf("kvsfixture: avcC: %w", err)
	}
	avcC := sliceWriter{}
	if err := rec.Encode(&avcC); err != nil {
		return nil, fmt.Errorf("kvsfixture: avcC: %w", err)
	}
	for i := range video {
		// Converts in place when all start codes are 4 bytes long.
		video[i] = avc.ConvertByteStreamToNaluSample(video[i])
	}

	h := &mkv.Header{
		TimecodeScale: TimecodeScale,
		MuxingApp:     "kvsclip kvsfixture",
		WritingApp:    "kvsclip kvsfixture",
		Tracks: []mkv.Track{{
			Number:          1,
			UID:             1,
			Type:            mkv.TrackTypeVideo,
			Name:            "kinesis_video",
			CodecID:         "V_MPEG4/ISO/AVC",
			CodecPrivate:    avcC.b,
			DefaultDuration: VideoFrameMillis * 1_000_000,
			PixelWidth:      uint64(sps.Width),
			PixelHeight:     uint64(sps.Height),
		}},
	}
	var audio [][]byte
	if withAudio {
		audio = make([][]byte, AudioFrames)
		for i := range audio {
			b, err := os.ReadFile(filepath.Join(shared, "frames", "aacSampleFrames", fmt.Sprintf("sample-%03d.aac", i+1)))
			if err != nil {
				return nil, err
			}
			audio[i] = b
		}
		h.Tracks = append(h.Tracks, mkv.Track{
			Number:            2,
			UID:               2,
			Type:              mkv.TrackTypeAudio,
			Name:              "kinesis_audio",
			CodecID:           "A_AAC",
			CodecPrivate:      append([]byte(nil), AudioSpecificConfig...),
			DefaultDuration:   AudioFrameSamples * 1_000_000_000 / AudioSampleRate,
			SamplingFrequency: AudioSampleRate,
			Channels:          2,
		})
	}

	var frags []*mkv.Fragment
	aj := 0 // next audio frame
	for start := 0; start < VideoFrames; start += GOPLength {
		end := min(start+GOPLength, VideoFrames)
		f := &mkv.Fragment{
			Header:   h,
			Timecode: int64(start * VideoFrameMillis),
			Index:    len(frags),
		}
		for i := start; i < end; i++ {
			f.Blocks = append(f.Blocks, mkv.Block{
				Track:    1,
				Time:     int64(i * VideoFrameMillis),
				Keyframe: i == start,
				Data:     video[i],
			})
		}
		if withAudio {
			endMs := int64(end * VideoFrameMillis)
			for ; audioMillis(aj) < endMs; aj++ {
				f.Blocks = append(f.Blocks, mkv.Block{
					Track:    2,
					Time:     audioMillis(aj),
					Keyframe: true,
					Data:     audio[aj%AudioFrames],
				})
			}
			// Stable: video stays before audio of the same time, and
			// each track keeps its order.
			sort.SliceStable(f.Blocks, func(a, b int) bool { return f.Blocks[a].Time < f.Blocks[b].Time })
		}
		f.Tags = mkv.Tags{
			FragmentNumber:       FragmentNumber(f.Index),
			ProducerTimestamp:    StartMillis + f.Timecode,
			HasProducerTimestamp: true,
			ServerTimestamp:      StartMillis + f.Timecode + ServerDelayMillis,
			HasServerTimestamp:   true,
		}
		frags = append(frags, f)
	}
	return frags, nil
}

// audioMillis is the time of audio frame j in milliseconds, rounded.
func audioMillis(j int) int64 {
	return (int64(j)*AudioFrameSamples*1000 + AudioSampleRate/2) / AudioSampleRate
}

// sliceWriter collects what an Encode method writes.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}
