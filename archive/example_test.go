package archive_test

import (
	"fmt"
	"os"
	"time"

	"github.com/kvsclip/kvsclip/archive"
)

func Example() {
	dir, _ := os.MkdirTemp("", "archive-example")
	defer os.RemoveAll(dir)

	a, err := archive.Open(dir)
	if err != nil {
		panic(err)
	}
	_ = a.CreateStream(archive.Stream{Name: "doorbell", RetentionHours: 24, Created: time.Now()})

	// A fragment is stored whole and durably, or not at all.
	doc := []byte("...a GetMedia-layout Matroska document...")
	_ = a.Put("doorbell", archive.Fragment{
		Number:         "91343852333181432392682062607743920146159169392",
		ProducerMillis: 1511852108513,
		ServerMillis:   1511852109126,
		Size:           int64(len(doc)),
		DurationMillis: 2000,
	}, doc)

	// Range queries read the index, not the fragments.
	frags, _ := a.List("doorbell", archive.ByProducer, 1511852108000, 1511852110000)
	for _, f := range frags {
		fmt.Println(f.Number, f.ProducerMillis, f.Size)
	}
	// Output:
	// 91343852333181432392682062607743920146159169392 1511852108513 41
}
