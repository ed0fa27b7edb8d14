// Command instructions holds kvsclip's clip path to an instruction budget.
// It counts, under valgrind's callgrind, the instructions (Ir) of
// end-to-end clips of the committed recordings in testdata/ and compares
// each count with its budget in bench/instructions.txt: a count more than
// 3% over budget fails. `make test` runs it; `make instructions-update
// REASON='...'` moves the budgets, keeping the reason beside each.
//
// Wall time on these shared two-vCPU machines moves by tens of percent from
// run to run; an instruction count moves by about one. To keep it that
// steady every run has GOMAXPROCS=1 (no second thread racing the first, and
// the mp4 writer writes in line rather than behind), GOGC=off (no
// collection whose timing depends on the heap's history) and
// GODEBUG=asyncpreemptoff=1 (callgrind aborts on the signals of Go's
// asynchronous preemption).
//
// The cases run the clip command's code (package clipcmd: flags, input
// mapping or streaming, remux, the output file and its rename) in this
// process, rounds times over three recordings, so that the clips and not
// the process's start-up make up the count: a 100 KB recording takes
// under a million instructions to clip, a Go binary several million to
// start. One case runs the shipped binary instead, for the start-up the
// clips leave out.
//
// Counts depend on the Go toolchain (the budget file names the one that
// counted them) and on the instruction set valgrind offers, which picks the
// runtime's memmove and friends: budgets are for the machines CI runs on.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/kvsclip/kvsclip/internal/citest"
)

// maxRise is how far over its budget a count may go.
const maxRise = 0.03

// rounds is how many times a case clips each recording.
const rounds = 10

// recordings are the committed inputs: H.264 with AAC, H.265 with B-frames
// and µ-law, H.264 with A-law.
var recordings = []string{
	"h264-aac-160x120.getmedia.mkv",
	"hevc-main-bframes-ulaw.getmedia.mkv",
	"h264-174x142-alaw.getmedia.mkv",
}

// measuredCase is one way of clipping the recordings.
type measuredCase struct {
	name string
	// args is the clip command line for input in (a path, or "-") into
	// out.
	args func(in, out string) []string
	// stdin feeds the recording as standard input, from memory: the
	// streamed path, without a pipe whose chunking would vary.
	stdin bool
	// binary runs the shipped kvsclip once on the first recording
	// rather than clipcmd in this process.
	binary bool
}

var cases = []measuredCase{
	{name: "file-fmp4", args: func(in, out string) []string { return []string{in, "-o", out} }},
	{name: "file-mp4", args: func(in, out string) []string { return []string{"--format", "mp4", in, "-o", out} }},
	{name: "stdin-fmp4", stdin: true, args: func(_, out string) []string { return []string{"-", "-o", out} }},
	{name: "binary-file-fmp4", binary: true, args: func(in, out string) []string { return []string{"clip", in, "-o", out} }},
}

// Environment of a measured child: the case it runs and where.
const (
	caseEnv = "KVSCLIP_INSTRUCTIONS_CASE"
	dataEnv = "KVSCLIP_INSTRUCTIONS_TESTDATA"
	outEnv  = "KVSCLIP_INSTRUCTIONS_OUT"
)

func main() {
	if name := os.Getenv(caseEnv); name != "" {
		if err := runCase(name, os.Getenv(dataEnv), os.Getenv(outEnv)); err != nil {
			fail("case %s: %v", name, err)
		}
		return
	}
	var (
		bin      = flag.String("kvsclip", "bin/kvsclip", "the shipped `binary`, for the binary-* cases")
		budget   = flag.String("budget", "bench/instructions.txt", "budget `file`")
		testdata = flag.String("testdata", "testdata", "`directory` of the committed recordings")
		update   = flag.Bool("update", false, "measure every case -runs times and write the medians as the new budgets")
		reason   = flag.String("reason", "", "why the budgets move (required with -update)")
		runs     = flag.Int("runs", 1, "runs of each case (at least 3 with -update)")
	)
	flag.Parse()
	if _, err := exec.LookPath("valgrind"); err != nil {
		skip, err := citest.Missing("valgrind", "instructions are counted with it; make deps installs it")
		if err != nil {
			fail("instructions: %v", err)
		}
		fmt.Println("instructions: skipped,", skip)
		return
	}
	if *update {
		if strings.TrimSpace(*reason) == "" {
			fail("instructions: -update needs -reason: say why the budgets move")
		}
		*runs = max(*runs, 3)
	}
	self, err := os.Executable()
	if err != nil {
		fail("instructions: %v", err)
	}
	out, err := os.MkdirTemp("", "kvsclip-instructions-")
	if err != nil {
		fail("instructions: %v", err)
	}
	defer os.RemoveAll(out)
	data, err := filepath.Abs(*testdata)
	if err != nil {
		fail("instructions: %v", err)
	}

	counts := map[string][]int64{}
	for _, c := range cases {
		for range *runs {
			n, err := measure(c, self, *bin, data, out)
			if err != nil {
				// A run that dies under valgrind for a reason of
				// valgrind's own says nothing about the clip path: the
				// case is measured once more, and the first failure
				// stays in the log.
				fmt.Fprintf(os.Stderr, "instructions: %s: %v; measuring it once more\n", c.name, err)
				n, err = measure(c, self, *bin, data, out)
			}
			if err != nil {
				fail("instructions: %s: %v", c.name, err)
			}
			counts[c.name] = append(counts[c.name], n)
		}
	}
	if *update {
		if err := writeBudgets(*budget, counts, *reason); err != nil {
			fail("instructions: %v", err)
		}
		fmt.Printf("instructions: budgets written to %s\n", *budget)
		printCounts(os.Stdout, counts, nil)
		return
	}
	budgets, goVersion, err := readBudgets(*budget)
	if err != nil {
		fail("instructions: %v (make instructions-update REASON='first budgets' writes it)", err)
	}
	failed := printCounts(os.Stdout, counts, budgets)
	if failed {
		note := ""
		if goVersion != runtime.Version() {
			note = fmt.Sprintf(" (the budgets were counted with %s, this is %s: a toolchain change moves them too)", goVersion, runtime.Version())
		}
		fail("instructions: over budget by more than %.0f%%%s; if the rise is meant, move the budget in the same commit: make instructions-update REASON='why'", maxRise*100, note)
	}
}

