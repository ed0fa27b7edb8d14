package server_test

import (
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
)

func TestMetricsAndRequestIDs(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	r.putFile("cam", "ABSOLUTE", time.Time{}, producerFile(t, "test-stream-1_0.mkv"))
	_, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("nope")})
	require.Error(t, err)

	resp, err := http.Get(r.url + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"kvsclip_fragments_ingested_total 37",
		`kvsclip_requests_total{api="CreateStream"} 1`,
		`kvsclip_errors_total{api="ListFragments",kind="ResourceNotFoundException"} 1`,
		"kvsclip_getclip_outgoing_bytes_total",
		"kvsclip_request_duration_seconds_bucket",
	} {
		assert.Contains(t, string(body), want)
	}

	resp, err = http.Post(r.url+"/listStreams", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, resp.Header.Get("x-amzn-RequestId"))
	assert.Equal(t, "NotAuthorizedException", resp.Header.Get("X-Amzn-ErrorType"))
}

func TestRetentionDeletesOldFragments(t *testing.T) {
	var shift atomic.Int64
	r := newRig(t, func(c *server.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }
		c.MaxClockSkew = 48 * time.Hour
	})
	r.createStream("day", 24)
	r.createStream("week", 168)
	r.putFile("day", "ABSOLUTE", time.Time{}, producerFile(t, "test-stream-1_0.mkv"))
	r.putFile("week", "ABSOLUTE", time.Time{}, producerFile(t, "test-stream-1_0.mkv"))
	shift.Store(int64(25 * time.Hour))
	r.srv.ExpireOnce(bg)
	for stream, want := range map[string]int{"day": 0, "week": 37} {
		out, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String(stream)})
		require.NoError(t, err)
		assert.Len(t, out.Fragments, want, stream)
	}
}

// TestDrainFinishesTheFragmentInFlight: after Drain, the fragment being
// received is still stored and acknowledged, then the session ends.
func TestDrainFinishesTheFragmentInFlight(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 1)
	data, err := os.ReadFile(producerFile(t, "test-stream-1_0.mkv"))
	require.NoError(t, err)
	// Offsets of the first three Clusters in the producer file.
	var offs []int64
	rd := mkv.NewBytesReader(data)
	for range 3 {
		f, err := rd.Next()
		require.NoError(t, err)
		offs = append(offs, f.Offset)
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := r.put("cam", "ABSOLUTE", time.Time{}, pr)
		done <- err
	}()
	go func() {
		// Everything up to the middle of the second Cluster: the first
		// fragment is complete only when the second begins.
		pw.Write(data[:offs[1]+100])
	}()
	require.Eventually(t, func() bool {
		n, _ := r.store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
		return len(n) == 1
	}, 10*time.Second, 10*time.Millisecond, "the first fragment is stored")
	r.srv.Drain()
	pw.Write(data[offs[1]+100 : offs[2]+100]) // the rest of fragment 2, the start of 3
	require.NoError(t, <-done)
	pw.Close()
	frags, err := r.store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<62)
	require.NoError(t, err)
	assert.Len(t, frags, 2, "the fragment in flight at Drain was finished, no later one started")
}
