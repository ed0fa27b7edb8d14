package clipcmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/internal/clipio"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// clipFlags are the options of `kvsclip clip`.
type clipFlags struct {
	out, manifest string
	selector      string
	start, end    string
	maxFragments  int
	maxBytes      int64
	gaps          string
	profile       string
	codecChange   bool
	format        string
	strict        bool
	dropAudio     bool
}

// clipHelp is the help of `kvsclip clip` but its flags.
var clipHelp = cliflag.Command{
	Name:     "clip",
	Synopsis: `kvsclip clip [-o FILE] [--manifest FILE] [--start T --end T] [flags] [INPUT...]`,
	About: `Remux KVS Matroska fragments into an MP4: fragmented (one moof+mdat per
fragment) by default, progressive with --format mp4. With --start and
--end, only the fragments GetClip would return for that range.`,
	Args: `  INPUT   a GetMedia / GetMediaForFragmentList dump or a producer-side MKV
          file; "-" or none reads standard input (not a terminal). Several
          inputs are clipped as one recording.`,
	Examples: `  kvsclip clip recording.mkv -o clip.mp4 --manifest clip.json
  kvsclip clip --start 2023-11-14T22:13:21Z --end 1700000003.5 -o clip.mp4 recording.mkv
  aws kinesis-video-media get-media ... /dev/stdout | kvsclip clip -o live.mp4
  kvsclip clip recording.mkv | ffplay -`,
}

