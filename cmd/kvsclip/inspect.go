package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"syscall"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/clipcmd"
	"github.com/kvsclip/kvsclip/codec"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// inspection is what `kvsclip inspect` prints: the fragments as ListFragments
// describes them, and the tracks of each distinct header. Its keys are
// ListFragments' names in snake_case, as the clip manifest writes its keys,
// so that one JSON style runs through the CLI's output.
type inspection struct {
	Fragments []listedFragment `json:"fragments"`
	Tracks    []inspectedTrack `json:"tracks"`
}

type listedFragment struct {
	FragmentNumber               string      `json:"fragment_number"`
	FragmentSizeInBytes          int64       `json:"fragment_size_in_bytes"`
	ProducerTimestamp            *kvs.Millis `json:"producer_timestamp"`
	ServerTimestamp              *kvs.Millis `json:"server_timestamp"`
	FragmentLengthInMilliseconds int64       `json:"fragment_length_in_milliseconds"`
	Input                        string      `json:"input"`
	Index                        int         `json:"index"`
	Frames                       int         `json:"frames"`
	Truncated                    bool        `json:"truncated,omitempty"`
}

type inspectedTrack struct {
	Number  uint64 `json:"number"`
	Type    uint8  `json:"type"`
	CodecID string `json:"codec_id"`
	// Codec names the codec in words ("G.711 A-law (A_MS/ACM, format
	// tag 6)").
	Codec             string  `json:"codec"`
	CodecPrivateBytes int     `json:"codec_private_bytes"`
	Width             uint64  `json:"width,omitempty"`
	Height            uint64  `json:"height,omitempty"`
	SamplingFrequency float64 `json:"sampling_frequency,omitempty"`
	Channels          uint64  `json:"channels,omitempty"`
	FirstFragment     int     `json:"first_fragment"`
}

// inspectHelp is the help of `kvsclip inspect` but its flags.
var inspectHelp = cliflag.Command{
	Name:     "inspect",
	Synopsis: "kvsclip inspect [INPUT...]",
	About: `Print the fragments of KVS Matroska inputs as ListFragments lists them
(number, size, producer and server timestamps, length) and the tracks of
each distinct header, as one JSON document with snake_case keys.`,
	Args: `  INPUT   a GetMedia / GetMediaForFragmentList dump or a producer-side MKV
          file; "-" or none reads standard input (not a terminal)`,
	Examples: `  kvsclip inspect recording.mkv
  kvsclip inspect recording.mkv | jq '.fragments[] | .producer_timestamp'`,
}

func inspectCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := inspectHelp
	cmd.Flags = flag.NewFlagSet("inspect", flag.ContinueOnError)
	args, code, done := cmd.Parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(args) == 0 {
		args = []string{"-"}
	}
	if slices.Contains(args, "-") && cliflag.IsTerminal(stdin) {
		return cmd.Usage(stderr, "no INPUT given and standard input is a terminal")
	}
	out := inspection{Fragments: []listedFragment{}, Tracks: []inspectedTrack{}}
	var last *mkv.Header
	for _, name := range args {
		var src io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(stderr, clipcmd.Describe(kvs.Errorf(kvs.InvalidArgument, "%w", err)))
				return 1
			}
			defer f.Close()
			src = f
		}
		src, err := clipcmd.Sniff(name, src)
		if err != nil {
			fmt.Fprintln(stderr, clipcmd.Describe(err))
			return 1
		}
		r := mkv.NewReader(src)
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Fprintln(stderr, clipcmd.Describe(&kvs.Error{Kind: kvs.KindOf(err), Offset: -1, Msg: name + ": " + err.Error(), Err: err}))
				return 1
			}
			ps, ss := f.Tags.ProducerTimestamp, f.Tags.ServerTimestamp
			ms, _ := f.StartMillis()
			if !f.Tags.HasProducerTimestamp {
				ps = ms
			}
			var sp *kvs.Millis
			if f.Tags.HasServerTimestamp {
				s := kvs.Millis(ss)
				sp = &s
			}
			p := kvs.Millis(ps)
			out.Fragments = append(out.Fragments, listedFragment{
				FragmentNumber:               f.Tags.FragmentNumber,
				FragmentSizeInBytes:          f.Size,
				ProducerTimestamp:            &p,
				ServerTimestamp:              sp,
				FragmentLengthInMilliseconds: lengthMillis(f),
				Input:                        name,
				Index:                        len(out.Fragments),
				Frames:                       len(f.Blocks),
				Truncated:                    f.Truncated,
			})
			if f.Header != nil && f.Header != last {
				last = f.Header
				for _, t := range f.Header.Tracks {
					out.Tracks = append(out.Tracks, inspectedTrack{
						Number: t.Number, Type: uint8(t.Type), CodecID: t.CodecID,
						Codec:             codec.Name(t.CodecID, t.CodecPrivate),
						CodecPrivateBytes: len(t.CodecPrivate),
						Width:             t.PixelWidth, Height: t.PixelHeight,
						SamplingFrequency: t.SamplingFrequency, Channels: t.Channels,
						FirstFragment: len(out.Fragments) - 1,
					})
				}
			}
		}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		if errors.Is(err, syscall.EPIPE) {
			return 141 // as clip: the reader went away, nothing to say
		}
		fmt.Fprintf(stderr, "kvsclip: %v\n", err)
		return 1
	}
	return 0
}

// lengthMillis is a fragment's playback length: from its first frame to the
// end of its last, taking the last frame to last as long as the average
// interval between the frames of its track.
func lengthMillis(f *mkv.Fragment) int64 {
	if len(f.Blocks) == 0 || f.Header == nil {
		return 0
	}
	type span struct {
		first, last int64
		n           int64
	}
	spans := map[uint64]*span{}
	for _, b := range f.Blocks {
		s := spans[b.Track]
		if s == nil {
			spans[b.Track] = &span{first: b.Time, last: b.Time, n: 1}
			continue
		}
		s.first, s.last, s.n = min(s.first, b.Time), max(s.last, b.Time), s.n+1
	}
	var longest int64
	for _, s := range spans {
		d := s.last - s.first
		if s.n > 1 {
			d += d / (s.n - 1)
		}
		longest = max(longest, d)
	}
	return longest * int64(f.Header.TimecodeScale) / 1e6
}
