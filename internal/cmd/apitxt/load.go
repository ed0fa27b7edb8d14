package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	goimporter "go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// load type-checks the packages in the directories dirs (relative to the
// current directory, the module's root) from their export data. go list
// -export compiles them and their dependencies, so the go command and its
// build cache are all the check needs: no tool to install, nothing from the
// network on a fresh machine.
func load(dirs []string) ([]*types.Package, error) {
	args := []string{"-deps"}
	for _, d := range dirs {
		args = append(args, "./"+filepath.ToSlash(filepath.Clean(d)))
	}
	all, err := goList(args...)
	if err != nil {
		return nil, err
	}
	exports := map[string]string{}
	var roots []string
	for _, p := range all {
		exports[p.ImportPath] = p.Export
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	imp := goimporter.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
		file, ok := exports[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	})
	pkgs := make([]*types.Package, 0, len(roots))
	for _, path := range roots {
		p, err := imp.Import(path)
		if err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// snapshotPath is where the snapshot of package name lives in dir.
func snapshotPath(dir, name string) string {
	return filepath.Join(dir, name+".txt")
}

// readSnapshot returns the lines of a committed snapshot.
func readSnapshot(dir, name string) ([]string, error) {
	b, err := os.ReadFile(snapshotPath(dir, name))
	if err != nil {
		return nil, err
	}
	var lines []string
	for l := range strings.Lines(string(b)) {
		if l = strings.TrimRight(l, "\r\n"); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// writeSnapshot replaces the snapshot of package name in dir with lines.
func writeSnapshot(dir, name string, lines []string) error {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return os.WriteFile(snapshotPath(dir, name), []byte(b.String()), 0o644)
}

// listed is one package of go list's answer.
type listed struct {
	ImportPath, Dir, Export, ForTest string
	DepOnly                          bool
	GoFiles                          []string
	ImportMap                        map[string]string
	Module                           *struct{ Main bool }
	Error                            *struct{ Err string }
}

// goList runs go list -export -json with args (flags, then patterns) and
// returns the packages it lists, or the first package's error.
func goList(args ...string) ([]listed, error) {
	cmd := exec.Command("go", append([]string{"list", "-export",
		"-json=ImportPath,Dir,Export,DepOnly,ForTest,GoFiles,ImportMap,Module,Error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
	}
	var all []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return all, nil
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		all = append(all, p)
	}
}

// loadUses type-checks from source every package of the main module with
// its tests (and the programs under testdata/, which ./... leaves out),
// their imports read from export data as load reads them, and records
// their uses of the names of the engine packages engine (import path →
// name). The build cache makes it a matter of seconds once the module has
// been built and vetted.
func loadUses(engine map[string]string) (*uses, error) {
	extra, err := testdataPrograms(".")
	if err != nil {
		return nil, err
	}
	all, err := goList(append([]string{"-deps", "-test", "./..."}, extra...)...)
	if err != nil {
		return nil, err
	}
	exports := map[string]string{}
	for _, p := range all {
		exports[p.ImportPath] = p.Export
	}
	lookup := func(importMap map[string]string) importer {
		return func(path string) (io.ReadCloser, error) {
			if m, ok := importMap[path]; ok {
				path = m
			}
			file, ok := exports[path]
			if !ok || file == "" {
				return nil, fmt.Errorf("no export data for %s", path)
			}
			return os.Open(file)
		}
	}
	fset := token.NewFileSet()
	shared := goimporter.ForCompiler(fset, "gc", lookup(nil))
	u := newUses(engine)
	for _, p := range checkedPackages(all) {
		// A package that imports test variants (a _test package, or one
		// whose imports its tests recompile) reads them with an importer
		// of its own: an importer holds one package per path.
		imp := shared
		if len(p.ImportMap) > 0 {
			imp = goimporter.ForCompiler(fset, "gc", lookup(p.ImportMap))
		}
		files := make([]*ast.File, 0, len(p.GoFiles))
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp}
		path, _, _ := strings.Cut(p.ImportPath, " ")
		if _, err := conf.Check(path, fset, files, info); err != nil {
			return nil, fmt.Errorf("type-checking %s: %v", p.ImportPath, err)
		}
		user := p.ImportPath
		if p.ForTest != "" {
			user = p.ForTest
		}
		u.record(user, files, info)
	}
	return u, nil
}

// importer finds the export data of an import path.
type importer = func(path string) (io.ReadCloser, error)

// checkedPackages picks from go list -deps -test's answer the packages of
// the main module to type-check: each package once, with its in-package
// tests when it has them ("p [p.test]" in place of "p"), and its _test
// package; not the generated test mains, nor the copies of other packages
// that a test recompiles.
func checkedPackages(all []listed) []listed {
	withTests := map[string]bool{}
	for _, p := range all {
		if base, ok := strings.CutSuffix(p.ImportPath, " ["+p.ForTest+".test]"); ok && p.ForTest != "" && base == p.ForTest {
			withTests[base] = true
		}
	}
	var out []listed
	for _, p := range all {
		if p.Module == nil || !p.Module.Main {
			continue
		}
		base, variant, _ := strings.Cut(p.ImportPath, " ")
		switch {
		case variant == "" && strings.HasSuffix(base, ".test"):
			continue // a generated test main
		case variant == "" && withTests[base]:
			continue // checked with its tests
		case variant != "" && (p.ForTest == "" || variant != "["+p.ForTest+".test]" ||
			(base != p.ForTest && base != p.ForTest+"_test")):
			continue // another package recompiled for a test
		}
		out = append(out, p)
	}
	return out
}

// testdataPrograms returns, as ./dir patterns, the directories of the
// programs (package main) under the directories named testdata below root
// (the generator of the committed media), which the pattern ./... leaves
// out.
func testdataPrograms(root string) ([]string, error) {
	seen := map[string]bool{}
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		dir := filepath.Dir(path)
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || seen[dir] ||
			!slices.Contains(strings.Split(filepath.ToSlash(dir), "/"), "testdata") {
			return nil
		}
		// Programs only: other Go files under testdata are inputs of
		// tests, which need not even compile.
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.PackageClauseOnly)
		if err == nil && f.Name.Name == "main" {
			seen[dir] = true
			dirs = append(dirs, "./"+filepath.ToSlash(dir))
		}
		return nil
	})
	return dirs, err
}
