package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
	"github.com/kvsclip/kvsclip/server/images"
)

// The producer recording the GetImages tests put: 640x480 H.264, a key
// frame every 1.5 s, 37 fragments from this producer time on.
const (
	imagesFile   = "test-stream-1_0.mkv"
	imagesStart  = int64(1703120790149)
	imagesWidth  = 640
	imagesHeight = 480
)

// imagesRig is a server holding imagesFile as stream "cam".
func imagesRig(t *testing.T, tune ...func(*server.Config)) *rig {
	t.Helper()
	mediatest.Need(t, "ffmpeg", "ffprobe")
	r := newRig(t, tune...)
	r.createStream("cam", 24)
	require.Len(t, persisted(r.putFile("cam", "ABSOLUTE", time.Now(), producerFile(t, imagesFile))), 37)
	return r
}

// probeImage decodes an image with ffprobe (-count_frames) and returns its
// codec and size; a complaint or a picture that does not decode fails.
func probeImage(t *testing.T, img []byte) (codecName string, width, height int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image")
	require.NoError(t, os.WriteFile(path, img, 0o644))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_name,width,height,nb_read_frames", "-of", "csv=p=0", path)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	require.Empty(t, stderr.String())
	f := strings.Split(strings.TrimSpace(stdout.String()), ",")
	require.Equal(t, []string{"1"}, f[3:], "one picture decoded: %s", stdout.String())
	width, err := strconv.Atoi(f[1])
	require.NoError(t, err)
	height, err = strconv.Atoi(f[2])
	require.NoError(t, err)
	return f[0], width, height
}

// allImages pages through GetImages with the SDK's paginator.
func allImages(t *testing.T, r *rig, in *am.GetImagesInput) []amtypes.Image {
	t.Helper()
	var got []amtypes.Image
	p := am.NewGetImagesPaginator(r.media, in)
	for p.HasMorePages() {
		out, err := p.NextPage(bg)
		require.NoError(t, err)
		got = append(got, out.Images...)
	}
	return got
}

func TestGetImages(t *testing.T) {
	r := imagesRig(t)
	for _, c := range []struct {
		name          string
		format        amtypes.Format
		quality       string
		width, height *int32
		wantCodec     string
		wantW, wantH  int
		// seconds is the window's length; at 3 s, seconds/3+1 images.
		seconds int64
	}{
		{"jpeg stretched", amtypes.FormatJpeg, "50", aws.Int32(320), aws.Int32(100), "mjpeg", 320, 100, 50},
		{"jpeg own size", amtypes.FormatJpeg, "", nil, nil, "mjpeg", imagesWidth, imagesHeight, 10},
		{"png height only", amtypes.FormatPng, "", nil, aws.Int32(120), "png", 120 * imagesWidth / imagesHeight, 120, 10},
		{"png odd size", amtypes.FormatPng, "", aws.Int32(97), aws.Int32(33), "png", 97, 33, 10},
	} {
		// One after another, not in parallel: the cases share one server,
		// whose decodes have a 10 s timeout that overlapping them on a
		// loaded machine can run past (MEDIA_ERROR images).
		t.Run(c.name, func(t *testing.T) {
			in := &am.GetImagesInput{
				StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
				StartTimestamp: aws.Time(time.UnixMilli(imagesStart)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + c.seconds*1000)),
				SamplingInterval: aws.Int32(3000), Format: c.format, WidthPixels: c.width, HeightPixels: c.height,
				MaxResults: aws.Int64(3),
			}
			if c.quality != "" {
				in.FormatConfig = map[string]string{"JPEGQuality": c.quality}
			}
			got := allImages(t, r, in)
			// Every sample time once and in order, over pages of 3.
			require.Len(t, got, int(c.seconds/3+1))
			for k, img := range got {
				assert.Equal(t, imagesStart+int64(k)*3000, img.TimeStamp.UnixMilli())
				require.Empty(t, img.Error, "image %d", k)
				raw, err := base64.StdEncoding.DecodeString(*img.ImageContent)
				require.NoError(t, err)
				codecName, w, h := probeImage(t, raw)
				assert.Equal(t, c.wantCodec, codecName)
				assert.Equal(t, []int{c.wantW, c.wantH}, []int{w, h}, "image %d", k)
			}
		})
	}
}

