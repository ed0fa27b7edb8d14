// Command compare times kvsclip against `cp` and `ffmpeg -c copy` on the
// benchmark recording, in one run, and prints medians, ratios and the
// issue's targets as a Markdown table. `make bench` runs it.
//
// Each round runs every contender once, in an order that rotates from round
// to round, so that load from other processes and the state of the page
// cache fall on all of them alike; the table reports medians over the
// rounds. Every contender but the "existing file" ones writes a fresh file
// (the previous output is removed), and the file systems are synced before
// the clock starts, so no contender pays for the writeback of another's
// output; all write into the same directory.
//
// The contenders:
//
//   - cp: the floor, reading the input and writing it once (coreutils cp
//     copies in the kernel with copy_file_range);
//   - ffmpeg -c copy to fragmented MP4 (frag_keyframe+empty_moov+
//     default_base_moof: a moof per GOP, as kvsclip writes a moof per
//     fragment);
//   - kvsclip clip FILE -o OUT (the input mapped);
//   - kvsclip clip - -o OUT with the input fed through a pipe (streaming);
//   - the engine in this process, input in memory, output discarded;
//   - cp and kvsclip clip FILE again, on one CPU (taskset -c 0), when
//     taskset is installed;
//   - cp and kvsclip clip FILE -o OUT onto an existing file: the output of
//     the previous round, left in place, so that each replaces a file of
//     its own size whose pages are cached, as when a command is run again;
//   - with -baseline BIN, both kvsclip clip FILE rows again with another
//     build (the code before a change), in the same rounds.
//
// After the rounds, one run streams a 1 GiB producer stream (the recording
// repeated with increasing timecodes) through a pipe into `kvsclip clip -`
// and reports its peak RSS and how soon the first output byte came.
//
// With -make-data it makes the recording instead (when missing) with
// ffmpeg: 10 s of 1080p30 testsrc2 at 8 Mbit/s (libx264 ultrafast, 2 s
// GOPs) with 48 kHz AAC, looped with -c copy to 70 s in 2 s Clusters.
// Encoding only 10 s keeps generation well under a minute on two cores; a
// remux never looks inside the frames, so repeated content measures the
// same as fresh content.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

