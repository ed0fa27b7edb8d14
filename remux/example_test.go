package remux_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kvsclip/kvsclip/remux"
)

// Clip a GetMedia dump with H.264 and AAC into a fragmented MP4. The dump
// is one of the project's own (testdata/gen): 4 s of 160x120 video at
// 25 fps and 48 kHz stereo AAC.
func ExampleClip() {
	in, err := os.Open(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer in.Close()
	var out bytes.Buffer
	man, err := remux.Clip(&out, in, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d fragments, MP4 starts with %q\n", len(man.Fragments), out.Bytes()[4:8])
	for _, t := range man.Tracks {
		fmt.Printf("track %d: %s, %d samples, %.3f s\n", t.ID, t.Codec, t.Samples, t.Duration)
	}
	// Output:
	// 5 fragments, MP4 starts with "ftyp"
	// track 1: avc1, 100 samples, 4.000 s
	// track 2: mp4a, 189 samples, 4.032 s
}
