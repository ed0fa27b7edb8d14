package clipcmd

import "os"

// The head start. `kvsclip` is one binary for the CLI and the server, and
// the server's packages — the AWS SDK's above all, whose init builds
// endpoint tables and schemas, then net/http's and crypto's — cost a
// process about 0.5 ms to initialize on the benchmark machine: `kvsclip
// help` takes 2.7 ms from spawn to exit, a clip of a missing file (which
// skips them, as below) 2.2 ms. A clip of a 70 MB file into a file takes
// about 18 ms, so that half millisecond is a good part of what separates
// it from `cp` (bench/README.md).
//
// A clip needs none of those packages, so when the process's command is
// `clip`, this package's init runs the command and ends the process with
// its exit status: the packages that come after it in the initialization
// order never initialize, and main never runs. Go initializes packages in
// dependency order, and among those ready in the lexical order of their
// import paths: this package needs only the engine and the standard
// library, so it comes about two thirds of the way through (86th of 128
// packages with init work), before net/http, the AWS SDK's services and
// the server. What this package imports decides how early that is:
// runtime/debug (for the mapped input's faults) is the latest of its
// dependencies — the AWS SDK's schema packages, ready and sorting before
// it, go first — and an import that sorts late or pulls in net/http would
// bring those packages' init back in. (Package mp4 writes to connections
// without importing net for this reason.) cmd/kvsclip's
// TestHeadStartInitOrder checks that a clip initializes none of them.
//
// The command runs on a goroutine of its own while init waits for it: init
// runs on the main goroutine, which the runtime keeps locked to the main
// thread until main starts, and a locked goroutine is handed back to its
// thread at every wake-up: the clip run on it directly was 0.7 ms slower
// at the median (61 interleaved rounds) than on a goroutine of its own.
//
// Measured over 151 interleaved rounds against the previous head start
// (the clip on a goroutine while the other packages initialized, main
// waiting for it): 0.5 ms faster at the 10th and 25th percentiles, 0.3 ms
// at the median, and about 1 ms of CPU time less.
func init() {
	if len(os.Args) < 2 || os.Args[1] != "clip" {
		return
	}
	code := make(chan int)
	go func() { code <- Run(os.Args[2:], os.Stdin, os.Stdout, os.Stderr) }()
	os.Exit(<-code)
}