func main() {
	var (
		bin      = flag.String("kvsclip", "bin/kvsclip", "kvsclip `binary`")
		baseline = flag.String("baseline", "", "another kvsclip `binary` (the code before a change) to time beside it")
		input    = flag.String("input", bench.InputPath(), "benchmark recording")
		outDir   = flag.String("out", "bench/out", "`directory` for the outputs")
		rounds   = flag.Int("rounds", 15, "interleaved rounds")
		stream   = flag.Int64("stream-bytes", 1<<30, "size of the stdin stream for the RSS run; 0 skips it")
		makeData = flag.Bool("make-data", false, "make the recordings with ffmpeg when missing, then exit")
		service  = flag.String("service-input", filepath.Join(filepath.Dir(bench.InputPath()), "service.mkv"), "the service rows' recording (400 s of 720p); empty skips the service rows")
		sRounds  = flag.Int("service-rounds", 9, "rounds of the one-clip service measurement")
	)
	flag.Parse()
	log.SetFlags(0)
	if *makeData {
		if err := cliRecording.make(*input); err != nil {
			log.Fatal(err)
		}
		if *service != "" {
			if err := serviceRecording.make(*service); err != nil {
				log.Fatal(err)
			}
		}
		return
	}
	if _, err := os.Stat(*input); err != nil {
		log.Fatalf("%v: run `make bench-data` first", err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		log.Fatal(err)
	}
	data, err := os.ReadFile(*input)
	if err != nil {
		log.Fatal(err)
	}

	out := func(name string) string { return filepath.Join(*outDir, name) }
	contenders := []contender{
		{name: "cp", run: func() (time.Duration, error) {
			return runQuiet(exec.Command("cp", *input, out("cp.mkv")))
		}, output: out("cp.mkv")},
		{name: "ffmpeg -c copy", run: func() (time.Duration, error) {
			return runQuiet(exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", *input, "-c", "copy",
				"-movflags", "frag_keyframe+empty_moov+default_base_moof", "-f", "mp4", out("ffmpeg.mp4")))
		}, output: out("ffmpeg.mp4")},
		{name: clipFile, run: func() (time.Duration, error) {
			return runQuiet(exec.Command(*bin, "clip", *input, "-o", out("kvsclip.mp4")))
		}, output: out("kvsclip.mp4")},
		{name: "kvsclip clip - (pipe)", run: func() (time.Duration, error) {
			cmd := exec.Command(*bin, "clip", "-o", out("kvsclip-stdin.mp4"), "-")
			cmd.Stdin = bytes.NewReader(data) // exec copies it through a pipe
			return runQuiet(cmd)
		}, output: out("kvsclip-stdin.mp4")},
		{name: "engine in memory → discard", run: func() (time.Duration, error) {
			before := selfCPU()
			c := remux.NewClipper(io.Discard, nil)
			if err := c.AddAll(mkv.NewBytesReader(data)); err != nil {
				return 0, err
			}
			_, err := c.Close()
			return selfCPU() - before, err
		}},
	}
	// On one CPU (taskset; Go then runs goroutines on one P), for users
	// whose containers get one: kvsclip's second core is gone, cp's use
	// of one is unchanged.
	if taskset, err := exec.LookPath("taskset"); err == nil {
		contenders = append(contenders,
			contender{name: oneCPUcp, run: func() (time.Duration, error) {
				return runQuiet(exec.Command(taskset, "-c", "0", "cp", *input, out("cp1.mkv")))
			}, output: out("cp1.mkv")},
			contender{name: oneCPUclip, run: func() (time.Duration, error) {
				return runQuiet(exec.Command(taskset, "-c", "0", *bin, "clip", *input, "-o", out("kvsclip1.mp4")))
			}, output: out("kvsclip1.mp4")})
	}
	clipOnto := func(name, bin, output string) contender {
		return contender{name: name, run: func() (time.Duration, error) {
			return runQuiet(exec.Command(bin, "clip", *input, "-o", output))
		}, output: output, keep: true}
	}
	contenders = append(contenders,
		contender{name: cpExisting, run: func() (time.Duration, error) {
			return runQuiet(exec.Command("cp", *input, out("cp-existing.mkv")))
		}, output: out("cp-existing.mkv"), keep: true},
		clipOnto(clipExisting, *bin, out("kvsclip-existing.mp4")))
	if *baseline != "" {
		contenders = append(contenders,
			contender{name: clipFile + baselineSuffix, run: func() (time.Duration, error) {
				return runQuiet(exec.Command(*baseline, "clip", *input, "-o", out("baseline.mp4")))
			}, output: out("baseline.mp4")},
			clipOnto(clipExisting+baselineSuffix, *baseline, out("baseline-existing.mp4")))
	}
	// The "existing file" contenders' files exist from the first round on.
	for _, c := range contenders {
		if c.keep {
			if _, err := c.run(); err != nil {
				log.Fatalf("%s: %v", c.name, err)
			}
		}
	}
	times := make([][]time.Duration, len(contenders))
	cpus := make([][]time.Duration, len(contenders))
	for r := range *rounds {
		for k := range contenders {
			i := (k + r) % len(contenders)
			c := &contenders[i]
			if c.output != "" && !c.keep {
				os.Remove(c.output)
			}
			// Start every contender with no writeback of an earlier
			// one's output under way, and with this process's heap
			// collected and returned to the system: runtime.GC alone
			// leaves sweeping and scavenging to background work, which
			// could run on the second core beside a contender — and
			// kvsclip uses both cores, cp one.
			syscall.Sync()
			debug.FreeOSMemory()
			start := time.Now()
			cpu, err := c.run()
			if err != nil {
				log.Fatalf("%s: %v", c.name, err)
			}
			times[i] = append(times[i], time.Since(start))
			cpus[i] = append(cpus[i], cpu)
		}
	}
	med := make([]time.Duration, len(contenders))
	cpuMed := make([]time.Duration, len(contenders))
	for i := range times {
		med[i] = median(times[i])
		cpuMed[i] = median(cpus[i])
	}

	allocs, frags, samples := countAllocs(data)

	var rss rssResult
	if *stream > 0 {
		if rss, err = streamRun(*bin, data, *stream); err != nil {
			log.Fatal(err)
		}
	}
	for _, c := range contenders {
		if c.output != "" {
			os.Remove(c.output)
		}
	}
	report(os.Stdout, *input, len(data), *rounds, contenders, times, med, cpuMed, allocs, frags, samples, rss, *stream)
	if *service != "" {
		if _, err := os.Stat(*service); err != nil {
			log.Fatalf("%v: run `make bench-data` first", err)
		}
		rs, notes := runService(*bin, *service, *outDir, *sRounds)
		reportService(os.Stdout, *service, rs, notes)
	}
}

// Names of the contenders the targets compare.
const (
	clipFile       = "kvsclip clip FILE"
	oneCPUcp       = "cp, one CPU"
	oneCPUclip     = "kvsclip clip FILE, one CPU"
	cpExisting     = "cp onto an existing file"
	clipExisting   = "kvsclip clip -o existing file"
	baselineSuffix = " (baseline)"
)

// contender is one way of doing the job; run returns the CPU time it took
// (user + system, of the child process for a command).
type contender struct {
	name   string
	run    func() (time.Duration, error)
	output string
	keep   bool // output is not removed between rounds: it is replaced
}

