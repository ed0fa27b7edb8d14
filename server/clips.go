package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/dedup"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/answer"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/stall"
	"github.com/kvsclip/kvsclip/server/storeread"
)

// clipSpec is a clip to make, however it was asked for: GetClip's JSON or
// the query of GET /clips/{stream}.mp4.
type clipSpec struct {
	st         archive.Stream
	selector   kvs.Selector
	start, end int64 // ms
	format     remux.Format
	// ranged allows a Range request (GET): the clip is planned in full,
	// and only the asked bytes are written.
	ranged bool
}

// sendClip selects the fragments, plans the clip, and answers with it. The
// whole clip is planned before the first byte, so every failure of the
// media is still a proper KVS error; the answer carries the exact
// Content-Length, an ETag naming the fragments, and the provenance headers.
func (s *Server) sendClip(w http.ResponseWriter, r *http.Request, rq *httpapi.Call, cs *clipSpec) error {
	if cs.st.RetentionHours == 0 {
		return httpapi.Errorf(kvs.NoDataRetention, "The stream %s has no data retention.", cs.st.Name)
	}
	now := s.cfg.Now()
	req := dedup.Request{Selector: cs.selector, Start: cs.start, End: cs.end}
	if err := req.Validate(now); err != nil {
		return err
	}
	// Real KVS's answer for a server-time range wholly before retention.
	if cs.selector == kvs.ServerTimestamp && cs.end < now.Add(-time.Duration(cs.st.RetentionHours)*time.Hour).UnixMilli() {
		return httpapi.InvalidArg("End timestamp %d is outside of the stream retention period.", cs.end)
	}
	// A player seeking in a clip sends many range requests in a second;
	// only whole-clip requests count against GetClip's rate.
	if r.Header.Get("Range") == "" && !s.rate.Allow(cs.st.Name) {
		return httpapi.Errorf(kvs.ClientLimitExceeded, "GetClip is limited to %g calls per second per stream.", s.cfg.GetClipTPSPerStream)
	}
	select {
	case s.clips <- struct{}{}:
		defer func() { <-s.clips }()
	default:
		return httpapi.Errorf(kvs.ClientLimitExceeded, "Too many GetClip requests in progress (%d).", s.cfg.MaxConcurrentGetClips)
	}
	s.m.ClipsOpen.Inc()
	defer s.m.ClipsOpen.Dec()

	began := time.Now()
	frags, err := s.cfg.Store.List(r.Context(), cs.st.Name, cs.selector, cs.start, cs.end)
	listed := time.Since(began)
	if err != nil {
		return err
	}
	metas := make([]dedup.Meta, len(frags))
	for i, f := range frags {
		metas[i] = dedup.Meta{Number: f.Number, ProducerMillis: f.ProducerMillis, ServerMillis: f.ServerMillis,
			HasProducer: true, HasServer: true, Bytes: f.Size}
	}
	sel, err := dedup.Select(&req, metas, dedup.KVSLimits)
	if err != nil {
		return err
	}
	if len(sel.Chosen) == 0 {
		return httpapi.Errorf(kvs.ResourceNotFound, kvs.NoFragmentsMessage)
	}

	// The clip is planned from the chosen fragments' sample indexes alone:
	// its exact size and every header byte are known before a payload is
	// read. Then only the payload bytes the response covers are read, by
	// ranges, ahead of the writer within the server's read budget.
	ctx := r.Context()
	chosen := make([]archive.Fragment, len(sel.Chosen))
	for k, i := range sel.Chosen {
		chosen[k] = frags[i]
	}
	src := s.rd.Source(cs.st.Name, chosen)
	etag := clipETag(cs, frags, &sel)
	plan, cached := s.plans.Get(etag)
	indexed, planned := time.Since(began), time.Since(began)
	if !cached {
		idx, err := s.rd.Indexes(ctx, rq.Log, cs.st, chosen)
		indexed = time.Since(began)
		if err != nil {
			return err
		}
		plan, err = remux.Plan(ctx, idx, src, &remux.PlanOptions{Options: remux.Options{Profile: remux.ProfileKVS}, Format: cs.format, Inputs: sel.Chosen})
		planned = time.Since(began)
		if err != nil {
			return err
		}
		s.plans.Put(etag, plan, planBytes(idx))
	}
	size, err := plan.Size()
	if err != nil {
		return err
	}
	how := "planned"
	if cached {
		how = "cached"
	}
	s.m.ClipPlans.WithLabelValues(how).Inc()
	out := answer.New(w, s.m.ClipBytes)

	h := w.Header()
	provenance(h, frags, &sel)
	h.Set("ETag", etag)
	h.Set("Content-Type", "video/mp4")
	h.Set("Accept-Ranges", "bytes")
	start, end, status := int64(0), size, http.StatusOK
	if cs.ranged {
		if match := r.Header.Get("If-None-Match"); match != "" && match == etag {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		if rg := r.Header.Get("Range"); rg != "" && (r.Header.Get("If-Range") == "" || r.Header.Get("If-Range") == etag) {
			var ok bool
			start, end, ok = parseRange(rg, size)
			if !ok {
				h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
				return &httpapi.Error{Code: "RequestedRangeNotSatisfiable", Status: http.StatusRequestedRangeNotSatisfiable, Message: fmt.Sprintf(
					"Range %q is outside of the clip's %d bytes.", rg, size)}
			}
			if start > 0 || end < size {
				status = http.StatusPartialContent
				h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, end-1, size))
			}
		}
	}
	h.Set("Content-Length", strconv.FormatInt(end-start, 10))
	out.Status = status
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return nil
	}
	out.Body = stall.NewWriter(w, s.cfg.WriteStallTimeout, s.cfg.WriteTimeout)
	src.Start(ctx, plan.Spans(start, end))
	defer src.Close()
	out.Ready = src.Served
	var sink io.Writer = out
	if vectoredResponse(w, r) {
		sink = answer.Vectored{Writer: out}
	}
	err = plan.WriteRange(ctx, sink, src, start, end)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		storeread.LogPayloadError(rq.Log, err)
		return answer.Failed(ctx, out, err)
	}
	// Where the time went, from the start of the selection: what a
	// store's round trips cost shows here.
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	rq.Log.Info("clip sent", "stream", cs.st.Name, "fragments", len(sel.Chosen), "bytes", out.Sent(),
		"range", status == http.StatusPartialContent, "format", cs.format.String(), "truncated", sel.Truncated,
		"plan_cached", cached, "listed_ms", ms(listed), "indexed_ms", ms(indexed), "planned_ms", ms(planned),
		"first_byte_ms", ms(out.First().Sub(began)), "sent_ms", ms(time.Since(began)))
	return nil
}

