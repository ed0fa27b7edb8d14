package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
)

// The module proxy this project builds from does not carry the SDK's
// kinesisvideomedia client, so the tests call GetMedia as that client
// does on the wire: a SigV4-signed (service kinesisvideo) POST /getMedia
// with the JSON of GetMediaInput (timestamps as epoch seconds), whose
// response is the payload stream, ContentType taken from Content-Type, and
// errors named by X-Amzn-ErrorType.

// gmSelector is GetMedia's StartSelector for the test client.
type gmSelector struct {
	StartSelectorType   string
	AfterFragmentNumber string   `json:",omitempty"`
	StartTimestamp      *float64 `json:",omitempty"`
	ContinuationToken   string   `json:",omitempty"`
}

// gmOutput is GetMediaOutput: ContentType and the Payload stream.
type gmOutput struct {
	ContentType string
	Payload     io.ReadCloser
}

// gmError is an error the server answered with.
type gmError struct {
	Code   string
	Status int
}

func (e *gmError) Error() string { return e.Code }

// getMedia calls GetMedia on stream; the payload ends when ctx does.
func (r *rig) getMedia(ctx context.Context, stream string, sel gmSelector) (*gmOutput, error) {
	body, err := json.Marshal(struct {
		StreamName    string
		StartSelector gmSelector
	}{stream, sel})
	require.NoError(r.t, err)
	return r.getMediaRaw(ctx, body)
}

func (r *rig) getMediaRaw(ctx context.Context, body []byte) (*gmOutput, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url+"/getMedia", bytes.NewReader(body))
	require.NoError(r.t, err)
	req.Header.Set("Content-Type", "application/json")
	signJSON(r.t, req, r.creds, body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, &gmError{Code: resp.Header.Get("X-Amzn-ErrorType"), Status: resp.StatusCode}
	}
	return &gmOutput{ContentType: resp.Header.Get("Content-Type"), Payload: resp.Body}, nil
}

// gmDoc is one document of a GetMedia payload, and when it was whole.
type gmDoc struct {
	raw  []byte
	frag *mkv.Fragment
	at   time.Time
}

// tokenTag is the TagName element of the continuation token, which the
// server writes last in every document, with a 4-byte size field.
var tokenTag = append([]byte{0x45, 0xA3, 0x10, 0, 0, byte(len(mkv.TagContinuationToken))}, mkv.TagContinuationToken...)

// gmDocs splits a GetMedia payload into its documents as they arrive: a
// document ends with the TagString that follows the continuation token's
// TagName. It calls fn for each until fn returns false or the payload
// ends; it returns the bytes of a document cut short.
func gmDocs(t testing.TB, payload io.Reader, fn func(gmDoc) bool) (rest []byte) {
	t.Helper()
	var buf []byte
	chunk := make([]byte, 64<<10)
	for {
		for {
			i := bytes.Index(buf, tokenTag)
			if i < 0 || len(buf) < i+len(tokenTag)+6 {
				break
			}
			v := i + len(tokenTag)
			require.Equal(t, []byte{0x44, 0x87, 0x10}, buf[v:v+3])
			end := v + 6 + (int(buf[v+3])<<16 | int(buf[v+4])<<8 | int(buf[v+5]))
			if len(buf) < end {
				break
			}
			raw := bytes.Clone(buf[:end])
			buf = buf[end:]
			f, err := mkv.NewBytesReader(raw).Next()
			require.NoError(t, err)
			if !fn(gmDoc{raw: raw, frag: f.Clone(), at: time.Now()}) {
				return nil
			}
		}
		n, err := payload.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			if err != io.EOF && !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "canceled") {
				require.NoError(t, err)
			}
			return buf
		}
	}
}

// readUntil reads a GetMedia payload until the document of fragment last,
// then stops the call.
func readUntil(t testing.TB, out *gmOutput, cancel func(), last string) []gmDoc {
	t.Helper()
	var docs []gmDoc
	gmDocs(t, out.Payload, func(d gmDoc) bool {
		docs = append(docs, d)
		return d.frag.Tags.FragmentNumber != last
	})
	cancel()
	out.Payload.Close()
	return docs
}

// readStream calls GetMedia on "cam" and reads it until fragment last.
func (r *rig) readStream(sel gmSelector, last string) []gmDoc {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := r.getMedia(ctx, "cam", sel)
	require.NoError(r.t, err)
	return readUntil(r.t, out, cancel, last)
}

func numbersOf(docs []gmDoc) []string {
	var out []string
	for _, d := range docs {
		out = append(out, d.frag.Tags.FragmentNumber)
	}
	return out
}

// producerBody encodes fragments as a producer sends them.
func producerBody(t testing.TB, m *producerMedia) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	for _, f := range m.frags {
		require.NoError(t, w.WriteFragment(f))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}
