package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The allowlist, api/public-on-purpose.txt, holds the exported names of
// the engine that nothing outside their package uses and that stay public
// on purpose: one a line, the name as exportedNames writes it, then the
// reason. Lines that start with # and blank lines are comments:
//
//	# errors.Is targets
//	mkv.ErrMalformed  callers tell damaged input from I/O errors with errors.Is

// allowFile is the allowlist's name in the snapshot directory.
const allowFile = "public-on-purpose.txt"

// readAllowlist reads an allowlist: name → reason. A name without a reason,
// or listed twice, is an error.
func readAllowlist(r io.Reader) (map[string]string, error) {
	allow := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		name, reason := fields[0], strings.Join(fields[1:], " ")
		if reason == "" {
			return nil, fmt.Errorf("line %d: %s has no reason", n, name)
		}
		if _, dup := allow[name]; dup {
			return nil, fmt.Errorf("line %d: %s is listed twice", n, name)
		}
		allow[name] = reason
	}
	return allow, sc.Err()
}

// readAllowFile reads the allowlist in the snapshot directory dir; a
// missing file is an empty list.
func readAllowFile(dir string) (map[string]string, error) {
	f, err := os.Open(filepath.Join(dir, allowFile))
	if os.IsNotExist(err) {
		return map[string]string{}, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	allow, err := readAllowlist(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", f.Name(), err)
	}
	return allow, nil
}

// reportUnused writes to w the names of unused (the exported names nothing
// outside their package uses, of the packages checked, named in pkgs) that
// allow lacks, and the names allow lists that are no exported name of a
// package in pkgs, and says whether there were none of either. exported
// holds every exported name of those packages.
func reportUnused(w io.Writer, file string, pkgs []string, exported, unused []string, allow map[string]string) bool {
	var missing, stale []string
	for _, n := range unused {
		if _, ok := allow[n]; !ok {
			missing = append(missing, n)
		}
	}
	isExported := map[string]bool{}
	for _, n := range exported {
		isExported[n] = true
	}
	checked := map[string]bool{}
	for _, p := range pkgs {
		checked[p] = true
	}
	for n := range allow {
		if pkg, _, _ := strings.Cut(n, "."); checked[pkg] && !isExported[n] {
			stale = append(stale, n)
		}
	}
	slices.Sort(stale)
	printList(w, "  ", missing, "api: exported, but nothing outside its package uses it: unexport it, "+
		"or list it in %s with the reason it is public:", file)
	printList(w, "  ", stale, "api: %s lists names the engine does not export (remove them):", file)
	return len(missing) == 0 && len(stale) == 0
}