// Provenance headers: what the clip is made of, for people and tools that
// need to know which fragments they got. The AWS SDKs ignore them.
const (
	hdrFirstFragment      = "X-Kvsclip-First-Fragment-Number"
	hdrFirstProducer      = "X-Kvsclip-First-Producer-Timestamp"
	hdrFirstServer        = "X-Kvsclip-First-Server-Timestamp"
	hdrLastFragment       = "X-Kvsclip-Last-Fragment-Number"
	hdrLastProducer       = "X-Kvsclip-Last-Producer-Timestamp"
	hdrLastServer         = "X-Kvsclip-Last-Server-Timestamp"
	hdrFragments          = "X-Kvsclip-Fragments"
	hdrDuplicatesDropped  = "X-Kvsclip-Duplicates-Dropped"
	hdrTruncated          = "X-Kvsclip-Truncated"
	hdrNextStartTimestamp = "X-Kvsclip-Next-Start-Timestamp"
)

// provenance sets the provenance headers from the selection. Timestamps
// are epoch seconds with milliseconds, as the KVS JSON writes them.
func provenance(h http.Header, frags []archive.Fragment, sel *dedup.Selection) {
	first, last := frags[sel.Chosen[0]], frags[sel.Chosen[len(sel.Chosen)-1]]
	h.Set(hdrFirstFragment, first.Number)
	h.Set(hdrFirstProducer, kvs.Millis(first.ProducerMillis).String())
	h.Set(hdrFirstServer, kvs.Millis(first.ServerMillis).String())
	h.Set(hdrLastFragment, last.Number)
	h.Set(hdrLastProducer, kvs.Millis(last.ProducerMillis).String())
	h.Set(hdrLastServer, kvs.Millis(last.ServerMillis).String())
	h.Set(hdrFragments, strconv.Itoa(len(sel.Chosen)))
	dups := 0
	for _, d := range sel.Dropped {
		if d.Reason == dedup.Duplicate {
			dups++
		}
	}
	h.Set(hdrDuplicatesDropped, strconv.Itoa(dups))
	h.Set(hdrTruncated, strconv.FormatBool(sel.Truncated))
	if sel.Truncated && sel.HasNextStart {
		h.Set(hdrNextStartTimestamp, kvs.Millis(sel.NextStart).String())
	}
}