func TestGetImagesServerTimestamps(t *testing.T) {
	r := imagesRig(t)
	frags, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	first := *frags.Fragments[0].ServerTimestamp
	for _, f := range frags.Fragments {
		if f.ServerTimestamp.Before(first) {
			first = *f.ServerTimestamp
		}
	}
	// A window shorter than the interval: the start's image alone.
	out, err := r.media.GetImages(bg, &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeServerTimestamp,
		StartTimestamp: aws.Time(first), EndTimestamp: aws.Time(first.Add(time.Second)),
		SamplingInterval: aws.Int32(20000), Format: amtypes.FormatPng,
	})
	require.NoError(t, err)
	require.Len(t, out.Images, 1)
	assert.Nil(t, out.NextToken)
	require.Empty(t, out.Images[0].Error)
	raw, err := base64.StdEncoding.DecodeString(*out.Images[0].ImageContent)
	require.NoError(t, err)
	_, w, h := probeImage(t, raw)
	assert.Equal(t, []int{imagesWidth, imagesHeight}, []int{w, h})
}

// A time without a fragment over it has no key frame at or before it
// within its fragment: NO_MEDIA, the others an image.
func TestGetImagesNoMedia(t *testing.T) {
	r := imagesRig(t)
	got := allImages(t, r, &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(time.UnixMilli(imagesStart - 30_000)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + 3000)),
		SamplingInterval: aws.Int32(10000), Format: amtypes.FormatJpeg, WidthPixels: aws.Int32(64), HeightPixels: aws.Int32(48),
	})
	require.Len(t, got, 4)
	for k, img := range got[:3] {
		assert.Equal(t, amtypes.ImageErrorNoMedia, img.Error, "image %d", k)
		assert.Nil(t, img.ImageContent)
	}
	assert.Empty(t, got[3].Error)
	assert.NotEmpty(t, got[3].ImageContent)

	// Long after the stream ends: nothing but NO_MEDIA.
	got = allImages(t, r, &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(time.UnixMilli(imagesStart + 3_600_000)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + 3_660_000)),
		SamplingInterval: aws.Int32(20000), Format: amtypes.FormatPng,
	})
	require.Len(t, got, 4)
	for _, img := range got {
		assert.Equal(t, amtypes.ImageErrorNoMedia, img.Error)
	}
}

