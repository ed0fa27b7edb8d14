package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/stall"
)

// SigV4 constants: the one algorithm the SDKs use for this service, the
// service name in the credential scope, and the body hash a streaming
// client sends instead of a digest.
const (
	sigAlgorithm    = "AWS4-HMAC-SHA256"
	sigService      = "kinesisvideo"
	unsignedPayload = "UNSIGNED-PAYLOAD"
	// streamingPayload signs the body chunk by chunk (aws-chunked): each
	// chunk's signature chains from the previous one, starting from the
	// request's own signature (the seed).
	streamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// emptyPayloadHash is the SHA-256 of no bytes. The producer SDKs sign
	// PutMedia with it and send no X-Amz-Content-Sha256: the body is a
	// live stream whose hash no one can know when the request starts.
	emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	amzDateLayout    = "20060102T150405Z"
)

func notAuthorized(format string, args ...any) *httpapi.Error {
	return httpapi.Errorf(kvs.NotAuthorized, format, args...)
}

// authorize admits a request: with credentials configured it must carry a
// valid signature by them; without, it must come from this machine.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, streaming bool) error {
	if s.cfg.Credentials == nil {
		if !isLoopback(r.RemoteAddr) {
			return notAuthorized("This server has no credentials configured and serves loopback clients only.")
		}
		return nil
	}
	return s.verifySigV4(w, r, streaming)
}

// sigV4 is one signature to check, as the Authorization header or a
// presigned URL's query carries it.
type sigV4 struct {
	keyID, date, region, service string
	// amzDate is the signing time, YYYYMMDDTHHMMSSZ.
	amzDate   string
	signed    []string
	signature []byte
	// token is X-Amz-Security-Token, "" when absent.
	token string
}

func parseAuthorization(v string) (sigV4, error) {
	var h sigV4
	alg, rest, ok := strings.Cut(v, " ")
	if !ok || alg != sigAlgorithm {
		return h, errors.New("the Authorization header is not an AWS4-HMAC-SHA256 signature")
	}
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			if err := h.setCredential(val); err != nil {
				return h, err
			}
		case "SignedHeaders":
			h.signed = strings.Split(val, ";")
		case "Signature":
			sig, err := hex.DecodeString(val)
			if err != nil {
				return h, errors.New("malformed signature")
			}
			h.signature = sig
		}
	}
	if h.keyID == "" || len(h.signed) == 0 || len(h.signature) == 0 {
		return h, errors.New("the Authorization header lacks Credential, SignedHeaders or Signature")
	}
	return h, nil
}

// setCredential reads a credential: key id and scope.
func (h *sigV4) setCredential(v string) error {
	f := strings.Split(v, "/")
	if len(f) != 5 || f[4] != "aws4_request" {
		return errors.New("malformed credential scope")
	}
	h.keyID, h.date, h.region, h.service = f[0], f[1], f[2], f[3]
	return nil
}

// scope is the credential scope the signature is made in.
func (h *sigV4) scope() string {
	return h.date + "/" + h.region + "/" + h.service + "/aws4_request"
}

// signingKey derives SigV4's key for a day, region and service from the
// secret: the chain of HMACs every signature of that scope is made with.
func signingKey(secret, date, region, service string) []byte {
	key := hmacSHA256([]byte("AWS4"+secret), date)
	for _, p := range []string{region, service, "aws4_request"} {
		key = hmacSHA256(key, p)
	}
	return key
}

