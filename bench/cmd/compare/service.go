package main

// The service rows of `make bench`: GetClip over loopback from `kvsclip
// serve` on each store (a directory, and S3 on a local versitygw), against
// `kvsclip clip` and `cp` on the same recording, and 32 GetClips at once
// with the server's peak RSS.
//
// The service recording is 400 s of 720p30 H.264 + AAC in 2 s Clusters
// (about 90 MB): 200 fragments, one whole GetClip at KVS's caps. It is put
// into each server with `kvsclip put`, as a user would.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// serviceStart is the producer time the recording is put at (ms).
const serviceStart = 1_700_000_000_000

// serviceConcurrent is the number of GetClips run at once: the server's
// default concurrency cap.
const serviceConcurrent = 32

// serviceRecording is the service rows' recording: 400 s of 720p at
// about 1.8 Mbit/s in 2 s Clusters (200 fragments), 20 s encoded and
// looped.
var serviceRecording = recording{size: "1280x720", seconds: 20, videoRate: "1700k", audioRate: "96k", extraLoops: 19}

// serviceResult is what one store's rows report.
type serviceResult struct {
	store       string
	ttfb, total time.Duration // one whole-cap GetClip, medians
	coldTTFB    time.Duration // the first one, before the server has any index cached
	size        int64
	concWall    time.Duration // 32 at once
	concBytes   int64
	peakRSS     int64 // the server's, during the 32
	allSame     bool
	clipCLI, cp time.Duration // on the same recording, medians
	// The same clip from the same store served by a server that keeps no
	// plan (--plan-cache -1), so that every clip is planned from its
	// (cached) indexes: medians, with the CLI's in the same rounds.
	plannedTTFB, plannedTotal, plannedCLI time.Duration
	// rawGet is the S3 store's floor: the same stored bodies fetched
	// whole, 16 at once, and discarded, by a client of its own (median);
	// 0 for the filesystem.
	rawGet time.Duration
}

// runService measures both stores; a store it cannot start (no
// versitygw) is left out with a note.
func runService(bin, recording, outDir string, rounds int) ([]serviceResult, []string) {
	var res []serviceResult
	var notes []string
	for _, store := range []string{"filesystem", "S3 (versitygw)"} {
		r, err := serviceStore(bin, recording, outDir, store, rounds)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: not measured: %v", store, err))
			continue
		}
		res = append(res, r)
	}
	return res, notes
}