// Run executes `kvsclip clip` with args (those after "clip") and returns
// its exit status: 0 on success, 1 when the clip failed (one line on stderr
// starting with the error's kind), 2 for a bad command line, 130 when a
// streamed clip was interrupted (what was written is kept), 141 when the
// reader of standard output went away.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o clipFlags
	fs := flag.NewFlagSet("clip", flag.ContinueOnError)
	fs.StringVar(&o.out, "o", "-", "output MP4 `file` (\"-\" for stdout, which must not be a terminal); never one of the inputs")
	fs.StringVar(&o.manifest, "manifest", "", "write the clip's manifest as JSON to `file`")
	fs.StringVar(&o.selector, "selector", "producer", "timestamps --start and --end apply to: `producer|server`")
	fs.StringVar(&o.start, "start", "", "first fragment start to include: RFC 3339 or epoch seconds (`time`)")
	fs.StringVar(&o.end, "end", "", "last fragment start to include, inclusive (`time`)")
	// The CLI does not cap by default: it clips what it is given. The
	// GetClip caps (200 fragments, 100 MB) are dedup.KVSLimits, for the
	// kvs profile.
	fs.IntVar(&o.maxFragments, "max-fragments", 0, "keep at most `n` fragments (0: no cap; GetClip: 200)")
	fs.Int64Var(&o.maxBytes, "max-bytes", 0, "keep at most `n` bytes of fragments (0: no cap; GetClip: 100000000)")
	fs.StringVar(&o.gaps, "gaps", "keep", "gaps between fragments: `keep|close`")
	fs.StringVar(&o.profile, "profile", "extended", "codec combinations and caps: `kvs` (exactly GetClip's) or extended")
	fs.StringVar(&o.format, "format", "fmp4", "output layout: `fmp4` (fragmented; indexed with mehd+sidx for file input) or mp4 (progressive, moov first)")
	fs.BoolVar(&o.codecChange, "allow-codec-change", false, "join fragments whose codec data changes (a camera reconfigured) with a sample description each")
	fs.BoolVar(&o.dropAudio, "drop-unsupported-audio", false, "leave out audio tracks the clip cannot carry (codec, or more than one) and clip the rest; the manifest lists them")
	fs.BoolVar(&o.strict, "strict", false, "fail (exit 1, no file) when an input ends inside a fragment, instead of a warning and a clip of the whole fragments")
	cmd := clipHelp
	cmd.Flags = fs
	inputs, code, done := cmd.Parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	if slices.Contains(inputs, "-") && cliflag.IsTerminal(stdin) {
		// Waiting for a recording typed at a terminal helps nobody.
		return cmd.Usage(stderr, "no INPUT given and standard input is a terminal")
	}
	if o.out == "-" && cliflag.IsTerminal(stdout) {
		return cmd.Usage(stderr, "refusing to write MP4 to a terminal: use -o FILE or a pipe")
	}
	if msg := outputIsInput(o.out, inputs, stdin); msg != "" {
		return cmd.Usage(stderr, msg)
	}

	req, opts, lim, err := o.request(time.Now())
	if err != nil {
		fmt.Fprintln(stderr, Describe(err))
		return 1
	}
	ins, err := openInputs(inputs, stdin)
	if err != nil {
		fmt.Fprintln(stderr, Describe(err))
		return 1
	}
	defer closeInputs(ins)
	// A progress line on a terminal: a clip of a large file takes a
	// while, and silence looks like a hang.
	began := time.Now()
	var total int64
	for _, in := range ins {
		in.before = total
		total += in.size()
	}
	if slices.ContainsFunc(ins, func(in *input) bool { return in.data == nil }) {
		total = 0 // a stream's length is not known
	}
	prog := cliflag.NewProgress(stderr, "clipped", total)
	filter := newTrackFilter(o.dropAudio)
	for _, in := range ins {
		in.prog, in.filter = prog, filter
	}
	defer prog.Clear()
	if opts.Format == remux.FormatFMP4 && !slices.ContainsFunc(ins, func(in *input) bool { return in.data == nil }) {
		// Mapped files stay readable until the end, so the clip can be
		// planned first: the fMP4 then carries its total duration (mehd)
		// and an index (sidx) that lets players seek.
		opts.Planned = true
	}

	plain := req == nil && lim == (dedup.Limits{}) && !opts.AllowCodecChange && opts.Format == remux.FormatFMP4
	// Signals are caught before the temporary file exists: one that came
	// between its creation and the handler would leave it behind.
	var sig <-chan os.Signal
	if o.out != "-" {
		var stop func()
		sig, stop = notifyStop()
		defer stop()
	}
	dst, commit, abort, err := openOutput(o.out, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip: %v\n", err)
		return 1
	}
	streamed := plain && len(ins) == 1 && ins[0].stream != nil
	var interrupted bool
	var committed atomic.Bool // the clip has been renamed into place
	if o.out != "-" {
		if streamed {
			// Ctrl-C ends the input: the clip is finished with the
			// fragments that came before it (interruptible).
			ins[0].stream = newInterruptible(ins[0].stream, sig)
		} else {
			// Nothing is worth keeping of a clip cut off before the
			// end of its file: take the temporary file away rather
			// than leave it beside the output.
			done := make(chan struct{})
			defer close(done)
			go func() {
				select {
				case <-sig:
					if committed.Load() {
						return // the clip is in place: let Run end
					}
					abort()
					fmt.Fprintf(stderr, "kvsclip: interrupted: no file written to %s\n", o.out)
					os.Exit(130)
				case <-done:
				}
			}()
		}
	}
	// A planned fMP4 of mapped files into a file of ours, with nothing
	// to select, is clipped while the files are read (reading.clip).
	var rd *reading
	if plain && opts.Planned && o.out != "-" && isRegular(dst) {
		rd = startReading(ins, opts)
		// Runs before closeInputs unmaps the files.
		defer rd.wait()
	}
	// A planned fMP4 into a file of ours is written in one pass
	// (remux.FileWriter): fragments go out as they complete, the header
	// is put in front at the end.
	outFile, _ := dst.(*os.File)
	if rd == nil {
		outFile = nil
	}
	// abortWrites gives up the writer made last: after an error or a
	// fault, its writes still under way (a FileWriter writes behind)
	// must end before abort closes the file.
	var abortWrites func()
	newClipper := func(configs ...*mkv.Header) *remux.Clipper {
		c := remux.NewClipper(dst, &opts.Options, configs...)
		abortWrites = c.Abort
		return c
	}
	newFileWriter := func(room int) (*remux.FileWriter, error) {
		w, err := remux.NewFileWriter(outFile, room, &opts.Options)
		if err == nil {
			abortWrites = w.Abort
		}
		return w, err
	}
	var c *remux.Clipper
	var fw *remux.FileWriter
	var pc *plannedClip
	var sel dedup.Selection
	var man *remux.Manifest
	func() {
		// A mapped input that shrinks under us faults on access: make
		// that a panic recoverFault turns into an error, not a crash.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer recoverFault(&err)
		defer func() {
			if r := recover(); r != nil {
				if abortWrites != nil {
					abortWrites()
				}
				panic(r) // for recoverFault
			}
		}()
		// A codec change needs every configuration declared before the
		// first byte: only the selecting path, which reads all fragment
		// headers first, can do that.
		switch {
		case streamed:
			c = newClipper()
			err = streamInput(c, ins[0])
			if errors.Is(err, errInterrupted) {
				interrupted, err = true, nil
			}
		case outFile != nil:
			fw, pc, sel, err = rd.clip(newFileWriter, outFile)
		case opts.Planned || opts.Format == remux.FormatMP4:
			pc, sel, err = selectAndPlan(ins, req, lim, opts)
		default:
			c, sel, err = selectAndAdd(newClipper, ins, req, lim)
		}
		// size is the clip's, when it went to outFile.
		var size int64
		switch {
		case pc != nil:
			if f, ok := dst.(*os.File); ok && err == nil && o.out != "-" && isRegular(f) {
				// Its size is known: all of it allocated up
				// front (see preallocation).
				if size, err := pc.pc.Size(); err == nil {
					clipio.Preallocate(f, size)
				}
			}
			if err == nil {
				err = pc.pc.WriteTo(context.Background(), dst, pc.docs)
			}
			man = pc.manifest()
			if err == nil {
				size, err = pc.pc.Size()
			}
		case err != nil && abortWrites != nil:
			abortWrites()
		case fw != nil:
			size, man, err = fw.Close(context.Background())
		case err == nil:
			man, err = c.Close()
		}
		if rd != nil {
			// Written: what is left of the mappings can go while the
			// output is finished.
			rd.releaseAll()
		}
		if err == nil && outFile != nil {
			// The file may have been preallocated larger (reading.clip).
			err = cutTo(outFile, size)
		}
	}()
	if man == nil {
		// The clip failed before its end: what was added so far.
		switch {
		case fw != nil:
			man = fw.Manifest()
		case c != nil:
			man = c.Manifest()
		default:
			man = newClipper().Manifest()
		}
	}
	man.Truncated = sel.Truncated
	if sel.HasNextStart {
		s := kvs.Millis(sel.NextStart)
		man.NextStart = &s
	}
	// The clipper lists fragments as they came to it, chosen ones in clip
	// order; the manifest reads best in input order.
	slices.SortStableFunc(man.Fragments, func(a, b remux.FragmentEntry) int { return a.Index - b.Index })
	if filter.active {
		man.DroppedTracks = filter.dropped
	}
	if req == nil && err != nil && kvs.KindOf(err) == kvs.ResourceNotFound {
		// GetClip's words for an empty range mean, for a whole file,
		// that it has nothing to clip: say that.
		err = kvs.Errorf(kvs.ResourceNotFound, "%s has no frames to clip (%d fragment(s), none with media)", inputNames(inputs), len(man.Fragments))
	}
	cut, kept := cutShort(man)
	if err == nil && cut != "" && o.strict {
		err = kvs.New(kvs.InvalidMediaFrame, cut+"; --strict refuses a cut-short input")
	}
	if err == nil {
		err = commit()
		committed.Store(err == nil)
	}
	if errors.Is(err, syscall.EPIPE) {
		// The reader of the output went away (`kvsclip clip | head`):
		// nothing to report, and the status a shell gives a command
		// that SIGPIPE ended.
		abort()
		return 141
	}
	prog.Clear()
	if interrupted {
		return reportInterrupted(err, abort, o, man, stderr)
	}
	if err != nil {
		abort()
		msg := Describe(err)
		if kvs.KindOf(err) == kvs.UnsupportedStreamMediaType && !filter.active && len(filter.dropped) > 0 {
			msg += "; --drop-unsupported-audio clips the video without the audio"
		}
		fmt.Fprintln(stderr, msg)
		writeManifest(o.manifest, man, stderr)
		return 1
	}
	for _, d := range man.DroppedTracks {
		fmt.Fprintf(stderr, "kvsclip: dropped audio track %d, %s: %s\n", d.Number, d.Codec, d.Reason)
	}
	if cut != "" {
		// The clip is good as far as it goes, and a recording cut off
		// by a dropped connection is common: say what was kept, and
		// leave failing to --strict.
		fmt.Fprintf(stderr, "kvsclip: warning: %s: %s\n", cut, kept)
	}
	if !writeManifest(o.manifest, man, stderr) {
		return 1
	}
	if prog != nil {
		n := 0
		for _, f := range man.Fragments {
			if f.Included {
				n++
			}
		}
		dest := o.out
		if dest == "-" {
			dest = "standard output"
		}
		prog.Done(fmt.Sprintf("kvsclip: clipped %d fragments into %s in %.1f s, 0.0–%.1f s",
			n, dest, time.Since(began).Seconds(), clipEnd(man)))
	}
	return 0
}

