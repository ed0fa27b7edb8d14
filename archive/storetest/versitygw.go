package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/internal/citest"
)

// Credentials and region of the test S3 server.
const (
	GWAccessKey = "kvsclip-test-ak"
	GWSecretKey = "kvsclip-test-secret-key"
	GWRegion    = "us-east-1"
)

// GW is a versitygw S3 server on a loopback port, serving a directory. Stop
// kills it and Start brings it back on the same directory and port: what
// the fault tests need.
type GW struct {
	t        testing.TB
	bin      string
	dir      string
	addr     string
	Endpoint string
	cmd      *exec.Cmd
}

// VersityGWPath finds the versitygw binary on PATH or in Go's bin
// directory, where `make deps` installs it; "" when it is nowhere.
func VersityGWPath() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, d := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// StartGW starts versitygw for t and stops it when t ends. Without the
// binary the test is skipped, except in CI, where that is a failure
// (citest.Require): `make test` installs it.
func StartGW(t testing.TB) *GW {
	t.Helper()
	bin := VersityGWPath()
	if bin == "" {
		citest.Require(t, "versitygw", "not on PATH or in $(go env GOPATH)/bin; `make deps` installs it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	g := &GW{t: t, bin: bin, dir: t.TempDir(), addr: addr, Endpoint: "http://" + addr}
	require.NoError(t, os.MkdirAll(filepath.Join(g.dir, "data"), 0o755))
	g.Start()
	t.Cleanup(g.Stop)
	return g
}

// Start (re)starts the server and waits until it accepts connections.
func (g *GW) Start() {
	g.t.Helper()
	// Object metadata (ETags) goes into extended attributes. Not the
	// --sidecar option: there a GET can pair one version's ETag with
	// another's body, and the conditional-update test loses an update.
	g.cmd = exec.Command(g.bin, "--port", g.addr, "--access", GWAccessKey, "--secret", GWSecretKey,
		"posix", filepath.Join(g.dir, "data"))
	logf, err := os.Create(filepath.Join(g.dir, "versitygw.log"))
	require.NoError(g.t, err)
	g.cmd.Stdout, g.cmd.Stderr = logf, logf
	require.NoError(g.t, g.cmd.Start())
	logf.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", g.addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(g.dir, "versitygw.log"))
			g.t.Fatalf("versitygw did not start on %s: %v\n%s", g.addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL: an outage, not a shutdown).
func (g *GW) Stop() {
	if g.cmd == nil || g.cmd.Process == nil {
		return
	}
	_ = g.cmd.Process.Kill()
	_ = g.cmd.Wait()
	g.cmd = nil
}

// Client returns an S3 client for the server. attempts is the SDK's
// RetryMaxAttempts (0: the SDK default of 3).
func (g *GW) Client(attempts int) *s3.Client {
	return s3.New(s3.Options{
		Region: GWRegion, BaseEndpoint: aws.String(g.Endpoint), UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider(GWAccessKey, GWSecretKey, ""),
		RetryMaxAttempts: attempts,
	})
}

var prefixes atomic.Int64

// Open opens an S3 store in bucket "kvsclip" under a prefix no other call
// used, so tests sharing one server do not see each other's streams.
func (g *GW) Open(t testing.TB, opts archive.S3Options) (*archive.S3, func() archive.Store) {
	t.Helper()
	prefix := fmt.Sprintf("t%d-%d/", time.Now().UnixNano()%1e9, prefixes.Add(1))
	open := func() *archive.S3 {
		a, err := archive.OpenS3(context.Background(), g.Client(0), "kvsclip", prefix, &opts)
		require.NoError(t, err)
		return a
	}
	return open(), func() archive.Store { return open() }
}

// Opener is Open as the suite's Opener.
func (g *GW) Opener(opts archive.S3Options) Opener {
	return func(t *testing.T, log *slog.Logger) (archive.Store, func() archive.Store) {
		opts.Logger = log
		return g.Open(t, opts)
	}
}

// Pause stops the server's process (SIGSTOP): connections stay open and
// requests hang, as with an endpoint that stopped answering. Resume
// continues it; the test's end does too.
func (g *GW) Pause() {
	g.t.Helper()
	require.NoError(g.t, g.cmd.Process.Signal(syscall.SIGSTOP))
	g.t.Cleanup(g.Resume)
	// The signal is delivered asynchronously: wait until the process is
	// seen stopped (state T in /proc), or a moment where there is no /proc.
	stat := fmt.Sprintf("/proc/%d/stat", g.cmd.Process.Pid)
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		b, err := os.ReadFile(stat)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			return
		}
		// The state follows the command name in parentheses.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
			return
		}
	}
	g.t.Fatal("versitygw did not stop")
}

// Resume continues a paused server.
func (g *GW) Resume() {
	if g.cmd != nil && g.cmd.Process != nil {
		_ = g.cmd.Process.Signal(syscall.SIGCONT)
	}
}
