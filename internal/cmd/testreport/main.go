// Command testreport reads `go test -json` on its standard input and prints
// what `go test` without -v would have printed (ok and FAIL lines, failed
// tests with their logs, build errors), then every skipped test with its
// package and the reason it gave, and a closing line
//
//	N passed, N failed, N skipped
//
// It exits 1 when a test or a package failed (a build failure, a crash
// outside a test, a package that never reported) or when no package
// reported at all. `make test` pipes its go test run through it, so that a
// run in a clone without the shared recordings or a tool says which tests
// did not run and why, where go test alone would pass them in silence.
//
// Usage:
//
//	go test -json ./... | testreport [-summary FILE]
//
// -summary also writes the skipped tests and the closing line to FILE, for
// make to print again when its later steps are done.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	summaryPath := flag.String("summary", "", "also write the skipped tests and the counts to `file`")
	flag.Parse()
	r := newReport(os.Stdout)
	if err := r.read(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "testreport: reading go test -json:", err)
		os.Exit(1)
	}
	var summary io.Writer
	var file *os.File
	if *summaryPath != "" {
		f, err := os.Create(*summaryPath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(1)
		}
		summary, file = f, f
	}
	ok := r.finish(summary)
	if file != nil {
		if err := file.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "testreport:", err)
			os.Exit(1)
		}
	}
	if !ok {
		os.Exit(1)
	}
}