// inputNames names the inputs for a message.
func inputNames(names []string) string {
	if len(names) == 1 {
		if names[0] == "-" {
			return "standard input"
		}
		return names[0]
	}
	return "the inputs"
}

// reportInterrupted ends a streamed clip that a signal stopped, err
// being how finishing it went: it says what the file at -o holds, and
// returns 130, the status of a command ended by SIGINT.
func reportInterrupted(err error, abort func(), o clipFlags, man *remux.Manifest, stderr io.Writer) int {
	if err != nil {
		// Nothing came before the signal, or finishing failed.
		abort()
		fmt.Fprintf(stderr, "kvsclip: interrupted: no file written to %s (%s)\n", o.out, strings.TrimPrefix(Describe(err), "kvsclip: "))
		return 130
	}
	n := 0
	for _, f := range man.Fragments {
		if f.Included {
			n++
		}
	}
	fmt.Fprintf(stderr, "kvsclip: interrupted: %s holds the %d whole fragments read before it, 0.0–%.1f s\n", o.out, n, clipEnd(man))
	writeManifest(o.manifest, man, stderr)
	return 130
}

// clipEnd is the clip's length in seconds: its longest track's.
func clipEnd(m *remux.Manifest) float64 {
	var end float64
	for _, t := range m.Tracks {
		end = max(end, t.Duration)
	}
	return end
}

