package server_test

import (
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/archive/storetest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

// withStore makes a rig serve store instead of its own filesystem archive.
func withStore(store archive.Store) func(*server.Config) {
	return func(c *server.Config) { c.Store = store }
}

func producerClip(r *rig, stream string, from, to time.Time) (*am.GetClipOutput, error) {
	return r.media.GetClip(bg, &am.GetClipInput{StreamName: aws.String(stream), ClipFragmentSelector: &amtypes.ClipFragmentSelector{
		FragmentSelectorType: amtypes.ClipFragmentSelectorTypeProducerTimestamp,
		TimestampRange:       &amtypes.ClipTimestampRange{StartTimestamp: &from, EndTimestamp: &to}}})
}

// TestS3TwoServers runs two servers on one bucket: what one ingests, the
// other describes, lists and clips, every frame included.
func TestS3TwoServers(t *testing.T) {
	gw := storetest.StartGW(t)
	storeA, reopen := gw.Open(t, archive.S3Options{})
	a := newRig(t, withStore(storeA))
	b := newRig(t, withStore(reopen()))

	arn := a.createStream("cam", 24)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	path := producerFile(t, "vogels_480.mkv")
	nums := persisted(a.putFile("cam", "RELATIVE", start, path))
	require.Len(t, nums, 9)

	desc, err := b.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	assert.Equal(t, arn, *desc.StreamInfo.StreamARN)
	streams, err := b.kv.ListStreams(bg, &kinesisvideo.ListStreamsInput{})
	require.NoError(t, err)
	require.Len(t, streams.StreamInfoList, 1)
	assert.Equal(t, "cam", *streams.StreamInfoList[0].StreamName)

	list, err := b.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam"),
		FragmentSelector: &amtypes.FragmentSelector{FragmentSelectorType: amtypes.FragmentSelectorTypeProducerTimestamp,
			TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(time.Hour))}}})
	require.NoError(t, err)
	var listed []string
	for _, f := range list.Fragments {
		listed = append(listed, *f.FragmentNumber)
	}
	sort.Strings(listed)
	assert.Equal(t, nums, listed)

	clip, err := producerClip(b, "cam", start, start.Add(time.Hour))
	require.NoError(t, err)
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	checkClip(t, readAll(t, clip.Payload), blockSizes(t, src))

	// And a retention change through B is what A sees next.
	_, err = b.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam"),
		CurrentVersion: desc.StreamInfo.Version, Operation: "INCREASE_DATA_RETENTION", DataRetentionChangeInHours: aws.Int32(1)})
	require.NoError(t, err)
	descA, err := a.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	assert.Equal(t, int32(25), *descA.StreamInfo.DataRetentionInHours)
}

// fragmentEnds returns where each fragment of a producer file ends.
func fragmentEnds(t *testing.T, src []byte) []int64 {
	t.Helper()
	var ends []int64
	rd := mkv.NewBytesReader(src)
	for {
		f, err := rd.Next()
		if err == io.EOF {
			return ends
		}
		require.NoError(t, err)
		ends = append(ends, f.Offset+f.Size)
	}
}

