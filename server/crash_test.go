package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// childEnv makes the test binary a server process for the crash test.
const childEnv = "KVSCLIP_TEST_SERVE_DATA"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		serveChild(dir)
		return
	}
	os.Exit(m.Run())
}

// serveChild serves the archive in dir on a loopback port, prints the
// port, and runs until killed.
func serveChild(dir string) {
	store, err := archive.Open(dir)
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	srv, err := server.New(server.Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	fmt.Println("ADDR", ln.Addr())
	http.Serve(ln, srv)
}

func startChild(t *testing.T, dir string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ADDR ")
	require.True(t, ok, line)
	return cmd, "http://" + addr
}

// TestCrashMidPutMedia kills the server with SIGKILL while a PutMedia is in
// the middle of a fragment, three times at different points, restarting it
// on the same archive each time. Every fragment acknowledged PERSISTED must
// be listed and readable, nothing partial may be visible, and a clip of the
// whole stream must decode.
func TestCrashMidPutMedia(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(producerFile(t, "test-stream-1_0.mkv"))
	require.NoError(t, err)
	var offs []int64
	rd := mkv.NewBytesReader(data)
	for {
		f, err := rd.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		offs = append(offs, f.Offset)
	}

	var acked []string
	for round, cut := range []int{4, 11, 20} {
		child, url := startChild(t, dir)
		kv, media := sdkClients(url, testKeyID, testSecret)
		if round == 0 {
			_, err := kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam"), DataRetentionInHours: aws.Int32(24)})
			require.NoError(t, err)
		}
		// Send the header and Clusters up to the middle of Cluster cut+1:
		// fragments up to cut-1 complete, cut received whole only when
		// cut+1 starts, cut+1 partial. Each round sends later Clusters
		// (ABSOLUTE timecodes must keep increasing).
		first := 0
		if round > 0 {
			first = []int{4, 11, 20}[round-1] + 2
		}
		// The stream header: everything before the first Cluster.
		header := data[:bytes.Index(data, []byte{0x1F, 0x43, 0xB6, 0x75})]
		body := append([]byte(nil), header...)
		body = append(body, data[max(offs[first], int64(len(header))):offs[cut+1]+2000]...)
		pr, pw := io.Pipe()
		persistedCh := make(chan string, 64)
		go putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: url, StreamName: "cam", TimecodeType: "ABSOLUTE", Body: pr},
			func(a putack.Ack) {
				if a.EventType == putack.Persisted {
					persistedCh <- a.FragmentNumber
				}
				if a.EventType == putack.Error {
					t.Logf("round %d: ERROR ack %+v", round, a)
				}
			})
		go pw.Write(body)
		want := cut - first + 1
		deadline := time.After(20 * time.Second)
		for got := 0; got < want; got++ {
			select {
			case n := <-persistedCh:
				acked = append(acked, n)
			case <-deadline:
				t.Fatalf("round %d: %d of %d PERSISTED acks", round, got, want)
			}
		}
		require.NoError(t, child.Process.Kill()) // SIGKILL while Cluster cut+1 is half sent
		child.Wait()
		pw.CloseWithError(io.ErrClosedPipe)

		_, url = startChild(t, dir)
		_, media = sdkClients(url, testKeyID, testSecret)
		checkArchive(t, dir, media, acked, round)
	}
}

// checkArchive: every acked fragment is listed and whole, no temporary file
// is left, and the stream clips cleanly.
func checkArchive(t *testing.T, dir string, media *am.Client, acked []string, round int) {
	t.Helper()
	out, err := media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	listed := map[string]bool{}
	var nums []string
	for _, f := range out.Fragments {
		listed[*f.FragmentNumber] = true
		nums = append(nums, *f.FragmentNumber)
	}
	for _, n := range acked {
		assert.True(t, listed[n], "round %d: PERSISTED fragment %s lost", round, n)
	}
	tmp, _ := filepath.Glob(filepath.Join(dir, "streams", "cam", "tmp", "*"))
	assert.Empty(t, tmp, "round %d: temporary files visible after restart", round)

	gm, err := media.GetMediaForFragmentList(bg, &am.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: nums})
	require.NoError(t, err)
	docs := readAll(t, gm.Payload)
	rd := mkv.NewBytesReader(docs)
	for range nums {
		f, err := rd.Next()
		require.NoError(t, err)
		assert.False(t, f.Truncated, "round %d: fragment %s is partial", round, f.Tags.FragmentNumber)
	}
	_, err = rd.Next()
	assert.Equal(t, io.EOF, err)

	from, to := *out.Fragments[0].ProducerTimestamp, *out.Fragments[len(out.Fragments)-1].ProducerTimestamp
	clip, err := media.GetClip(bg, &am.GetClipInput{StreamName: aws.String("cam"), ClipFragmentSelector: &amtypes.ClipFragmentSelector{
		FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp, TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: &from, EndTimestamp: &to}}})
	require.NoError(t, err)
	checkClip(t, readAll(t, clip.Payload), blockSizes(t, docs))
	t.Logf("round %d: %d fragments acked PERSISTED so far, %d listed after SIGKILL and restart", round, len(acked), len(nums))
}