// cutShort says where the input ends inside a fragment and what the clip
// kept of it; "" when no fragment is cut short.
func cutShort(m *remux.Manifest) (cut, kept string) {
	whole := 0
	for _, f := range m.Fragments {
		if f.Reason != remux.ReasonCutShort {
			if f.Included {
				whole++
			}
			continue
		}
		end := clipEnd(m)
		return fmt.Sprintf("input ends inside fragment %d (at %.1f s)", f.Index, end),
			fmt.Sprintf("the clip keeps %d whole fragments and the complete frames of the cut one, 0.0–%.1f s", whole, end)
	}
	return "", ""
}

// request turns the flags into a selection request (nil for the whole
// input), clip options and caps. Everything wrong here is an
// InvalidArgument, as GetClip answers a bad request.
func (o *clipFlags) request(now time.Time) (*dedup.Request, *remux.ClipOptions, dedup.Limits, error) {
	opts := &remux.ClipOptions{}
	switch o.gaps {
	case "keep":
		opts.Gaps = remux.GapsKeep
	case "close":
		opts.Gaps = remux.GapsClose
	default:
		return nil, nil, dedup.Limits{}, kvs.Errorf(kvs.InvalidArgument, "--gaps %q: want keep or close", o.gaps)
	}
	if o.maxFragments < 0 || o.maxBytes < 0 {
		return nil, nil, dedup.Limits{}, kvs.New(kvs.InvalidArgument, "--max-fragments and --max-bytes must not be negative")
	}
	lim := dedup.Limits{MaxFragments: o.maxFragments, MaxBytes: o.maxBytes}
	profile, err := remux.ParseProfile(o.profile)
	if err != nil {
		return nil, nil, lim, err
	}
	opts.Profile = profile
	opts.AllowCodecChange = o.codecChange
	if opts.Format, err = remux.ParseFormat(o.format); err != nil {
		return nil, nil, lim, err
	}
	if profile == remux.ProfileKVS {
		// GetClip's caps, unless a flag sets its own.
		if lim.MaxFragments == 0 {
			lim.MaxFragments = dedup.KVSLimits.MaxFragments
		}
		if lim.MaxBytes == 0 {
			lim.MaxBytes = dedup.KVSLimits.MaxBytes
		}
	}
	var sel kvs.Selector
	switch o.selector {
	case "producer":
		sel = kvs.ProducerTimestamp
	case "server":
		sel = kvs.ServerTimestamp
	default:
		return nil, nil, lim, kvs.Errorf(kvs.InvalidArgument, "--selector %q: want producer or server", o.selector)
	}
	if o.start == "" && o.end == "" {
		return nil, opts, lim, nil
	}
	if o.start == "" || o.end == "" {
		return nil, nil, lim, kvs.New(kvs.InvalidArgument, "--start and --end go together")
	}
	start, err := parseTime(o.start)
	if err != nil {
		return nil, nil, lim, kvs.Errorf(kvs.InvalidArgument, "--start: %w", err)
	}
	end, err := parseTime(o.end)
	if err != nil {
		return nil, nil, lim, kvs.Errorf(kvs.InvalidArgument, "--end: %w", err)
	}
	req := &dedup.Request{Selector: sel, Start: start, End: end}
	if err := req.Validate(now); err != nil {
		return nil, nil, lim, err
	}
	return req, opts, lim, nil
}

