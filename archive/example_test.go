package archive_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "archive-example")
	defer os.RemoveAll(dir)

	a, err := archive.Open(dir)
	if err != nil {
		panic(err)
	}
	_ = a.CreateStream(ctx, archive.Stream{Name: "doorbell", RetentionHours: 24, Created: time.Now()})

	// A fragment is a GetMedia-layout document: here the first of a
	// committed recording.
	data, err := os.ReadFile("../testdata/h264-aac-160x120.getmedia.mkv")
	if err != nil {
		panic(err)
	}
	f, err := mkv.NewBytesReader(data).Next()
	if err != nil {
		panic(err)
	}
	doc := data[f.Offset : f.Offset+f.Size]

	// It is stored whole and durably with its sample index, or not at all.
	number := "91343852333181432392682062607743920146159169392"
	err = a.Put(ctx, "doorbell", kvs.Fragment{
		Number:         number,
		ProducerMillis: 1511852108513,
		ServerMillis:   1511852109126,
		Size:           int64(len(doc)),
		DurationMillis: 2000,
	}, doc)
	if err != nil {
		panic(err)
	}

	// Range queries read the listing, not the fragments.
	frags, _ := a.List(ctx, "doorbell", kvs.ProducerTimestamp, 1511852108000, 1511852110000)
	for _, f := range frags {
		fmt.Println(f.Number, f.ProducerMillis, f.Size)
	}

	// A clip is planned from indexes, and then reads only payload ranges.
	x, err := a.Index(ctx, "doorbell", kvs.Fragment{Number: number})
	if err != nil {
		panic(err)
	}
	s := x.Samples[0]
	frame := make([]byte, s.Size)
	if _, err := a.ReadAt(ctx, "doorbell", number, frame, s.Offset); err != nil {
		panic(err)
	}
	fmt.Println(len(x.Samples), "samples; the first of track", s.Track, "is", len(frame), "bytes at", s.Offset)
	// Output:
	// 91343852333181432392682062607743920146159169392 1511852108513 26831
	// 71 samples; the first of track 2 is 132 bytes at 483
}
