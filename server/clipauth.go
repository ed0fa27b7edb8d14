package server

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

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
