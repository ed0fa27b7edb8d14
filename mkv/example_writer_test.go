package mkv_test

import (
	"bytes"
	"fmt"

	"github.com/kvsclip/kvsclip/mkv"
)

// ExampleWriter writes one fragment as GetMedia returns it: a whole Matroska
// document with the AWS tags around its Cluster.
func ExampleWriter() {
	h := &mkv.Header{
		TimecodeScale: 1_000_000, // timecodes in milliseconds
		MuxingApp:     "example",
		WritingApp:    "example",
		Tracks: []mkv.Track{{
			Number: 1, UID: 1, Type: mkv.TrackTypeAudio,
			CodecID:           "A_AAC",
			CodecPrivate:      []byte{0x11, 0x90}, // AAC-LC, 48 kHz, stereo
			SamplingFrequency: 48000, Channels: 2,
		}},
	}
	f := &mkv.Fragment{
		Header:   h,
		Timecode: 0,
		Blocks: []mkv.Block{
			{Track: 1, Time: 0, Keyframe: true, Data: []byte{0x21, 0x10, 0x04}},
			{Track: 1, Time: 21, Keyframe: true, Data: []byte{0x21, 0x10, 0x04}},
		},
		Tags: mkv.Tags{
			FragmentNumber:       "91343852333181432392682062607743920146159169392",
			ProducerTimestamp:    1700000000000,
			HasProducerTimestamp: true,
		},
	}

	var out bytes.Buffer
	w := mkv.NewWriter(&out, &mkv.WriterOptions{Layout: mkv.LayoutGetMedia})
	if err := w.WriteFragment(f); err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	b := out.Bytes()
	fmt.Println(len(b), "bytes")
	fmt.Printf("EBML header: % x\n", b[:4])
	seg := bytes.Index(b, []byte{0x18, 0x53, 0x80, 0x67})
	fmt.Printf("Segment:     % x\n", b[seg:seg+12])
	fmt.Println("producer timestamp tag:", bytes.Contains(b, []byte("1700000000.000")))
	// Output:
	// 332 bytes
	// EBML header: 1a 45 df a3
	// Segment:     18 53 80 67 01 ff ff ff ff ff ff ff
	// producer timestamp tag: true
}
