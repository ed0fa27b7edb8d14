// Package putclient is the PutMedia client: the streaming upload a
// producer makes, which the AWS SDKs have no client for. kvsclip put and
// the server's tests use it. Its acks are package putack's.
package putclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/sigv4"
)

// defaultRegion signs a request whose input names no region: the server's
// default, server.DefaultRegion, which this package cannot import since
// the server's own tests import it.
const defaultRegion = "us-west-2"

// Input is one PutMedia call made by PutMedia.
type Input struct {
	// Endpoint is the data endpoint's base URL, such as http://127.0.0.1:8080.
	Endpoint   string
	StreamName string
	// TimecodeType is "ABSOLUTE" or "RELATIVE" (default).
	TimecodeType string
	// StartTimestamp is x-amzn-producer-start-timestamp for RELATIVE
	// timecodes; the current time when zero.
	StartTimestamp time.Time
	// Body is the Matroska stream; it is streamed as it is read.
	Body io.Reader
	// Credentials sign the request (SigV4, UNSIGNED-PAYLOAD body) when set.
	Credentials *aws.Credentials
	Region      string
}

// ErrAckError is wrapped by PutMedia's error when the server sent an ERROR ack.
var ErrAckError = errors.New("server sent an ERROR ack")

// PutMedia streams in.Body to the server and calls onAck for every ack as
// it arrives. It returns when the server ends the response; the error
// wraps ErrAckError if any ack was an ERROR, or is the server's API error.
func PutMedia(ctx context.Context, hc *http.Client, in Input, onAck func(putack.Ack)) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(in.Endpoint, "/")+"/putMedia", in.Body)
	if err != nil {
		return err
	}
	tc := in.TimecodeType
	if tc == "" {
		tc = "RELATIVE"
	}
	start := in.StartTimestamp
	if start.IsZero() {
		start = time.Now()
	}
	ms := start.UnixMilli()
	h := req.Header
	h.Set("x-amzn-stream-name", in.StreamName)
	h.Set("x-amzn-fragment-timecode-type", tc)
	h.Set("x-amzn-producer-start-timestamp", fmt.Sprintf("%d.%03d", ms/1000, ms%1000))
	h.Set("x-amzn-fragment-acknowledgment-required", "1")
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Amz-Content-Sha256", sigv4.UnsignedPayload)
	if in.Credentials != nil {
		region := in.Region
		if region == "" {
			region = defaultRegion
		}
		if err := v4.NewSigner().SignHTTP(ctx, *in.Credentials, req, sigv4.UnsignedPayload, sigv4.Service, region, time.Now()); err != nil {
			return err
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e struct{ Message string }
		json.Unmarshal(raw, &e)
		return &httpapi.Error{Code: resp.Header.Get("X-Amzn-ErrorType"), Status: resp.StatusCode, Message: e.Message}
	}
	var ackErr error
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var a putack.Ack
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			return fmt.Errorf("putmedia: bad ack %q: %w", line, err)
		}
		if a.EventType == putack.Error && ackErr == nil {
			ackErr = fmt.Errorf("putmedia: fragment %s: %d %s: %w", a.FragmentNumber, a.ErrorID, a.ErrorCode, ErrAckError)
		}
		if onAck != nil {
			onAck(a)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return ackErr
}
