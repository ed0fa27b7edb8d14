package archive_test

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
)

// countingTransport counts the HTTP requests a client makes.
type countingTransport struct {
	n  atomic.Int64
	rt http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.rt.RoundTrip(r)
}

// clipFragments is the most fragments one GetClip may span.
const clipFragments = 200

// BenchmarkS3Indexes200 measures what planning a clip of 200 fragments
// costs on S3: the indexes of all of them, one after the other and 16 at
// a time, as the store keeps them (an index object per fragment, GET with
// a HEAD of the body beside it), against the alternative of keeping the
// index in the body of the producer-time listing key (a HEAD of the body
// for the timestamps that name the key, then its GET). It reports
// requests per clip; Put's requests per fragment are reported by the
// "Put" case.
func BenchmarkS3Indexes200(b *testing.B) {
	gw := storetest.StartGW(b)
	counter := &countingTransport{}
	client := benchS3Client(gw.Endpoint, counter)
	a, err := archive.OpenS3(bg, client, "kvsclip", "bench/", nil)
	require.NoError(b, err)
	require.NoError(b, a.CreateStream(bg, archive.Stream{Name: "cam", RetentionHours: 24}))
	metas := make([]kvs.Fragment, clipFragments)
	counter.n.Store(0)
	for i := range metas {
		m, doc := storetest.Fragment(i, int64(i)*2000, int64(i)*2000)
		require.NoError(b, a.Put(bg, "cam", m, doc))
		metas[i] = m
	}
	b.Logf("Put: %.1f requests per fragment", float64(counter.n.Load())/clipFragments)

	viaObject := func(i int) {
		if _, err := a.Index(bg, "cam", metas[i]); err != nil {
			b.Fatal(err)
		}
	}
	// The alternative: the timestamps from the body's metadata name the
	// listing key, whose body would hold the index.
	prodKey := func(f kvs.Fragment) string {
		return fmt.Sprintf("bench/streams/cam/idx/p/%015d-%s-%d-%d-%d", f.ProducerMillis, f.Number, f.ServerMillis, f.Size, f.DurationMillis)
	}
	viaListingKey := func(i int) {
		_, err := client.HeadObject(bg, &s3.HeadObjectInput{Bucket: aws.String("kvsclip"), Key: aws.String("bench/streams/cam/frags/" + metas[i].Number + ".mkv")})
		if err != nil {
			b.Fatal(err)
		}
		out, err := client.GetObject(bg, &s3.GetObjectInput{Bucket: aws.String("kvsclip"), Key: aws.String(prodKey(metas[i]))})
		if err != nil {
			b.Fatal(err)
		}
		out.Body.Close()
	}
	for _, c := range []struct {
		name  string
		fn    func(int)
		width int
	}{
		{"index-object/serial", viaObject, 1},
		{"index-object/16-way", viaObject, 16},
		{"listing-key/serial", viaListingKey, 1},
		{"listing-key/16-way", viaListingKey, 16},
	} {
		b.Run(c.name, func(b *testing.B) {
			counter.n.Store(0)
			for b.Loop() {
				each(clipFragments, c.width, c.fn)
			}
			b.ReportMetric(float64(counter.n.Load())/float64(b.N), "requests/clip")
		})
	}
}

func benchS3Client(endpoint string, counter *countingTransport) *s3.Client {
	counter.rt = http.DefaultTransport
	return s3.New(s3.Options{
		Region: storetest.GWRegion, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(storetest.GWAccessKey, storetest.GWSecretKey, ""),
		HTTPClient:  &http.Client{Transport: counter},
	})
}

// each runs fn(0..n-1) with at most k at once.
func each(n, k int, fn func(i int)) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, k)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() { defer func() { <-sem }(); fn(i) })
	}
	wg.Wait()
}
