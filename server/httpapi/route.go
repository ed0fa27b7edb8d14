package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Route is one operation of the API: its name, its path, and how it serves.
// The server's route table is a list of them; Op, Stream and Raw make them.
type Route struct {
	// Name is the KVS operation, such as "CreateStream": the label of the
	// metrics and the logs.
	Name string
	// Path is the operation's path, such as "/createStream"; it is served
	// for POST only.
	Path string
	// Streaming routes read their body as it arrives (PutMedia): the
	// middleware must not buffer it before the handler runs.
	Streaming bool
	// Serve answers the request. An error is written by the middleware as
	// the typed answer (From, WriteError), unless the response has begun.
	Serve func(w http.ResponseWriter, r *http.Request) error
}

// Validator is implemented by the inputs whose fields have rules beyond
// what JSON decoding checks (lengths, patterns, ranges of the service
// model). Validate returns the InvalidArgument that names the first field
// out of its rules.
type Validator interface {
	Validate() error
}

// Op registers a JSON operation: the body decodes into In, In's Validate
// (when it has one) checks it, h runs, and its Out is the 200 answer; a nil
// Out answers an empty object, as KVS answers operations with no output.
func Op[In, Out any](name, path string, h func(context.Context, *In) (*Out, error)) Route {
	return Route{Name: name, Path: path, Serve: func(w http.ResponseWriter, r *http.Request) error {
		in, err := decodeInput[In](r)
		if err != nil {
			return err
		}
		out, err := h(r.Context(), in)
		if err != nil {
			return err
		}
		if out == nil {
			WriteJSON(w, struct{}{})
			return nil
		}
		WriteJSON(w, out)
		return nil
	}}
}

// Stream registers an operation whose answer is a body the handler writes
// itself (GetClip, GetMedia, GetMediaForFragmentList): its JSON input is
// decoded and checked as Op's is, and until the handler writes, an error it
// returns is answered as the typed error.
func Stream[In any](name, path string, h func(context.Context, *In, http.ResponseWriter) error) Route {
	return Route{Name: name, Path: path, Serve: func(w http.ResponseWriter, r *http.Request) error {
		in, err := decodeInput[In](r)
		if err != nil {
			return err
		}
		return h(r.Context(), in, w)
	}}
}

// Raw registers an operation that reads its request itself: PutMedia, whose
// parameters are headers and whose body is a stream of Matroska.
func Raw(name, path string, streaming bool, h func(http.ResponseWriter, *http.Request) error) Route {
	return Route{Name: name, Path: path, Streaming: streaming, Serve: h}
}

func decodeInput[In any](r *http.Request) (*In, error) {
	in := new(In)
	limit := int64(DefaultMaxBody)
	if c := CallOf(r.Context()); c != nil && c.BodyLimit > 0 {
		limit = c.BodyLimit
	}
	if err := Decode(r.Body, limit, in); err != nil {
		return nil, err
	}
	if v, ok := any(in).(Validator); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// DefaultMaxBody bounds a JSON body when the request carries no Call (a
// handler served outside the server's middleware, in a test): KVS's
// requests are a few hundred bytes, and 1 MiB is the server's default.
const DefaultMaxBody = 1 << 20

// Decode reads a JSON body of at most limit bytes into v. Unknown members
// are ignored, as the SDKs of newer API versions may send some; an empty
// body is an empty object.
func Decode(body io.Reader, limit int64, v any) error {
	raw, err := io.ReadAll(http.MaxBytesReader(nil, io.NopCloser(body), limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return InvalidArg("Request body is larger than %d bytes.", limit)
		}
		return InvalidArg("Could not read the request body.")
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return InvalidArg("Request body is not valid JSON for this operation: %v", err)
	}
	return nil
}

// Call is what the middleware knows of one request, handed to the handler
// in its context: the request id, the operation, its logger, and the HTTP
// request itself for the few handlers that answer from it (the endpoint
// GetDataEndpoint names is the one the client reached).
type Call struct {
	// ID is the request id, sent back as x-amzn-RequestId.
	ID string
	// API is the operation's name.
	API string
	// Start is when the request arrived.
	Start time.Time
	// Log is the server's logger with the request id and operation.
	Log *slog.Logger
	// Request is the HTTP request.
	Request *http.Request
	// BodyLimit bounds the JSON body.
	BodyLimit int64
	// Code is the exception the request ended with; "" on success. A
	// handler that aborts a response it began sets it (Abort).
	Code string
}

type callKey struct{}

// WithCall returns ctx carrying c.
func WithCall(ctx context.Context, c *Call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// CallOf returns the Call of a request's context, or nil outside the
// server's middleware.
func CallOf(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Log returns the request's logger, or slog.Default() outside the
// middleware.
func Log(ctx context.Context) *slog.Logger {
	if c := CallOf(ctx); c != nil && c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// AbortedCode is the code a request is counted under when it failed after
// its response began: the client got a cut body, not an exception.
const AbortedCode = "Aborted"

// Abort ends a response that has begun and can no longer carry an error:
// it counts the request as aborted, logs what failed with its cause, and
// panics with http.ErrAbortHandler, which makes net/http cut the
// connection (or reset the HTTP/2 stream) instead of ending the body as if
// it were whole. The middleware's deferred accounting still runs.
func Abort(ctx context.Context, what string, err error) {
	c := CallOf(ctx)
	if c != nil {
		c.Code = AbortedCode
	}
	Log(ctx).Error(what+" aborted after the response began", "err", err)
	panic(http.ErrAbortHandler)
}
