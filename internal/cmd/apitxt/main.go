// Command apitxt is the engine's API guard, run by make api-check and make
// api-update. Each named engine package's exported API is written as text,
// one declaration a line and sorted, in the form of Go's own api/go1.*.txt:
//
//	pkg github.com/kvsclip/kvsclip/kvs, func ParseMillis(string) (Millis, error)
//	pkg github.com/kvsclip/kvsclip/kvs, method (*Error) Error() string
//
// and compared with the committed snapshot api/PKG.txt. Text because the
// snapshot is read in review: a diff of it is the API change. A line of the
// snapshot that is gone is a name removed or a declaration changed, which
// fails the check until the snapshot moves in the same commit (-update);
// new lines pass and are listed.
//
// The packages are read from the compiler's export data (go list -export),
// so the check needs nothing beyond the go command, and no path of the
// machine reaches a snapshot.
//
// Usage, from the module's root:
//
//	go run ./internal/cmd/apitxt [-update] [-dir api] mkv codec ...
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	update := flag.Bool("update", false, "rewrite the snapshots instead of checking against them")
	dir := flag.String("dir", "api", "the directory of the snapshots, one PKG.txt each")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: apitxt [-update] [-dir api] package-dir...")
		os.Exit(2)
	}
	pkgs, err := load(flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
	ok := true
	for _, p := range pkgs {
		cur := apiLines(p)
		if *update {
			if err := writeSnapshot(*dir, p.Name(), cur); err != nil {
				fmt.Fprintln(os.Stderr, "api:", err)
				os.Exit(1)
			}
			continue
		}
		old, err := readSnapshot(*dir, p.Name())
		if err != nil {
			fmt.Fprintf(os.Stdout, "api: no snapshot of %s (%v): run make api-update\n", p.Name(), err)
			ok = false
			continue
		}
		if !report(os.Stdout, snapshotPath(*dir, p.Name()), old, cur) {
			ok = false
		}
	}
	if *update {
		fmt.Printf("api: snapshots written to %s/\n", *dir)
		return
	}
	if !ok {
		fmt.Println("api: the engine's API promises names are added, never removed or changed; " +
			"if this change is meant, run make api-update and say why in the commit")
		os.Exit(1)
	}
}
