package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json's TestEvent, and the
// go command's build events, which name an ImportPath instead of a Package).
type event struct {
	Action      string
	Package     string
	ImportPath  string
	Test        string
	Output      string
	FailedBuild string
}

// skip is one skipped test and the message it skipped with.
type skip struct {
	pkg, test, reason string
}

// report turns a stream of events back into what `go test ./...` prints
// without -v, and counts the tests. Its methods are called in stream order
// from one goroutine.
type report struct {
	out io.Writer

	pkgs    map[string]*pkgRun
	skipped []skip
	// passed, failed count tests, subtests included, by their final
	// events.
	passed, failed int
	// failedPkgs are the packages whose run failed, a build failure or a
	// crash outside any test included.
	failedPkgs []string
	seen       int // packages that ended
}

// pkgRun is one package's test binary under way.
type pkgRun struct {
	tests map[string]*node
	// shown is what go test prints of the package if it fails, in order:
	// the rendering of each failed top-level test and the package's own
	// lines (FAIL, a panic outside a test, the summary line).
	shown []shown
	last  string // the package's last line of its own: the ok line on success
}

// shown is one entry of pkgRun.shown.
type shown struct {
	text string
	own  bool // a line of the package's own, not a test's
}

// node is one test or subtest.
type node struct {
	name   string
	depth  int    // 0 for a top-level test
	header string // its "--- FAIL: name (…)" line, unindented
	// lines are its output but for -v's framing and the header: its log,
	// which -v indents four spaces at every depth, and anything else the
	// binary printed while it ran, such as a panic, with no indent.
	lines    []string
	children []*node
	ended    bool
}

func newReport(out io.Writer) *report {
	return &report{out: out, pkgs: map[string]*pkgRun{}}
}

// read feeds every line of r to the report. A line that is not an event
// (a go command message on stdout) is printed as it is.
func (r *report) read(in io.Reader) error {
	sc := bufio.NewScanner(in)
	// A test's single output line can be long (a dumped body, a diff).
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil {
			fmt.Fprintf(r.out, "%s\n", line)
			continue
		}
		r.event(e)
	}
	return sc.Err()
}

func (r *report) event(e event) {
	switch {
	case e.Action == "build-output":
		// Compiler and vet messages, printed as they come, as go test
		// prints them on its standard error.
		io.WriteString(r.out, e.Output)
	case e.Package == "":
		// build-fail: the package's own fail event follows.
	case e.Test != "":
		r.testEvent(r.pkg(e.Package), e)
	default:
		r.pkgEvent(e)
	}
}

func (r *report) pkg(name string) *pkgRun {
	p := r.pkgs[name]
	if p == nil {
		p = &pkgRun{tests: map[string]*node{}}
		r.pkgs[name] = p
	}
	return p
}

// framing are the lines -v adds that go test without -v does not print.
var framing = regexp.MustCompile(`^=== (RUN|PAUSE|CONT|NAME)\b`)

func (r *report) testEvent(p *pkgRun, e event) {
	n := p.node(e.Test)
	switch e.Action {
	case "output":
		line := strings.TrimSuffix(e.Output, "\n")
		switch {
		case framing.MatchString(line):
		case n.header == "" && isHeader(line, n.name):
			n.header = strings.TrimLeft(line, " ")
		default:
			n.lines = append(n.lines, line)
		}
	case "pass":
		r.passed++
		n.ended = true
	case "skip":
		r.skipped = append(r.skipped, skip{e.Package, n.name, skipReason(n.lines)})
		n.ended = true
	case "fail":
		r.failed++
		n.ended = true
		if n.depth == 0 {
			p.shown = append(p.shown, shown{text: n.render()})
		}
	}
}

// node returns the test named name, made on its first event and hung
// under its parent: the longest name before a slash that is a test.
func (p *pkgRun) node(name string) *node {
	if n := p.tests[name]; n != nil {
		return n
	}
	n := &node{name: name}
	p.tests[name] = n
	for i := strings.LastIndexByte(name, '/'); i > 0; i = strings.LastIndexByte(name[:i], '/') {
		if parent := p.tests[name[:i]]; parent != nil {
			n.depth = parent.depth + 1
			parent.children = append(parent.children, n)
			break
		}
	}
	return n
}

// isHeader reports whether line is the result line -v prints for test
// name.
func isHeader(line, name string) bool {
	line = strings.TrimLeft(line, " ")
	for _, result := range []string{"PASS", "FAIL", "SKIP"} {
		if strings.HasPrefix(line, "--- "+result+": "+name+" (") {
			return true
		}
	}
	return false
}

