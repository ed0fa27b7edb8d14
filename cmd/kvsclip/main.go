// Command kvsclip turns archived Kinesis Video Streams Matroska fragments
// into MP4 clips.
//
//	kvsclip clip [-o FILE] [--manifest FILE] [--selector producer|server]
//	             [--start T --end T] [--max-fragments N] [--max-bytes N]
//	             [--gaps keep|close] [INPUT...]
//	kvsclip inspect INPUT...
//	kvsclip serve [--addr 127.0.0.1:8080] [--data ./data] [...]
//	kvsclip put --endpoint URL --stream NAME [FILE|-]
//
// INPUT is a GetMedia / GetMediaForFragmentList dump or a producer-side MKV
// file; "-" (the default) reads standard input. With --start and --end,
// clip keeps the fragments GetClip would return for that range (package
// dedup); T is RFC 3339 or epoch seconds with at most millisecond
// precision.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/clipcmd"
)

const usage = `usage:
  kvsclip clip [-o FILE] [--manifest FILE] [--selector producer|server]
               [--start T --end T] [--max-fragments N] [--max-bytes N]
               [--gaps keep|close] [INPUT...]
        remux KVS Matroska fragments into a fragmented MP4 (stdout by default);
        with --start/--end only the fragments GetClip would return for that
        range of producer or server timestamps (T: RFC 3339 or epoch seconds)
  kvsclip inspect INPUT...
        print the fragments and tracks of the inputs as JSON
  kvsclip serve [--addr 127.0.0.1:8080] [--data ./data] [--public-url URL]
                [--max-getclips N] [--getclip-tps N] [-v]
        serve the KVS API (control plane, PutMedia, ListFragments,
        GetMediaForFragmentList, GetClip) on an archive in --data; SigV4 with
        KVSCLIP_ACCESS_KEY_ID / KVSCLIP_SECRET_ACCESS_KEY, else loopback only
  kvsclip put --endpoint URL --stream NAME [--timecode-type ABSOLUTE|RELATIVE]
              [--start T] [FILE|-]
        stream a Matroska file or stdin to PutMedia and print the ACKs
`

func main() {
	// A `clip` command line never gets here: package clipcmd runs it from
	// its init and exits (the head start, clipcmd/headstart.go).
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status: 0 on success,
// 1 when the work failed, 2 for a bad command line.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "clip":
		return clipcmd.Run(args[1:], stdin, stdout, stderr)
	case "inspect":
		return inspectCmd(args[1:], stdin, stdout, stderr)
	case "serve":
		return serveCmd(args[1:], stdout, stderr)
	case "put":
		return putCmd(args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "kvsclip: unknown command %q\n%s", args[0], usage)
	return 2
}
