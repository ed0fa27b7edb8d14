package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden outputs: go test ./internal/cmd/testreport -update.
// Each was checked once against what `go test ./...` without -v printed
// for the same packages.
var update = flag.Bool("update", false, "rewrite testdata/*.out")

// The streams in testdata were recorded with go test -json -count=1 from a
// module of small packages (paths rewritten to /src/demo):
//
//   - mixed.json: demo/broken does not compile; demo/fail has a failing
//     subtest beside a passing one and a two-line error; demo/notests has
//     no tests; demo/panicky panics in a test between two that pass;
//     demo/par fails one of three parallel subtests; demo/pass passes;
//     demo/skip skips a test and a subtest, with a two-line reason.
//   - passing.json: demo/pass, demo/skip and demo/notests of the above.
//   - exit.json: a test calls os.Exit(3) after logging.
//   - timeout.json: a subtest sleeps past -timeout 2s.
func TestReport(t *testing.T) {
	for _, c := range []struct {
		stream                  string
		ok                      bool
		passed, failed, skipped int
		has                     []string // lines the output must have
	}{
		{"mixed", false, 8, 5, 2, []string{
			"broken/b_test.go:5:28: undefined: undefined",
			"FAIL\tdemo/broken [build failed]",
			"--- FAIL: TestBad (0.00s)\n    --- FAIL: TestBad/bad (0.00s)\n        f_test.go:8: first line\n        f_test.go:9: want 1,\n            got 2\nFAIL\nFAIL\tdemo/fail\t0.029s\n",
			"?   \tdemo/notests\t[no test files]",
			"--- FAIL: TestPanics (0.00s)\n    p_test.go:8: about to\npanic: assignment to entry in nil map",
			"--- FAIL: TestParallel (0.00s)\n    --- FAIL: TestParallel/y (0.00s)\n        p_test.go:9: running y\n        p_test.go:11: y is wrong\n",
			"ok  \tdemo/pass\t",
			"skipped: 2 tests\n" +
				"  demo/skip TestSkipped: s_test.go:5: missing ffmpeg (required in CI): make deps installs it\n" +
				"  demo/skip TestSub/a: s_test.go:8: no data\n      second line\n",
			"failed packages: demo/broken [build failed], demo/fail, demo/panicky, demo/par\n",
		}},
		{"passing", true, 3, 0, 2, []string{"ok  \tdemo/pass\t", "ok  \tdemo/skip\t", "skipped: 2 tests"}},
		{"exit", false, 0, 1, 0, []string{
			"--- FAIL: TestExits (unfinished)\n    e_test.go:9: leaving\nFAIL\tdemo/exits\t",
		}},
		{"timeout", false, 0, 2, 0, []string{
			"--- FAIL: TestHangs (unfinished)\n    --- FAIL: TestHangs/forever (unfinished)\n        h_test.go:10: waiting\npanic: test timed out after 2s\n",
		}},
	} {
		t.Run(c.stream, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", c.stream+".json"))
			require.NoError(t, err)
			var out, summary bytes.Buffer
			r := newReport(&out)
			require.NoError(t, r.read(bytes.NewReader(in)))
			assert.Equal(t, c.ok, r.finish(&summary))
			for _, want := range c.has {
				assert.Contains(t, out.String(), want)
			}
			closing := fmt.Sprintf("\n%d passed, %d failed, %d skipped\n", c.passed, c.failed, c.skipped)
			assert.True(t, strings.HasSuffix(out.String(), closing), "closing line %q", closing)
			assert.True(t, strings.HasSuffix(out.String(), summary.String()), "the summary is the output's end")
			assert.True(t, strings.HasPrefix(summary.String(), "\nskipped: "))
			assert.Equal(t, !c.ok, strings.Contains(out.String(), "\nFAIL\n\nskipped: "), "go test's closing FAIL when anything failed")
			golden(t, c.stream, out.String())
		})
	}
}

// golden holds out to testdata/name.out, or writes it with -update.
func golden(t *testing.T, name, out string) {
	t.Helper()
	path := filepath.Join("testdata", name+".out")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(out), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), out)
}

// A stream that stops before a package ends (go test killed) fails that
// package, and shows the test it stopped in; one with no package at all
// fails too; lines that are not events are passed through.
func TestReportCutShort(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "mixed.json"))
	require.NoError(t, err)
	lines := strings.SplitAfter(string(in), "\n")
	// Up to TestPanics' log line, before its panic.
	cut := 0
	for i, l := range lines {
		if strings.Contains(l, "about to") {
			cut = i + 1
			break
		}
	}
	require.NotZero(t, cut)
	for _, c := range []struct {
		name, in string
		has      []string
	}{
		{"mid-package", strings.Join(lines[:cut], ""), []string{
			"--- FAIL: TestPanics (unfinished)\n    p_test.go:8: about to\nFAIL\tdemo/panicky [no result: the stream ended]\n",
			"failed packages: demo/broken [build failed], demo/fail, demo/panicky [no result]\n",
		}},
		{"empty", "", []string{"no package reported a result\n0 passed, 0 failed, 0 skipped\n"}},
		{"not json", "go: downloading example.com/x v1.0.0\n", []string{"go: downloading example.com/x v1.0.0\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			r := newReport(&out)
			require.NoError(t, r.read(strings.NewReader(c.in)))
			assert.False(t, r.finish(nil))
			for _, want := range c.has {
				assert.Contains(t, out.String(), want)
			}
		})
	}
}
