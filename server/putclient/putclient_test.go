package putclient

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/putack"
)

// TestPutMedia: the request carries PutMedia's headers and the body, every
// ack line reaches onAck in order, and an ERROR ack makes the call's error
// wrap ErrAckError; an answer other than 200 is the server's API error.
func TestPutMedia(t *testing.T) {
	var got http.Header
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		raw, _ := io.ReadAll(r.Body)
		body = string(raw)
		if r.Header.Get("x-amzn-stream-name") == "gone" {
			w.Header().Set("X-Amzn-ErrorType", "ResourceNotFoundException")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"Message":"no such stream"}`)
			return
		}
		io.WriteString(w, `{"EventType":"BUFFERING","FragmentTimecode":0,"FragmentNumber":"1"}`+"\n\n")
		io.WriteString(w, `{"EventType":"ERROR","FragmentNumber":"1","ErrorId":4001,"ErrorCode":"MAX_FRAGMENT_SIZE_REACHED"}`+"\n")
	}))
	defer srv.Close()

	var acks []putack.Ack
	start := time.UnixMilli(1_700_000_000_005)
	err := PutMedia(context.Background(), nil, Input{Endpoint: srv.URL + "/", StreamName: "cam", StartTimestamp: start,
		Body: strings.NewReader("mkv")}, func(a putack.Ack) { acks = append(acks, a) })
	require.ErrorIs(t, err, ErrAckError)
	assert.Equal(t, "cam", got.Get("x-amzn-stream-name"))
	assert.Equal(t, "RELATIVE", got.Get("x-amzn-fragment-timecode-type"))
	assert.Equal(t, "1700000000.005", got.Get("x-amzn-producer-start-timestamp"))
	assert.Equal(t, "mkv", body)
	require.Len(t, acks, 2)
	assert.Equal(t, putack.Buffering, acks[0].EventType)
	assert.Equal(t, putack.FragmentTooLarge.ID, acks[1].ErrorID)

	err = PutMedia(context.Background(), nil, Input{Endpoint: srv.URL, StreamName: "gone", Body: strings.NewReader("")}, nil)
	var ae *httpapi.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "ResourceNotFoundException", ae.Code)
	assert.Equal(t, "no such stream", ae.Message)
}
