package main

import (
	"fmt"
	"io"
)

// compare returns the lines of old that cur lacks (gone: a name removed or
// its declaration changed, which breaks callers) and the lines of cur that
// old lacks (added: new names and the new form of changed ones).
func compare(old, cur []string) (gone, added []string) {
	in := func(lines []string) map[string]bool {
		set := make(map[string]bool, len(lines))
		for _, l := range lines {
			set[l] = true
		}
		return set
	}
	inOld, inCur := in(old), in(cur)
	for _, l := range old {
		if !inCur[l] {
			gone = append(gone, l)
		}
	}
	for _, l := range cur {
		if !inOld[l] {
			added = append(added, l)
		}
	}
	return gone, added
}

// report writes to w how cur differs from the snapshot old read from
// snapshot, and says whether the change is compatible: nothing gone. The
// added lines are listed either way; with gone ones they show what a
// changed declaration became.
func report(w io.Writer, snapshot string, old, cur []string) bool {
	gone, added := compare(old, cur)
	printList(w, "  - ", gone, "api: incompatible change, these lines of %s are gone:", snapshot)
	printList(w, "  + ", added, "api: new lines, not in %s (update the snapshot to keep them):", snapshot)
	return len(gone) == 0
}

// printList writes a heading formatted as by fmt.Printf and the lines
// under it, each after prefix, when there are lines.
func printList(w io.Writer, prefix string, lines []string, format string, args ...any) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, format+"\n", args...)
	for _, l := range lines {
		fmt.Fprintf(w, "%s%s\n", prefix, l)
	}
}
