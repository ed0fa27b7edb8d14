package sigv4

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/stall"
)

// MaxPresignExpiry is SigV4's longest X-Amz-Expires: seven days.
const MaxPresignExpiry = 7 * 24 * time.Hour

// Verifier checks the signatures of requests made with one key pair in one
// region. Every failure is a NotAuthorizedException in KVS's words, but
// for a body that cannot be read or is too large (InvalidArgument).
type Verifier struct {
	// Credentials are the key pair signatures must be made with.
	Credentials Credentials
	// Region is the one a signature's scope must name.
	Region string
	// MaxClockSkew is how far a signature's time may be from Now.
	MaxClockSkew time.Duration
	// Now is the clock.
	Now func() time.Time
	// MaxBody bounds the JSON body Verify reads to hash it.
	MaxBody int64
	// MaxSignedStreamBody bounds a streaming body signed with its hash
	// (rather than UNSIGNED-PAYLOAD or per chunk): it must be held all,
	// unused, until the hash is checked at its end.
	MaxSignedStreamBody int64
	// StreamIdleTimeout and StreamMinBytes are the progress rule that
	// body is read under: at least StreamMinBytes in every window of
	// StreamIdleTimeout, as the stream it stands for would be read.
	StreamIdleTimeout time.Duration
	StreamMinBytes    int64
}

func notAuthorized(format string, args ...any) *httpapi.Error {
	return httpapi.Errorf(kvs.NotAuthorized, format, args...)
}

// Verify checks the Authorization header of a request whose body is a JSON
// document: its scope, its time, then the signature over the canonical
// request with the body's hash. The body is read (at most MaxBody) and put
// back for the handler.
func (v *Verifier) Verify(r *http.Request) error {
	return v.verify(nil, r, false)
}

// VerifyStream checks the Authorization header of a streaming request
// (PutMedia) before any byte of its body is read, then makes r.Body one
// whose bytes are verified before they are handed out: aws-chunked chunk by
// chunk (ErrChunkSignature ends it at a bad chunk), a body signed with its
// SHA-256 spooled to an anonymous file and checked whole (within
// MaxSignedStreamBody, read under the progress rule through w's
// connection). A body signed as UNSIGNED-PAYLOAD or over the empty payload
// is left as it is. Since PutMedia names its stream in a header, that
// header must be signed too.
func (v *Verifier) VerifyStream(w http.ResponseWriter, r *http.Request) error {
	return v.verify(w, r, true)
}

// verify checks the request's Authorization header: its scope, then its
// time, then the signature over the canonical request, and only then reads
// any of a streaming body, whose bytes are verified before they are used.
func (v *Verifier) verify(w http.ResponseWriter, r *http.Request, streaming bool) error {
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
	if err := v.checkScope(&h, required...); err != nil {
		return err
	}
	t, err := time.Parse(DateLayout, h.amzDate)
	if err != nil {
		return notAuthorized("The request has no valid X-Amz-Date header.")
	}
	if skew := v.Now().Sub(t); skew > v.MaxClockSkew || skew < -v.MaxClockSkew {
		return notAuthorized("Signature expired: %s is more than %s away from the server time.", h.amzDate, v.MaxClockSkew)
	}
	claimed := r.Header.Get("X-Amz-Content-Sha256")
	var payload string
	switch {
	case claimed == UnsignedPayload:
		payload = claimed
	case !streaming:
		if payload, err = v.jsonBodyHash(r, claimed); err != nil {
			return err
		}
	case claimed == "" || claimed == EmptyPayloadHash:
		// Signed as the producer SDKs sign PutMedia, over the empty
		// payload: KVS accepts that form, and checking it needs no
		// body byte.
		payload = EmptyPayloadHash
	case claimed == StreamingPayload:
		payload = claimed
	default:
		if _, err := hex.DecodeString(claimed); err != nil || len(claimed) != sha256.Size*2 {
			return notAuthorized("X-Amz-Content-Sha256 is neither a SHA-256 nor a known payload mode.")
		}
		payload = claimed
	}
	if err := v.checkSignature(&h, CanonicalRequest(r, h.signed, payload)); err != nil {
		return err
	}
	// The headers are genuine: now the body may be read, and is checked
	// against what they promise before any of it is used.
	switch {
	case streaming && payload == StreamingPayload:
		cr := v.newChunkReader(r.Body, &h)
		cr.setDecodedLength(r)
		r.Body = cr
	case streaming && payload != UnsignedPayload && payload != EmptyPayloadHash:
		return v.spoolVerified(w, r, payload)
	}
	return nil
}