// fail prints the message and exits with status 1.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// measure runs case c once under callgrind and returns its instruction
// count.
func measure(c measuredCase, self, bin, data, out string) (int64, error) {
	args := []string{"--tool=callgrind", "--callgrind-out-file=/dev/null"}
	if c.binary {
		args = append(append(args, bin), c.args(filepath.Join(data, recordings[0]), filepath.Join(out, c.name+".mp4"))...)
	} else {
		args = append(args, self)
	}
	cmd := exec.Command("valgrind", args...)
	// cpu.rdtscp=off: valgrind on this kind of machine stops a program at
	// RDTSCP with SIGILL, and the Go runtime reads the clock with it now
	// and then (runtime.cputicks, in lock timing), so a measured run died
	// at random; RDTSC, its fallback, is emulated.
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1", "GOGC=off", "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off")
	if !c.binary {
		cmd.Env = append(cmd.Env, caseEnv+"="+c.name, dataEnv+"="+data, outEnv+"="+out)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		own := ownLines(stderr.String())
		return 0, fmt.Errorf("%w: %s\n…\n%s", err, firstLines(own, 12), lastLines(own, 4))
	}
	// callgrind's closing line with the count.
	collected := regexp.MustCompile(`(?m)^==\d+== Collected : (\d+)$`)
	m := collected.FindStringSubmatch(stderr.String())
	if m == nil {
		return 0, fmt.Errorf("no count in callgrind's output: %s", lastLines(stderr.String(), 5))
	}
	return strconv.ParseInt(m[1], 10, 64)
}

// ownLines drops valgrind's own lines (==PID== …) from a child's stderr,
// leaving what the measured program said, such as a Go runtime crash.
func ownLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "==") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// printCounts prints each case's count (the median of its runs) and the
// spread of its runs, against its budget when budgets is not nil, and
// reports whether any is over budget by more than maxRise (or missing).
func printCounts(w *os.File, counts map[string][]int64, budgets map[string]int64) (failed bool) {
	fmt.Fprintf(w, "%-18s %12s %8s %12s %8s\n", "case", "Ir", "spread", "budget", "change")
	for _, c := range cases {
		runs := counts[c.name]
		med := median(runs)
		line := fmt.Sprintf("%-18s %12d %8s", c.name, med, "-")
		if len(runs) > 1 {
			line = fmt.Sprintf("%-18s %12d %7.2f%%", c.name, med, spread(runs)*100)
		}
		if budgets != nil {
			b, ok := budgets[c.name]
			switch {
			case !ok:
				line += "   no budget"
				failed = true
			default:
				change := float64(med)/float64(b) - 1
				line += fmt.Sprintf(" %12d %+7.2f%%", b, change*100)
				if change > maxRise {
					line += "  OVER BUDGET"
					failed = true
				} else if change < -maxRise {
					line += "  (well under: the budget may move down)"
				}
			}
		}
		fmt.Fprintln(w, line)
	}
	return failed
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// spread is the range of v over its median.
func spread(v []int64) float64 {
	return float64(slices.Max(v)-slices.Min(v)) / float64(median(v))
}

const budgetHeader = `# Instruction budgets of kvsclip clip: callgrind's Ir for end-to-end clips of
# the committed recordings (cmd/kvsclip/internal/instructions, run by make
# test). A count more than 3%% over its budget fails the check. Budgets
# move only with a reason: make instructions-update REASON='why'.
# %s
# case	budget (Ir)	spread of %d runs	reason
`

// writeBudgets writes the medians of counts as the budgets, with their
// spreads and reason.
func writeBudgets(path string, counts map[string][]int64, reason string) error {
	var b strings.Builder
	fmt.Fprintf(&b, budgetHeader, runtime.Version(), len(counts[cases[0].name]))
	for _, c := range cases {
		runs := counts[c.name]
		fmt.Fprintf(&b, "%s\t%d\t%.2f%%\t%s\n", c.name, median(runs), spread(runs)*100, strings.Join(strings.Fields(reason), " "))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// readBudgets reads a budget file: each case's budget, and the Go version
// the budgets were counted with.
func readBudgets(path string) (map[string]int64, string, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	budgets := map[string]int64{}
	var goVersion string
	n := 0
	for line := range strings.Lines(string(text)) {
		n++
		line = strings.TrimRight(line, "\n")
		if rest, ok := strings.CutPrefix(line, "# go"); ok {
			goVersion = "go" + strings.TrimSpace(rest)
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 4 || strings.TrimSpace(f[3]) == "" {
			return nil, "", fmt.Errorf("%s:%d: want case, budget, spread and a reason, tab-separated", path, n)
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || v <= 0 {
			return nil, "", fmt.Errorf("%s:%d: budget %q is not a positive count", path, n, f[1])
		}
		budgets[f[0]] = v
	}
	return budgets, goVersion, nil
}