func runQuiet(cmd *exec.Cmd) (time.Duration, error) {
	// Standard error goes to a file, not a pipe: os/exec would copy
	// a pipe on a goroutine of this process, which then runs while
	// the contender does.
	stderr, err := os.CreateTemp("", "compare-stderr-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		msg, _ := os.ReadFile(stderr.Name())
		return 0, fmt.Errorf("%w: %s", err, strings.TrimSpace(string(msg)))
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// selfCPU is the CPU time this process has used so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// countAllocs remuxes data in memory once to warm up and once counted, and
// returns the heap allocations of the counted run, its fragments and its
// samples.
func countAllocs(data []byte) (allocs uint64, frags, samples int) {
	run := func() {
		c := remux.NewClipper(io.Discard, nil)
		if err := c.AddAll(mkv.NewBytesReader(data)); err != nil {
			log.Fatal(err)
		}
		if _, err := c.Close(); err != nil {
			log.Fatal(err)
		}
	}
	run()
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	run()
	runtime.ReadMemStats(&b)
	r := mkv.NewBytesReader(data)
	for {
		f, err := r.Next()
		if err != nil {
			break
		}
		frags++
		samples += len(f.Blocks)
	}
	return b.Mallocs - a.Mallocs, frags, samples
}

type rssResult struct {
	maxRSS     int64 // bytes
	firstByte  time.Duration
	total      time.Duration
	inputBytes int64
}

// streamRun pipes a producer stream of n bytes (the recording repeated) into
// `kvsclip clip -` writing to stdout, which it drains, and reports the
// child's peak RSS and when its first output byte arrived.
func streamRun(bin string, data []byte, n int64) (rssResult, error) {
	var res rssResult
	cmd := exec.Command(bin, "clip", "-o", "-", "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return res, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return res, err
	}
	// The child's peak RSS, from /proc: its rusage would count the
	// memory of this process too, which it shared until exec.
	hwm := make(chan int64, 1)
	stop := make(chan struct{})
	go func() {
		var peak int64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			peak = max(peak, vmHWM(cmd.Process.Pid))
			select {
			case <-stop:
				hwm <- peak
				return
			case <-t.C:
			}
		}
	}()
	werr := make(chan error, 1)
	go func() {
		m, err := bench.Repeat(stdin, data, n)
		res.inputBytes = m
		if cerr := stdin.Close(); err == nil {
			err = cerr
		}
		werr <- err
	}()
	buf := make([]byte, 1<<20)
	first := true
	for {
		k, err := stdout.Read(buf)
		if k > 0 && first {
			res.firstByte, first = time.Since(start), false
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return res, err
			}
			break
		}
	}
	// stdout is at EOF: the child is exiting. One last look at its
	// status before it is reaped.
	res.maxRSS = vmHWM(cmd.Process.Pid)
	close(stop)
	res.maxRSS = max(res.maxRSS, <-hwm)
	if err := cmd.Wait(); err != nil {
		return res, fmt.Errorf("kvsclip on a stream: %w: %s", err, stderr.String())
	}
	res.total = time.Since(start)
	if err := <-werr; err != nil {
		return res, err
	}
	return res, nil
}

// vmHWM returns the peak resident set size of process pid in bytes, 0 when
// it cannot be read.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