// clipETag names the clip by what determines its bytes: the stream, the
// format, and the chosen fragments (numbers are never reused, and a stored
// fragment never changes).
func clipETag(cs *clipSpec, frags []archive.Fragment, sel *dedup.Selection) string {
	hs := sha256.New()
	fmt.Fprintf(hs, "kvsclip-1 %s %s", cs.st.ARN, cs.format)
	for _, i := range sel.Chosen {
		fmt.Fprintf(hs, " %s:%d", frags[i].Number, frags[i].Size)
	}
	return `"` + hex.EncodeToString(hs.Sum(nil)[:16]) + `"`
}

// parseRange reads a single-range Range header ("bytes=a-b", "bytes=a-",
// "bytes=-n") into [start, end). A list of ranges is answered with the
// whole clip (ok with the full span), as RFC 9110 allows; ok is false
// when the range is not satisfiable.
func parseRange(v string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, size, true
	}
	a, b, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, size, true
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size, true
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end = size
	if b != "" {
		last, err := strconv.ParseInt(b, 10, 64)
		if err != nil || last < start {
			return 0, 0, false
		}
		end = min(last+1, size)
	}
	return start, end, true
}

// serveClipURL answers GET /clips/{stream}.mp4?start=&end=&selector=&format=:
// GetClip as a plain URL that a <video> element, curl or a download link
// can use, with byte ranges. Authorization is GetClip's: a SigV4 signature
// in the Authorization header or in the query string (a presigned URL), or
// a loopback client when the server has no credentials.
func (s *Server) serveClipURL(w http.ResponseWriter, r *http.Request) {
	rq := &httpapi.Call{ID: newRequestID(), Start: time.Now(), API: "GetClipURL", Request: r}
	w.Header().Set("x-amzn-RequestId", rq.ID)
	rq.Log = s.log.With("request_id", rq.ID, "api", rq.API)
	defer s.finish(rq)
	r = r.WithContext(httpapi.WithCall(r.Context(), rq))
	if err := s.authorizeURL(w, r); err != nil {
		s.fail(w, rq, err)
		return
	}
	cs, err := s.parseClipURL(r)
	if err == nil {
		err = s.sendClip(w, r, rq, cs)
	}
	if err != nil {
		s.fail(w, rq, err)
	}
}

