package mkv_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/kvsclip/kvsclip/mkv"
)

// Read the fragments of a GetMedia dump and print where each one lies in time.
func ExampleReader() {
	data, err := os.ReadFile(filepath.Join("..", "..", "shared", "testdata", "kvs", "getmedia", "output_get_media.mkv"))
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
		fmt.Printf("fragment …%s at %s: %d frames of %s\n", f.Tags.FragmentNumber[37:],
			mkv.FormatMillis(f.Tags.ProducerTimestamp), len(f.Blocks), f.Header.Tracks[0].CodecID)
	}
	// Output:
	// fragment …6159169392 at 1511852108.513: 60 frames of V_MPEG4/ISO/AVC
	// fragment …5874549018 at 1511852110.513: 60 frames of V_MPEG4/ISO/AVC
	// fragment …7510532162 at 1511852112.513: 60 frames of V_MPEG4/ISO/AVC
	// fragment …5829378270 at 1511852114.513: 60 frames of V_MPEG4/ISO/AVC
	// fragment …2133364608 at 1511852116.513: 60 frames of V_MPEG4/ISO/AVC
}
