package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/stall"
)

// putSession is one PutMedia call.
type putSession struct {
	mu     sync.Mutex // one ack line at a time: fragments' and IDLE ones
	s      *Service
	until  time.Time // the session's end (Config.MaxPutMediaDuration)
	rq     *httpapi.Call
	stream archive.Stream
	// relative: RELATIVE timecodes, offset from startMs.
	relative  bool
	startMs   int64
	w         http.ResponseWriter
	rc        *http.ResponseController
	prevMs    int64
	persisted int
	body      *timedReader
	// lease is the store's producer lease this session holds, if the
	// store has them.
	lease archive.ProducerLeases
	// started is the fragment whose first bytes the reader has reported
	// (mkv.Reader.OnFragmentStart) and acknowledged with BUFFERING, until
	// the fragment is handled.
	started *startedFragment
}

// startedFragment is a fragment acknowledged at its first bytes.
type startedFragment struct {
	offset, timecode int64
	number           string
	arrived          time.Time
}

// putMedia ingests a Matroska stream fragment by fragment: each Cluster is
// read whole, stamped, written as a GetMedia-layout document and stored
// durably before its PERSISTED ack. Errors in the headers are KVS errors;
// once the 200 is out, problems are ERROR acks.
func (s *Service) putMedia(w http.ResponseWriter, r *http.Request) error {
	rq := httpapi.CallOf(r.Context())
	ps := &putSession{s: s, rq: rq, w: w, rc: http.NewResponseController(w), prevMs: math.MinInt64}
	defer r.Body.Close() // it may be a spooled file (the signed-body check)
	var err error
	name, arn := r.Header.Get("x-amzn-stream-name"), r.Header.Get("x-amzn-stream-arn")
	if ps.stream, err = s.d.Streams.Resolve(r.Context(), &name, &arn); err != nil {
		return err
	}
	switch tc := strings.ToUpper(r.Header.Get("x-amzn-fragment-timecode-type")); tc {
	case "", "ABSOLUTE":
	case "RELATIVE":
		ps.relative = true
		v := r.Header.Get("x-amzn-producer-start-timestamp")
		if ps.startMs, err = parseStartTimestamp(v); err != nil {
			return httpapi.InvalidArg("x-amzn-producer-start-timestamp %q: %v", v, err)
		}
	default:
		return httpapi.InvalidArg("x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE, not %q.", tc)
	}
	rq.Log = rq.Log.With("stream", ps.stream.Name)
	select {
	case s.sessions <- struct{}{}:
		defer func() { <-s.sessions }()
	default:
		return httpapi.Errorf(kvs.ClientLimitExceeded, "Too many PutMedia sessions in progress (%d).", s.cfg.MaxPutMediaSessions)
	}
	// The producer SDKs send Expect: 100-continue and hold the body back
	// until they see the 100 (curl, under the C SDK, for a second).
	// net/http sends it on the first body read, but only if no response
	// header went out before, and the 200 below goes out first: send it
	// now that the headers and the signature have been checked.
	if strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
		w.WriteHeader(http.StatusContinue)
	}
	// Acks go out while the body still arrives: HTTP/1.1 full duplex.
	_ = ps.rc.EnableFullDuplex()
	_ = ps.rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "application/json")
	// One session a connection: whatever ends it (the producer's end, a
	// stalled body, a newer session), the connection goes with it rather
	// than waiting idle for a request no producer sends.
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
	_ = ps.rc.Flush()

	began := time.Now()
	ps.until = began.Add(s.cfg.MaxPutMediaDuration)
	body := &timedReader{r: r.Body, progress: stall.NewDeadline(ps.rc, s.cfg.PutMediaIdleTimeout, s.cfg.PutMediaMinBytes, ps.until)}
	body.last.Store(began.UnixNano())
	ps.body = body
	// One producer per stream, as KVS: the last to connect wins, on
	// this server and, through the store's lease, on the others that
	// share it.
	s.producers.take(ps)
	defer s.producers.release(ps)
	if pl, ok := s.d.Store.(archive.ProducerLeases); ok {
		switch err := pl.TakeProducerLease(r.Context(), ps.stream.Name, rq.ID); {
		case err == nil, errors.Is(err, archive.ErrLeaseTaken):
			// Overtaken by a newer session: this one ends at its
			// first fragment, as one whose lease is taken later does.
			ps.lease = pl
		default:
			// The store is out of reach: so are this session's
			// fragments, which will get ERROR acks of their own.
			rq.Log.Warn("putmedia: producer lease not taken", "err", err)
		}
	}
	stopIdle := ps.idleAcks(body)
	defer stopIdle()
	rd := mkv.NewReader(body)
	// A producer closes each fragment with an end-of-fragment tag and
	// may then pause, or wait for the PERSISTED ack before it closes the
	// body: the fragment is complete at the tag.
	rd.EndAtTag(true)
	// ffmpeg and GStreamer send no end tag but write Clusters with their
	// size: such a fragment is complete at its last byte, and waiting for
	// the next element would acknowledge it a fragment late.
	rd.EndAtClusterSize(true)
	// A body is one Segment (KVS: more than one is an ERROR ack).
	rd.OneSegment(true)
	// BUFFERING goes out when a fragment's first bytes are in, as
	// KVS sends it, not when the whole fragment is: the reader reports
	// each Cluster's timecode as soon as it has read it.
	rd.OnFragmentStart(func(offset, timecode int64) {
		ps.buffering(offset, timecode, body.timeAt(offset))
	})
	var end int64 // input offset where the last fragment ended
	for {
		// On Drain, finish the fragment whose bytes began arriving
		// before it, and start no other.
		if at, ok := s.d.Draining(); ok && !body.arrivedBy(end, at) {
			break
		}
		f, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// A fragment acknowledged at its first bytes is named.
			a := putack.Ack{EventType: putack.Error}
			if st := ps.started; st != nil {
				a.FragmentTimecode, a.FragmentNumber = &st.timecode, st.number
			}
			if body.wasReplaced() {
				ps.ack(a, putack.ReadError, "replaced by a newer PutMedia on the stream", err)
				break
			}
			ps.ack(a, ps.overTime(readAckError(err)), "read", err)
			break
		}
		end = f.Offset + f.Size
		if !ps.fragment(f, body.timeAt(f.Offset)) {
			break
		}
		if e := ps.overTime(putack.Failure{}); e == putack.SessionTooLong {
			ps.ack(putack.Ack{EventType: putack.Error}, e, "session length", nil)
			break
		}
	}
	_, draining := s.d.Draining()
	rq.Log.Info("putmedia session ended", "persisted", ps.persisted, "draining", draining)
	return nil
}

