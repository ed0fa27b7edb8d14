package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/importer"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// load type-checks the packages in the directories dirs (relative to the
// current directory, the module's root) from their export data. go list
// -export compiles them and their dependencies, so the go command and its
// build cache are all the check needs: no tool to install, nothing from the
// network on a fresh machine.
func load(dirs []string) ([]*types.Package, error) {
	args := []string{"list", "-export", "-deps", "-json=ImportPath,Export,DepOnly,Error", "--"}
	for _, d := range dirs {
		args = append(args, "./"+filepath.ToSlash(filepath.Clean(d)))
	}
	cmd := exec.Command("go", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
	}
	exports := map[string]string{}
	var roots []string
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, Export string
			DepOnly            bool
			Error              *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		exports[p.ImportPath] = p.Export
		if !p.DepOnly {
			roots = append(roots, p.ImportPath)
		}
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", func(path string) (io.ReadCloser, error) {
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
