package server_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/citest"
)

// The client conformance run: the AWS CLI, boto3, the JS SDK v3 and the
// Go SDK v2 call every Kinesis Video Streams operation they expose against
// the server (compat/plan.json; compat/*/run.* and compatgo_test.go), and
// the compatibility table in README.md is what they measured.
// -update-compat rewrites the table.

var updateCompat = flag.Bool("update-compat", false, "rewrite README.md's compatibility table from the client conformance run")

// Outcomes a runner reports besides "ok" and a typed error code.
const (
	outcomeOK         = "ok"
	outcomeUnknown    = "UNKNOWN_OPERATION"
	outcomeNotExposed = "NOT_EXPOSED"
	outcomeOther      = "other"
)

// compatLine is one line a runner prints: one operation's outcome.
type compatLine struct {
	Op      string `json:"op"`
	Service string `json:"service"`
	Client  string `json:"client"`
	Version string `json:"version"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail"`
}

// compatClient is one client of the run.
type compatClient struct {
	name, title string
	// prepare returns the command line of the client's runner, or why the
	// client cannot run here; nil for the Go SDK, which runs in the
	// test's process (runGoSDK).
	prepare func(t *testing.T) ([]string, error)
}

var compatClients = []compatClient{
	{name: "aws-cli", title: "AWS CLI", prepare: prepareCLI},
	{name: "boto3", title: "boto3", prepare: prepareBoto3},
	{name: "js-v3", title: "JS SDK v3", prepare: prepareJS},
	{name: "go-v2", title: "Go SDK v2"},
}

// TestClientCompatibility is the run: every client against one server, in
// parallel, each on a scratch stream of its own and the one media stream.
func TestClientCompatibility(t *testing.T) {
	started := time.Now()
	r := newRig(t)
	const media = "compat-media"
	r.createStream(media, 24)
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	putRecording(t, r, media, "h264-aac-160x120.getmedia.mkv", true, start, 6)

	plan := readPlan(t)
	var mu sync.Mutex
	measured := map[string][]compatLine{}
	t.Run("clients", func(t *testing.T) {
		for _, c := range compatClients {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				began := time.Now()
				vars := map[string]string{
					"KVSCLIP_STREAM":       "compat-" + c.name,
					"KVSCLIP_MEDIA_STREAM": media,
					"KVSCLIP_START":        strconv.FormatInt(start.Unix()-1, 10),
					"KVSCLIP_END":          strconv.FormatInt(start.Unix()+5, 10),
				}
				var lines []compatLine
				if c.prepare == nil {
					lines = runGoSDK(t, r, vars)
				} else {
					argv, err := c.prepare(t)
					if err != nil {
						missingClient(t, c.title, err)
					}
					lines = runClient(t, r, argv, vars)
				}
				t.Logf("%s: %d operations in %s", c.title, len(lines), time.Since(began).Round(100*time.Millisecond))
				for _, p := range clientProblems(c.name, plan, lines) {
					t.Error(p)
				}
				mu.Lock()
				measured[c.name] = lines
				mu.Unlock()
			})
		}
	})
	t.Logf("client conformance run: %s", time.Since(started).Round(time.Second))
	if t.Failed() {
		return
	}
	for _, d := range disagreements(measured) {
		t.Error(d)
	}
	if len(measured) < len(compatClients) {
		t.Logf("not every client ran: README.md's table is left unchecked")
		return
	}
	table := compatTable(measured, goSDKTests(t))
	const readme = "../README.md"
	doc, err := os.ReadFile(readme)
	require.NoError(t, err)
	if *updateCompat {
		updated, err := replaceCompatTable(string(doc), table)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(readme, []byte(updated), 0o644))
		return
	}
	committed, err := compatTableOf(string(doc))
	require.NoError(t, err)
	// The header names the clients' versions. Other versions (Debian's
	// awscli and boto3 are older) expose other sets of operations, so the
	// table is compared only where it was taken; the checks above hold
	// for every version.
	committedHead, _, _ := strings.Cut(committed, "\n")
	head, _, _ := strings.Cut(table, "\n")
	if committedHead != head {
		t.Logf("README.md's table was taken with other client versions (%s); this run measured:\n%s", committedHead, table)
		return
	}
	// The last column names the Go tests that call each operation,
	// which grow with every test: a record, kept fresh by -update-compat,
	// that only the outcomes are checked against.
	assert.Equal(t, outcomesOnly(committed), outcomesOnly(table), "README.md's compatibility table is not what the clients measured: "+
		"go test ./server -run TestClientCompatibility -update-compat rewrites it")
}

