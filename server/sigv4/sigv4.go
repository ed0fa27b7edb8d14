// Package sigv4 checks AWS Signature Version 4 as KVS checks it, for every
// way a request to the server can be signed: the Authorization header of a
// JSON operation (over its body's hash), of a streaming one (PutMedia:
// UNSIGNED-PAYLOAD, the empty payload's hash, the body's SHA-256, or
// aws-chunked with a signature per chunk) and the query of a presigned URL
// (GET /clips). One Verifier holds the key pair, the region and the clock
// for all of them, and a body is only handed on once what its signature
// promises of it is verified (Verifier.VerifyStream).
//
// Signer makes, from the same primitives, the signatures a client makes
// that the AWS SDK's signer does not: over a chosen set of headers (as the
// producer SDK signs PutMedia) and chunk by chunk.
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// SigV4 constants: the one algorithm the SDKs use for this service, the
// service name in the credential scope, and the body hashes a client sends
// instead of a digest.
const (
	Algorithm       = "AWS4-HMAC-SHA256"
	Service         = "kinesisvideo"
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// StreamingPayload signs the body chunk by chunk (aws-chunked): each
	// chunk's signature chains from the previous one, starting from the
	// request's own signature (the seed).
	StreamingPayload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	// EmptyPayloadHash is the SHA-256 of no bytes. The producer SDKs sign
	// PutMedia with it and send no X-Amz-Content-Sha256: the body is a
	// live stream whose hash no one can know when the request starts.
	EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// DateLayout is X-Amz-Date's: the signing time, YYYYMMDDTHHMMSSZ.
	DateLayout = "20060102T150405Z"
)

// Credentials are the one key pair a server accepts SigV4 signatures from.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken, when set, must come with every request as
	// X-Amz-Security-Token (temporary credentials); when empty, a request
	// carrying a token is refused, as AWS refuses a token it did not issue.
	SessionToken string
}

// claim is one signature to check, as the Authorization header or a
// presigned URL's query carries it.
type claim struct {
	keyID, date, region, service string
	// amzDate is the signing time, YYYYMMDDTHHMMSSZ.
	amzDate   string
	signed    []string
	signature []byte
	// token is X-Amz-Security-Token, "" when absent.
	token string
}

func parseAuthorization(v string) (claim, error) {
	var h claim
	alg, rest, ok := strings.Cut(v, " ")
	if !ok || alg != Algorithm {
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
			s, err := hex.DecodeString(val)
			if err != nil {
				return h, errors.New("malformed signature")
			}
			h.signature = s
		}
	}
	if h.keyID == "" || len(h.signed) == 0 || len(h.signature) == 0 {
		return h, errors.New("the Authorization header lacks Credential, SignedHeaders or Signature")
	}
	return h, nil
}

// setCredential reads a credential: key id and scope.
func (h *claim) setCredential(v string) error {
	f := strings.Split(v, "/")
	if len(f) != 5 || f[4] != "aws4_request" {
		return errors.New("malformed credential scope")
	}
	h.keyID, h.date, h.region, h.service = f[0], f[1], f[2], f[3]
	return nil
}

// scope is the credential scope the signature is made in.
func (h *claim) scope() string {
	return scope(h.date, h.region, h.service)
}

func scope(date, region, service string) string {
	return date + "/" + region + "/" + service + "/aws4_request"
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
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// CanonicalRequest builds SigV4's canonical form of r: method, URI path
// (escaped twice, as every service but S3 signs it), sorted query, the
// signed headers (lower-case names, in order) with folded values, and the
// body hash payload.
func CanonicalRequest(r *http.Request, signed []string, payload string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	path := r.URL.EscapedPath()
	if path == "" {
		path = "/"
	}
	b.WriteString(escape(path, false))
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
			parts = append(parts, escape(k, true)+"="+escape(v, true))
		}
	}
	return strings.Join(parts, "&")
}

// escape percent-encodes every byte but RFC 3986's unreserved ones (and
// '/' in paths), with upper-case hex, as SigV4 requires.
func escape(s string, slash bool) string {
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
