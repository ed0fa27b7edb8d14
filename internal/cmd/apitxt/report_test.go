package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCompare(t *testing.T) {
	const (
		f = "pkg p, func F() error"
		g = "pkg p, func G()"
		h = "pkg p, func H(int)"
	)
	for _, tc := range []struct {
		name                string
		old, cur            []string
		wantGone, wantAdded []string
	}{
		{name: "same", old: []string{f, g}, cur: []string{f, g}},
		{name: "added", old: []string{f}, cur: []string{f, g}, wantAdded: []string{g}},
		{name: "removed", old: []string{f, g}, cur: []string{f}, wantGone: []string{g}},
		{
			name: "changed signature", old: []string{f, h}, cur: []string{f, "pkg p, func H(int64)"},
			wantGone: []string{h}, wantAdded: []string{"pkg p, func H(int64)"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gone, added := compare(tc.old, tc.cur)
			assert.Equal(t, tc.wantGone, gone, "gone")
			assert.Equal(t, tc.wantAdded, added, "added")
		})
	}
}

// TestReport: a removed name fails the check and is named; new names
// pass and are listed, so that the snapshot can be updated to keep them.
func TestReport(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, cur string
		wantOK   bool
		wantOut  string
	}{{
		name:   "removed name is incompatible",
		old:    "package p\nfunc Keep() {}\nfunc Drop(n int) {}\n",
		cur:    "package p\nfunc Keep() {}\nfunc Added() {}\n",
		wantOK: false,
		wantOut: "api: incompatible change, these lines of api/p.txt are gone:\n" +
			"  - pkg example.com/p, func Drop(int)\n" +
			"api: new lines, not in api/p.txt (update the snapshot to keep them):\n" +
			"  + pkg example.com/p, func Added()\n",
	}, {
		name:   "added field passes",
		old:    "package p\ntype T struct{ A int }\n",
		cur:    "package p\ntype T struct{ A, B int }\n",
		wantOK: true,
		wantOut: "api: new lines, not in api/p.txt (update the snapshot to keep them):\n" +
			"  + pkg example.com/p, type T struct, B int\n",
	}, {
		name:   "unchanged says nothing",
		old:    "package p\nfunc F() {}\n",
		cur:    "package p\nfunc F() {}\n",
		wantOK: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ok := report(&out, "api/p.txt", apiLines(check(t, tc.old)), apiLines(check(t, tc.cur)))
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.wantOut, out.String())
		})
	}
}

// TestSnapshotRoundTrip: what writeSnapshot writes, readSnapshot reads
// back unchanged.
func TestSnapshotRoundTrip(t *testing.T) {
	dir := t.TempDir()
	lines := apiLines(check(t, "package p\nfunc F() {}\nvar V int\n"))
	require.NoError(t, writeSnapshot(dir, "p", lines))
	got, err := readSnapshot(dir, "p")
	require.NoError(t, err)
	assert.Equal(t, lines, got)
}

// absolutePath matches a Unix or Windows absolute path where a line could
// carry one: at its start or after a space, a parenthesis or a comma.
var absolutePath = regexp.MustCompile(`(^|[\s(,])(/[A-Za-z0-9._-]|[A-Za-z]:\\)`)

// TestCommittedSnapshots: the snapshots in api/ name no path of the
// machine they were made on (the binary ones they replace did, dozens of
// times), and are sorted without repeats, as apiLines writes them.
func TestCommittedSnapshots(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "..", "api", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no snapshots in api/")
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	require.NoError(t, err)
	for _, file := range files {
		if filepath.Base(file) == allowFile {
			continue // not a snapshot: TestCommittedAllowlist
		}
		lines, err := readSnapshot(filepath.Dir(file), strings.TrimSuffix(filepath.Base(file), ".txt"))
		require.NoError(t, err)
		assert.NotEmpty(t, lines, file)
		assert.True(t, slices.IsSorted(lines), "%s is not sorted", file)
		assert.Len(t, slices.Compact(slices.Clone(lines)), len(lines), "%s repeats a line", file)
		for _, l := range lines {
			assert.NotRegexp(t, absolutePath, l, "%s", file)
			assert.NotContains(t, l, root, "%s", file)
		}
	}
	// The pattern itself catches what the binary snapshots carried.
	assert.Regexp(t, absolutePath, "pkg p, type Kind int /work/main/kvs/errors.go")
}
