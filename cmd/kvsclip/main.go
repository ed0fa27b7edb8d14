// Command kvsclip turns archived Kinesis Video Streams Matroska fragments
// into MP4 clips.
//
//	kvsclip clip [-o FILE] [--manifest FILE] [--selector producer|server]
//	             [--start T --end T] [--max-fragments N] [--max-bytes N]
//	             [--gaps keep|close] [INPUT...]
//	kvsclip inspect INPUT...
//	kvsclip serve [--addr 127.0.0.1:8080] [--data ./data] [...]
//	kvsclip put --endpoint URL --stream NAME [FILE|-]
//	kvsclip version
//
// Every command's --help has its synopsis, arguments, flags and examples.
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
	"strings"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/clipcmd"
)

const usage = `usage: kvsclip COMMAND [flags] [arguments]

commands:
  clip      remux KVS Matroska fragments into an MP4
              kvsclip clip [-o FILE] [--manifest FILE] [--start T --end T]
                           [--selector producer|server] [--format fmp4|mp4]
                           [--max-fragments N] [--max-bytes N] [--profile kvs|extended]
                           [--gaps keep|close] [--strict] [INPUT...]
  inspect   print the fragments and tracks of Matroska inputs as JSON
              kvsclip inspect [INPUT...]
  put       stream a Matroska file or stdin to a PutMedia endpoint
              kvsclip put --endpoint URL --stream NAME
                          [--timecode-type ABSOLUTE|RELATIVE] [--start T] [--acks] [FILE|-]
  serve     serve the KVS API on an archive
              kvsclip serve [--addr 127.0.0.1:8080] [--data ./data] [--archive s3://B/P]
                            [--public-url URL] [--tls-cert FILE --tls-key FILE] [-v]
  version   print the version (also: kvsclip --version)
  help      print this, or a command's help: kvsclip help COMMAND

INPUT is a GetMedia / GetMediaForFragmentList dump or a producer-side MKV
file; "-" or none reads standard input. T is RFC 3339 or epoch seconds.
Each command's --help lists all its flags, with examples.
`

func main() {
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
		if wantsHelp(args[1:]) {
			return serveHelp(stdout)
		}
		return serveCmd(args[1:], stdout, stderr)
	case "put":
		return putCmd(args[1:], stdin, stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, cliflag.Version())
		return 0
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" && args[1] != "help" {
			// `kvsclip help clip` is `kvsclip clip --help`.
			return run([]string{args[1], "--help"}, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "kvsclip: unknown command %q\nsee kvsclip --help\n", args[0])
	return 2
}

// wantsHelp reports whether a command line asks for help before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// serveHelp prints `kvsclip serve --help` to stdout with exit status 0. The
// flags are serveCmd's own: the flag package's list of them is taken from
// what serveCmd prints for -h.
func serveHelp(stdout io.Writer) int {
	var flags strings.Builder
	serveCmd([]string{"-h"}, io.Discard, &flags)
	list := flags.String()
	if _, rest, ok := strings.Cut(list, "\n"); ok && strings.HasPrefix(list, "Usage of") {
		list = rest
	}
	fmt.Fprintf(stdout, `usage: kvsclip serve [--addr 127.0.0.1:8080] [--data ./data | --archive s3://BUCKET/PREFIX] [flags]

Serve the KVS API (control plane, PutMedia, GetMedia, ListFragments,
GetMediaForFragmentList, GetClip, HLS and DASH playback sessions, and
GetImages when ffmpeg is on PATH) and a web page of each stream's
fragments on an archive. Requests are signed
with SigV4 against KVSCLIP_ACCESS_KEY_ID / KVSCLIP_SECRET_ACCESS_KEY;
without them only loopback clients are served, and web pages of other
origins only when --allow-origin names them. SIGINT or SIGTERM stops it.

flags:
%s  -h, --help
    	print this help

examples:
  kvsclip serve --data ./data
  KVSCLIP_ACCESS_KEY_ID=AK KVSCLIP_SECRET_ACCESS_KEY=SK kvsclip serve --addr :8080 --public-url https://kvs.example.com
  kvsclip serve --archive s3://bucket/kvs --tls-cert cert.pem --tls-key key.pem
  kvsclip serve --allow-origin http://localhost:3000    # a web app's dev server may call
`, list)
	return 0
}
