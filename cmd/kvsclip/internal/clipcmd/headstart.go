package clipcmd

import "os"

// The head start. `kvsclip` is one binary for the CLI and the server, and
// the server's packages — the AWS SDK's above all, whose init builds
// endpoint tables and schemas, then net/http's and crypto's — take about
// 1.3 ms to initialize on the benchmark machine (bench/README.md), against
// about 1 ms for everything else from exec to main. A clip of a 70 MB file
// into a file takes about 20 ms, so those 1.3 ms are most of what
// separates it from `cp`.
//
// So when the process's command is `clip`, this package's init starts the
// command on a goroutine, and main only waits for it (HeadStart). Go
// initializes packages in dependency order, and among those ready in the
// lexical order of their import paths: this package needs only the engine
// and the standard library, so it is initialized about two thirds of the
// way through (86th of 130 packages with init work), before net/http, the
// AWS SDK's endpoint tables and the server, and the clip runs on the second
// core while those initialize on the first. The command is the same code
// either way (Run); it uses no package it does not import, and so none that
// is still initializing. cmd/kvsclip's TestHeadStartInitOrder checks that
// this package is initialized before the AWS SDK's and the server's.
//
// Measured, it gains less than the init it overlaps (0.26 ms over 61
// rounds): the inits and the clip's goroutines share two vCPUs. What this
// package imports decides how early it starts: runtime/debug (for the
// mapped input's faults) is the latest of its dependencies — the AWS SDK's
// schema packages, ready and sorting before it, go first — and an import
// that sorts late or pulls in net/http would move the head start behind
// the packages it is meant to overlap. (Package mp4 writes to connections
// without importing net for this reason.)

// head is the command started at init, if any.
var head struct {
	done chan struct{}
	code int
}

func init() {
	if len(os.Args) < 2 || os.Args[1] != "clip" {
		return
	}
	head.done = make(chan struct{})
	go func() {
		defer close(head.done)
		head.code = Run(os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
	}()
}

// HeadStart reports whether the process's command line is a `clip` command
// that this package started at init; if so, it waits for the command to end
// and returns its exit status.
func HeadStart() (code int, started bool) {
	if head.done == nil {
		return 0, false
	}
	<-head.done
	return head.code, true
}