// TestS3Outage stops S3 in the middle of a PutMedia session and during a
// GetClip: fragments that arrive meanwhile get ERROR acks, the clip a 5xx
// before its first byte, and once S3 is back everything acknowledged is
// there and the session goes on.
func TestS3Outage(t *testing.T) {
	gw := storetest.StartGW(t)
	// One attempt and a short timeout: the outage is reported at once.
	store, err := archive.OpenS3(bg, gw.Client(1), "kvsclip", "outage", &archive.S3Options{OpTimeout: 5 * time.Second})
	require.NoError(t, err)
	r := newRig(t, withStore(store))
	r.createStream("cam", 24)

	path := producerFile(t, "vogels_480.mkv")
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	ends := fragmentEnds(t, src)
	require.Len(t, ends, 9)

	// The body goes out in three parts; each stops a few bytes into the
	// next fragment, which tells the server the one before is complete.
	pr, pw := io.Pipe()
	acks := make(chan putack.Ack, 100)
	done := make(chan error, 1)
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	go func() {
		done <- putclient.PutMedia(context.Background(), nil, putclient.Input{Endpoint: r.url, StreamName: "cam", TimecodeType: "RELATIVE",
			StartTimestamp: start, Body: pr, Credentials: &r.creds, Region: testRegion}, func(a putack.Ack) { acks <- a })
		close(acks)
	}()
	final := func(n int) []putack.Ack { // the next n PERSISTED or ERROR acks
		var out []putack.Ack
		for len(out) < n {
			select {
			case a := <-acks:
				if a.EventType == putack.Persisted || a.EventType == putack.Error {
					out = append(out, a)
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("waited for %d acks, got %d", n, len(out))
			}
		}
		return out
	}
	write := func(from, to int64) {
		_, err := pw.Write(src[from:to])
		require.NoError(t, err)
	}

	write(0, ends[2]+16)
	var ok, failed []string
	for _, a := range final(3) {
		require.Equal(t, putack.Persisted, a.EventType)
		ok = append(ok, a.FragmentNumber)
	}

	gw.Stop()
	write(ends[2]+16, ends[5]+16)
	for _, a := range final(3) {
		require.Equal(t, putack.Error, a.EventType, "no PERSISTED while S3 is down")
		assert.Equal(t, putack.PersistFailed.ID, a.ErrorID)
		failed = append(failed, a.FragmentNumber)
	}
	// A clip now fails with a server error, before any byte of it.
	_, err = producerClip(r, "cam", start, start.Add(time.Hour))
	var re *smithyhttp.ResponseError
	require.True(t, errors.As(err, &re), "%v", err)
	assert.GreaterOrEqual(t, re.HTTPStatusCode(), 500)

	gw.Start()
	write(ends[5]+16, int64(len(src)))
	require.NoError(t, pw.Close())
	for _, a := range final(3) {
		require.Equal(t, putack.Persisted, a.EventType)
		ok = append(ok, a.FragmentNumber)
	}
	// The client reports the session's ERROR acks as its error.
	if err := <-done; err != nil {
		assert.Contains(t, err.Error(), putack.PersistFailed.Code)
	}

	// Everything acknowledged is listed and readable, nothing else.
	frags, err := store.List(bg, "cam", kvs.ProducerTimestamp, 0, 1<<50)
	require.NoError(t, err)
	var listed []string
	for _, f := range frags {
		listed = append(listed, f.Number)
		_, err := store.Read(bg, "cam", f.Number)
		require.NoError(t, err)
	}
	assert.Equal(t, ok, listed)
	for _, n := range failed {
		_, err := store.Lookup(bg, "cam", n)
		assert.ErrorIs(t, err, archive.ErrFragmentNotFound)
	}

	// A clip of fragments stored after the outage: every frame of them.
	// (File fragment 6 starts with a non-key frame, which a clip cannot
	// start with, so the clip starts at fragment 7.)
	wantSizes := map[uint64][]int{}
	rd := mkv.NewBytesReader(src)
	for i := range 9 {
		f, err := rd.Next()
		require.NoError(t, err)
		for _, b := range f.Blocks {
			if i >= 7 {
				wantSizes[b.Track] = append(wantSizes[b.Track], len(b.Data))
			}
		}
	}
	require.Len(t, frags, 6)
	clip, err := producerClip(r, "cam", time.UnixMilli(frags[4].ProducerMillis-1), time.UnixMilli(frags[5].ProducerMillis+1000))
	require.NoError(t, err)
	checkClip(t, readAll(t, clip.Payload), wantSizes)
}

// BenchmarkGetClip200: GetClip of a 200-fragment clip (the KVS cap) from
// each store, the filesystem and versitygw, through the SDK over loopback.
// It reports the bytes per second and the time to the first byte; make
// bench's service rows measure the same against the CLI on a larger
// recording.
func BenchmarkGetClip200(b *testing.B) {
	path := producerFile(b, "vogels_480.mkv")
	start := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	gw := storetest.StartGW(b)
	for _, c := range []struct {
		name string
		s3   bool
	}{{"filesystem", false}, {"versitygw", true}} {
		b.Run(c.name, func(b *testing.B) {
			var tune []func(*server.Config)
			if c.s3 {
				s, _ := gw.Open(b, archive.S3Options{})
				tune = append(tune, withStore(s))
			}
			r := newRig(b, tune...)
			r.createStream("cam", 24)
			// The recording is 9 fragments over about 31 s: put it
			// again every 40 s of producer time up to 200 fragments.
			const step = 40 * time.Second
			for k, n := 0, 0; n < 200; k++ {
				n += len(persisted(r.putFile("cam", "RELATIVE", start.Add(time.Duration(k)*step), path)))
			}
			b.ReportAllocs()
			var ttfb time.Duration
			for b.Loop() {
				t0 := time.Now()
				out, err := producerClip(r, "cam", start, start.Add(3*time.Hour))
				require.NoError(b, err)
				var first [1]byte
				_, err = io.ReadFull(out.Payload, first[:])
				require.NoError(b, err)
				ttfb += time.Since(t0)
				n, err := io.Copy(io.Discard, out.Payload)
				require.NoError(b, err)
				out.Payload.Close()
				b.SetBytes(n + 1)
			}
			b.ReportMetric(float64(ttfb.Microseconds())/1000/float64(b.N), "ms-to-first-byte/op")
		})
	}
}
