package server

import "net/http"

// authorizeURL admits a GET clip request: a presigned URL (X-Amz-Signature
// in the query) or whatever GetClip accepts.
func (s *Server) authorizeURL(w http.ResponseWriter, r *http.Request) error {
	if s.sig != nil && r.URL.Query().Has("X-Amz-Signature") {
		return s.sig.VerifyPresigned(r)
	}
	return s.authorize(w, r, false)
}