// GetImages on a stream of audio only: MEDIA_ERROR, the media allows no
// image.
func TestGetImagesAudioOnly(t *testing.T) {
	mediatest.Need(t, "ffmpeg")
	r := newRig(t)
	r.createStream("mic", 24)
	start := time.UnixMilli(imagesStart)
	m := loadProducerMedia(t, "h264-aac-160x120.getmedia.mkv", true, false, start, 4)
	h := *m.header
	h.Tracks = nil
	for _, tr := range m.header.Tracks {
		if tr.Type != mkv.TrackTypeVideo {
			h.Tracks = append(h.Tracks, tr)
		}
	}
	require.Len(t, h.Tracks, 1)
	body := producerStream(t, m, func(_ int, g *mkv.Fragment) {
		g.Header = &h
		g.Blocks = slices.DeleteFunc(g.Blocks, func(b mkv.Block) bool { return b.Track != h.Tracks[0].Number })
	})
	acks, err := r.put("mic", "RELATIVE", start, body)
	require.NoError(t, err)
	require.NotEmpty(t, persisted(acks))
	out, err := r.media.GetImages(bg, &am.GetImagesInput{
		StreamName: aws.String("mic"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(start.Add(100 * time.Millisecond)), EndTimestamp: aws.Time(start.Add(time.Second)),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatPng,
	})
	require.NoError(t, err)
	require.Len(t, out.Images, 1)
	assert.Equal(t, amtypes.ImageErrorMediaError, out.Images[0].Error)
}

func TestGetImagesErrors(t *testing.T) {
	r := imagesRig(t)
	base := func() *am.GetImagesInput {
		return &am.GetImagesInput{
			StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
			StartTimestamp: aws.Time(time.UnixMilli(imagesStart)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + 9000)),
			SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg,
		}
	}
	// A real token of this window, for the cases that misuse it.
	first, err := r.media.GetImages(bg, func() *am.GetImagesInput { in := base(); in.MaxResults = aws.Int64(1); return in }())
	require.NoError(t, err)
	require.NotNil(t, first.NextToken)
	invalid := func(err error) bool { return is[*amtypes.InvalidArgumentException](err) }
	for _, c := range []struct {
		name string
		edit func(*am.GetImagesInput)
		want func(error) bool
	}{
		{"unknown stream", func(in *am.GetImagesInput) { in.StreamName = aws.String("nope") }, func(err error) bool { return is[*amtypes.ResourceNotFoundException](err) }},
		{"no stream", func(in *am.GetImagesInput) { in.StreamName = nil }, invalid},
		{"selector", func(in *am.GetImagesInput) { in.ImageSelectorType = "NOW" }, invalid},
		{"end before start", func(in *am.GetImagesInput) { in.EndTimestamp = aws.Time(time.UnixMilli(imagesStart - 1)) }, invalid},
		{"interval short", func(in *am.GetImagesInput) { in.SamplingInterval = aws.Int32(2999) }, invalid},
		{"interval long", func(in *am.GetImagesInput) { in.SamplingInterval = aws.Int32(20001) }, invalid},
		{"format", func(in *am.GetImagesInput) { in.Format = "GIF" }, invalid},
		{"quality 0", func(in *am.GetImagesInput) { in.FormatConfig = map[string]string{"JPEGQuality": "0"} }, invalid},
		{"quality 101", func(in *am.GetImagesInput) { in.FormatConfig = map[string]string{"JPEGQuality": "101"} }, invalid},
		{"quality word", func(in *am.GetImagesInput) { in.FormatConfig = map[string]string{"JPEGQuality": "high"} }, invalid},
		{"other key", func(in *am.GetImagesInput) { in.FormatConfig = map[string]string{"PNGLevel": "3"} }, invalid},
		{"width alone", func(in *am.GetImagesInput) { in.WidthPixels = aws.Int32(100) }, invalid},
		{"width 0", func(in *am.GetImagesInput) { in.WidthPixels, in.HeightPixels = aws.Int32(0), aws.Int32(10) }, invalid},
		{"width 3841", func(in *am.GetImagesInput) { in.WidthPixels, in.HeightPixels = aws.Int32(3841), aws.Int32(10) }, invalid},
		{"height 2161", func(in *am.GetImagesInput) { in.HeightPixels = aws.Int32(2161) }, invalid},
		{"max results 0", func(in *am.GetImagesInput) { in.MaxResults = aws.Int64(0) }, invalid},
		{"max results 101", func(in *am.GetImagesInput) { in.MaxResults = aws.Int64(101) }, invalid},
		{"token garbage", func(in *am.GetImagesInput) { in.NextToken = aws.String("bm90IGEgdG9rZW4=") }, invalid},
		{"token pattern", func(in *am.GetImagesInput) { in.NextToken = aws.String("not a token") }, invalid},
		{"token of another window", func(in *am.GetImagesInput) {
			in.NextToken = first.NextToken
			in.EndTimestamp = aws.Time(time.UnixMilli(imagesStart + 12000))
		}, invalid},
		{"token of another interval", func(in *am.GetImagesInput) {
			in.NextToken = first.NextToken
			in.SamplingInterval = aws.Int32(4000)
		}, invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.edit(in)
			_, err := r.media.GetImages(bg, in)
			require.Error(t, err)
			assert.True(t, c.want(err), "%v", err)
		})
	}
}

// Without ffmpeg the server still starts, and GetImages answers a typed
// error that says why.
func TestGetImagesWithoutFFmpeg(t *testing.T) {
	r := newRig(t, func(c *server.Config) { c.Images.FFmpeg = filepath.Join(t.TempDir(), "no-ffmpeg-here") })
	r.createStream("cam", 24)
	_, err := r.media.GetImages(bg, &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(time.UnixMilli(imagesStart)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + 9000)),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg,
	})
	var iae *amtypes.InvalidArgumentException
	require.ErrorAs(t, err, &iae)
	assert.Contains(t, iae.ErrorMessage(), "ffmpeg")
	// No endpoint is handed out for it, with the same answer.
	_, err = r.kv.GetDataEndpoint(bg, &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("cam"), APIName: "GET_IMAGES"})
	var kiae *kvtypes.InvalidArgumentException
	require.ErrorAs(t, err, &kiae)
	assert.Contains(t, kiae.ErrorMessage(), "ffmpeg")
}