// outcomesOnly is a table without its last column.
func outcomesOnly(table string) string {
	lines := strings.Split(table, "\n")
	for i, l := range lines {
		if k := strings.LastIndex(strings.TrimSuffix(l, "|"), "|"); k >= 0 {
			lines[i] = l[:k+1]
		}
	}
	return strings.Join(lines, "\n")
}

// planEntry is one operation of compat/plan.json.
type planEntry struct {
	Service, Op string
}

func readPlan(t *testing.T) []planEntry {
	t.Helper()
	var plan struct{ Operations []planEntry }
	require.NoError(t, json.Unmarshal(readPlanFile(t), &plan))
	require.NotEmpty(t, plan.Operations)
	return plan.Operations
}

func readPlanFile(t *testing.T) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "compat", "plan.json"))
	require.NoError(t, err)
	return raw
}

// missingClient fails the test under CI, which must have every client
// (make deps installs them), and skips it elsewhere.
func missingClient(t *testing.T, title string, why error) {
	t.Helper()
	citest.Require(t, title, "make deps installs it: "+why.Error())
}

func prepareCLI(*testing.T) ([]string, error) {
	if _, err := exec.LookPath("aws"); err != nil {
		return nil, err
	}
	if _, err := exec.LookPath("python3"); err != nil {
		return nil, err
	}
	return []string{"python3", filepath.Join("..", "compat", "cli", "run.py")}, nil
}

// prepareBoto3 finds a Python that imports boto3: the one on PATH, or
// Debian's (python3-boto3), which a pyenv or venv on PATH would hide.
func prepareBoto3(t *testing.T) ([]string, error) {
	var last error
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		out, err := exec.CommandContext(ctx, py, "-c", "import boto3").CombinedOutput()
		cancel()
		if err == nil {
			return []string{py, filepath.Join("..", "compat", "python", "run.py")}, nil
		}
		last = fmt.Errorf("%s: %v %s", py, err, bytes.TrimSpace(out))
	}
	return nil, last
}

// prepareJS installs the JS SDK from compat/js/package-lock.json with npm
// ci when node_modules was not installed from this very lockfile.
func prepareJS(t *testing.T) ([]string, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, err
		}
	}
	// The pinned SDK's engines field asks for Node 20 or later.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	v, err := exec.CommandContext(ctx, "node", "-p", "process.versions.node").Output()
	if err != nil {
		return nil, err
	}
	major, _, _ := strings.Cut(strings.TrimSpace(string(v)), ".")
	if n, err := strconv.Atoi(major); err != nil || n < 20 {
		return nil, fmt.Errorf("node %s: the JS SDK of compat/js needs Node 20 or later", bytes.TrimSpace(v))
	}
	dir := filepath.Join("..", "compat", "js")
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(lock)
	want := hex.EncodeToString(sum[:])
	stamp := filepath.Join(dir, "node_modules", ".kvsclip-lock-sha256")
	if got, err := os.ReadFile(stamp); err != nil || string(got) != want {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("npm ci: %v\n%s", err, out)
		}
		if err := os.WriteFile(stamp, []byte(want), 0o644); err != nil {
			return nil, err
		}
	}
	return []string{"node", filepath.Join(dir, "run.mjs")}, nil
}

// runClient runs a runner against the rig's server with the rig's
// credentials and no AWS configuration of the machine, and parses its lines.
func runClient(t *testing.T, r *rig, argv []string, vars map[string]string) []compatLine {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	none := filepath.Join(t.TempDir(), "none")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"KVSCLIP_URL="+r.url,
		"AWS_ACCESS_KEY_ID="+testKeyID, "AWS_SECRET_ACCESS_KEY="+testSecret,
		"AWS_REGION="+testRegion, "AWS_DEFAULT_REGION="+testRegion,
		"AWS_CONFIG_FILE="+none, "AWS_SHARED_CREDENTIALS_FILE="+none,
		"NODE_NO_WARNINGS=1", "PYTHONDONTWRITEBYTECODE=1")
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "%s: %s", argv, stderr.String())
	var lines []compatLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var l compatLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l), "%s printed %q", argv, sc.Text())
		lines = append(lines, l)
	}
	require.NotEmpty(t, lines, "%s printed nothing: %s", argv, stderr.String())
	return lines
}

