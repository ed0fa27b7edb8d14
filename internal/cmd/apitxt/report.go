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
	if len(gone) > 0 {
		fmt.Fprintf(w, "api: incompatible change, these lines of %s are gone:\n", snapshot)
		for _, l := range gone {
			fmt.Fprintf(w, "  - %s\n", l)
		}
	}
	if len(added) > 0 {
		fmt.Fprintf(w, "api: new lines, not in %s (update the snapshot to keep them):\n", snapshot)
		for _, l := range added {
			fmt.Fprintf(w, "  + %s\n", l)
		}
	}
	return len(gone) == 0
}