// readAckError maps a reading error to its ack: over a size limit, a block
// of an undeclared track, any other broken Matroska, or the connection. A
// body whose signature check fails (the middleware's chunk reader) ends
// with an error of its own, not Matroska's: a read error too, since KVS
// has no ack for a forged body.
func readAckError(err error) putack.Failure {
	var me *mkv.Error
	if !errors.As(err, &me) {
		return putack.ReadError
	}
	switch {
	case errors.Is(err, mkv.ErrTooLarge):
		return putack.FragmentTooLarge
	case errors.Is(err, mkv.ErrUnknownTrack):
		return putack.UnknownTrack
	case errors.Is(err, mkv.ErrUnexpectedEOF):
		return putack.ReadError // the body was cut, not malformed
	}
	return putack.InvalidMKV
}

// buffering numbers the fragment whose first bytes, at offset, arrived at
// arrived, and sends its BUFFERING ack.
func (ps *putSession) buffering(offset, timecode int64, arrived time.Time) {
	st := &startedFragment{offset: offset, timecode: timecode, number: ps.s.numbers.next(arrived), arrived: arrived}
	ps.started = st
	ps.ack(putack.Ack{EventType: putack.Buffering, FragmentTimecode: &st.timecode, FragmentNumber: st.number}, putack.Failure{}, "", nil)
}

