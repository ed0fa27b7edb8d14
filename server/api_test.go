package server_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	kvtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideo/types"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/putack"
	"github.com/kvsclip/kvsclip/server/putclient"
)

var bg = context.Background()

func TestControlPlane(t *testing.T) {
	r := newRig(t)
	arn := r.createStream("cam-1", 24)
	assert.Regexp(t, `^arn:aws:kinesisvideo:us-west-2:000000000000:stream/cam-1/[0-9]+$`, arn)

	_, err := r.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("cam-1")})
	var inUse *kvtypes.ResourceInUseException
	require.ErrorAs(t, err, &inUse)
	_, err = r.kv.CreateStream(bg, &kinesisvideo.CreateStreamInput{StreamName: aws.String("bad/name")})
	var invalid *kvtypes.InvalidArgumentException
	require.ErrorAs(t, err, &invalid)

	d, err := r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamARN: aws.String(arn)})
	require.NoError(t, err)
	info := d.StreamInfo
	assert.Equal(t, "cam-1", *info.StreamName)
	assert.Equal(t, int32(24), *info.DataRetentionInHours)
	assert.Equal(t, kvtypes.StatusActive, info.Status)
	assert.Equal(t, "video/h264", *info.MediaType)
	assert.WithinDuration(t, time.Now(), *info.CreationTime, time.Minute)
	_, err = r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("nope")})
	var notFound *kvtypes.ResourceNotFoundException
	require.ErrorAs(t, err, &notFound)

	// Retention: the version guards updates.
	_, err = r.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"),
		CurrentVersion: aws.String("stale"), Operation: kvtypes.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(1)})
	var mismatch *kvtypes.VersionMismatchException
	require.ErrorAs(t, err, &mismatch)
	_, err = r.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"),
		CurrentVersion: info.Version, Operation: kvtypes.UpdateDataRetentionOperationIncreaseDataRetention, DataRetentionChangeInHours: aws.Int32(6)})
	require.NoError(t, err)
	d, err = r.kv.DescribeStream(bg, &kinesisvideo.DescribeStreamInput{StreamName: aws.String("cam-1")})
	require.NoError(t, err)
	assert.Equal(t, int32(30), *d.StreamInfo.DataRetentionInHours)
	assert.NotEqual(t, *info.Version, *d.StreamInfo.Version)
	_, err = r.kv.UpdateDataRetention(bg, &kinesisvideo.UpdateDataRetentionInput{StreamName: aws.String("cam-1"),
		CurrentVersion: d.StreamInfo.Version, Operation: kvtypes.UpdateDataRetentionOperationDecreaseDataRetention, DataRetentionChangeInHours: aws.Int32(31)})
	require.ErrorAs(t, err, &invalid)

	for _, api := range kvtypes.APIName("").Values() {
		ep, err := r.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{APIName: api, StreamName: aws.String("cam-1")})
		require.NoError(t, err, api)
		assert.Equal(t, r.url, *ep.DataEndpoint)
	}
	_, err = r.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{APIName: "NOPE", StreamName: aws.String("cam-1")})
	require.ErrorAs(t, err, &invalid)
	_, err = r.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{APIName: kvtypes.APINameGetClip, StreamName: aws.String("nope")})
	require.ErrorAs(t, err, &notFound)

	_, err = r.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String(arn), CurrentVersion: aws.String("stale")})
	require.ErrorAs(t, err, &mismatch)
	_, err = r.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String(arn)})
	require.NoError(t, err)
	_, err = r.kv.DeleteStream(bg, &kinesisvideo.DeleteStreamInput{StreamARN: aws.String(arn)})
	require.ErrorAs(t, err, &notFound)
}

func TestListStreamsPages(t *testing.T) {
	r := newRig(t)
	for i := range 5 {
		r.createStream(fmt.Sprintf("s%d", i), 1)
	}
	r.createStream("other", 1)
	var names []string
	p := kinesisvideo.NewListStreamsPaginator(r.kv, &kinesisvideo.ListStreamsInput{MaxResults: aws.Int32(2),
		StreamNameCondition: &kvtypes.StreamNameCondition{ComparisonOperator: kvtypes.ComparisonOperatorBeginsWith, ComparisonValue: aws.String("s")}})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(bg)
		require.NoError(t, err)
		pages++
		for _, s := range out.StreamInfoList {
			names = append(names, *s.StreamName)
		}
	}
	assert.Equal(t, []string{"s0", "s1", "s2", "s3", "s4"}, names)
	assert.Equal(t, 3, pages)
}

