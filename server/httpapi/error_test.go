package httpapi

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvsclip/kvsclip/kvs"
)

// TestAPIErrorMessages: an error of a kind answers with the kind as the
// exception and a message that does not repeat it, as KVS's do.
func TestAPIErrorMessages(t *testing.T) {
	for _, c := range []struct {
		err       error
		code, msg string
		status    int
	}{
		{kvs.New(kvs.InvalidArgument, "start is after end"), "InvalidArgumentException", "start is after end", http.StatusBadRequest},
		{fmt.Errorf("clip: %w", kvs.New(kvs.UnsupportedStreamMediaType, "codec \"V_VP8\" is not supported")),
			"UnsupportedStreamMediaTypeException", "codec \"V_VP8\" is not supported", http.StatusBadRequest},
		{kvs.New(kvs.ResourceNotFound, kvs.NoFragmentsMessage),
			"ResourceNotFoundException", kvs.NoFragmentsMessage, http.StatusNotFound},
	} {
		e := From(c.err)
		assert.Equal(t, c.code, e.Code)
		assert.Equal(t, c.status, e.Status)
		assert.Equal(t, c.msg, e.Message)
	}
}
