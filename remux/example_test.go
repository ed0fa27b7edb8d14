package remux_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/mkv"
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

// Plan a progressive MP4 from the sample indexes of stored fragments, as a
// service does, and write one byte range of it, its payloads read ahead by
// ranges from the store.
func ExamplePlan() {
	// A GetMedia dump is one document per fragment; a store keeps each
	// with the index fragindex.Build makes of it at ingest.
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	if err != nil {
		fmt.Println(err)
		return
	}
	var docs remux.Documents // stands in for the store
	var idx []*fragindex.Index
	r := mkv.NewBytesReader(data)
	for {
		f, err := r.Next()
		if err != nil {
			break
		}
		doc := data[f.Offset : f.Offset+f.Size]
		x, err := fragindex.Build(doc)
		if err != nil {
			fmt.Println(err)
			return
		}
		docs, idx = append(docs, doc), append(idx, x)
	}
	ctx := context.Background()

	// Plan from the indexes: the source is read only for frames whose
	// bytes change in the MP4 (rare).
	clip, err := remux.Plan(ctx, idx, docs, &remux.PlanOptions{Options: remux.Options{Profile: remux.ProfileKVS}, Format: remux.FormatMP4})
	if err != nil {
		fmt.Println(err)
		return
	}
	size, _ := clip.Size() // Content-Length, before any payload is read

	// Bytes 1000 to the end (a Range request): the spans they need are read
	// ahead by ranges, within 16 MiB and 8 reads.
	start, end := int64(1000), size
	read := func(ctx context.Context, s remux.Span) ([]byte, error) {
		return docs.Payload(ctx, s.Fragment, s.Offset, s.Size) // a ranged GET of fragment s.Fragment
	}
	ra := remux.NewReadAhead(ctx, clip.Spans(start, end), read, nil)
	defer ra.Close()
	var out bytes.Buffer
	if err := clip.WriteRange(ctx, &out, ra, start, end); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Len() == int(end-start), len(clip.Spans(start, end)), "fragments read")
	// Output:
	// true 5 fragments read
}

// Write a recording held in memory into a file as an indexed fMP4 in one
// pass, as kvsclip clip FILE -o OUT does: each fragment goes out as it is
// added, and Close puts the header (ftyp, moov with mehd, sidx) into the
// room left in front of them.
func ExampleFileWriter() {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	if err != nil {
		fmt.Println(err)
		return
	}
	f, err := os.CreateTemp("", "clip-*.mp4")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Room for the index of 16 fragments; more would make Close write
	// the clip again, planned from the fragments' indexes.
	w, err := remux.NewFileWriter(f, 16, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := w.AddAll(data); err != nil {
		w.Abort() // waits for the writes under way
		fmt.Println(err)
		return
	}
	size, man, err := w.Close(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	st, _ := f.Stat()
	fmt.Println(len(man.Fragments), "fragments,", st.Size() == size)
	// Output:
	// 5 fragments, true
}

// Plan a progressive MP4 of fragments held in memory: the Collector keeps
// each fragment's index and its bytes, which are the payloads of the
// writes.
func ExampleCollector() {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	if err != nil {
		fmt.Println(err)
		return
	}
	var col remux.Collector
	if err := col.AddAll(data); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	clip, err := col.Plan(ctx, &remux.PlanOptions{Format: remux.FormatMP4})
	if err != nil {
		fmt.Println(err)
		return
	}
	size, _ := clip.Size()
	var out bytes.Buffer
	if err := clip.WriteTo(ctx, &out, col.Payloads()); err != nil {
		fmt.Println(err)
		return
	}
	b := out.Bytes()
	ftyp := binary.BigEndian.Uint32(b) // the first box's size
	fmt.Printf("%d fragments, as long as planned: %v, after ftyp: %q\n", col.Len(), out.Len() == int(size), b[ftyp+4:ftyp+8])
	// Output:
	// 5 fragments, as long as planned: true, after ftyp: "moov"
}

// Cut a planned fMP4 into the segments of a DASH representation, as a
// playback session serves them: the video track alone, its decode times
// counted from the Unix epoch (the producer timestamps) so that segments
// planned apart line up, and no duration in the init segment.
func ExamplePlannedClip_Segments() {
	var col remux.Collector
	data, err := os.ReadFile(filepath.Join("..", "testdata", "h264-aac-160x120.getmedia.mkv"))
	if err == nil {
		err = col.AddAll(data)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	clip, err := col.Plan(ctx, nil) // an fMP4
	if err != nil {
		fmt.Println(err)
		return
	}
	segs, err := clip.Segments(&remux.SegmentOptions{Track: 1, NoDuration: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	init := segs.Init()
	fmt.Printf("init segment: %q then %q\n", init[4:8], init[binary.BigEndian.Uint32(init)+4:][:4])
	for frag := range col.Len() {
		size, _ := segs.Size(frag) // Content-Length, before any payload is read
		var out bytes.Buffer
		if err := segs.WriteSegment(ctx, &out, col.Payloads(), frag); err != nil {
			fmt.Println(err)
			return
		}
		b := out.Bytes()
		fmt.Printf("fragment %d: %q, %q, as long as planned: %v\n", frag, b[4:8], b[binary.BigEndian.Uint32(b)+4:][:4], out.Len() == int(size))
	}
	// Output:
	// init segment: "ftyp" then "moov"
	// fragment 0: "moof", "mdat", as long as planned: true
	// fragment 1: "moof", "mdat", as long as planned: true
	// fragment 2: "moof", "mdat", as long as planned: true
	// fragment 3: "moof", "mdat", as long as planned: true
	// fragment 4: "moof", "mdat", as long as planned: true
}
