package mkv_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// Read the fragments of a GetMedia dump and print where each one lies in
// time. The dump is one of the project's own (testdata/gen): 160x120 H.264
// and AAC, a fragment about every second.
func ExampleReader() {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := mkv.NewReader(bytes.NewReader(data))
	for {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		var codecs []string
		for _, t := range f.Header.Tracks {
			codecs = append(codecs, t.CodecID)
		}
		fmt.Printf("fragment …%s at %s: %d blocks of %v\n", f.Tags.FragmentNumber[37:],
			kvs.Millis(f.Tags.ProducerTimestamp).String(), len(f.Blocks), codecs)
	}
	// Output:
	// fragment …6159000000 at 1700000000.000: 71 blocks of [V_MPEG4/ISO/AVC A_AAC]
	// fragment …6159000001 at 1700000000.981: 70 blocks of [V_MPEG4/ISO/AVC A_AAC]
	// fragment …6159000002 at 1700000001.962: 71 blocks of [V_MPEG4/ISO/AVC A_AAC]
	// fragment …6159000003 at 1700000002.944: 72 blocks of [V_MPEG4/ISO/AVC A_AAC]
	// fragment …6159000004 at 1700000003.946: 5 blocks of [V_MPEG4/ISO/AVC A_AAC]
}
