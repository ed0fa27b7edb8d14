// Package mediatest holds the test oracles shared by the engine's tests:
// ffmpeg decodes an MP4, ffprobe lists its packets, and the real KVS
// recordings are found beside the checkout.
package mediatest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/kvsclip/kvsclip/internal/citest"
)

// SharedEnv names the environment variable that points the tests at the
// shared recordings when they are not beside the checkout.
const SharedEnv = "KVSCLIP_SHARED"

// sharedWhy ends the one line a test prints when it skips for want of the
// shared recordings: they are public material the repository may not
// carry, so a fresh clone has to be told where they come from.
const sharedWhy = "the AWS Kinesis Video Streams parser library's public test resources " +
	"and the producer SDK's sample frames, Apache-2.0, not in the repository: set " +
	SharedEnv + "=/path/to/testdata/kvs"

// LookupShared returns the shared/testdata/kvs directory ($KVSCLIP_SHARED,
// else the one CI places beside the checkout) and whether it is there. It is
// for code that may use the recordings but must not skip without them, such
// as fuzz seeds; a test that needs them calls SharedDir.
func LookupShared() (dir string, ok bool) {
	dir = os.Getenv(SharedEnv)
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "testdata", "kvs")
	}
	st, err := os.Stat(dir)
	return dir, err == nil && st.IsDir()
}

// SharedDir returns the shared recordings' directory (see LookupShared).
// Without it the test skips with one line saying where the data comes from
// and how to point the suite at it; under CI (CI set) it fails instead, so
// that a CI missing the data cannot pass by skipping.
func SharedDir(tb testing.TB) string {
	tb.Helper()
	dir, ok := LookupShared()
	if !ok {
		citest.Require(tb, "the shared KVS recordings at "+dir, sharedWhy)
	}
	return dir
}

// SharedFile reads a file of the shared recordings, rel being its path
// under the shared directory; it skips or fails as SharedDir does.
func SharedFile(tb testing.TB, rel string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(SharedDir(tb), rel))
	if err != nil {
		tb.Fatalf("shared KVS recordings: %v", err)
	}
	return b
}

// Need fails the test when a tool is not installed (make test installs them;
// a missing oracle must not pass silently).
func Need(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			tb.Fatalf("%s is not installed: run `make test`, which installs it", t)
		}
	}
}

// Decode runs `ffmpeg -xerror -v error -i path -f null -` and returns what
// it printed and whether it exited with 0.
func Decode(tb testing.TB, path string, extra ...string) (output string, ok bool) {
	tb.Helper()
	Need(tb, "ffmpeg")
	args := append([]string{"-nostdin", "-xerror", "-v", "error", "-i", path}, extra...)
	args = append(args, "-f", "null", "-")
	cmd := exec.Command("ffmpeg", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err == nil
}

// Packet is one packet as ffprobe reports it, times in the stream's time base.
type Packet struct {
	Stream   int
	PTS, DTS int64
	Duration int64
	Size     int
	Key      bool
}

// Packets lists the packets of a file with ffprobe, in file order.
func Packets(tb testing.TB, path string) []Packet {
	tb.Helper()
	Need(tb, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries",
		"packet=stream_index,pts,dts,duration,size,flags", "-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var pkts []Packet
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 6 {
			continue
		}
		var p Packet
		p.Stream, _ = strconv.Atoi(f[0])
		p.PTS, _ = strconv.ParseInt(f[1], 10, 64)
		p.DTS, _ = strconv.ParseInt(f[2], 10, 64)
		p.Duration, _ = strconv.ParseInt(f[3], 10, 64)
		p.Size, _ = strconv.Atoi(f[4])
		p.Key = strings.HasPrefix(f[5], "K")
		pkts = append(pkts, p)
	}
	return pkts
}

// TimeBase returns the time base denominator ffprobe reports for each stream
// (the MP4 track timescale).
func TimeBase(tb testing.TB, path string) []int64 {
	tb.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=time_base", "-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe %s: %v", path, err)
	}
	var tbs []int64
	for _, line := range strings.Fields(string(out)) {
		_, den, _ := strings.Cut(line, "/")
		d, _ := strconv.ParseInt(den, 10, 64)
		tbs = append(tbs, d)
	}
	return tbs
}

// PresentationTimes returns, per stream, the presentation time in seconds
// (pts_time) of every packet ffprobe demuxes (what = "packet") or of every
// frame its decoders output (what = "frame"), in the order ffprobe lists
// them. A packet or frame without a time is left out.
func PresentationTimes(tb testing.TB, path, what string) map[int][]float64 {
	tb.Helper()
	Need(tb, "ffprobe")
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", what+"=stream_index,pts_time",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		tb.Fatalf("ffprobe -show_entries %s %s: %v", what, path, err)
	}
	times := map[int][]float64{}
	for _, line := range strings.Fields(string(out)) {
		idx, ts, _ := strings.Cut(line, ",")
		stream, err1 := strconv.Atoi(idx)
		sec, err2 := strconv.ParseFloat(strings.TrimSuffix(ts, ","), 64)
		if err1 != nil || err2 != nil {
			continue // N/A
		}
		times[stream] = append(times[stream], sec)
	}
	return times
}
