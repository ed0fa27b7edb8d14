package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/clipcmd"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// putHelp is the help of `kvsclip put` but its flags.
var putHelp = cliflag.Command{
	Name:     "put",
	Synopsis: "kvsclip put --endpoint URL --stream NAME [--timecode-type ABSOLUTE|RELATIVE] [--start T] [--fragment-duration D] [--acks] [FILE|-]",
	About: `Stream a Matroska file or standard input to PutMedia, as a producer does.
On a terminal it shows its progress and ends with a summary; with stdout
not a terminal (or with --acks) it prints each ack as a JSON line, as the
AWS CLI prints PutMedia's answer.

Fragments are cut as the producer SDKs cut them, whatever Clusters the
input has: each starts on a key frame once the one before has lasted
--fragment-duration (2s; without video, by duration alone). A GetMedia
dump keeps its fragments; --fragment-duration 0 keeps the input's
Clusters as they are.

With --timecode-type ABSOLUTE, Cluster timecodes are epoch milliseconds.
A GetMedia dump's are not (they are the producer's, often from 0), but its
fragments carry their producer timestamps in AWS_KINESISVIDEO_PRODUCER_TIMESTAMP
tags: such a dump is put at those timestamps, placed by its first fragment's.`,
	Args: `  FILE    a Matroska file (a producer's MKV, a GetMedia dump); "-" or none
          reads standard input (not a terminal)`,
	Examples: `  kvsclip put --endpoint http://127.0.0.1:8080 --stream demo recording.mkv
  ffmpeg -re -i cam.mp4 -c copy -f matroska - | kvsclip put --endpoint http://127.0.0.1:8080 --stream demo
  kvsclip put --endpoint http://127.0.0.1:8080 --stream demo --timecode-type ABSOLUTE getmedia-dump.mkv`,
}

