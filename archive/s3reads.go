package archive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyauth "github.com/aws/smithy-go/auth"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// s3Reads makes the GETs of clips — ReadAt's, and those of sample indexes
// — without the SDK's operation stack. A whole-cap clip makes 200 of
// each, and the stack (endpoint rules, middleware, retry bookkeeping,
// response deserialization) cost about 150 µs of CPU each, a fifth of the
// server's CPU for the clip, on top of the request itself. These GETs go
// to the URL the SDK's own endpoint resolver gives for the bucket, signed
// by the SDK's SigV4 signer with the client's credentials, through the
// client's HTTP client, and are retried as the client's retryer says
// (which errors, how many attempts, how long between). Everything else
// the store does goes through the SDK.
//
// newS3Reads returns nil, and ReadAt keeps to the SDK, for a client
// configured beyond what this replicates: a v1 endpoint resolver, an
// endpoint whose auth is not plain SigV4 (S3 Express, multi-region
// access points), anonymous credentials.
type s3Reads struct {
	hc      s3.HTTPClient
	creds   aws.CredentialsProvider
	signer  *v4.Signer
	name    string // signing name
	region  string // signing region
	bucket  *url.URL
	retryer aws.Retryer
}

// emptyPayloadHash is the SHA-256 of an empty body, the payload hash of a
// GET.
const emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// s3ReadBackoff bounds the wait before a GET is retried: the SDK's standard
// retryer waits up to 20 s, far past what a clip's reader waits for.
const s3ReadBackoff = time.Second

func newS3Reads(ctx context.Context, client *s3.Client, bucket string) *s3Reads {
	o := client.Options()
	if o.EndpointResolver != nil || o.Credentials == nil || o.HTTPClient == nil || o.Retryer == nil {
		return nil
	}
	if _, anon := o.Credentials.(aws.AnonymousCredentials); anon {
		return nil
	}
	resolver := o.EndpointResolverV2
	if resolver == nil {
		resolver = s3.NewDefaultEndpointResolverV2()
	}
	params := s3.EndpointParameters{
		Bucket:                         aws.String(bucket),
		Region:                         aws.String(o.Region),
		UseFIPS:                        aws.Bool(o.EndpointOptions.UseFIPSEndpoint == aws.FIPSEndpointStateEnabled),
		UseDualStack:                   aws.Bool(o.EndpointOptions.UseDualStackEndpoint == aws.DualStackEndpointStateEnabled),
		Endpoint:                       o.BaseEndpoint,
		ForcePathStyle:                 aws.Bool(o.UsePathStyle),
		Accelerate:                     aws.Bool(o.UseAccelerate),
		DisableMultiRegionAccessPoints: aws.Bool(o.DisableMultiRegionAccessPoints),
		UseArnRegion:                   aws.Bool(o.UseARNRegion),
		DisableS3ExpressSessionAuth:    o.DisableS3ExpressSessionAuth,
	}
	ep, err := resolver.ResolveEndpoint(ctx, params)
	if err != nil {
		return nil
	}
	r := &s3Reads{hc: o.HTTPClient, creds: o.Credentials, name: "s3", region: o.Region, retryer: o.Retryer}
	if opts, ok := smithyauth.GetAuthOptions(&ep.Properties); ok && len(opts) > 0 {
		// The endpoint rules name the scheme "sigv4"; smithy's own id is
		// the long form.
		if id := opts[0].SchemeID; id != "sigv4" && id != smithyauth.SchemeIDSigV4 {
			return nil
		}
		if n, ok := smithyhttp.GetSigV4SigningName(&opts[0].SignerProperties); ok {
			r.name = n
		}
		if reg, ok := smithyhttp.GetSigV4SigningRegion(&opts[0].SignerProperties); ok {
			r.region = reg
		}
	}
	if r.region == "" || ep.URI.Scheme == "" || ep.URI.Host == "" {
		return nil
	}
	u := ep.URI
	r.bucket = &u
	// S3 signs the path as sent: no second escaping (the SDK's S3 client
	// sets the same).
	r.signer = v4.NewSigner(func(so *v4.SignerOptions) { so.DisableURIPathEscaping = true })
	return r
}

// s3StatusError is an S3 answer other than the bytes asked for.
type s3StatusError struct {
	status int
	code   string // S3's error code (SlowDown, NoSuchKey, …), if it sent one
	msg    string
}

func (e *s3StatusError) Error() string {
	return fmt.Sprintf("s3 GET: %d %s: %s", e.status, http.StatusText(e.status), e.msg)
}

// HTTPStatusCode is what httpStatus and the SDK's retryers read, as
// from the SDK's errors.
func (e *s3StatusError) HTTPStatusCode() int { return e.status }

// ErrorCode is S3's code, which the SDK's retryers read for throttling.
func (e *s3StatusError) ErrorCode() string { return e.code }

// plainKey reports whether key needs no escaping in a URL path, as the
// store's keys do (stream names are letters, digits, '_', '.' and '-'):
// S3's canonical escaping and Go's differ for some other characters, and
// a key with them is left to the SDK.
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~/", c) >= 0) {
			return false
		}
	}
	return true
}

// get GETs bytes [off, off+n) of key, a plainKey, or the whole object
// when n < 0. The caller closes the body.
func (r *s3Reads) get(ctx context.Context, key string, off int64, n int) (*http.Response, error) {
	u := *r.bucket
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + key
	u.RawPath = ""
	rng := ""
	if n >= 0 {
		rng = "bytes=" + strconv.FormatInt(off, 10) + "-" + strconv.FormatInt(off+int64(n)-1, 10)
	}
	for attempt := 1; ; attempt++ {
		resp, err := r.once(ctx, &u, rng)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil || attempt >= r.retryer.MaxAttempts() || !r.retryer.IsErrorRetryable(err) {
			return nil, err
		}
		wait, derr := r.retryer.RetryDelay(attempt, err)
		if derr != nil {
			return nil, err
		}
		select {
		case <-time.After(min(wait, s3ReadBackoff)):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// once is one signed GET.
func (r *s3Reads) once(ctx context.Context, u *url.URL, rng string) (*http.Response, error) {
	creds, err := r.creds.Retrieve(ctx)
	if err != nil {
		return nil, fmt.Errorf("s3 GET: credentials: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	req.Header.Set("X-Amz-Content-Sha256", emptyPayloadHash)
	if err := r.signer.SignHTTP(ctx, creds, req, emptyPayloadHash, r.name, r.region, time.Now()); err != nil {
		return nil, err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusPartialContent {
		return resp, nil
	}
	// S3's error document says what went wrong; a few hundred bytes are
	// enough to log it.
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	e := &s3StatusError{status: resp.StatusCode, msg: strings.TrimSpace(string(msg))}
	if _, rest, ok := strings.Cut(e.msg, "<Code>"); ok {
		e.code, _, _ = strings.Cut(rest, "</Code>")
	}
	return nil, e
}