// VerifyPresigned checks a SigV4 signature carried in the query string:
// the canonical request is that of the header form with the query minus
// X-Amz-Signature. A presigned GET has no body to hash: the SDKs'
// presigners sign it over the empty body's hash (botocore, the JS SDK) or
// UNSIGNED-PAYLOAD (S3's convention, and this server's page), so either is
// accepted.
func (v *Verifier) VerifyPresigned(r *http.Request) error {
	q := r.URL.Query()
	if q.Get("X-Amz-Algorithm") != Algorithm {
		return notAuthorized("X-Amz-Algorithm must be %s.", Algorithm)
	}
	var h claim
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
	if err := v.checkScope(&h, "host"); err != nil {
		return err
	}
	t, err := time.Parse(DateLayout, h.amzDate)
	if err != nil {
		return notAuthorized("X-Amz-Date is missing or malformed.")
	}
	secs, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	if err != nil || secs < 1 || time.Duration(secs)*time.Second > MaxPresignExpiry {
		return notAuthorized("X-Amz-Expires must be 1 to %d seconds.", int64(MaxPresignExpiry/time.Second))
	}
	now := v.Now()
	if now.Before(t.Add(-v.MaxClockSkew)) || now.After(t.Add(time.Duration(secs)*time.Second)) {
		return notAuthorized("Request has expired.")
	}
	rest := url.Values{}
	for k, val := range q {
		if k != "X-Amz-Signature" {
			rest[k] = val
		}
	}
	u := *r.URL
	u.RawQuery = rest.Encode()
	r2 := r.WithContext(r.Context())
	r2.URL = &u
	err = v.checkSignature(&h, CanonicalRequest(r2, h.signed, EmptyPayloadHash))
	if err != nil {
		err = v.checkSignature(&h, CanonicalRequest(r2, h.signed, UnsignedPayload))
	}
	return err
}

// checkScope checks what a signature claims before anything is hashed:
// the key, the service and region it is scoped to, the session token and
// that the headers whose tampering matters are among those it covers.
// KVS refuses a signature that leaves Host unsigned (it could be replayed
// to another endpoint), and one without the time.
func (v *Verifier) checkScope(h *claim, required ...string) error {
	creds := v.Credentials
	if subtle.ConstantTimeCompare([]byte(h.keyID), []byte(creds.AccessKeyID)) != 1 {
		return notAuthorized("The security token included in the request is invalid.")
	}
	if h.service != Service {
		return notAuthorized("Credential should be scoped to correct service: '%s'.", Service)
	}
	if h.region != v.Region {
		return notAuthorized("Credential should be scoped to a valid region, not '%s'; this server is '%s'.", h.region, v.Region)
	}
	if subtle.ConstantTimeCompare([]byte(h.token), []byte(creds.SessionToken)) != 1 {
		return notAuthorized("The security token included in the request is invalid.")
	}
	for _, name := range required {
		if !slices.Contains(h.signed, name) {
			return notAuthorized("The signature must cover the %s header.", name)
		}
	}
	if len(h.amzDate) != len(DateLayout) || h.date != h.amzDate[:8] {
		return notAuthorized("The credential scope date does not match X-Amz-Date.")
	}
	return nil
}

// checkSignature compares h's signature with the one the secret makes
// over canon, in constant time.
func (v *Verifier) checkSignature(h *claim, canon string) error {
	key := signingKey(v.Credentials.SecretAccessKey, h.date, h.region, h.service)
	if !hmac.Equal(hmacSHA256(key, stringToSign(h.amzDate, h.scope(), canon)), h.signature) {
		return notAuthorized("The request signature we calculated does not match the signature you provided.")
	}
	return nil
}

// jsonBodyHash reads a JSON request's body (at most MaxBody), puts it back
// for the handler, and returns its hash, which must be the one the client
// claims if it claims one.
func (v *Verifier) jsonBodyHash(r *http.Request, claimed string) (string, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, v.MaxBody+1))
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

// spoolVerified reads a streaming body signed with its SHA-256 into an
// anonymous temporary file, hashing it, and makes the file the body only if
// the hash is the signed one: no fragment of a body that turns out forged
// is parsed, let alone stored. The whole body must be held to know its
// hash, so it is bounded by MaxSignedStreamBody (one fragment's worth by
// default); live streams sign their chunks (aws-chunked) or nothing.
func (v *Verifier) spoolVerified(w http.ResponseWriter, r *http.Request, want string) error {
	f, err := os.CreateTemp("", "kvsclip-putmedia-*")
	if err != nil {
		return err
	}
	os.Remove(f.Name()) // anonymous: gone when closed, even after a crash
	hasher := sha256.New()
	// The body comes under PutMedia's progress rule, as a streamed one.
	body := stall.Reader{R: r.Body, D: stall.NewDeadline(http.NewResponseController(w), v.StreamIdleTimeout, v.StreamMinBytes, time.Time{})}
	n, err := io.Copy(io.MultiWriter(f, hasher), io.LimitReader(body, v.MaxSignedStreamBody+1))
	switch {
	case err != nil:
		err = httpapi.InvalidArg("Could not read the request body.")
	case n > v.MaxSignedStreamBody:
		err = httpapi.InvalidArg("A PutMedia body signed with its hash is limited to %d bytes; sign its chunks (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) or use UNSIGNED-PAYLOAD.", v.MaxSignedStreamBody)
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