// putCmd runs `kvsclip put`: streams a Matroska file or stdin to PutMedia,
// showing its progress on a terminal and printing every ack as a JSON line
// otherwise.
func putCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("put", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "data endpoint URL, such as http://127.0.0.1:8080 (required)")
	stream := fs.String("stream", "", "stream name (required)")
	tc := fs.String("timecode-type", "RELATIVE", "ABSOLUTE (cluster timecodes are epoch ms) or RELATIVE (offsets from --start)")
	start := fs.String("start", "", "producer start timestamp for RELATIVE timecodes: RFC 3339 or epoch seconds (default: now)")
	region := fs.String("region", "", "signing region (default $AWS_REGION or us-west-2)")
	fragDur := fs.Duration("fragment-duration", mkv.DefaultFragmentDuration, "span of a fragment, from a key frame to the first key frame after it (0: the input's Clusters as they are)")
	// A terminal gets a progress line rather than thousands of JSON
	// lines; a pipe or a file gets the acks, which scripts read.
	acks := fs.Bool("acks", false, "print every ack as a JSON line on stdout even when stdout is a terminal")
	cmd := putHelp
	cmd.Flags = fs
	operands, code, done := cmd.Parse(args, stdout, stderr)
	if done {
		return code
	}
	switch {
	case *endpoint == "" || *stream == "":
		return cmd.Usage(stderr, "--endpoint and --stream are required")
	case len(operands) > 1:
		return cmd.Usage(stderr, "one FILE at most")
	case *fragDur < 0 || *fragDur > mkv.MaxRefragmentDuration:
		return cmd.Usage(stderr, fmt.Sprintf("--fragment-duration must be 0 to %v", mkv.MaxRefragmentDuration))
	}
	name := "-"
	if len(operands) == 1 {
		name = operands[0]
	}
	in := stdin
	if name == "-" && cliflag.IsTerminal(stdin) {
		return cmd.Usage(stderr, "no FILE given and standard input is a terminal")
	}
	startTime, err := parseStart(*start)
	if err != nil {
		return cmd.Usage(stderr, fmt.Sprintf("--start: %v", err))
	}
	timecodeType := strings.ToUpper(*tc)
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "kvsclip put: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	var total int64
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			total = st.Size()
		}
	}
	// An empty file or one of another format fails here, in words,
	// rather than as a PutMedia that persists nothing.
	if in, err = clipcmd.Sniff(name, in); err != nil {
		fmt.Fprintf(stderr, "kvsclip put: %s\n", strings.TrimPrefix(clipcmd.Describe(err), "kvsclip: "))
		return 1
	}
	if timecodeType == "ABSOLUTE" {
		var note string
		if in, startTime, note, err = absoluteFromTags(in); err != nil {
			fmt.Fprintf(stderr, "kvsclip put: %s\n", strings.TrimPrefix(clipcmd.Describe(err), "kvsclip: "))
			return 1
		}
		if !startTime.IsZero() {
			timecodeType = "RELATIVE"
			fmt.Fprintf(stderr, "kvsclip put: %s\n", note)
		}
	}
	if *region == "" {
		*region = cmpOr(os.Getenv("AWS_REGION"), server.DefaultRegion)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	printAcks := *acks || !cliflag.IsTerminal(stdout)
	enc := json.NewEncoder(stdout)
	var sum ackSummary
	// The input's bytes are counted (progress and summary are about the
	// file); a GetMedia dump is one Matroska document per fragment, and
	// PutMedia takes one Segment a session (KVS refuses a second).
	body := &countingReader{r: in}
	media := producerStream(body, *fragDur)
	prog := cliflag.NewProgress(stderr, "put", total)
	began := time.Now()
	err = putclient.PutMedia(ctx, nil, putclient.Input{
		Endpoint: *endpoint, StreamName: *stream, TimecodeType: timecodeType, StartTimestamp: startTime,
		Body: media, Credentials: envCredentials(), Region: *region,
	}, func(a putack.Ack) {
		sum.add(a)
		if printAcks {
			enc.Encode(a)
		}
		prog.Update(sum.persisted, body.n.Load())
	})
	summary := sum.line(*stream, body.n.Load(), time.Since(began))
	if prog != nil || !printAcks {
		prog.Done("")
		fmt.Fprintln(stderr, summary)
	}
	if err != nil {
		var ae *httpapi.Error
		if errors.As(err, &ae) {
			fmt.Fprintf(stderr, "kvsclip put: %s: %s\n", ae.Code, ae.Message)
		} else {
			fmt.Fprintf(stderr, "kvsclip put: %v\n", err)
		}
		return 1
	}
	return 0
}

// ackSummary counts a PutMedia session's acks for its summary line.
type ackSummary struct {
	persisted, errors int
	firstError        string
}

func (s *ackSummary) add(a putack.Ack) {
	switch a.EventType {
	case putack.Persisted:
		s.persisted++
	case putack.Error:
		s.errors++
		if s.firstError == "" {
			s.firstError = fmt.Sprintf("%s (%d)", a.ErrorCode, a.ErrorID)
		}
	}
}

// line is the summary: "put 37 fragments (1.2 MB) to stream cam in 43.0 s,
// 0 errors".
func (s *ackSummary) line(stream string, bytes int64, took time.Duration) string {
	l := fmt.Sprintf("kvsclip put: %d fragments persisted (%s read) to stream %s in %.1f s, %d errors",
		s.persisted, cliflag.Bytes(bytes), stream, took.Seconds(), s.errors)
	if s.firstError != "" {
		l += ", the first " + s.firstError
	}
	return l
}