// render is a failed test as go test without -v prints it: its result
// line, its log, and its failed subtests', each level indented four more
// spaces; -v prints every level's log at the same indentation. Lines the
// binary printed itself (a panic) are left as they are.
func (n *node) render() string {
	var b strings.Builder
	n.renderTo(&b)
	return b.String()
}

func (n *node) renderTo(b *strings.Builder) {
	indent := strings.Repeat("    ", n.depth)
	header := n.header
	if header == "" {
		// The binary died before the test ended.
		header = "--- FAIL: " + n.name + " (unfinished)"
	}
	b.WriteString(indent + header + "\n")
	for _, l := range n.lines {
		if strings.HasPrefix(l, "    ") {
			b.WriteString(indent)
		}
		b.WriteString(l + "\n")
	}
	for _, c := range n.children {
		if !c.ended || strings.HasPrefix(c.header, "--- FAIL") {
			c.renderTo(b)
		}
	}
}

// logEntry is the first line of one t.Log entry as -v prints it.
var logEntry = regexp.MustCompile(`^\s*\S+\.go:\d+: `)

// skipReason is the last log entry of a skipped test, which is what Skip
// logged, its lines trimmed.
func skipReason(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if logEntry.MatchString(lines[i]) {
			entry := slices.Clone(lines[i:])
			for j := range entry {
				entry[j] = strings.TrimSpace(entry[j])
			}
			return strings.Join(entry, "\n")
		}
	}
	return "(no reason given)"
}

func (r *report) pkgEvent(e event) {
	p := r.pkg(e.Package)
	switch e.Action {
	case "output":
		line := strings.TrimSuffix(e.Output, "\n")
		p.shown = append(p.shown, shown{text: line + "\n", own: true})
		p.last = line + "\n"
	case "pass", "skip":
		// go test without -v prints a package that passed (or has no
		// tests) as its one summary line.
		io.WriteString(r.out, p.last)
		r.end(e.Package)
	case "fail":
		r.printFailed(p)
		name := e.Package
		if e.FailedBuild != "" {
			name += " [build failed]"
		}
		r.failedPkgs = append(r.failedPkgs, name)
		r.end(e.Package)
	}
}

// printFailed prints a failed package as go test does: failed tests with
// their logs, the package's own lines, and, before its closing lines, any
// test the binary did not live to end, which is where it crashed or hung.
func (r *report) printFailed(p *pkgRun) {
	closing := len(p.shown)
	for closing > 0 && p.shown[closing-1].own {
		closing--
	}
	for _, s := range p.shown[:closing] {
		io.WriteString(r.out, s.text)
	}
	var unfinished []*node
	for _, n := range p.tests {
		if !n.ended {
			// Counted as failed, as a parent of a failed subtest is.
			r.failed++
			if n.depth == 0 {
				unfinished = append(unfinished, n)
			}
		}
	}
	slices.SortFunc(unfinished, func(a, b *node) int { return strings.Compare(a.name, b.name) })
	for _, n := range unfinished {
		io.WriteString(r.out, n.render())
	}
	for _, s := range p.shown[closing:] {
		io.WriteString(r.out, s.text)
	}
}

func (r *report) end(pkg string) {
	delete(r.pkgs, pkg)
	r.seen++
}

// finish closes the report at the end of the stream: packages that never
// ended fail, then come go test's closing FAIL when something failed, the
// skipped tests with their reasons, and the counts. summary also gets the
// skipped tests and the counts. It returns whether everything passed.
func (r *report) finish(summary io.Writer) bool {
	for _, name := range slices.Sorted(maps.Keys(r.pkgs)) {
		r.printFailed(r.pkgs[name])
		fmt.Fprintf(r.out, "FAIL\t%s [no result: the stream ended]\n", name)
		r.failedPkgs = append(r.failedPkgs, name+" [no result]")
	}
	ok := r.failed == 0 && len(r.failedPkgs) == 0 && r.seen > 0
	if !ok {
		io.WriteString(r.out, "FAIL\n")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nskipped: %d tests\n", len(r.skipped))
	for _, s := range r.skipped {
		reason := strings.ReplaceAll(s.reason, "\n", "\n      ")
		fmt.Fprintf(&b, "  %s %s: %s\n", s.pkg, s.test, reason)
	}
	if len(r.failedPkgs) > 0 {
		fmt.Fprintf(&b, "failed packages: %s\n", strings.Join(r.failedPkgs, ", "))
	}
	if r.seen == 0 {
		b.WriteString("no package reported a result\n")
	}
	fmt.Fprintf(&b, "%d passed, %d failed, %d skipped\n", r.passed, r.failed, len(r.skipped))
	io.WriteString(r.out, b.String())
	if summary != nil {
		io.WriteString(summary, b.String())
	}
	return ok
}
