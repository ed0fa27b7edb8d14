package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// decodeJSON reads a request body into v. Unknown members are ignored, as
// the SDKs of newer API versions may send some.
func decodeJSON(r *http.Request, limit int64, v any) error {
	body := http.MaxBytesReader(nil, r.Body, limit)
	raw, err := io.ReadAll(body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return invalidArg("Request body is larger than %d bytes.", limit)
		}
		return invalidArg("Could not read the request body.")
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return invalidArg("Request body is not valid JSON for this operation: %v", err)
	}
	return nil
}

// writeJSON answers 200 with v as the body.
func writeJSON(w http.ResponseWriter, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		writeError(w, apiErr(codeInternalFailure, http.StatusInternalServerError, "internal failure"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(raw)
}

// writeError answers with the error in the form every SDK generation reads:
// the code in X-Amzn-ErrorType and in the body's __type (never conflicting),
// and the message under "message".
func writeError(w http.ResponseWriter, e *Error) {
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

// newRequestID returns a random UUID-shaped id, the form of KVS's request ids.
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