// stringToSign is what a signature is the HMAC of: the algorithm, time,
// scope and the hash of the canonical request (or, for an aws-chunked
// chunk, of the chunk's own string).
func stringToSign(amzDate, scope, canon string) string {
	sum := sha256.Sum256([]byte(canon))
	return sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

// checkScope checks what a signature claims before anything is hashed:
// the key, the service and region it is scoped to, the session token and
// that the headers whose tampering matters are among those it covers.
// KVS refuses a signature that leaves Host unsigned (it could be replayed
// to another endpoint), and one without the time.
func (s *Server) checkScope(h *sigV4, required ...string) error {
	creds := s.cfg.Credentials
	if subtle.ConstantTimeCompare([]byte(h.keyID), []byte(creds.AccessKeyID)) != 1 {
		return notAuthorized("The security token included in the request is invalid.")
	}
	if h.service != sigService {
		return notAuthorized("Credential should be scoped to correct service: '%s'.", sigService)
	}
	if h.region != s.cfg.Region {
		return notAuthorized("Credential should be scoped to a valid region, not '%s'; this server is '%s'.", h.region, s.cfg.Region)
	}
	if subtle.ConstantTimeCompare([]byte(h.token), []byte(creds.SessionToken)) != 1 {
		return notAuthorized("The security token included in the request is invalid.")
	}
	for _, name := range required {
		if !slices.Contains(h.signed, name) {
			return notAuthorized("The signature must cover the %s header.", name)
		}
	}
	if len(h.amzDate) != len(amzDateLayout) || h.date != h.amzDate[:8] {
		return notAuthorized("The credential scope date does not match X-Amz-Date.")
	}
	return nil
}

// checkSignature compares h's signature with the one the secret makes
// over canon, in constant time.
func (s *Server) checkSignature(h *sigV4, canon string) error {
	key := signingKey(s.cfg.Credentials.SecretAccessKey, h.date, h.region, h.service)
	if !hmac.Equal(hmacSHA256(key, stringToSign(h.amzDate, h.scope(), canon)), h.signature) {
		return notAuthorized("The request signature we calculated does not match the signature you provided.")
	}
	return nil
}

// verifySigV4 checks the request's Authorization header: its scope, then
// its time, then the signature over the canonical request, and only then
// reads any of a PutMedia body, whose bytes are verified before they are
// used.
func (s *Server) verifySigV4(w http.ResponseWriter, r *http.Request, streaming bool) error {
	h, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return notAuthorized("%v", err)
	}
	h.amzDate = r.Header.Get("X-Amz-Date")
	h.token = r.Header.Get("X-Amz-Security-Token")
	required := []string{"host", "x-amz-date"}
	if streaming {
		// PutMedia names its stream in a header: unsigned, a captured
		// request could be pointed at any stream.
		for _, name := range []string{"x-amzn-stream-name", "x-amzn-stream-arn"} {
			if r.Header.Get(name) != "" {
				required = append(required, name)
			}
		}
	}
	if err := s.checkScope(&h, required...); err != nil {
		return err
	}
	t, err := time.Parse(amzDateLayout, h.amzDate)
	if err != nil {
		return notAuthorized("The request has no valid X-Amz-Date header.")
	}
	if skew := s.cfg.Now().Sub(t); skew > s.cfg.MaxClockSkew || skew < -s.cfg.MaxClockSkew {
		return notAuthorized("Signature expired: %s is more than %s away from the server time.", h.amzDate, s.cfg.MaxClockSkew)
	}
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	var payload string
	switch {
	case claimed == unsignedPayload:
		payload = claimed
	case !streaming:
		if payload, err = s.jsonBodyHash(r, claimed); err != nil {
			return err
		}
	case claimed == "" || claimed == emptyPayloadHash:
		// Signed as the producer SDKs sign PutMedia, over the empty
		// payload: KVS accepts that form, and checking it needs no
		// body byte.
		payload = emptyPayloadHash
	case claimed == streamingPayload:
		payload = claimed
	default:
		if _, err := hex.DecodeString(claimed); err != nil || len(claimed) != sha256.Size*2 {
			return notAuthorized("X-Amz-Content-Sha256 is neither a SHA-256 nor a known payload mode.")
		}
		payload = claimed
	}
	if err := s.checkSignature(&h, canonicalRequest(r, h.signed, payload)); err != nil {
		return err
	}
	// The headers are genuine: now the body may be read, and is checked
	// against what they promise before any of it is used.
	switch {
	case streaming && payload == streamingPayload:
		cr := s.newChunkReader(r.Body, &h)
		cr.setDecodedLength(r)
		r.Body = cr
	case streaming && payload != unsignedPayload && payload != emptyPayloadHash:
		return s.spoolVerified(w, r, payload)
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// jsonBodyHash reads a JSON request's body (at most MaxRequestBody), puts
// it back for the handler, and returns its hash, which must be the one the
// client claims if it claims one.
func (s *Server) jsonBodyHash(r *http.Request, claimed string) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxRequestBody+1))
	if err != nil {
		return "", httpapi.InvalidArg("Could not read the request body.")
	}
	r.Body = io.NopCloser(bytes.NewReader(raw))
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	if claimed != "" && claimed != hash {
		return "", notAuthorized("X-Amz-Content-Sha256 does not match the body.")
	}
	return hash, nil
}

