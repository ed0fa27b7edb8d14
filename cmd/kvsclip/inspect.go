package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/clipcmd"
	"github.com/kvsclip/kvsclip/kvserr"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// inspection is what `kvsclip inspect` prints: the fragments as ListFragments
// describes them, and the tracks of each distinct header.
type inspection struct {
	Fragments []listedFragment `json:"Fragments"`
	Tracks    []inspectedTrack `json:"Tracks"`
}

type listedFragment struct {
	FragmentNumber               string         `json:"FragmentNumber"`
	FragmentSizeInBytes          int64          `json:"FragmentSizeInBytes"`
	ProducerTimestamp            *remux.Seconds `json:"ProducerTimestamp"`
	ServerTimestamp              *remux.Seconds `json:"ServerTimestamp"`
	FragmentLengthInMilliseconds int64          `json:"FragmentLengthInMilliseconds"`
	Input                        string         `json:"Input"`
	Index                        int            `json:"Index"`
	Frames                       int            `json:"Frames"`
	Truncated                    bool           `json:"Truncated,omitempty"`
}

type inspectedTrack struct {
	Number            uint64  `json:"Number"`
	Type              uint8   `json:"Type"`
	CodecID           string  `json:"CodecID"`
	CodecPrivateBytes int     `json:"CodecPrivateBytes"`
	Width             uint64  `json:"Width,omitempty"`
	Height            uint64  `json:"Height,omitempty"`
	SamplingFrequency float64 `json:"SamplingFrequency,omitempty"`
	Channels          uint64  `json:"Channels,omitempty"`
	FirstFragment     int     `json:"FirstFragment"`
}

func inspectCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"-"}
	}
	var out inspection
	var last *mkv.Header
	for _, name := range args {
		var src io.Reader = stdin
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				fmt.Fprintln(stderr, clipcmd.Describe(kvserr.Errorf(kvserr.InvalidArgument, "%w", err)))
				return 1
			}
			defer f.Close()
			src = f
		}
		r := mkv.NewReader(src)
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				fmt.Fprintln(stderr, clipcmd.Describe(&kvserr.Error{Kind: kvserr.KindOf(err), Offset: -1, Msg: name + ": " + err.Error(), Err: err}))
				return 1
			}
			ps, ss := f.Tags.ProducerTimestamp, f.Tags.ServerTimestamp
			ms, _ := f.StartMillis()
			if !f.Tags.HasProducerTimestamp {
				ps = ms
			}
			var sp *remux.Seconds
			if f.Tags.HasServerTimestamp {
				s := remux.Seconds(ss)
				sp = &s
			}
			p := remux.Seconds(ps)
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