// clientProblems lists what no client may meet: an UnknownOperation (but
// for the operations of the images branch), a call that failed without a
// typed answer, an operation of the plan not reported.
func clientProblems(client string, plan []planEntry, lines []compatLine) []string {
	var problems []string
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l.Service+"/"+l.Op] = true
		switch {
		case l.Client != client:
			problems = append(problems, fmt.Sprintf("%s %s: reported as client %q", client, l.Op, l.Client))
		case l.Outcome == outcomeOther || l.Outcome == "":
			problems = append(problems, fmt.Sprintf("%s %s: the call failed without a typed answer: %s", client, l.Op, l.Detail))
		case l.Outcome == outcomeUnknown:
			problems = append(problems, fmt.Sprintf("%s %s: UnknownOperation", client, l.Op))
		}
	}
	for _, p := range plan {
		if !seen[p.Service+"/"+p.Op] {
			problems = append(problems, fmt.Sprintf("%s did not report %s", client, p.Op))
		}
	}
	return problems
}

// disagreements lists the operations that clients exposing them saw
// answered differently: the same call should mean the same to the server
// whichever SDK serialized it.
func disagreements(measured map[string][]compatLine) []string {
	answers := map[string]map[string]string{}
	for client, lines := range measured {
		for _, l := range lines {
			if l.Outcome == outcomeNotExposed {
				continue
			}
			k := opKey(l.Op)
			if answers[k] == nil {
				answers[k] = map[string]string{}
			}
			answers[k][client] = l.Outcome
		}
	}
	var out []string
	for op, by := range answers {
		distinct := map[string]bool{}
		for _, o := range by {
			distinct[o] = true
		}
		if len(distinct) > 1 {
			out = append(out, fmt.Sprintf("%s answered differently per client: %v", op, by))
		}
	}
	slices.Sort(out)
	return out
}

// opKey is an operation's name as the runners may spell it (the CLI's
// get-hls-streaming-session-url, the SDKs' GetHLSStreamingSessionURL).
func opKey(op string) string {
	return strings.ToLower(strings.ReplaceAll(op, "-", ""))
}

// Markers of the generated table in README.md.
const (
	compatBegin = "<!-- compat-table: generated by TestClientCompatibility (go test ./server -run TestClientCompatibility -update-compat) -->\n"
	compatEnd   = "<!-- compat-table end -->\n"
)

// compatTableOf returns the generated table of a README.
func compatTableOf(doc string) (string, error) {
	_, rest, ok := strings.Cut(doc, compatBegin)
	if !ok {
		return "", fmt.Errorf("README.md has no %q", strings.TrimSpace(compatBegin))
	}
	table, _, ok := strings.Cut(rest, compatEnd)
	if !ok {
		return "", fmt.Errorf("README.md has no %q", strings.TrimSpace(compatEnd))
	}
	return table, nil
}

// replaceCompatTable puts table between a README's markers.
func replaceCompatTable(doc, table string) (string, error) {
	old, err := compatTableOf(doc)
	if err != nil {
		return "", err
	}
	return strings.Replace(doc, compatBegin+old+compatEnd, compatBegin+table+compatEnd, 1), nil
}

// compatServices orders the table's rows.
var compatServices = []string{"kinesisvideo", "kinesis-video-archived-media", "kinesis-video-media"}

// compatTable renders what the clients measured, one row per operation
// any of them exposes, with the Go SDK tests that call it (by opKey).
func compatTable(measured map[string][]compatLine, goTests map[string][]string) string {
	type row struct {
		op, service string
		cells       map[string]string
	}
	rows := map[string]*row{}
	versions := map[string][]string{}
	for client, lines := range measured {
		for _, l := range lines {
			if l.Version != "" && !slices.Contains(versions[client], l.Version) {
				versions[client] = append(versions[client], l.Version)
			}
			k := opKey(l.Op)
			rw := rows[k]
			if rw == nil {
				rw = &row{op: l.Op, service: l.Service, cells: map[string]string{}}
				rows[k] = rw
			}
			if strings.Contains(rw.op, "-") || client != "aws-cli" {
				rw.op = l.Op // the SDKs spell it as the model does
			}
			rw.cells[client] = l.Outcome
		}
	}
	ordered := make([]*row, 0, len(rows))
	for _, rw := range rows {
		ordered = append(ordered, rw)
	}
	rank := func(s string) int {
		for i, name := range compatServices {
			if name == s {
				return i
			}
		}
		return len(compatServices)
	}
	slices.SortFunc(ordered, func(a, b *row) int {
		return cmp.Or(cmp.Compare(rank(a.service), rank(b.service)), cmp.Compare(a.op, b.op))
	})

	var b strings.Builder
	b.WriteString("| Operation | API |")
	for _, c := range compatClients {
		slices.Sort(versions[c.name])
		fmt.Fprintf(&b, " %s %s |", c.title, strings.Join(versions[c.name], ", "))
	}
	b.WriteString(" Go SDK v2: the tests that call it |\n|---|---|")
	for range compatClients {
		b.WriteString("---|")
	}
	b.WriteString("---|\n")
	counts := map[string]map[string]int{}
	goCovered := 0
	for _, rw := range ordered {
		fmt.Fprintf(&b, "| %s | %s |", rw.op, rw.service)
		for _, c := range compatClients {
			o := rw.cells[c.name]
			if counts[c.name] == nil {
				counts[c.name] = map[string]int{}
			}
			counts[c.name][outcomeClass(o)]++
			fmt.Fprintf(&b, " %s |", outcomeCell(o))
		}
		tests := goTests[opKey(rw.op)]
		if len(tests) > 0 {
			goCovered++
		}
		fmt.Fprintf(&b, " %s |\n", testsCell(tests))
	}
	b.WriteString("| **ok / typed / unknown / not exposed** | |")
	for _, c := range compatClients {
		n := counts[c.name]
		fmt.Fprintf(&b, " %d / %d / %d / %d |", n["ok"], n["typed"], n["unknown"], n["absent"])
	}
	fmt.Fprintf(&b, " %d of %d operations |\n", goCovered, len(ordered))
	return b.String()
}