// fragment handles one fragment, whose first byte arrived at arrived;
// false ends the session.
func (ps *putSession) fragment(f *mkv.Fragment, arrived time.Time) bool {
	s := ps.s
	tc := f.Timecode
	// The fragment was acknowledged at its first bytes, unless its
	// Cluster had no timecode to report: then it is now.
	if st := ps.started; st == nil || st.offset != f.Offset {
		ps.buffering(f.Offset, tc, arrived)
	}
	st := ps.started
	ps.started = nil
	number, arrived := st.number, st.arrived
	if f.Truncated {
		// The body ended inside the Cluster: the producer went away. A
		// partial fragment is never stored.
		ps.ack(putack.Ack{EventType: putack.Error, FragmentTimecode: &tc, FragmentNumber: number}, ps.overTime(putack.ReadError), "truncated fragment", nil)
		return false
	}
	ps.ack(putack.Ack{EventType: putack.Received, FragmentTimecode: &tc, FragmentNumber: number}, putack.Failure{}, "", nil)
	fail := func(e putack.Failure, why string, err error) bool {
		ps.ack(putack.Ack{EventType: putack.Error, FragmentTimecode: &tc, FragmentNumber: number}, e, why, err)
		return true // the next fragment may be fine
	}
	scale := int64(f.Header.TimecodeScale)
	producerMs := timecodeMillis(tc, scale)
	if ps.relative {
		producerMs += ps.startMs
	}
	switch {
	case f.Size > s.cfg.MaxFragmentBytes:
		return fail(putack.FragmentTooLarge, "fragment too large", nil)
	case len(f.Blocks) == 0:
		return fail(putack.NoFrames, "fragment without frames", nil)
	case producerMs < 0:
		return fail(putack.BadProducerTime, "negative producer timestamp", nil)
	case producerMs <= ps.prevMs:
		return fail(putack.TimecodeDecreased, "timecode not after the previous fragment's", nil)
	}
	dur := fragmentMillis(f)
	if dur > s.cfg.MaxFragmentDuration.Milliseconds() {
		return fail(putack.FragmentTooLong, "fragment too long", nil)
	}
	doc, err := ps.document(f, number, producerMs, arrived.UnixMilli())
	if err != nil {
		return fail(putack.InvalidMKV, "fragment cannot be written", err)
	}
	meta := kvs.Fragment{Number: number, ProducerMillis: producerMs, ServerMillis: arrived.UnixMilli(), Size: int64(len(doc)), DurationMillis: dur}
	if ps.lostLease() {
		ps.ack(putack.Ack{EventType: putack.Error, FragmentTimecode: &tc, FragmentNumber: number}, putack.ReadError, "replaced by a newer PutMedia on another server", nil)
		return false
	}
	// A fragment received whole is stored even if its producer has gone.
	if err := s.d.Store.Put(context.Background(), ps.stream.Name, meta, doc); err != nil {
		if errors.Is(err, archive.ErrStreamNotFound) {
			ps.ack(putack.Ack{EventType: putack.Error, FragmentTimecode: &tc, FragmentNumber: number}, putack.StreamDeleted, "stream deleted", err)
			return false
		}
		s.d.Log.Error("putmedia: store", "request_id", ps.rq.ID, "err", err)
		return fail(putack.PersistFailed, "store failed", err)
	}
	ps.prevMs = producerMs
	ps.persisted++
	// The fragment is durable: GetMedia consumers tailing the stream
	// may read it now.
	s.d.Feed.Persisted(ps.stream.Name)
	s.d.Metrics.Fragments.Inc()
	s.d.Metrics.Ingested.Add(float64(len(doc)))
	s.d.Metrics.PersistLatency.Observe(time.Since(arrived).Seconds())
	ps.ack(putack.Ack{EventType: putack.Persisted, FragmentTimecode: &tc, FragmentNumber: number}, putack.Failure{}, "", nil)
	return true
}

// lostLease reports whether a session on another server has taken the
// stream since this one began. When the store cannot say, the session
// goes on: its Put meets the same outage and answers for itself.
func (ps *putSession) lostLease() bool {
	if ps.lease == nil {
		return false
	}
	holder, err := ps.lease.ProducerLeaseHolder(context.Background(), ps.stream.Name)
	return err == nil && holder != ps.rq.ID
}

// docBuffers recycles the buffers fragments are encoded into.
var docBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// document writes f as KVS stores it: a self-contained GetMedia-layout
// document with the three AWS tags and the producer's own tags.
func (ps *putSession) document(f *mkv.Fragment, number string, producerMs, serverMs int64) ([]byte, error) {
	out := *f
	if f.Timecode > math.MaxInt64/mkv.MaxTimecodeScale {
		// mkv.Writer refuses Cluster timecodes that could overflow at the
		// coarsest TimecodeScale, which epoch-ms ABSOLUTE timecodes (1.7e12)
		// exceed. Store the Cluster with its timecode moved to 0 and the
		// blocks with it: every reader places fragments by the
		// PRODUCER_TIMESTAMP tag, never by the raw timecode.
		out.Timecode = 0
		out.Blocks = make([]mkv.Block, len(f.Blocks))
		for i, b := range f.Blocks {
			b.Time -= f.Timecode
			out.Blocks[i] = b
		}
	}
	out.Tags = mkv.Tags{
		FragmentNumber:    number,
		ProducerTimestamp: producerMs, HasProducerTimestamp: true,
		ServerTimestamp: serverMs, HasServerTimestamp: true,
		EndOfFragment: f.Tags.EndOfFragment,
		Other:         f.Tags.Other,
	}
	buf := docBuffers.Get().(*bytes.Buffer)
	defer docBuffers.Put(buf)
	buf.Reset()
	w := mkv.NewWriter(buf, &mkv.WriterOptions{Layout: mkv.LayoutGetMedia})
	if err := w.WriteFragment(&out); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(buf.Bytes()), nil
}