// serviceStore starts a server on one store, puts the recording, and
// measures.
func serviceStore(bin, recording, outDir, store string, rounds int) (serviceResult, error) {
	res := serviceResult{store: store}
	dir, err := os.MkdirTemp(outDir, "service-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	args := []string{"serve", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "archive")}
	var env []string
	var gw *versityGW
	if store != "filesystem" {
		gw, err = startVersityGW(filepath.Join(dir, "s3"))
		if err != nil {
			return res, err
		}
		defer gw.stop()
		args = []string{"serve", "--addr", "127.0.0.1:0", "--archive", "s3://kvsclip-bench/archive"}
		env = []string{"AWS_ENDPOINT_URL_S3=" + gw.endpoint, "AWS_ACCESS_KEY_ID=" + gwKey, "AWS_SECRET_ACCESS_KEY=" + gwSecret,
			"AWS_REGION=us-east-1"}
	}
	srv, base, err := startServer(bin, args, env, filepath.Join(dir, "server.log"))
	if err != nil {
		return res, err
	}
	stop := func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}
	defer func() { stop() }()
	if err := post(base+"/createStream", `{"StreamName":"bench","DataRetentionInHours":24}`, io.Discard); err != nil {
		return res, err
	}
	put := exec.Command(bin, "put", "--endpoint", base, "--stream", "bench", "--start", strconv.FormatInt(serviceStart/1000, 10), recording)
	if _, err := runQuiet(put); err != nil {
		return res, fmt.Errorf("put: %w", err)
	}

	// One whole-cap GetClip, interleaved with the CLI and cp on the same
	// recording.
	var ttfbs, totals, clis, cps, raws []time.Duration
	var want [32]byte
	cliOut, cpOut := filepath.Join(dir, "cli.mp4"), filepath.Join(dir, "cp.mkv")
	for range rounds {
		syscall.Sync()
		ttfb, total, _, n, err := getClip(base, false)
		if err != nil {
			return res, err
		}
		ttfbs, totals, res.size = append(ttfbs, ttfb), append(totals, total), n
		if gw != nil {
			d, err := gw.getAll("kvsclip-bench", "archive/streams/bench/frags/", 16)
			if err != nil {
				return res, err
			}
			raws = append(raws, d)
		}
		for _, c := range []struct {
			out string
			cmd *exec.Cmd
			d   *[]time.Duration
		}{
			{cliOut, exec.Command(bin, "clip", "--format", "mp4", recording, "-o", cliOut), &clis},
			{cpOut, exec.Command("cp", recording, cpOut), &cps},
		} {
			os.Remove(c.out)
			syscall.Sync()
			start := time.Now()
			if _, err := runQuiet(c.cmd); err != nil {
				return res, err
			}
			*c.d = append(*c.d, time.Since(start))
		}
	}
	res.ttfb, res.total, res.clipCLI, res.cp = median(ttfbs), median(totals), median(clis), median(cps)
	if len(raws) > 0 {
		res.rawGet = median(raws)
	}
	res.coldTTFB = ttfbs[0]
	// The reference the 32 clips are held to, hashed outside the timing
	// (hashing 90 MB costs the client as much CPU as the server spends).
	if _, _, want, _, err = getClip(base, true); err != nil {
		return res, err
	}

	// 32 at once, the server's peak RSS from its start of them.
	resetPeak(srv.Process.Pid)
	var wg sync.WaitGroup
	sums := make([][32]byte, serviceConcurrent)
	errs := make([]error, serviceConcurrent)
	start := time.Now()
	for i := range serviceConcurrent {
		wg.Go(func() {
			var n int64
			_, _, sums[i], n, errs[i] = getClip(base, true)
			if errs[i] == nil && n != res.size {
				errs[i] = fmt.Errorf("clip of %d bytes, want %d", n, res.size)
			}
		})
	}
	wg.Wait()
	res.concWall = time.Since(start)
	res.peakRSS = vmHWM(srv.Process.Pid)
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	res.allSame = true
	for _, s := range sums {
		res.allSame = res.allSame && s == want
	}
	res.concBytes = res.size * serviceConcurrent

	// Planned each time: the server again, keeping no plan; its first
	// clip loads the indexes and is not counted.
	stop()
	srv, base, err = startServer(bin, append(args, "--plan-cache", "-1"), env, filepath.Join(dir, "server-noplans.log"))
	if err != nil {
		return res, err
	}
	if _, _, _, _, err := getClip(base, false); err != nil {
		return res, err
	}
	var pTTFBs, pTotals, pCLIs []time.Duration
	for range rounds {
		syscall.Sync()
		ttfb, total, _, _, err := getClip(base, false)
		if err != nil {
			return res, err
		}
		pTTFBs, pTotals = append(pTTFBs, ttfb), append(pTotals, total)
		os.Remove(cliOut)
		syscall.Sync()
		start := time.Now()
		if _, err := runQuiet(exec.Command(bin, "clip", "--format", "mp4", recording, "-o", cliOut)); err != nil {
			return res, err
		}
		pCLIs = append(pCLIs, time.Since(start))
	}
	res.plannedTTFB, res.plannedTotal, res.plannedCLI = median(pTTFBs), median(pTotals), median(pCLIs)
	return res, nil
}

// getClip asks for the recording's first 200 fragments (KVS's cap) and
// returns the time to the first body byte, the total, and the clip's size
// and, with hash, its SHA-256.
func getClip(base string, hash bool) (ttfb, total time.Duration, sum [32]byte, n int64, err error) {
	body := fmt.Sprintf(`{"StreamName":"bench","ClipFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":%d,"EndTimestamp":%d}}}`,
		serviceStart/1000, serviceStart/1000+400)
	start := time.Now()
	resp, err := http.Post(base+"/getClip", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, 0, sum, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return 0, 0, sum, 0, fmt.Errorf("GetClip: %s: %s", resp.Status, msg)
	}
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for {
		k, rerr := resp.Body.Read(buf)
		if k > 0 {
			if n == 0 {
				ttfb = time.Since(start)
			}
			n += int64(k)
			if hash {
				h.Write(buf[:k])
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return 0, 0, sum, n, rerr
		}
	}
	copy(sum[:], h.Sum(nil))
	return ttfb, time.Since(start), sum, n, nil
}

// post sends a JSON request (no credentials: the server serves loopback).
func post(url, body string, out io.Writer) error {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("%s: %s: %s", url, resp.Status, msg)
	}
	_, err = io.Copy(out, resp.Body)
	return err
}