// parseTime reads --start or --end (kvs.ParseMillis), in ms.
func parseTime(s string) (int64, error) {
	ms, err := kvs.ParseMillis(s)
	return int64(ms), err
}

// inputFragment is one fragment of an input and the input's name.
type inputFragment struct {
	f     *mkv.Fragment
	input string
	// doc is the fragment's bytes in the input (mkv.Fragment's Offset and
	// Size): the document its index counts offsets in.
	doc []byte
}

// recoverFault turns a memory fault while reading a mapped input — the
// file was truncated under the mapping — into an error. Other panics are
// bugs and go on.
func recoverFault(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if re, ok := r.(interface{ Addr() uintptr }); ok {
		*err = kvs.Errorf(kvs.InvalidArgument, "an input file changed while it was read (fault at %#x)", re.Addr())
		return
	}
	panic(r)
}

// openInputs opens every input (see openInput).
func openInputs(names []string, stdin io.Reader) ([]*input, error) {
	var ins []*input
	for _, name := range names {
		in, err := openInput(name, stdin)
		if err != nil {
			closeInputs(ins)
			return nil, err
		}
		ins = append(ins, in)
	}
	return ins, nil
}

func closeInputs(ins []*input) {
	for _, in := range ins {
		in.close()
	}
}

// streamInput clips one streamed input (stdin from a pipe) as it arrives,
// when nothing is to be selected: output starts after the first fragment,
// and memory stays at about two fragments (mkv.NewReader), whatever the
// input's length.
//
// Unlike a file input it does not drop duplicate fragments. Dropping one
// safely would need the fragment held by the Clipper to outlive two reads
// of the streaming reader, which reuses its buffers after one; and a KVS
// recording on a pipe (GetMedia, a producer) has none. To have duplicates
// dropped, give the recording as a file or with --start/--end.
func streamInput(c *remux.Clipper, in *input) error {
	r := mkv.NewReader(in.stream)
	for n := 0; ; n++ {
		f, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if errors.Is(err, errInterrupted) {
			return err
		}
		if err != nil {
			return readError(err, in.name, false, n)
		}
		in.filter.apply(f)
		if err := c.Add(f); err != nil {
			return err
		}
		in.prog.Update(n+1, f.Offset+f.Size)
	}
}

// selectAndAdd reads every fragment of the inputs, runs the selection over
// them and adds the chosen ones, in clip order, to a streaming clipper made
// by newClipper. It returns the clipper (nil if reading failed) and the
// selection, with which the caller completes the manifest.
func selectAndAdd(newClipper func(configs ...*mkv.Header) *remux.Clipper, ins []*input, req *dedup.Request, lim dedup.Limits) (*remux.Clipper, dedup.Selection, error) {
	frags, err := readInputs(ins, nil)
	if err != nil {
		return nil, dedup.Selection{}, err
	}
	return addSelected(newClipper, ins, frags, req, lim)
}