// countingReader counts the bytes read through it, for the progress line
// (read on the ack goroutine).
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// absoluteFromTags looks at the first fragment of in, put with ABSOLUTE
// timecodes. When the fragment carries a producer timestamp tag (a GetMedia
// dump) that its Cluster timecode does not equal, the timecodes are not
// epoch times: PutMedia would place the fragments near 1970. It returns
// then the producer start that puts the first fragment at its tag as
// RELATIVE timecodes do, and a note saying so; every later fragment keeps
// its offset from the first, as it had when the producer sent it. Zero
// start means ABSOLUTE is right as it is. The returned reader reads all of
// in, the bytes looked at included.
func absoluteFromTags(in io.Reader) (io.Reader, time.Time, string, error) {
	var seen bytes.Buffer
	r := mkv.NewReader(io.TeeReader(in, &seen))
	f, err := r.Next()
	rest := io.MultiReader(&seen, in)
	if err != nil {
		// The server will say what is wrong with it, as it would have.
		return rest, time.Time{}, "", nil
	}
	if !f.Tags.HasProducerTimestamp || f.Header == nil {
		return rest, time.Time{}, "", nil
	}
	clusterMs := f.Timecode * int64(f.Header.TimecodeScale) / 1e6
	if clusterMs == f.Tags.ProducerTimestamp {
		return rest, time.Time{}, "", nil
	}
	start := time.UnixMilli(f.Tags.ProducerTimestamp - clusterMs)
	note := fmt.Sprintf("the Cluster timecodes are not epoch times (the first is %s s) but the fragments carry producer timestamps: put at those, from %s",
		kvs.Millis(clusterMs).String(), time.UnixMilli(f.Tags.ProducerTimestamp).UTC().Format(time.RFC3339Nano))
	return rest, start, note, nil
}

// producerStream is the body PutMedia gets for the Matroska stream in. A
// producer stream (a file, a pipe from ffmpeg) has its frames regrouped
// into fragments of fragDur that start on key frames (mkv.Refragment), or
// is passed through as it is when fragDur is 0. A GetMedia dump (its first
// fragment numbered by KVS: a document per fragment, with KVS's tags)
// keeps its fragments and becomes one producer Segment: the fragments in
// order, each closed by an end-of-fragment tag, without the tags KVS adds
// at ingest. A dump whose tracks change cannot be one session, nor can a
// stream whose tracks change be refragmented: the body then ends with an
// error naming the fragment.
func producerStream(in io.Reader, fragDur time.Duration) io.Reader {
	seen := &stopTee{r: in, on: true}
	r := mkv.NewReader(seen)
	f, err := r.Next()
	if err != nil || f.Tags.FragmentNumber == "" {
		// Read again from the start: the bytes seen, then the rest.
		seen.on = false
		rest := io.MultiReader(&seen.buf, in)
		if err != nil || fragDur == 0 {
			return rest
		}
		pr, pw := io.Pipe()
		go func() {
			_, err := mkv.Refragment(pw, rest, &mkv.RefragmentOptions{Duration: fragDur})
			pw.CloseWithError(err)
		}()
		return pr
	}
	seen.on, seen.buf = false, bytes.Buffer{} // what follows comes from r
	pr, pw := io.Pipe()
	go func() {
		w := mkv.NewWriter(pw, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
		for err == nil {
			out := *f
			out.Tags = mkv.Tags{EndOfFragment: true, Other: f.Tags.Other}
			if err = w.WriteFragment(&out); err != nil {
				err = fmt.Errorf("fragment %s: %w", f.Name(), err)
				break
			}
			f, err = r.Next()
		}
		if err == io.EOF {
			err = w.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// stopTee keeps what is read through it while on, so that a stream looked
// at can be read again from its start.
type stopTee struct {
	r   io.Reader
	buf bytes.Buffer
	on  bool
}

func (t *stopTee) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if t.on {
		t.buf.Write(p[:n])
	}
	return n, err
}

// envCredentials takes the key pair from the server's variables, else the
// AWS SDK's; nil (unsigned requests) when neither is set.
func envCredentials() *aws.Credentials {
	for _, p := range [][3]string{
		{envAccessKey, envSecretKey, ""},
		{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"},
	} {
		id, secret := os.Getenv(p[0]), os.Getenv(p[1])
		if id != "" && secret != "" {
			c := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
			if p[2] != "" {
				c.SessionToken = os.Getenv(p[2])
			}
			return &c
		}
	}
	return nil
}

// parseStart reads --start (kvs.ParseMillis); empty means now.
func parseStart(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	ms, err := kvs.ParseMillis(s)
	if err != nil {
		return time.Time{}, err
	}
	return ms.Time(), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