// startServer runs `kvsclip serve` with its log in logPath and returns it
// with the base URL it announces.
func startServer(bin string, args, env []string, logPath string) (*exec.Cmd, string, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, "", err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Env = slices.DeleteFunc(cmd.Env, func(e string) bool {
		return strings.HasPrefix(e, "KVSCLIP_ACCESS_KEY_ID=") || strings.HasPrefix(e, "KVSCLIP_SECRET_ACCESS_KEY=")
	})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	line := make([]byte, 0, 256)
	one := make([]byte, 1)
	for {
		if _, err := stdout.Read(one); err != nil {
			cmd.Process.Kill()
			msg, _ := os.ReadFile(logPath)
			return nil, "", fmt.Errorf("serve did not start: %s", msg)
		}
		if one[0] == '\n' {
			break
		}
		line = append(line, one[0])
	}
	go io.Copy(io.Discard, stdout)
	f := strings.Fields(string(line))
	for _, w := range f {
		if strings.HasPrefix(w, "http://") {
			return cmd, strings.TrimSuffix(w, ","), nil
		}
	}
	cmd.Process.Kill()
	return nil, "", fmt.Errorf("serve said %q", line)
}

// Credentials of the bench's versitygw.
const (
	gwKey    = "kvsclip-bench-ak"
	gwSecret = "kvsclip-bench-secret"
)

type versityGW struct {
	cmd      *exec.Cmd
	endpoint string
}

func (g *versityGW) stop() {
	g.cmd.Process.Kill()
	g.cmd.Wait()
}

