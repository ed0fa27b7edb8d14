package remux_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kvsclip/kvsclip/remux"
)

// Clip a producer-side MKV with H.264 and AAC into a fragmented MP4.
func ExampleClip() {
	in, err := os.Open(filepath.Join("..", "..", "shared", "testdata", "kvs", "producer", "vogels_480.mkv"))
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
	// 9 fragments, MP4 starts with "ftyp"
	// track 1: avc1, 909 samples, 30.330 s
	// track 2: mp4a, 1425 samples, 30.400 s
}
