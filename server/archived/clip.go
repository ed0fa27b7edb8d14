package archived

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
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
func (s *Service) sendClip(ctx context.Context, w http.ResponseWriter, r *http.Request, cs *clipSpec) error {
	if cs.st.RetentionHours == 0 {
		return httpapi.Errorf(kvs.NoDataRetention, "The stream %s has no data retention.", cs.st.Name)
	}
	now := s.d.Now()
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
	s.d.Metrics.ClipsOpen.Inc()
	defer s.d.Metrics.ClipsOpen.Dec()

	began := time.Now()
	frags, err := s.d.Store.List(ctx, cs.st.Name, cs.selector, cs.start, cs.end)
	listed := time.Since(began)
	if err != nil {
		return err
	}
	sel, err := dedup.Select(&req, frags, dedup.KVSLimits)
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
	chosen := make([]kvs.Fragment, len(sel.Chosen))
	for k, i := range sel.Chosen {
		chosen[k] = frags[i]
	}
	src := s.d.Reader.Source(cs.st.Name, chosen)
	etag := clipETag(cs, frags, &sel)
	plan, cached := s.plans.Get(etag)
	indexed, planned := time.Since(began), time.Since(began)
	if !cached {
		idx, err := s.d.Reader.Indexes(ctx, httpapi.Log(ctx), cs.st, chosen)
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
	s.d.Metrics.ClipPlans.WithLabelValues(how).Inc()
	out := answer.New(w, s.d.Metrics.ClipBytes)

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
	out.Body = stall.NewWriter(w, s.d.WriteStallTimeout, s.d.WriteTimeout)
	src.Start(ctx, plan.Spans(start, end))
	defer src.Close()
	out.Ready = src.Served
	var sink io.Writer = out
	if s.d.Vectored != nil && s.d.Vectored(w, r) {
		sink = answer.Vectored{Writer: out}
	}
	err = plan.WriteRange(ctx, sink, src, start, end)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		storeread.LogPayloadError(httpapi.Log(ctx), err)
		return answer.Failed(ctx, out, err)
	}
	// Where the time went, from the start of the selection: what a
	// store's round trips cost shows here.
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	httpapi.Log(ctx).Info("clip sent", "stream", cs.st.Name, "fragments", len(sel.Chosen), "bytes", out.Sent(),
		"range", status == http.StatusPartialContent, "format", cs.format.String(), "truncated", sel.Truncated,
		"plan_cached", cached, "listed_ms", ms(listed), "indexed_ms", ms(indexed), "planned_ms", ms(planned),
		"first_byte_ms", ms(out.First().Sub(began)), "sent_ms", ms(time.Since(began)))
	return nil
}

// Provenance headers: what the clip is made of, for people and tools that
// need to know which fragments they got. The AWS SDKs ignore them.
const (
	HeaderFirstFragment      = "X-Kvsclip-First-Fragment-Number"
	HeaderFirstProducer      = "X-Kvsclip-First-Producer-Timestamp"
	HeaderFirstServer        = "X-Kvsclip-First-Server-Timestamp"
	HeaderLastFragment       = "X-Kvsclip-Last-Fragment-Number"
	HeaderLastProducer       = "X-Kvsclip-Last-Producer-Timestamp"
	HeaderLastServer         = "X-Kvsclip-Last-Server-Timestamp"
	HeaderFragments          = "X-Kvsclip-Fragments"
	HeaderDuplicatesDropped  = "X-Kvsclip-Duplicates-Dropped"
	HeaderTruncated          = "X-Kvsclip-Truncated"
	HeaderNextStartTimestamp = "X-Kvsclip-Next-Start-Timestamp"
)

// provenance sets the provenance headers from the selection. Timestamps
// are epoch seconds with milliseconds, as the KVS JSON writes them.
func provenance(h http.Header, frags []kvs.Fragment, sel *dedup.Selection) {
	first, last := frags[sel.Chosen[0]], frags[sel.Chosen[len(sel.Chosen)-1]]
	h.Set(HeaderFirstFragment, first.Number)
	h.Set(HeaderFirstProducer, kvs.Millis(first.ProducerMillis).String())
	h.Set(HeaderFirstServer, kvs.Millis(first.ServerMillis).String())
	h.Set(HeaderLastFragment, last.Number)
	h.Set(HeaderLastProducer, kvs.Millis(last.ProducerMillis).String())
	h.Set(HeaderLastServer, kvs.Millis(last.ServerMillis).String())
	h.Set(HeaderFragments, strconv.Itoa(len(sel.Chosen)))
	dups := 0
	for _, d := range sel.Dropped {
		if d.Reason == dedup.Duplicate {
			dups++
		}
	}
	h.Set(HeaderDuplicatesDropped, strconv.Itoa(dups))
	h.Set(HeaderTruncated, strconv.FormatBool(sel.Truncated))
	if sel.Truncated && sel.HasNextStart {
		h.Set(HeaderNextStartTimestamp, kvs.Millis(sel.NextStart).String())
	}
}

// clipETag names the clip by what determines its bytes: the stream, the
// format, and the chosen fragments (numbers are never reused, and a stored
// fragment never changes).
func clipETag(cs *clipSpec, frags []kvs.Fragment, sel *dedup.Selection) string {
	hs := sha256.New()
	fmt.Fprintf(hs, "kvsclip-1 %s %s", cs.st.ARN, cs.format)
	for _, i := range sel.Chosen {
		fmt.Fprintf(hs, " %s:%d", frags[i].Number, frags[i].Size)
	}
	return `"` + hex.EncodeToString(hs.Sum(nil)[:16]) + `"`
}