// startVersityGW serves dir over S3 on a loopback port with a bucket for
// the bench.
func startVersityGW(dir string) (*versityGW, error) {
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		gopath, _ := exec.Command("go", "env", "GOPATH").Output()
		bin = filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw")
		if _, err := os.Stat(bin); err != nil {
			return nil, errors.New("versitygw is not installed (`make deps` installs it)")
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "kvsclip-bench"), 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	// --keep-alive: versitygw closes every connection after one response
	// unless told otherwise, so each ranged GET of a clip paid a TCP
	// connection on both sides; S3 itself, and the S3-compatible stores
	// a deployment would use, keep connections open.
	cmd := exec.Command(bin, "--port", addr, "--access", gwKey, "--secret", gwSecret, "--keep-alive", "posix", dir)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &versityGW{cmd: cmd, endpoint: "http://" + addr}
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return g, nil
		}
		if time.Now().After(deadline) {
			g.stop()
			return nil, fmt.Errorf("versitygw did not start: %s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resetPeak restarts the kernel's count of a process's peak RSS (VmHWM).
func resetPeak(pid int) {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// reportService prints the service rows and their targets.
func reportService(w io.Writer, recording string, rs []serviceResult, notes []string) {
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }
	check := func(ok bool) string {
		if ok {
			return "met"
		}
		return "NOT met"
	}
	fi, _ := os.Stat(recording)
	var size int64
	if fi != nil {
		size = fi.Size()
	}
	fmt.Fprintf(w, "\nservice: %s, %.1f MB put with `kvsclip put`; one whole-cap GetClip (progressive MP4) over loopback, medians\n\n", filepath.Base(recording), float64(size)/1e6)
	fmt.Fprintln(w, "| store | first byte ms | first byte ms, first clip (indexes not cached) | total ms | clip MB | × `kvsclip clip --format mp4` | × cp | planned each time: first byte ms | total ms | × `kvsclip clip` | 32 at once: wall ms | MB/s | server peak RSS MiB | all 32 identical |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.1f | %.2f | %.2f | %s | %s | %.2f | %s | %.0f | %.0f | %v |\n", r.store, ms(r.ttfb), ms(r.coldTTFB), ms(r.total), float64(r.size)/1e6,
			float64(r.total)/float64(r.clipCLI), float64(r.total)/float64(r.cp),
			ms(r.plannedTTFB), ms(r.plannedTotal), float64(r.plannedTotal)/float64(r.plannedCLI), ms(r.concWall),
			float64(r.concBytes)/1e6/r.concWall.Seconds(), float64(r.peakRSS)/(1<<20), r.allSame)
	}
	fmt.Fprintln(w, "\n(The first columns are a server as it runs by default: a clip asked for again is written from the plan it kept. \"Planned each time\" is the same store served with `--plan-cache -1`.)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, r := range rs {
		ttfbMax, ratioMax := 20*time.Millisecond, 1.25
		if r.store != "filesystem" {
			ttfbMax, ratioMax = 100*time.Millisecond, 2.0
		}
		ratio := float64(r.total) / float64(r.clipCLI)
		pRatio := float64(r.plannedTotal) / float64(r.plannedCLI)
		fmt.Fprintf(w, "| %s: first byte ≤ %v (median; the first clip's in brackets) | %s ms (%s ms) | %s |\n", r.store, ttfbMax, ms(r.ttfb), ms(r.coldTTFB), check(r.ttfb <= ttfbMax))
		fmt.Fprintf(w, "| %s: first byte ≤ %v, planned each time | %s ms | %s |\n", r.store, ttfbMax, ms(r.plannedTTFB), check(r.plannedTTFB <= ttfbMax))
		fmt.Fprintf(w, "| %s: total ≤ %.2f × kvsclip clip | %.2f × | %s |\n", r.store, ratioMax, ratio, check(ratio <= ratioMax))
		fmt.Fprintf(w, "| %s: total ≤ %.2f × kvsclip clip, planned each time | %.2f × | %s |\n", r.store, ratioMax, pRatio, check(pRatio <= ratioMax))
		mib := float64(r.peakRSS) / (1 << 20)
		fmt.Fprintf(w, "| %s: 32 at once, server peak RSS ≤ 512 MiB, all whole and identical | %.0f MiB, identical %v | %s |\n", r.store, mib, r.allSame, check(mib <= 512 && r.allSame))
	}
	for _, r := range rs {
		if r.rawGet > 0 {
			fmt.Fprintf(w, "\n%s alone, the floor of its row: a signed GET (no SDK stack, as the server's) of every stored fragment body, whole, 16 at once, discarded: %s ms, %.2f × `kvsclip clip --format mp4`\n",
				r.store, ms(r.rawGet), float64(r.rawGet)/float64(r.clipCLI))
		}
	}
	for _, n := range notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
}

// emptySHA256 is the payload hash of a GET.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// getAll GETs every object under prefix whose key ends in ".mkv" (the
// stored fragment bodies), n at once, reads each to its end and discards
// it: what the S3 server alone takes to hand out a clip's bytes. The keys
// are listed through the SDK; the GETs are signed and sent as the
// server's are, without the SDK's operation stack.
func (g *versityGW) getAll(bucket, prefix string, n int) (time.Duration, error) {
	ctx := context.Background()
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(g.endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(gwKey, gwSecret, ""),
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 2 * n
		}),
		DisableLogOutputChecksumValidationSkipped: true,
	})
	var keys []string
	pages := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return 0, err
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); strings.HasSuffix(k, ".mkv") {
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return 0, fmt.Errorf("no fragment bodies under %s/%s", bucket, prefix)
	}
	start := time.Now()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * n}}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: gwKey, SecretAccessKey: gwSecret}
	sem := make(chan struct{}, n)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			// A plain signed GET, as the server's clip reads are
			// (archive/s3reads.go): the SDK's operation stack would add
			// its own CPU to the floor.
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.endpoint+"/"+bucket+"/"+k, nil)
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			if errs[i] = signer.SignHTTP(ctx, creds, req, emptySHA256, "s3", "us-east-1", time.Now()); errs[i] != nil {
				return
			}
			resp, err := hc.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs[i] = fmt.Errorf("GET %s: %s", k, resp.Status)
				return
			}
			_, errs[i] = io.Copy(io.Discard, resp.Body)
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}