func TestPutMediaListAndClip(t *testing.T) {
	for _, c := range []struct {
		file   string
		tc     string
		frags  int
		tracks int
	}{
		{"test-stream-1_0.mkv", "ABSOLUTE", 37, 1},
		{"vogels_480.mkv", "RELATIVE", 9, 2},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel() // each file on its own rig; the clips go through ffmpeg
			r := newRig(t)
			r.createStream("cam", 24)
			path := producerFile(t, c.file)
			start := time.Date(2024, 5, 1, 12, 0, 0, 5e6, time.UTC)
			acks := r.putFile("cam", c.tc, start, path)
			nums := persisted(acks)
			require.Len(t, nums, c.frags)
			require.Len(t, acks, 3*c.frags)
			for i, a := range acks {
				assert.Equal(t, []string{putack.Buffering, putack.Received, putack.Persisted}[i%3], a.EventType)
				assert.Len(t, a.FragmentNumber, 47)
				require.NotNil(t, a.FragmentTimecode)
			}
			for i := 1; i < len(nums); i++ {
				assert.Equal(t, -1, kvs.CompareFragmentNumbers(nums[i-1], nums[i]))
			}

			// ListFragments, paged.
			var listed []amtypes.Fragment
			p := am.NewListFragmentsPaginator(r.media, &am.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(4),
				FragmentSelector: &amtypes.FragmentSelector{FragmentSelectorType: amtypes.FragmentSelectorTypeServerTimestamp,
					TimestampRange: &amtypes.TimestampRange{StartTimestamp: aws.Time(time.Now().Add(-time.Hour)), EndTimestamp: aws.Time(time.Now())}}})
			for p.HasMorePages() {
				out, err := p.NextPage(bg)
				require.NoError(t, err)
				listed = append(listed, out.Fragments...)
			}
			require.Len(t, listed, c.frags)
			for i, f := range listed {
				assert.Equal(t, nums[i], *f.FragmentNumber)
				assert.Positive(t, f.FragmentSizeInBytes)
				assert.Positive(t, f.FragmentLengthInMilliseconds)
			}
			first, last := *listed[0].ProducerTimestamp, *listed[len(listed)-1].ProducerTimestamp
			if c.tc == "RELATIVE" {
				assert.Equal(t, start, first.UTC())
			} else {
				assert.Equal(t, int64(1703120790149), first.UnixMilli())
			}

			// GetMediaForFragmentList gives back the frames, tagged.
			gm, err := r.media.GetMediaForFragmentList(bg, &am.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: nums})
			require.NoError(t, err)
			media := readAll(t, gm.Payload)
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			want := blockSizes(t, src)
			assert.Equal(t, want, blockSizes(t, media))
			rd := mkv.NewBytesReader(media)
			for i := range nums {
				f, err := rd.Next()
				require.NoError(t, err)
				assert.Equal(t, nums[i], f.Tags.FragmentNumber)
				assert.Equal(t, listed[i].ProducerTimestamp.UnixMilli(), f.Tags.ProducerTimestamp)
				assert.Equal(t, listed[i].ServerTimestamp.UnixMilli(), f.Tags.ServerTimestamp)
				assert.Equal(t, listed[i].FragmentSizeInBytes, f.Size)
			}

			// GetClip by producer time, then by server time: every frame put.
			for _, sel := range []amtypes.ClipFragmentSelectorType{amtypes.ClipFragmentSelectorTypeProducerTimestamp, amtypes.ClipFragmentSelectorTypeServerTimestamp} {
				lo, hi := first, last
				if sel == amtypes.ClipFragmentSelectorTypeServerTimestamp {
					lo, hi = *listed[0].ServerTimestamp, *listed[len(listed)-1].ServerTimestamp
				}
				clip, err := r.media.GetClip(bg, &am.GetClipInput{StreamName: aws.String("cam"), ClipFragmentSelector: &amtypes.ClipFragmentSelector{
					FragmentSelectorType: sel, TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: &lo, EndTimestamp: &hi}}})
				require.NoError(t, err, sel)
				assert.Equal(t, "video/mp4", *clip.ContentType)
				checkClip(t, readAll(t, clip.Payload), want)
			}
		})
	}
}

