package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/stall"
)

// selector is the JSON of a FragmentSelector / ClipFragmentSelector.
type selector struct {
	FragmentSelectorType string
	TimestampRange       *struct {
		StartTimestamp, EndTimestamp *kvs.Millis
	}
}

// parse checks the selector and returns its kind and range in ms.
func (sel *selector) parse() (kvs.Selector, int64, int64, error) {
	kind := kvs.Selector(sel.FragmentSelectorType)
	if !kind.Valid() {
		return "", 0, 0, httpapi.InvalidArg("FragmentSelectorType must be PRODUCER_TIMESTAMP or SERVER_TIMESTAMP.")
	}
	tr := sel.TimestampRange
	if tr == nil || tr.StartTimestamp == nil || tr.EndTimestamp == nil {
		return "", 0, 0, httpapi.InvalidArg("TimestampRange needs StartTimestamp and EndTimestamp.")
	}
	return kind, int64(*tr.StartTimestamp), int64(*tr.EndTimestamp), nil
}

// fragmentJSON is ListFragments' Fragment.
type fragmentJSON struct {
	FragmentNumber               string
	FragmentSizeInBytes          int64
	ProducerTimestamp            kvs.Millis
	ServerTimestamp              kvs.Millis
	FragmentLengthInMilliseconds int64
}

// listToken is ListFragments' NextToken: the query and the last number
// returned, so the next page continues after it. Standard base64 fits the
// token pattern of the API model.
type listToken struct {
	kind       kvs.Selector
	start, end int64
	after      string
}

func (t listToken) encode() string {
	return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "%s %d %d %s", t.kind, t.start, t.end, t.after))
}

func decodeListToken(s string) (listToken, error) {
	var t listToken
	raw, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		var k string
		_, err = fmt.Sscanf(string(raw), "%s %d %d %s", &k, &t.start, &t.end, &t.after)
		t.kind = kvs.Selector(k)
	}
	if err != nil || !kvs.ValidFragmentNumber(t.after) || !t.kind.Valid() {
		return t, httpapi.InvalidArg("NextToken is not valid.")
	}
	return t, nil
}

func (s *Server) listFragments(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN, NextToken *string
		MaxResults                       *int64
		FragmentSelector                 *selector
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	limit := httpapi.Deref(in.MaxResults)
	if in.MaxResults != nil && (limit < 1 || limit > 1000) {
		return httpapi.InvalidArg("MaxResults must be between 1 and 1000.")
	}
	if limit == 0 {
		limit = 1000
	}
	// Without a selector or token: every fragment of the stream.
	q := listToken{kind: kvs.ServerTimestamp, start: math.MinInt64, end: math.MaxInt64}
	switch {
	case in.NextToken != nil:
		if err := fieldFragmentsToken.Check(in.NextToken); err != nil {
			return err
		}
		if q, err = decodeListToken(*in.NextToken); err != nil {
			return err
		}
	case in.FragmentSelector != nil:
		if q.kind, q.start, q.end, err = in.FragmentSelector.parse(); err != nil {
			return err
		}
		if q.end < q.start {
			return httpapi.InvalidArg("EndTimestamp must not be before StartTimestamp.")
		}
	}
	frags, err := s.cfg.Store.List(r.Context(), st.Name, q.kind, q.start, q.end)
	if err != nil {
		return err
	}
	out := struct {
		Fragments []fragmentJSON
		NextToken *string `json:",omitempty"`
	}{Fragments: []fragmentJSON{}}
	for _, f := range frags {
		if q.after != "" && kvs.CompareFragmentNumbers(f.Number, q.after) <= 0 {
			continue
		}
		if int64(len(out.Fragments)) == limit {
			q.after = out.Fragments[limit-1].FragmentNumber
			tok := q.encode()
			out.NextToken = &tok
			break
		}
		out.Fragments = append(out.Fragments, fragmentJSON{
			FragmentNumber: f.Number, FragmentSizeInBytes: f.Size,
			ProducerTimestamp: kvs.Millis(f.ProducerMillis), ServerTimestamp: kvs.Millis(f.ServerMillis),
			FragmentLengthInMilliseconds: f.DurationMillis,
		})
	}
	httpapi.WriteJSON(w, out)
	return nil
}

// getMediaForFragmentList streams the stored documents one after another,
// which is exactly KVS's answer: a concatenation of self-contained MKVs.
// Every number is checked against the index first, so an unknown one is a
// clean ResourceNotFound rather than a cut response.
func (s *Server) getMediaForFragmentList(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN *string
		Fragments             []string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if len(in.Fragments) < 1 || len(in.Fragments) > 1000 {
		return httpapi.InvalidArg("Fragments must list 1 to 1000 fragment numbers.")
	}
	metas := make([]archive.Fragment, len(in.Fragments))
	for i, n := range in.Fragments {
		if !kvs.ValidFragmentNumber(n) {
			return httpapi.InvalidArg("Fragment number %q is not 1 to 128 decimal digits.", n)
		}
		if metas[i], err = s.cfg.Store.Lookup(r.Context(), st.Name, n); err != nil {
			if errors.Is(err, archive.ErrFragmentNotFound) || errors.Is(err, archive.ErrStreamNotFound) {
				return httpapi.Errorf(kvs.ResourceNotFound, "Fragment %s of stream %s was not found.", n, st.Name)
			}
			// The store failed (S3 unreachable): a 500 the client
			// retries, not a 404 that says the fragment is gone.
			return err
		}
	}
	body := stall.NewWriter(w, s.cfg.WriteStallTimeout, s.cfg.WriteTimeout)
	w.Header().Set("Content-Type", "video/webm")
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sent := false
	for c := range s.rd.Documents(ctx, st.Name, metas) {
		err := c.Err
		if err == nil {
			_, err = body.Write(c.B)
			s.rd.Recycle(c.B)
		}
		if err != nil {
			if !sent {
				return err
			}
			s.abort(rq, "GetMediaForFragmentList", err)
		}
		sent = true
	}
	return nil
}

// abort ends a response that has begun: the only honest signal left is to
// cut the connection, which clients see as a truncated body.
func (s *Server) abort(rq *httpapi.Call, what string, err error) {
	rq.Code = "Aborted"
	rq.Log.Error(what+" aborted after the response began", "err", err)
	panic(http.ErrAbortHandler)
}
