package archive_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
)

// bodyGETs records the GETs of fragment bodies that pass through it, and
// answers the first failFirst of them with a 503.
type bodyGETs struct {
	next      http.RoundTripper
	failFirst int32
	mu        sync.Mutex
	seen      []*http.Request
	indexes   []*http.Request // GETs of sample indexes
	n         atomic.Int32
}

func (b *bodyGETs) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ".idx") {
		b.mu.Lock()
		b.indexes = append(b.indexes, r)
		b.mu.Unlock()
	}
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ".mkv") {
		b.mu.Lock()
		b.seen = append(b.seen, r)
		b.mu.Unlock()
		if b.n.Add(1) <= b.failFirst {
			return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Slow Down",
				Header: http.Header{}, Body: io.NopCloser(strings.NewReader("<Error><Code>SlowDown</Code></Error>")), Request: r}, nil
		}
	}
	return b.next.RoundTrip(r)
}

// TestS3ReadAtWithoutSDKStack: ReadAt's GETs, and Index's, bypass the
// SDK's operation stack where the client allows it (s3reads.go), and keep
// ReadAt's answers: the bytes asked for, io.EOF past the end, ErrFragmentNotFound
// for a missing body, and the SDK's retries on a 503. A prefix whose
// characters S3 and Go escape differently, and a client told to make
// one attempt only, are served as before.
func TestS3ReadAtWithoutSDKStack(t *testing.T) {
	gw := storetest.StartGW(t)
	for _, c := range []struct {
		name      string
		prefix    string
		attempts  int
		failFirst int32
		direct    bool // the GETs bypass the SDK
		fails     bool // the read fails (the 503 is not retried)
	}{
		{name: "plain", prefix: "direct", direct: true},
		{name: "retried 503", prefix: "retried", failFirst: 2, direct: true},
		{name: "one attempt", prefix: "once", attempts: 1, failFirst: 1, direct: true, fails: true},
		{name: "prefix S3 escapes", prefix: "odd+prefix=1", direct: false},
		{name: "prefix S3 escapes, retried", prefix: "odd+prefix=2", failFirst: 1, direct: false},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := &bodyGETs{next: http.DefaultTransport, failFirst: c.failFirst}
			client := s3.New(s3.Options{
				Region: storetest.GWRegion, BaseEndpoint: aws.String(gw.Endpoint), UsePathStyle: true,
				Credentials:      credentials.NewStaticCredentialsProvider(storetest.GWAccessKey, storetest.GWSecretKey, ""),
				RetryMaxAttempts: c.attempts,
				HTTPClient:       &http.Client{Transport: rec},
			})
			a, err := archive.OpenS3(bg, client, "kvsclip", fmt.Sprintf("%s-%d/", c.prefix, time.Now().UnixNano()), nil)
			require.NoError(t, err)
			require.NoError(t, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))
			m, doc := storetest.Fragment(1, 1000, 1000)
			require.NoError(t, a.Put(bg, "cam", m, doc))

			p := make([]byte, 100)
			n, err := a.ReadAt(bg, "cam", m.Number, p, 40)
			if c.fails {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "503")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, doc[40:140], p[:n])
			rec.mu.Lock()
			seen := rec.seen
			rec.mu.Unlock()
			require.Len(t, seen, int(c.failFirst)+1)
			for _, r := range seen {
				// The SDK stamps each of its requests with an invocation id.
				assert.Equal(t, !c.direct, r.Header.Get("Amz-Sdk-Invocation-Id") != "", "headers %v", r.Header)
				assert.Equal(t, "bytes=40-139", r.Header.Get("Range"))
			}

			// The sample index comes the same way.
			x, err := a.Index(bg, "cam", m)
			require.NoError(t, err)
			assert.Equal(t, int64(len(doc)), x.DocSize)
			rec.mu.Lock()
			idxGETs := rec.indexes
			rec.mu.Unlock()
			require.NotEmpty(t, idxGETs)
			for _, r := range idxGETs {
				assert.Equal(t, !c.direct, r.Header.Get("Amz-Sdk-Invocation-Id") != "")
				assert.Empty(t, r.Header.Get("Range"))
			}

			n, err = a.ReadAt(bg, "cam", m.Number, p, int64(len(doc))-10)
			assert.Equal(t, 10, n)
			assert.ErrorIs(t, err, io.EOF)
			_, err = a.ReadAt(bg, "cam", m.Number, p, int64(len(doc))+10)
			assert.ErrorIs(t, err, io.EOF)
			other, _ := storetest.Fragment(2, 5000, 5000)
			_, err = a.ReadAt(bg, "cam", other.Number, p, 0)
			assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
			_, err = a.ReadAt(bg, "gone", m.Number, p, 0)
			assert.ErrorIs(t, err, archive.ErrStreamNotFound)
		})
	}
}