// A second request for the same images runs no ffmpeg: the cache answers.
func TestGetImagesCache(t *testing.T) {
	r := imagesRig(t)
	in := &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(time.UnixMilli(imagesStart)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + 30_000)),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg, WidthPixels: aws.Int32(160), HeightPixels: aws.Int32(120),
	}
	t0 := time.Now()
	cold, err := r.media.GetImages(bg, in)
	require.NoError(t, err)
	coldTime := time.Since(t0)
	runs := int64(r.metric("kvsclip_images_decodes_total"))
	require.Equal(t, int64(len(cold.Images)), runs, "one ffmpeg per image")

	t0 = time.Now()
	warm, err := r.media.GetImages(bg, in)
	require.NoError(t, err)
	warmTime := time.Since(t0)
	assert.Equal(t, runs, int64(r.metric("kvsclip_images_decodes_total")), "the cache answers")
	require.Equal(t, cold.Images, warm.Images)
	t.Logf("%d images: %v decoding (%v each), %v from the cache", len(cold.Images), coldTime, coldTime/time.Duration(len(cold.Images)), warmTime)

	// Another size is another image.
	in.WidthPixels = aws.Int32(80)
	_, err = r.media.GetImages(bg, in)
	require.NoError(t, err)
	assert.Equal(t, 2*runs, int64(r.metric("kvsclip_images_decodes_total")))

	status, body := fetchURL(t, r.url+"/metrics")
	require.Equal(t, http.StatusOK, status)
	for _, want := range []string{"kvsclip_images_available 1", fmt.Sprintf("kvsclip_images_decodes_total %d", 2*runs), fmt.Sprintf("kvsclip_images_cache_hits_total %d", runs)} {
		assert.Contains(t, string(body), want)
	}
}

// Many requests at once never run more decodes than the bound.
func TestGetImagesConcurrencyBound(t *testing.T) {
	r := imagesRig(t, func(c *server.Config) { c.Images.MaxDecodes = 2; c.Images.CacheBytes = -1 })
	ctx, cancel := context.WithTimeout(bg, time.Minute)
	defer cancel()
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			_, err := r.media.GetImages(ctx, &am.GetImagesInput{
				StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
				StartTimestamp: aws.Time(time.UnixMilli(imagesStart + int64(i)*1000)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + 40_000)),
				SamplingInterval: aws.Int32(3000), Format: amtypes.FormatPng,
			})
			errs <- err
		}()
	}
	for range 4 {
		require.NoError(t, <-errs)
	}
	st := r.srv.ImageStats()
	assert.Equal(t, int64(2), st.PeakDecodes)
	assert.Positive(t, st.Runs)
}

// H.265 key frames decode too: the access unit carries VPS, SPS and PPS.
func TestGetImagesHEVC(t *testing.T) {
	mediatest.Need(t, "ffmpeg", "ffprobe")
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.UnixMilli(imagesStart)
	putRecording(t, r, "cam", "hevc-main10-174x142-aac16k-stereo.getmedia.mkv", true, start, 4)
	got := allImages(t, r, &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(start.Add(3 * time.Second)),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg, HeightPixels: aws.Int32(71),
	})
	require.Len(t, got, 2)
	for _, img := range got {
		require.Empty(t, img.Error)
		raw, err := base64.StdEncoding.DecodeString(*img.ImageContent)
		require.NoError(t, err)
		codecName, w, h := probeImage(t, raw)
		assert.Equal(t, "mjpeg", codecName)
		assert.Equal(t, []int{87, 71}, []int{w, h}, "174x142 at height 71")
	}
}

// A fragment without a key frame of its own gets the last one of the
// fragment before it: the producer cut a long group of pictures in two.
func TestGetImagesKeyFrameInEarlierFragment(t *testing.T) {
	mediatest.Need(t, "ffmpeg")
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.UnixMilli(imagesStart)
	r.putFile("cam", "RELATIVE", start, producerFile(t, "vogels_480.mkv"))
	// vogels_480.mkv has key frames at 2.169, 9.810 and 17.150 s, and a
	// fragment boundary between the last two that is not a key frame.
	frags, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	var inside []time.Time // the starts of fragments between 9.81 and 17.15 s
	for _, f := range frags.Fragments {
		if at := f.ProducerTimestamp.Sub(start); at > 9900*time.Millisecond && at < 17100*time.Millisecond {
			inside = append(inside, *f.ProducerTimestamp)
		}
	}
	require.NotEmpty(t, inside, "a fragment that starts without a key frame")
	image := func(at time.Time) string {
		out, err := r.media.GetImages(bg, &am.GetImagesInput{
			StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
			StartTimestamp: aws.Time(at), EndTimestamp: aws.Time(at),
			SamplingInterval: aws.Int32(3000), Format: amtypes.FormatPng, WidthPixels: aws.Int32(64), HeightPixels: aws.Int32(48),
		})
		require.NoError(t, err)
		require.Len(t, out.Images, 1)
		require.Empty(t, out.Images[0].Error, "at %v", at.Sub(start))
		return *out.Images[0].ImageContent
	}
	keyFrame := image(start.Add(9900 * time.Millisecond))
	for _, at := range inside {
		assert.Equal(t, keyFrame, image(at.Add(100*time.Millisecond)), "the picture of the key frame at 9.81 s")
	}
	assert.NotEqual(t, keyFrame, image(start.Add(17200*time.Millisecond)), "the next key frame's")
}

