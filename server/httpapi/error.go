package httpapi

import (
	"encoding/json"
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

// Errorf makes an error of a kvs kind, with the kind's exception name and
// status (kvs.Kind.Status holds the one table of them).
func Errorf(k kvs.Kind, format string, args ...any) *Error {
	return &Error{Code: k.Exception(), Status: k.Status(), Message: fmt.Sprintf(format, args...)}
}

// InvalidArg is an InvalidArgumentException, the answer to most bad input.
func InvalidArg(format string, args ...any) *Error {
	return Errorf(kvs.InvalidArgument, format, args...)
}

// StreamNotFound is the ResourceNotFoundException of a stream that does not
// exist, in KVS's words.
func StreamNotFound(name string) *Error {
	return Errorf(kvs.ResourceNotFound, "The requested stream %s was not found.", name)
}

// internalFailure is the answer to an error without a kind: its text can
// name paths on the server, so it goes to the log, not to the client.
var internalFailure = Errorf(kvs.Unknown, "internal failure")

// IsInternal reports whether e is the answer to an error without a kind,
// whose cause only the log holds.
func IsInternal(e *Error) bool { return e.Code == internalFailure.Code }

// From classifies any error a handler returns. Errors without a kind are
// internal failures; their text stays in the log, not in the answer.
func From(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, archive.ErrStreamNotFound) {
		return Errorf(kvs.ResourceNotFound, "The requested stream was not found.")
	}
	if errors.Is(err, archive.ErrFragmentNotFound) {
		return Errorf(kvs.ResourceNotFound, "A requested fragment was not found.")
	}
	if k := kvs.KindOf(err); k != kvs.Unknown {
		var ke *kvs.Error
		msg := err.Error()
		if errors.As(err, &ke) && ke.Msg != "" {
			msg = ke.Error()
		}
		// The exception's type already names the kind, and KVS's
		// messages do not repeat it.
		return Errorf(k, "%s", strings.TrimPrefix(msg, k.String()+": "))
	}
	return internalFailure
}

// WriteError answers with the error in the form every SDK generation reads:
// the code in X-Amzn-ErrorType and in the body's __type (never conflicting),
// and the message under "message".
func WriteError(w http.ResponseWriter, e *Error) {
	raw, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.Code, e.Message})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	w.Write(raw)
}

// WriteJSON answers 200 with v as the body.
func WriteJSON(w http.ResponseWriter, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		WriteError(w, internalFailure)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(raw)
}
