package server_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// startServeBinary builds kvsclip and runs `kvsclip serve` with signed
// requests, its descriptors limited to fds (ulimit -n in the shell that
// starts it), and returns its URL.
func startServeBinary(t *testing.T, fds int, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "kvsclip")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/kvsclip").CombinedOutput()
	require.NoError(t, err, string(out))
	ctx, cancel := context.WithCancel(context.Background())
	argv := append([]string{"-c", `ulimit -n "$1" && shift && exec "$@"`, "sh", itoa(fds), bin, "serve",
		"--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--region", testRegion}, args...)
	cmd := exec.CommandContext(ctx, "sh", argv...)
	cmd.Env = append(os.Environ(), "KVSCLIP_ACCESS_KEY_ID="+testKeyID, "KVSCLIP_SECRET_ACCESS_KEY="+testSecret)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Log(stderr.String())
		}
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, stderr.String())
	url := regexp.MustCompile(`http://[^\s,]+`).FindString(line)
	require.NotEmpty(t, url, line)
	return url
}

func itoa(n int) string { return strconv.Itoa(n) }

// flood keeps n connections from the loopback address from open to url's
// server, each sending half a request head and nothing more (what keeps a
// connection longest without a limiter), until stop is closed. It counts
// the connections it opened.
func flood(t *testing.T, addr, from string, n int, stop <-chan struct{}, opened *atomic.Int64) *sync.WaitGroup {
	var wg sync.WaitGroup
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: time.Second}
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := d.Dial("tcp", addr)
				if err != nil {
					// Out of ports or refused: back off, the flood
					// goes on (a pause of the flood's own, not a wait
					// for the server), ending at once with stop.
					select {
					case <-stop:
						return
					case <-time.After(50 * time.Millisecond):
					}
					continue
				}
				opened.Add(1)
				c.Write([]byte("POST /putMedia HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n"))
				// Held until the server closes it, or the flood ends.
				done := make(chan struct{})
				go func() {
					var b [64]byte
					c.Read(b[:])
					close(done)
				}()
				select {
				case <-stop:
					c.Close()
					return
				case <-done:
					c.Close()
				}
			}
		}()
	}
	return &wg
}

// TestConnectionFlood: the real server, limited to 256 descriptors, under
// a flood of 800 connections from two addresses that never finish their
// headers, still takes a signed producer's fragments and answers an SDK
// client: the flood is capped per address and its idle connections are
// shed first.
func TestConnectionFlood(t *testing.T) {
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("builds and floods the real server (linux loopback)")
	}
	url := startServeBinary(t, 256)
	addr := hostPort(t, url)
	stop := make(chan struct{})
	var opened atomic.Int64
	var floods []*sync.WaitGroup
	for _, from := range []string{"127.0.0.2", "127.0.0.3"} {
		floods = append(floods, flood(t, addr, from, 400, stop, &opened))
	}
	defer func() {
		close(stop)
		for _, wg := range floods {
			wg.Wait()
		}
	}()
	require.Eventually(t, func() bool { return opened.Load() >= 400 }, 10*time.Second, 50*time.Millisecond, "the flood is on")

	kv, _ := sdkClients(url, testKeyID, testSecret)
	_, err := kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(1)})
	require.NoError(t, err)
	src, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	creds := testCreds()
	ctx, cancel := context.WithTimeout(bg, 20*time.Second)
	defer cancel()
	var acks []putack.Ack
	err = putclient.PutMedia(ctx, nil, putclient.Input{Endpoint: url, StreamName: "cam", Body: bytes.NewReader(src), Credentials: &creds, Region: testRegion},
		func(a putack.Ack) { acks = append(acks, a) })
	require.NoError(t, err)
	assert.Len(t, persisted(acks), 9, "every fragment stored during the flood")
	out, err := kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{})
	require.NoError(t, err)
	assert.Len(t, out.StreamInfoList, 1)
	t.Logf("flood: %d connections opened", opened.Load())
}