// rewrite turns a recording into a producer stream after edit changes
// its header or frames: the way to make bad media on purpose.
func rewrite(t *testing.T, path string, edit func(h *mkv.Header, frags []*mkv.Fragment)) []byte {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	rd := mkv.NewBytesReader(src)
	var frags []*mkv.Fragment
	for {
		f, err := rd.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		frags = append(frags, f.Clone())
	}
	h := *frags[0].Header
	h.Tracks = append([]mkv.Track(nil), h.Tracks...)
	for _, f := range frags {
		f.Header = &h
		f.Tags = mkv.Tags{}
	}
	edit(&h, frags)
	var out bytes.Buffer
	w := mkv.NewWriter(&out, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	for _, f := range frags {
		require.NoError(t, w.WriteFragment(f))
	}
	require.NoError(t, w.Close())
	return out.Bytes()
}

func TestGetClipErrors(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Archived.GetClipTPSPerStream = 0.001 })
	vogels := producerFile(t, "vogels_480.mkv")
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	putBytes := func(stream string, data []byte) {
		r.createStream(stream, 24)
		acks, err := r.put(stream, "RELATIVE", start, bytes.NewReader(data))
		require.NoError(t, err)
		require.NotEmpty(t, persisted(acks))
	}
	plain, err := os.ReadFile(vogels)
	require.NoError(t, err)
	putBytes("good", plain)
	putBytes("fourcc", rewrite(t, filepath.Join(filepath.Dir(filepath.Dir(vogels)), "getmedia", "test_mixed_tags.mkv"), func(*mkv.Header, []*mkv.Fragment) {}))
	putBytes("nocpd", rewrite(t, vogels, func(h *mkv.Header, _ []*mkv.Fragment) { h.Tracks[0].CodecPrivate = nil }))
	putBytes("badcpd", rewrite(t, vogels, func(h *mkv.Header, _ []*mkv.Fragment) { h.Tracks[0].CodecPrivate = []byte{1, 2, 3} }))
	putBytes("badframe", rewrite(t, vogels, func(_ *mkv.Header, frags []*mkv.Fragment) {
		for i, b := range frags[0].Blocks {
			if b.Track == 1 {
				d := bytes.Clone(b.Data)
				copy(d, []byte{0x7f, 0xff, 0xff, 0xff})
				frags[0].Blocks[i].Data = d
				return
			}
		}
	}))
	r.createStream("noretention", 0)
	r.createStream("empty", 24)
	_, err = r.put("noretention", "RELATIVE", start, bytes.NewReader(plain))
	require.NoError(t, err, "a stream without retention still accepts media")

	_, wrongSecret := sdkClients(r.url, testKeyID, "wrong")
	hour := start.Add(time.Hour)
	clip := func(c *am.Client, stream string, sel amtypes.ClipFragmentSelectorType, from, to time.Time) error {
		out, err := c.GetClip(bg, &am.GetClipInput{StreamName: aws.String(stream), ClipFragmentSelector: &amtypes.ClipFragmentSelector{
			FragmentSelectorType: sel, TimestampRange: &amtypes.ClipTimestampRange{StartTimestamp: &from, EndTimestamp: &to}}})
		if err == nil {
			readAll(t, out.Payload)
		}
		return err
	}
	prod := amtypes.ClipFragmentSelectorTypeProducerTimestamp
	for _, c := range []struct {
		name  string
		err   func() error
		check func(error) bool
	}{
		{"end before start", func() error { return clip(r.media, "good", prod, hour, start) }, is[*amtypes.InvalidArgumentException]},
		{"no stream", func() error { return clip(r.media, "nope", prod, start, hour) }, is[*amtypes.ResourceNotFoundException]},
		{"no fragments", func() error { return clip(r.media, "empty", prod, start, hour) }, is[*amtypes.ResourceNotFoundException]},
		{"server end in future", func() error {
			return clip(r.media, "good", amtypes.ClipFragmentSelectorTypeServerTimestamp, time.Now(), time.Now().Add(time.Hour))
		}, is[*amtypes.InvalidArgumentException]},
		{"no retention", func() error { return clip(r.media, "noretention", prod, start, hour) }, is[*amtypes.NoDataRetentionException]},
		{"fourcc", func() error { return clip(r.media, "fourcc", prod, start, hour) }, is[*amtypes.UnsupportedStreamMediaTypeException]},
		{"no cpd", func() error { return clip(r.media, "nocpd", prod, start, hour) }, is[*amtypes.MissingCodecPrivateDataException]},
		{"bad cpd", func() error { return clip(r.media, "badcpd", prod, start, hour) }, is[*amtypes.InvalidCodecPrivateDataException]},
		{"bad frame", func() error { return clip(r.media, "badframe", prod, start, hour) }, is[*amtypes.InvalidMediaFrameException]},
		{"wrong secret", func() error { return clip(wrongSecret, "good", prod, start, hour) }, is[*amtypes.NotAuthorizedException]},
		{"first call", func() error { return clip(r.media, "good", prod, start, hour) }, func(err error) bool { return err == nil }},
		{"throttled", func() error { return clip(r.media, "good", prod, start, hour) }, is[*amtypes.ClientLimitExceededException]},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			assert.True(t, c.check(err), "got %T %v", err, err)
		})
	}
}

