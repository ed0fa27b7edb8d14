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
// The check then asks of every exported name of the packages — package-level
// names, and the fields and methods of exported types — whether code
// outside its package uses it: another package of the module, the tests of
// another package, cmd/, server/, bench/, the programs under testdata/. A
// name that only its own package and its tests use must be unexported or
// listed in api/public-on-purpose.txt with the reason it is public, so
// that the question comes back whenever a new name appears (uses.go,
// allow.go). A method counts as used when it is called, or meets an
// interface through which it is called: one of the standard library's, one
// called outside its package, or an exported one of the engine; a field
// with a json tag counts as read by encoding/json.
//
// The packages are read from the compiler's export data (go list -export),
// so the check needs nothing beyond the go command, and no path of the
// machine reaches a snapshot. For the uses, the module's packages and their
// tests are type-checked from source against the export data of their
// imports (go list -export -deps -test ./...): a few seconds once the build
// cache holds the module, as it does after make vet.
//
// Usage, from the module's root:
//
//	go run ./internal/cmd/apitxt [-update] [-dir api] mkv codec ...
package main

import (
	"flag"
	"fmt"
	"go/types"
	"os"
	"path/filepath"
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
	}
	if !checkUnused(*dir, pkgs) {
		ok = false
	}
	if !ok {
		os.Exit(1)
	}
}

// checkUnused asks of every exported name of pkgs whether code outside its
// package uses it, and fails those that nothing uses unless the allowlist
// in dir says why they are public.
func checkUnused(dir string, pkgs []*types.Package) bool {
	allow, err := readAllowFile(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
	engine := map[string]string{}
	for _, p := range pkgs {
		engine[p.Path()] = p.Name()
	}
	u, err := loadUses(engine)
	if err != nil {
		fmt.Fprintln(os.Stderr, "api:", err)
		os.Exit(1)
	}
	ifaces := exportedInterfaces(pkgs)
	var names, exported, unused []string
	for _, p := range pkgs {
		names = append(names, p.Name())
		exported = append(exported, exportedNames(p.Name(), p)...)
		unused = append(unused, u.unused(p.Name(), p, ifaces)...)
	}
	return reportUnused(os.Stdout, filepath.Join(dir, allowFile), names, exported, unused, allow)
}