// outcomeClass counts an outcome as ok, typed (an error code the model
// lets a client handle), unknown or absent (not exposed by the client).
func outcomeClass(o string) string {
	switch o {
	case outcomeOK:
		return "ok"
	case outcomeUnknown:
		return "unknown"
	case outcomeNotExposed, "":
		return "absent"
	}
	return "typed"
}

func outcomeCell(o string) string {
	switch outcomeClass(o) {
	case "ok":
		return "ok"
	case "unknown":
		return "**404 UnknownOperation**"
	case "absent":
		return "—"
	}
	return "`" + o + "`"
}

// testsCell names up to three tests and how many more there are.
func testsCell(tests []string) string {
	if len(tests) == 0 {
		return "—"
	}
	const shown = 3
	if len(tests) <= shown {
		return strings.Join(tests, ", ")
	}
	return fmt.Sprintf("%s (+%d)", strings.Join(tests[:shown], ", "), len(tests)-shown)
}

// goSDKTests finds, by opKey, the tests of this package that call an
// operation through the Go SDK: the functions that build its
// <Operation>Input of an aws-sdk-go-v2 service package. A helper that
// builds it stands for the tests that call the helper.
func goSDKTests(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	parsed := map[string]*ast.File{}
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		parsed[name] = f
	}
	// The functions each function calls, by name, and the operations whose
	// input each builds.
	calls := map[string][]string{}
	builds := map[string][]string{}
	for _, f := range parsed {
		sdk := map[string]bool{}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2/service/") || strings.HasSuffix(path, "/types") {
				continue
			}
			name := filepath.Base(path)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			sdk[name] = true
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			name := fn.Name.Name
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CompositeLit:
					if sel, ok := n.Type.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && sdk[pkg.Name] && strings.HasSuffix(sel.Sel.Name, "Input") {
							builds[name] = append(builds[name], strings.TrimSuffix(sel.Sel.Name, "Input"))
						}
					}
				case *ast.CallExpr:
					switch fun := n.Fun.(type) {
					case *ast.Ident:
						calls[name] = append(calls[name], fun.Name)
					case *ast.SelectorExpr:
						calls[name] = append(calls[name], fun.Sel.Name)
					}
				}
				return true
			})
		}
	}
	// A test reaches the operations it builds and those of the helpers it
	// calls, to any depth.
	var reach func(fn string, seen map[string]bool) []string
	reach = func(fn string, seen map[string]bool) []string {
		if seen[fn] {
			return nil
		}
		seen[fn] = true
		ops := slices.Clone(builds[fn])
		for _, callee := range calls[fn] {
			if !strings.HasPrefix(callee, "Test") {
				ops = append(ops, reach(callee, seen)...)
			}
		}
		return ops
	}
	out := map[string][]string{}
	for fn := range calls {
		if !strings.HasPrefix(fn, "Test") || fn == "TestClientCompatibility" {
			continue
		}
		for _, op := range reach(fn, map[string]bool{}) {
			k := opKey(op)
			if !slices.Contains(out[k], fn) {
				out[k] = append(out[k], fn)
			}
		}
	}
	for _, tests := range out {
		slices.Sort(tests)
	}
	return out
}