// addSelected runs the selection over fragments already read and adds the
// chosen ones to a new streaming clipper in clip order. The clipper is
// given every chosen fragment's header: with --allow-codec-change, the
// configurations it must declare before the first byte.
func addSelected(newClipper func(configs ...*mkv.Header) *remux.Clipper, ins []*input, frags []inputFragment, req *dedup.Request, lim dedup.Limits) (*remux.Clipper, dedup.Selection, error) {
	metas := make([]kvs.Fragment, len(frags))
	for i := range frags {
		metas[i] = metaOf(frags[i].f)
	}
	sel, err := dedup.Select(req, metas, lim)
	configs := make([]*mkv.Header, len(sel.Chosen))
	for k, i := range sel.Chosen {
		configs[k] = frags[i].f.Header
	}
	c := newClipper(configs...)
	for _, d := range sel.Dropped {
		c.Skip(entryOf(frags[d.Index].f, string(d.Reason)))
	}
	for _, i := range sel.Chosen {
		if err != nil {
			break
		}
		if err = c.Add(frags[i].f); err != nil {
			var ke *kvs.Error
			if errors.As(err, &ke) && len(ins) > 1 {
				ke.Msg = frags[i].input + ": " + ke.Msg
			}
		}
	}
	return c, sel, err
}

// selectAndPlan is selectAndAdd for a planned clip (a progressive MP4, or an
// indexed fMP4): the chosen fragments are planned from their indexes
// (planSelected).
func selectAndPlan(ins []*input, req *dedup.Request, lim dedup.Limits, opts *remux.ClipOptions) (*plannedClip, dedup.Selection, error) {
	frags, err := readInputs(ins, nil)
	if err != nil {
		return nil, dedup.Selection{}, err
	}
	return planSelected(ins, frags, req, lim, opts)
}

// plannedClip is a clip planned from the chosen fragments' indexes, and
// the manifest entries of the fragments the selection left out.
type plannedClip struct {
	pc      *remux.PlannedClip
	docs    remux.Documents // its payload source: the chosen fragments' bytes
	skipped []remux.FragmentEntry
}

// manifest is the clip's manifest with the fragments left out.
func (p *plannedClip) manifest() *remux.Manifest {
	m := p.pc.Manifest()
	m.Fragments = append(m.Fragments, p.skipped...)
	return m
}

// planSelected runs the selection over fragments already read and plans
// a clip of the chosen ones, in clip order, from their sample indexes
// (remux.Collector), as the service plans one from the indexes it stores. The
// payload source is the inputs' bytes: a fragment's payloads are
// sub-slices of the mapped file (or of the stream read into memory), so
// nothing is copied on the way to the output. The clip is nil only when
// nothing could be planned.
func planSelected(ins []*input, frags []inputFragment, req *dedup.Request, lim dedup.Limits, opts *remux.ClipOptions) (*plannedClip, dedup.Selection, error) {
	metas := make([]kvs.Fragment, len(frags))
	for i := range frags {
		metas[i] = metaOf(frags[i].f)
	}
	sel, selErr := dedup.Select(req, metas, lim)
	p := &plannedClip{}
	for _, d := range sel.Dropped {
		p.skipped = append(p.skipped, entryOf(frags[d.Index].f, string(d.Reason)))
	}
	chosen := sel.Chosen
	if selErr != nil {
		chosen = nil
	}
	var col remux.Collector
	for _, i := range chosen {
		col.Add(frags[i].f, frags[i].doc)
	}
	pc, err := col.Plan(context.Background(), &remux.PlanOptions{Options: opts.Options, Format: opts.Format})
	p.pc, p.docs = pc, col.Payloads()
	if selErr != nil {
		return p, sel, selErr
	}
	var ke *kvs.Error
	if man := pc.Manifest(); errors.As(err, &ke) && len(ins) > 1 && len(man.Fragments) > 0 {
		// The fragment planned last is the one that failed: with
		// several inputs, the message names its input.
		last := man.Fragments[len(man.Fragments)-1].Index
		for _, i := range chosen {
			if f := frags[i]; f.f.Index == last {
				ke.Msg = f.input + ": " + ke.Msg
			}
		}
	}
	return p, sel, err
}

