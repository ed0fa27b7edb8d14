package fragindex_test

import (
	"fmt"
	"os"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/mkv"
)

// Index a stored fragment, store the index, and find a frame's bytes in the
// document through the decoded index alone.
func Example() {
	data, err := os.ReadFile("../testdata/h264-aac-160x120.getmedia.mkv")
	if err != nil {
		panic(err)
	}
	// A GetMedia dump is one document per fragment; the archive stores
	// each on its own.
	f, err := mkv.NewBytesReader(data).Next()
	if err != nil {
		panic(err)
	}
	doc := data[f.Offset : f.Offset+f.Size]

	x, err := fragindex.Build(doc)
	if err != nil {
		panic(err)
	}
	enc, err := x.Marshal()
	if err != nil {
		panic(err)
	}
	y, err := fragindex.Unmarshal(enc)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(y.Header.Tracks), "tracks;", y.Header.Tracks[0].CodecID)
	fmt.Println(len(y.Samples), "samples of a", y.DocSize, "byte document, indexed in", len(enc), "bytes")
	for _, s := range y.Samples {
		if s.Flags&fragindex.Keyframe != 0 && s.Track == 1 {
			frame := doc[s.Offset : s.Offset+int64(s.Size)]
			fmt.Println("first video key frame:", len(frame), "bytes at", s.Offset)
			break
		}
	}
	// Output:
	// 2 tracks; V_MPEG4/ISO/AVC
	// 71 samples of a 26831 byte document, indexed in 560 bytes
	// first video key frame: 3049 bytes at 622
}