func report(w io.Writer, input string, size, rounds int, cs []contender, times [][]time.Duration, med, cpu []time.Duration,
	allocs uint64, frags, samples int, rss rssResult, stream int64) {
	cp, ff := med[0], med[1]
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	fmt.Fprintf(w, "input: %s, %.1f MB; median of %d interleaved rounds\n\n", filepath.Base(input), float64(size)/1e6, rounds)
	fmt.Fprintln(w, "| contender | wall ms (median) | wall min–max | input GB/s | × cp | ffmpeg ÷ it | CPU ms (median) | CPU × cp |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for i, c := range cs {
		gbs := float64(size) / med[i].Seconds() / 1e9
		fmt.Fprintf(w, "| %s | %s | %s–%s | %.2f | %.2f | %.1f× | %s | %.2f |\n", c.name, ms(med[i]), ms(slices.Min(times[i])), ms(slices.Max(times[i])),
			gbs, float64(med[i])/float64(cp), float64(ff)/float64(med[i]), ms(cpu[i]), float64(cpu[i])/float64(cpu[0]))
	}
	fmt.Fprintln(w)
	at := func(name string) int { return slices.IndexFunc(cs, func(c contender) bool { return c.name == name }) }
	file, engine := med[2], med[4]
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	fmt.Fprintln(w, "| target | measured | |")
	fmt.Fprintln(w, "|---|---|---|")
	fmt.Fprintf(w, "| clip FILE ≥ 3× faster than ffmpeg | %.1f× | %s |\n", float64(ff)/float64(file), check(ff >= 3*file))
	fmt.Fprintf(w, "| clip FILE within 10%% of cp | %.2f × cp | %s |\n", float64(file)/float64(cp), check(float64(file) <= 1.1*float64(cp)))
	if i, j := at(clipExisting), at(cpExisting); i >= 0 && j >= 0 {
		fmt.Fprintf(w, "| clip -o existing file within 10%% of cp onto an existing file | %.2f × | %s |\n",
			float64(med[i])/float64(med[j]), check(float64(med[i]) <= 1.1*float64(med[j])))
		if b := at(clipExisting + baselineSuffix); b >= 0 {
			fmt.Fprintf(w, "| (baseline) clip -o existing file vs cp onto an existing file | %.2f × | |\n", float64(med[b])/float64(med[j]))
		}
	}
	if b := at(clipFile + baselineSuffix); b >= 0 {
		fmt.Fprintf(w, "| (baseline) clip FILE vs cp | %.2f × cp | |\n", float64(med[b])/float64(cp))
	}
	fmt.Fprintf(w, "| (CPU time, less sensitive to load) clip FILE vs ffmpeg, vs cp | %.1f× faster, %.2f × cp | |\n",
		float64(cpu[1])/float64(cpu[2]), float64(cpu[2])/float64(cpu[0]))
	if i, j := at(oneCPUclip), at(oneCPUcp); i >= 0 && j >= 0 {
		fmt.Fprintf(w, "| (one CPU) clip FILE vs cp, both under taskset -c 0 | %.2f × cp | |\n", float64(med[i])/float64(med[j]))
	}
	gbs := float64(size) / engine.Seconds() / 1e9
	fmt.Fprintf(w, "| in memory → discard ≥ 5 GB/s | %.2f GB/s | %s |\n", gbs, check(gbs >= 5))
	fmt.Fprintf(w, "| allocations | %d for %d fragments, %d samples (%.2f per fragment) | see alloc_test.go |\n",
		allocs, frags, samples, float64(allocs)/float64(frags))
	if stream > 0 {
		mib := float64(rss.maxRSS) / (1 << 20)
		fmt.Fprintf(w, "| stdin, %.2f GiB: peak RSS ≤ 64 MiB | %.1f MiB | %s |\n", float64(rss.inputBytes)/(1<<30), mib, check(mib <= 64))
		fmt.Fprintf(w, "| stdin, %.2f GiB: first output byte before the input ends | first byte at %s ms of %s ms | %s |\n",
			float64(rss.inputBytes)/(1<<30), ms(rss.firstByte), ms(rss.total), check(rss.firstByte < rss.total/2))
	}
}

// recording describes a benchmark recording ffmpeg makes: seconds of
// testsrc2 at size and 30 fps in 2 s GOPs (libx264 ultrafast at a fixed
// bitrate) with 48 kHz stereo AAC, encoded once and then looped with -c
// copy loops times more. Encoding only a few seconds keeps generation well
// under a minute on two cores; a remux never looks inside the frames, so
// repeated content measures the same as fresh content.
type recording struct {
	size       string // such as "1920x1080"
	seconds    int    // encoded
	videoRate  string // such as "8M"
	audioRate  string // such as "128k"
	extraLoops int    // passes after the first
}

// make writes the recording to path unless it exists.
func (r recording) make(path string) error {
	if _, err := os.Stat(path); err == nil {
		fmt.Printf("%s exists\n", path)
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".gop.mkv"
	defer os.Remove(tmp)
	encode := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=size="+r.size+":rate=30",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", strconv.Itoa(r.seconds),
		"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-b:v", r.videoRate, "-maxrate", r.videoRate, "-bufsize", r.videoRate,
		"-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
		"-c:a", "aac", "-b:a", r.audioRate, "-ar", "48000", "-ac", "2",
		tmp)
	// The passes with -c copy, in Clusters that end at each 2 s key
	// frame: the time limit is above the GOP and the size limit far above
	// a GOP's bytes, so only key frames start Clusters.
	loop := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-y",
		"-stream_loop", strconv.Itoa(r.extraLoops), "-i", tmp, "-c", "copy",
		"-cluster_time_limit", "2100", "-cluster_size_limit", "60000000",
		path+".part.mkv")
	for _, c := range []*exec.Cmd{encode, loop} {
		fmt.Println(strings.Join(c.Args, " "))
		if _, err := runQuiet(c); err != nil {
			return fmt.Errorf("ffmpeg: %w", err)
		}
	}
	return os.Rename(path+".part.mkv", path)
}

// cliRecording is the CLI rows' recording: 70 s of 1080p at 8 Mbit/s in
// 2 s Clusters, 10 s encoded and looped.
var cliRecording = recording{size: "1920x1080", seconds: 10, videoRate: "8M", audioRate: "128k", extraLoops: 6}
