package mp4_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/mp4"
)

func ExampleWriter() {
	// An AAC-LC track, 48 kHz stereo, counted in samples.
	tracks := []mp4.Track{{ID: 1, Timescale: 48000, Codec: &codec.Track{
		Kind: codec.Audio, SampleEntry: "mp4a", SampleRate: 48000, Channels: 2, FrameLength: 1024,
		AAC: &codec.AACConfig{ObjectType: 2, Config: []byte{0x11, 0x90}},
	}}}
	var out bytes.Buffer
	w, err := mp4.NewWriter(&out, tracks)
	if err != nil {
		panic(err)
	}
	if err := w.WriteInit(); err != nil {
		panic(err)
	}
	frame, _ := hex.DecodeString("de02004c61766335382e33352e313030")
	frag := &mp4.Fragment{Tracks: []mp4.TrackRun{{TrackID: 1}}}
	for i := range 2 {
		// The Fragment and its slices are reused from one call to the next.
		run := &frag.Tracks[0]
		run.BaseDecodeTime = uint64(i) * 3 * 1024
		run.Samples = run.Samples[:0]
		for range 3 {
			run.Samples = append(run.Samples, mp4.Sample{Data: frame, Duration: 1024, Sync: true})
		}
		if err := w.WriteFragment(frag); err != nil {
			panic(err)
		}
	}
	if err := w.Flush(); err != nil {
		panic(err)
	}

	b := out.Bytes()
	for len(b) >= 8 {
		size := binary.BigEndian.Uint32(b)
		fmt.Printf("%s %d\n", b[4:8], size)
		b = b[size:]
	}
	fmt.Println("total", w.BytesWritten())
	// Output:
	// ftyp 28
	// moov 569
	// moof 100
	// mdat 56
	// moof 100
	// mdat 56
	// total 909
}