// readInputs reads every fragment of the inputs, numbering them across all
// inputs in order.
//
// Selection needs every fragment's metadata before the first one is
// written, and then hands the chosen ones over in timestamp order, not
// input order. So every input must stay readable for the whole run. A
// mapped file is parsed in place with a bytes reader: block data are
// sub-slices of the page cache, and only each fragment's struct and block
// list are copied (the reader reuses them). A stream cannot be read twice,
// so it is read whole into memory first (only a stream with selection
// flags, or several inputs, gets here); a service selects from its index
// instead and reads only what it chose.
//
// Each fragment is also handed to each, when not nil, as soon as it is read.
func readInputs(ins []*input, each func(inputFragment)) ([]inputFragment, error) {
	var out []inputFragment
	for _, in := range ins {
		data := in.data
		if data == nil {
			var err error
			if data, err = io.ReadAll(in.stream); err != nil {
				return nil, kvs.Errorf(kvs.InvalidArgument, "%s: %w", in.name, err)
			}
		}
		r := mkv.NewBytesReader(data)
		end := int64(len(data))
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, readError(err, in.name, len(ins) > 1, len(out))
			}
			g := *f
			g.Blocks = slices.Clone(f.Blocks)
			g.Tags.Other = slices.Clone(f.Tags.Other)
			g.Index = len(out)
			in.filter.apply(&g)
			doc := data[min(g.Offset, end):min(g.Offset+g.Size, end)]
			out = append(out, inputFragment{f: &g, input: in.name, doc: doc})
			in.prog.Update(len(out), in.before+g.Offset+g.Size)
			if each != nil {
				each(out[len(out)-1])
			}
		}
	}
	return out, nil
}

// readError gives a Reader's error its kind and location: the fragment's
// index across the inputs, the byte offset in its input, and the input's
// name when there are several.
func readError(err error, name string, several bool, index int) error {
	e := &kvs.Error{Kind: kvs.KindOf(err), Offset: -1, Msg: err.Error(), Err: err, Fragment: "#" + strconv.Itoa(index)}
	if e.Kind == kvs.Unknown {
		e.Kind = kvs.InvalidArgument // the input could not be read
	}
	var me *mkv.Error
	if errors.As(err, &me) {
		e.Offset = me.Offset
	}
	if several {
		e.Msg = name + ": " + e.Msg
	}
	return e
}

// metaOf is what selection knows of a fragment. A fragment without a
// producer timestamp tag (a producer-side file) is placed by its Cluster
// time, as the remux places it: for files written with absolute timecodes
// that is the producer timestamp KVS would record.
func metaOf(f *mkv.Fragment) kvs.Fragment {
	m := kvs.Fragment{
		Number:              f.Tags.FragmentNumber,
		ServerMillis:        f.Tags.ServerTimestamp,
		NoServerTimestamp:   !f.Tags.HasServerTimestamp,
		NoProducerTimestamp: true,
		Size:                f.Size,
	}
	if f.Tags.HasProducerTimestamp || f.Header != nil {
		m.ProducerMillis, _ = f.StartMillis()
		m.NoProducerTimestamp = false
	}
	return m
}

// entryOf is the manifest entry of a fragment left out for reason.
func entryOf(f *mkv.Fragment, reason string) remux.FragmentEntry {
	e := remux.FragmentEntry{Number: f.Tags.FragmentNumber, Index: f.Index, Bytes: f.Size, Reason: reason}
	if f.Tags.HasProducerTimestamp {
		s := kvs.Millis(f.Tags.ProducerTimestamp)
		e.ProducerTimestamp = &s
	}
	if f.Tags.HasServerTimestamp {
		s := kvs.Millis(f.Tags.ServerTimestamp)
		e.ServerTimestamp = &s
	}
	return e
}

// Describe renders an error as the one line the commands print for it:
// "kvsclip: ", its kind, then the message.
func Describe(err error) string {
	var ke *kvs.Error
	if errors.As(err, &ke) {
		return "kvsclip: " + ke.Error()
	}
	return "kvsclip: " + kvs.Unknown.String() + ": " + err.Error()
}

// isRegular reports whether w is a regular file (the output is not a
// device or a pipe): one the clip can seek in and cut to size.
func isRegular(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode().IsRegular()
}

func writeManifest(path string, m *remux.Manifest, stderr io.Writer) bool {
	if path == "" || m == nil {
		return true
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip: manifest: %v\n", err)
		return false
	}
	return true
}