// A page whose images pass the answer's byte bound ends early, after a
// batch of decodes, and its NextToken goes on from there.
func TestGetImagesPageBytes(t *testing.T) {
	r := imagesRig(t, func(c *server.Config) {
		c.Images.MaxDecodes = 2
		c.Images.PageBytes = 1 // every batch fills a page
	})
	in := &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(time.UnixMilli(imagesStart)), EndTimestamp: aws.Time(time.UnixMilli(imagesStart + 12_000)),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatJpeg, WidthPixels: aws.Int32(32), HeightPixels: aws.Int32(24),
	}
	var pages []int
	var times []int64
	for {
		out, err := r.media.GetImages(bg, in)
		require.NoError(t, err)
		pages = append(pages, len(out.Images))
		for _, img := range out.Images {
			require.NotNil(t, img.ImageContent)
			times = append(times, img.TimeStamp.UnixMilli())
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	assert.Equal(t, []int{2, 2, 1}, pages, "batches of Images.MaxDecodes")
	assert.Equal(t, []int64{imagesStart, imagesStart + 3000, imagesStart + 6000, imagesStart + 9000, imagesStart + 12000}, times)
}

// Media without a key frame in reach of the window: NO_MEDIA inside the
// fragments too.
func TestGetImagesNoKeyFrames(t *testing.T) {
	mediatest.Need(t, "ffmpeg")
	r := newRig(t)
	r.createStream("cam", 24)
	start := time.UnixMilli(imagesStart)
	m := loadProducerMedia(t, "h264-aac-160x120.getmedia.mkv", false, false, start, 12)
	body := producerStream(t, m, func(i int, g *mkv.Fragment) {
		// The first fragment keeps its key frames; the rest, more
		// than images.KeyFrameLookback fragments of them, have none.
		for k := range g.Blocks {
			g.Blocks[k].Keyframe = g.Blocks[k].Keyframe && i == 0
		}
	})
	acks, err := r.put("cam", "RELATIVE", start, body)
	require.NoError(t, err)
	require.Len(t, persisted(acks), len(m.frags))
	require.Greater(t, len(m.frags), images.KeyFrameLookback+2)
	frags, err := r.media.ListFragments(bg, &am.ListFragmentsInput{StreamName: aws.String("cam")})
	require.NoError(t, err)
	var last time.Time
	for _, f := range frags.Fragments {
		if f.ProducerTimestamp.After(last) {
			last = *f.ProducerTimestamp
		}
	}
	out, err := r.media.GetImages(bg, &am.GetImagesInput{
		StreamName: aws.String("cam"), ImageSelectorType: amtypes.ImageSelectorTypeProducerTimestamp,
		StartTimestamp: aws.Time(start), EndTimestamp: aws.Time(last),
		SamplingInterval: aws.Int32(3000), Format: amtypes.FormatPng,
	})
	require.NoError(t, err)
	require.NotEmpty(t, out.Images)
	assert.Empty(t, out.Images[0].Error, "the first fragment's key frame")
	// The last sample lies more than images.KeyFrameLookback fragments
	// past the only key frames.
	assert.Equal(t, amtypes.ImageErrorNoMedia, out.Images[len(out.Images)-1].Error)
}

// producerStream writes m as a producer sends it, each fragment a copy
// (its blocks too) that edit may change first.
func producerStream(t *testing.T, m *producerMedia, edit func(i int, g *mkv.Fragment)) *bytes.Buffer {
	t.Helper()
	var body bytes.Buffer
	w := mkv.NewWriter(&body, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	for i, f := range m.frags {
		g := *f
		g.Blocks = slices.Clone(f.Blocks)
		edit(i, &g)
		require.NoError(t, w.WriteFragment(&g))
	}
	require.NoError(t, w.Close())
	return &body
}