func is[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func TestArchivedMediaErrors(t *testing.T) {
	r := newRig(t)
	r.createStream("cam", 24)
	r.putFile("cam", "ABSOLUTE", time.Time{}, producerFile(t, "test-stream-1_0.mkv"))
	for _, c := range []struct {
		name  string
		err   func() error
		check func(error) bool
	}{
		{"list: no stream", func() error {
			_, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("nope")})
			return err
		}, is[*amtypes.ResourceNotFoundException]},
		{"list: bad token", func() error {
			_, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam"), NextToken: aws.String("Zm9v")})
			return err
		}, is[*amtypes.InvalidArgumentException]},
		{"list: too many", func() error {
			_, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam"), MaxResults: aws.Int64(5000)})
			return err
		}, is[*amtypes.InvalidArgumentException]},
		{"media: unknown fragment", func() error {
			_, err := r.media.GetMediaForFragmentList(bg, &am.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: []string{"123"}})
			return err
		}, is[*amtypes.ResourceNotFoundException]},
		{"media: not a number", func() error {
			_, err := r.media.GetMediaForFragmentList(bg, &am.GetMediaForFragmentListInput{StreamName: aws.String("cam"), Fragments: []string{"12x"}})
			return err
		}, is[*amtypes.InvalidArgumentException]},
		{"media: neither name nor arn", func() error {
			_, err := r.media.GetMediaForFragmentList(bg, &am.GetMediaForFragmentListInput{Fragments: []string{"1"}})
			return err
		}, is[*amtypes.InvalidArgumentException]},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.err()
			assert.True(t, c.check(err), "got %T %v", err, err)
		})
	}
	out, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	assert.Len(t, out.Fragments, 37)
	assert.Nil(t, out.NextToken)
}

func TestPutMediaErrorAcks(t *testing.T) {
	vogels, err := os.ReadFile(producerFile(t, "vogels_480.mkv"))
	require.NoError(t, err)
	start := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	small := func(c *server.Config) { c.Ingest.MaxFragmentBytes = 100_000 }
	none := func(*server.Config) {}
	// A frame of an undeclared track in the third fragment: the reading
	// fails after the fragment's BUFFERING ack.
	strayTrack := bytes.Clone(vogels)
	rd := mkv.NewBytesReader(strayTrack)
	for range 3 {
		f, err := rd.Next()
		require.NoError(t, err)
		if f.Index == 2 {
			b := f.Blocks[len(f.Blocks)/2]
			require.Equal(t, byte(0x80|b.Track), strayTrack[b.Offset-4], "a SimpleBlock with a 1-byte track number")
			strayTrack[b.Offset-4] = 0x89
		}
	}

	for _, c := range []struct {
		name string
		tune func(*server.Config)
		body []byte
		id   int
	}{
		{"not matroska", none, []byte(strings.Repeat("garbage ", 100)), 4006},
		{"oversized fragments", small, vogels, 4001},
		{"timecodes going back", none, rewrite(t, producerFile(t, "vogels_480.mkv"), func(_ *mkv.Header, frags []*mkv.Fragment) {
			frags[1].Timecode = frags[0].Timecode
			for i := range frags[1].Blocks {
				frags[1].Blocks[i].Time = frags[0].Timecode + int64(i)
			}
		}), 4004},
		{"cut mid-cluster", none, vogels[:len(vogels)*2/3], 4000},
		{"frame of an undeclared track", none, strayTrack, 4010},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c.tune)
			r.createStream("cam", 24)
			acks, err := r.put("cam", "RELATIVE", start, bytes.NewReader(c.body))
			require.ErrorIs(t, err, putclient.ErrAckError)
			var ids []int
			errNums, buffering := map[string]bool{}, map[string]bool{}
			for _, a := range acks {
				switch a.EventType {
				case putack.Buffering:
					buffering[a.FragmentNumber] = true
				case putack.Error:
					ids = append(ids, a.ErrorID)
					errNums[a.FragmentNumber] = true
					if a.ErrorID == c.id && c.id != 4006 {
						// Every error but unreadable input is about a
						// fragment already acknowledged as BUFFERING.
						assert.True(t, buffering[a.FragmentNumber], "ERROR ack %+v names no fragment in BUFFERING", a)
						assert.NotNil(t, a.FragmentTimecode)
					}
				}
			}
			assert.Contains(t, ids, c.id)
			stored, err := r.store.List(bg, "cam", kvs.ProducerTimestamp, -1<<62, 1<<62)
			require.NoError(t, err)
			assert.Len(t, stored, len(persisted(acks)), "only PERSISTED fragments are stored")
			for _, f := range stored {
				assert.False(t, errNums[f.Number], "fragment %s had an ERROR ack but is stored", f.Number)
			}
		})
	}

	// Errors known before the body: plain KVS errors.
	r := newRig(t)
	r.createStream("cam", 24)
	_, err = r.put("nope", "RELATIVE", start, bytes.NewReader(vogels))
	var ae *httpapi.Error
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "ResourceNotFoundException", ae.Code)
	assert.Equal(t, 404, ae.Status)
	_, err = r.put("cam", "SIDEWAYS", start, bytes.NewReader(vogels))
	require.ErrorAs(t, err, &ae)
	assert.Equal(t, "InvalidArgumentException", ae.Code)
}