// spoolVerified reads a PutMedia body signed with its SHA-256 into an
// anonymous temporary file, hashing it, and makes the file the body only if
// the hash is the signed one: no fragment of a body that turns out forged
// is parsed, let alone stored. The whole body must be held to know its
// hash, so it is bounded by MaxSignedPutMediaBody (one fragment's worth by
// default); live streams sign their chunks (aws-chunked) or nothing.
func (s *Server) spoolVerified(w http.ResponseWriter, r *http.Request, want string) error {
	f, err := os.CreateTemp("", "kvsclip-putmedia-*")
	if err != nil {
		return err
	}
	os.Remove(f.Name()) // anonymous: gone when closed, even after a crash
	hasher := sha256.New()
	// The body comes under PutMedia's progress rule, as a streamed one.
	body := stall.Reader{R: r.Body, D: stall.NewDeadline(http.NewResponseController(w), s.cfg.Ingest.PutMediaIdleTimeout, s.cfg.Ingest.PutMediaMinBytes, time.Time{})}
	n, err := io.Copy(io.MultiWriter(f, hasher), io.LimitReader(body, s.cfg.MaxSignedPutMediaBody+1))
	switch {
	case err != nil:
		err = httpapi.InvalidArg("Could not read the request body.")
	case n > s.cfg.MaxSignedPutMediaBody:
		err = httpapi.InvalidArg("A PutMedia body signed with its hash is limited to %d bytes; sign its chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) or use UNSIGNED-PAYLOAD.", s.cfg.MaxSignedPutMediaBody)
	case hex.EncodeToString(hasher.Sum(nil)) != want:
		err = notAuthorized("X-Amz-Content-Sha256 does not match the body.")
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return err
	}
	r.Body = f
	return nil
}

// canonicalRequest builds SigV4's canonical form of r: method, URI path
// (escaped twice, as every service but S3 signs it), sorted query, the
// signed headers with folded values, and the body hash.
func canonicalRequest(r *http.Request, signed []string, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(sigEscape(path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(r.URL.Query()))
	b.WriteByte('\n')
	for _, name := range signed {
		b.WriteString(name)
		b.WriteByte(':')
		b.WriteString(headerValue(r, name))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

// headerValue is a signed header's canonical value. net/http moves Host,
// Content-Length and Transfer-Encoding out of the header map, so they come
// from the request.
func headerValue(r *http.Request, name string) string {
	switch name {
	case "host":
		return r.Host
	case "transfer-encoding":
		if len(r.TransferEncoding) > 0 {
			return strings.Join(r.TransferEncoding, ",")
		}
	case "content-length":
		if v := r.Header.Get("Content-Length"); v != "" {
			return v
		}
		return strconv.FormatInt(r.ContentLength, 10)
	}
	vals := r.Header.Values(name)
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

func canonicalQuery(q url.Values) string {
	if len(q) == 0 {
		return ""
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vals := append([]string(nil), q[k]...)
		sort.Strings(vals)
		for _, v := range vals {
			parts = append(parts, sigEscape(k, true)+"="+sigEscape(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// sigEscape percent-encodes every byte but RFC 3986's unreserved ones (and
// '/' in paths), with upper-case hex, as SigV4 requires.
func sigEscape(s string, slash bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !slash) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
