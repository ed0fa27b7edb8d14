// Command gen makes the media committed in testdata/: small KVS recordings
// built from ffmpeg's test sources, so the tests have inputs whose every
// property is known. Run it with `make testdata`; it needs ffmpeg.
//
// Each fixture is encoded by ffmpeg into a producer-side MKV (a Cluster per
// GOP), then read with kvsclip's own mkv.Reader and written again with
// mkv.Writer as a GetMedia dump: one document per fragment with the AWS
// fragment number, producer and server timestamp tags.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/kvsclip/kvsclip/mkv"
)

// fixture is one generated recording.
type fixture struct {
	name string
	// ffmpeg arguments after the inputs; the output is a Matroska file.
	inputs, encode []string
	startMillis    int64
}

var fixtures = []fixture{
	{
		// H.264 High with AAC-LC stereo: 4 s of 25 fps 160x120, a GOP per
		// second, audio at 48 kHz.
		name:   "h264-aac-160x120",
		inputs: []string{"-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=4", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4"},
		encode: []string{"-c:v", "libx264", "-profile:v", "high", "-bf", "0", "-g", "25", "-keyint_min", "25", "-sc_threshold", "0",
			"-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-b:a", "64k", "-cluster_time_limit", "999", "-cluster_size_limit", "10000000"},
		startMillis: 1_700_000_000_000,
	},
}

func main() {
	out := flag.String("out", "testdata", "directory to write the fixtures to")
	flag.String("shared", "", "shared test data (unused: kept for make's uniform call)")
	flag.Parse()
	for _, fx := range fixtures {
		if err := build(fx, *out); err != nil {
			log.Fatalf("%s: %v", fx.name, err)
		}
	}
}

func build(fx fixture, dir string) error {
	tmp, err := os.MkdirTemp("", "kvsclip-gen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	producer := filepath.Join(tmp, "producer.mkv")
	args := append([]string{"-nostdin", "-v", "error", "-y"}, fx.inputs...)
	args = append(append(args, fx.encode...), "-fflags", "+bitexact", "-map_metadata", "-1", producer)
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ffmpeg: %w", err)
	}
	data, err := os.ReadFile(producer)
	if err != nil {
		return err
	}
	var doc bytes.Buffer
	w := mkv.NewWriter(&doc, mkv.WriterOptions{})
	r := mkv.NewBytesReader(data)
	for i := 0; ; i++ {
		f, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		// A RELATIVE producer: the producer timestamp is the start plus the
		// cluster timecode (spec §4.4); KVS adds the number and the
		// server's receive time.
		ms := fx.startMillis + f.Timecode*int64(f.Header.TimecodeScale)/1e6
		f.Tags = mkv.Tags{
			FragmentNumber:       fmt.Sprintf("91343852333181432392682062607743920146159%06d", i),
			ProducerTimestamp:    ms,
			HasProducerTimestamp: true,
			ServerTimestamp:      ms + 250,
			HasServerTimestamp:   true,
		}
		if err := w.WriteFragment(f); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	path := filepath.Join(dir, fx.name+".getmedia.mkv")
	log.Printf("%s: %d bytes", path, doc.Len())
	return os.WriteFile(path, doc.Bytes(), 0o644)
}