// parseClipURL reads the stream from the path and the rest from the query.
func (s *Server) parseClipURL(r *http.Request) (*clipSpec, error) {
	name, ok := strings.CutSuffix(r.PathValue("file"), ".mp4")
	if !ok || name == "" {
		return nil, httpapi.InvalidArg("The clip URL is /clips/{stream}.mp4.")
	}
	st, err := s.streams.Resolve(r.Context(), &name, nil)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	cs := &clipSpec{st: st, ranged: true, format: remux.FormatMP4}
	switch strings.ToUpper(q.Get("selector")) {
	case "", "PRODUCER", "PRODUCER_TIMESTAMP":
		cs.selector = kvs.ProducerTimestamp
	case "SERVER", "SERVER_TIMESTAMP":
		cs.selector = kvs.ServerTimestamp
	default:
		return nil, httpapi.InvalidArg("selector must be producer or server.")
	}
	if cs.format, err = remux.ParseFormat(q.Get("format")); err != nil {
		return nil, httpapi.InvalidArg("format must be mp4 or fmp4.")
	}
	if q.Get("format") == "" {
		cs.format = remux.FormatMP4
	}
	if cs.start, err = parseURLTime(q.Get("start")); err != nil {
		return nil, httpapi.InvalidArg("start: %v", err)
	}
	if cs.end, err = parseURLTime(q.Get("end")); err != nil {
		return nil, httpapi.InvalidArg("end: %v", err)
	}
	return cs, nil
}

// parseURLTime reads a start or end of the query (kvs.ParseMillis), in ms.
func parseURLTime(v string) (int64, error) {
	if v == "" {
		return 0, fmt.Errorf("required")
	}
	ms, err := kvs.ParseMillis(v)
	return int64(ms), err
}

// authorizeURL admits a GET clip request: a presigned URL (X-Amz-Signature
// in the query) or whatever GetClip accepts.
func (s *Server) authorizeURL(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Credentials != nil && r.URL.Query().Has("X-Amz-Signature") {
		return s.verifyPresigned(r)
	}
	return s.authorize(w, r, false)
}

// maxPresignExpiry is SigV4's longest X-Amz-Expires: seven days.
const maxPresignExpiry = 7 * 24 * time.Hour

// verifyPresigned checks a SigV4 signature carried in the query string:
// the canonical request is that of the header form with the query minus
// X-Amz-Signature. A presigned GET has no body to hash: the SDKs'
// presigners sign it over the empty body's hash (botocore, the JS SDK) or
// UNSIGNED-PAYLOAD (S3's convention, and this server's page), so either is
// accepted.
func (s *Server) verifyPresigned(r *http.Request) error {
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != sigAlgorithm {
		return notAuthorized("X-Amz-Algorithm must be %s.", sigAlgorithm)
	}
	var h sigV4
	if err := h.setCredential(q.Get("X-Amz-Credential")); err != nil {
		return notAuthorized("%v", err)
	}
	h.amzDate, h.token = q.Get("X-Amz-Date"), q.Get("X-Amz-Security-Token")
	h.signed = strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	var err error
	if h.signature, err = hex.DecodeString(q.Get("X-Amz-Signature")); err != nil || len(h.signature) == 0 {
		return notAuthorized("malformed X-Amz-Signature")
	}
	// The time is in the query, which is signed whole: only Host must be
	// among the signed headers.
	if err := s.checkScope(&h, "host"); err != nil {
		return err
	}
	t, err := time.Parse(amzDateLayout, h.amzDate)
	if err != nil {
		return notAuthorized("X-Amz-Date is missing or malformed.")
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > maxPresignExpiry {
		return notAuthorized("X-Amz-Expires must be 1 to %d seconds.", int64(maxPresignExpiry/time.Second))
	}
	now := s.cfg.Now()
	if now.Before(t.Add(-s.cfg.MaxClockSkew)) || now.After(t.Add(time.Duration(secs)*time.Second)) {
		return notAuthorized("Request has expired.")
	}
	rest := url.Values{}
	for k, v := range q {
		if k != "X-Amz-Signature" {
			rest[k] = v
		}
	}
	u := *r.URL
	u.RawQuery = rest.Encode()
	r2 := r.WithContext(r.Context())
	r2.URL = &u
	err = s.checkSignature(&h, canonicalRequest(r2, h.signed, emptyPayloadHash))
	if err != nil {
		err = s.checkSignature(&h, canonicalRequest(r2, h.signed, unsignedPayload))
	}
	return err
}