// ack writes one ack line and flushes it. A failed write means the
// producer is gone; the read side notices on its own.
func (ps *putSession) ack(a putack.Ack, e putack.Failure, why string, err error) {
	if a.EventType == putack.Error {
		a.ErrorID, a.ErrorCode = e.ID, e.Code
		ps.rq.Log.Warn("putmedia error ack", "error_id", e.ID, "error_code", e.Code, "why", why, "fragment", a.FragmentNumber, "err", err)
	}
	line, _ := json.Marshal(a)
	line = append(line, '\n')
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if _, werr := ps.w.Write(line); werr == nil {
		_ = ps.rc.Flush()
	}
}

// overTime returns e, or MAX_CONNECTION_DURATION_REACHED once the session
// has lasted Config.MaxPutMediaDuration: reading stopped for that reason.
func (ps *putSession) overTime(e putack.Failure) putack.Failure {
	if !time.Now().Before(ps.until) {
		return putack.SessionTooLong
	}
	return e
}

// idleAcks sends an IDLE ack whenever the body has brought nothing for
// Config.PutMediaIdleAck, and again each PutMediaIdleAck while that lasts,
// until the returned function is called.
func (ps *putSession) idleAcks(body *timedReader) (stop func()) {
	every := ps.s.cfg.PutMediaIdleAck
	done := make(chan struct{})
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		t := time.NewTicker(every / 4)
		defer t.Stop()
		var sent int64 // when the last IDLE ack went out
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				// Idle is the producer's silence while the server
				// waits for it: not the time the server spends on a
				// fragment (a slow store) with the next bytes unread.
				waiting := body.waitingSince.Load()
				if waiting == 0 {
					continue
				}
				quiet := max(body.last.Load(), sent, waiting)
				if now.UnixNano()-quiet >= int64(every) {
					ps.ack(putack.Ack{EventType: putack.Idle}, putack.Failure{}, "", nil)
					sent = now.UnixNano()
				}
			}
		}
	}()
	return func() {
		close(done)
		<-ended
	}
}

// timecodeMillis converts a timecode in units of scale ns to ms.
func timecodeMillis(tc, scale int64) int64 {
	if scale == 1_000_000 {
		return tc
	}
	return int64(math.Round(float64(tc) * float64(scale) / 1e6))
}

// fragmentMillis is a fragment's playback length: the span of its first
// track's frames plus one average frame interval, since the last frame
// lasts too. (KVS reports the same for FragmentLengthInMilliseconds.)
func fragmentMillis(f *mkv.Fragment) int64 {
	track := f.Blocks[0].Track
	lo, hi, n := int64(math.MaxInt64), int64(math.MinInt64), 0
	for _, b := range f.Blocks {
		if b.Track != track {
			continue
		}
		lo, hi, n = min(lo, b.Time), max(hi, b.Time), n+1
	}
	span := hi - lo
	if n > 1 {
		span += span / int64(n-1)
	}
	return timecodeMillis(span, int64(f.Header.TimecodeScale))
}

// parseStartTimestamp reads x-amzn-producer-start-timestamp: epoch seconds
// with an optional fraction. The C producer prints the milliseconds
// without zero padding (5 ms is ".5"), so a fraction of up to three digits
// is a count of milliseconds; a longer one is an ordinary decimal fraction.
func parseStartTimestamp(v string) (int64, error) {
	secStr, frac, hasFrac := strings.Cut(strings.TrimSpace(v), ".")
	sec, err := strconv.ParseInt(secStr, 10, 64)
	if err != nil || sec < 0 || sec > math.MaxInt64/1000-1 {
		return 0, errors.New("not epoch seconds")
	}
	ms := int64(0)
	if hasFrac {
		if frac == "" || strings.Trim(frac, "0123456789") != "" {
			return 0, errors.New("not epoch seconds")
		}
		if len(frac) <= 3 {
			ms, _ = strconv.ParseInt(frac, 10, 64)
		} else {
			ms, _ = strconv.ParseInt(frac[:3], 10, 64)
		}
	}
	return sec*1000 + ms, nil
}
