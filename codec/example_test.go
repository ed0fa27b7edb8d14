package codec_test

import (
	"fmt"

	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
)

func ExampleParseTrack() {
	// The CodecPrivate of the two tracks of producer/vogels_480.mkv.
	avcC := []byte{
		0x01, 0x42, 0xc0, 0x28, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x42, 0xc0, 0x28,
		0xdb, 0x02, 0x80, 0xf6, 0xc0, 0x5a, 0x80, 0x80, 0x80, 0xa0, 0x00, 0x00,
		0x03, 0x00, 0x20, 0x00, 0x57, 0xe4, 0x01, 0xe3, 0x06, 0x5c, 0x01, 0x00,
		0x04, 0x68, 0xca, 0x8c, 0xb2,
	}
	video, err := codec.ParseTrack("V_MPEG4/ISO/AVC", avcC, codec.Hint{PixelWidth: 640, PixelHeight: 480})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %dx%d profile %d level %d, %d-byte NAL lengths\n",
		video.SampleEntry, video.Width, video.Height, video.AVC.Profile, video.AVC.Level, video.AVC.LengthSize)

	audio, err := codec.ParseTrack("A_AAC", []byte{0x11, 0x90}, codec.Hint{SamplingFrequency: 48000, Channels: 2})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s %d Hz %d ch, %d samples per frame\n", audio.SampleEntry, audio.SampleRate, audio.Channels, audio.FrameLength)

	_, err = codec.ParseTrack("V_VP9", []byte{1}, codec.Hint{})
	fmt.Println(kvs.KindOf(err))
	// Output:
	// avc1 640x480 profile 66 level 40, 4-byte NAL lengths
	// mp4a 48000 Hz 2 ch, 1024 samples per frame
	// UnsupportedStreamMediaType
}

func ExampleToAVCC() {
	// An Annex-B frame: AUD, then an IDR slice behind a 3-byte start code.
	annexB := []byte{0, 0, 0, 1, 0x09, 0x10, 0, 0, 1, 0x65, 0x88, 0x84}
	out, converted, err := codec.ToAVCC(nil, annexB, 0)
	if err != nil {
		panic(err)
	}
	fmt.Printf("% x converted=%v\n", out, converted)

	// Already 4-byte AVCC: returned as is, nothing copied.
	same, converted, _ := codec.ToAVCC(nil, out, 4)
	fmt.Println(&same[0] == &out[0], converted)
	// Output:
	// 00 00 00 02 09 10 00 00 00 03 65 88 84 converted=true
	// true false
}
