package server

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
)

// Error is an API error: the exception name the SDKs decode into a typed
// error, and the HTTP status KVS uses for it.
type Error struct {
	// Code is the exception shape name, such as "ResourceInUseException".
	Code string
	// Status is the HTTP status.
	Status int
	// Message is the text callers see.
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Exception names of the control plane that kvs, which speaks for the
// archived-media API, has no kind for.
const (
	codeResourceInUse    = "ResourceInUseException"
	codeVersionMismatch  = "VersionMismatchException"
	codeInternalFailure  = "InternalFailure"
	codeUnknownOperation = "UnknownOperationException"
)

func apiErr(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// kindErr makes an error of a kvs kind, with the kind's status.
func kindErr(k kvs.Kind, format string, args ...any) *Error {
	return apiErr(k.Exception(), statusOf(k), format, args...)
}

func invalidArg(format string, args ...any) *Error {
	return kindErr(kvs.InvalidArgument, format, args...)
}

func streamNotFound(name string) *Error {
	return kindErr(kvs.ResourceNotFound, "The requested stream %s was not found.", name)
}

// statusOf is the HTTP status of each kind (spec §1.8): 401 and 404 for the
// two kinds the model gives their own status, 500 for what has no kind, and
// 400 for everything else, throttling included.
func statusOf(k kvs.Kind) int {
	switch k {
	case kvs.NotAuthorized:
		return http.StatusUnauthorized
	case kvs.ResourceNotFound:
		return http.StatusNotFound
	case kvs.Unknown:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// toAPIError classifies any error a handler returns. Errors without a kind
// are internal failures; their text stays in the log, not in the answer,
// since it can name paths on the server.
func toAPIError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, archive.ErrStreamNotFound) {
		return kindErr(kvs.ResourceNotFound, "The requested stream was not found.")
	}
	if errors.Is(err, archive.ErrFragmentNotFound) {
		return kindErr(kvs.ResourceNotFound, "A requested fragment was not found.")
	}
	if k := kvs.KindOf(err); k != kvs.Unknown {
		var ke *kvs.Error
		msg := err.Error()
		if errors.As(err, &ke) && ke.Msg != "" {
			msg = ke.Error()
		}
		// The exception's type already names the kind, and KVS's
		// messages do not repeat it.
		return kindErr(k, "%s", strings.TrimPrefix(msg, k.String()+": "))
	}
	return apiErr(codeInternalFailure, http.StatusInternalServerError, "internal failure")
}
