package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	kvamtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/server"
)

// TestPutFFmpegPipe: the README's camera pipe, ffmpeg's Matroska on a
// pipe with Clusters far shorter than a GOP (here at most 300 ms, and
// most of them not starting on a key frame), put with no flags: the
// stream gets 2 s fragments, each starting on a key frame, the last
// shorter, and a GetClip of the whole has every frame, decoded by ffmpeg.
func TestPutFFmpegPipe(t *testing.T) {
	mediatest.Need(t, "ffmpeg", "ffprobe")
	const secs, fps, audioFrames = 9, 25, 9 * 48000 / 1024
	ff := exec.Command("ffmpeg", "-nostdin", "-v", "error",
		"-f", "lavfi", "-i", "testsrc=size=160x120:rate=25",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
		"-t", "9", "-c:v", "libx264", "-g", "25", "-bf", "0", "-c:a", "aac",
		"-f", "matroska", "-cluster_time_limit", "300", "-cluster_size_limit", "32768", "-")
	var ffErr bytes.Buffer
	ff.Stderr = &ffErr
	pipe, err := ff.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, ff.Start())

	store, err := archive.Open(t.TempDir())
	require.NoError(t, err)
	ctx := context.Background()
	require.NoError(t, store.CreateStream(ctx, archive.Stream{Name: "cam", RetentionHours: 1}))
	srv, err := server.New(server.Config{Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	defer hs.Close()

	var stdout, stderr bytes.Buffer
	code := run([]string{"put", "--endpoint", hs.URL, "--stream", "cam", "-"}, pipe, &stdout, &stderr)
	require.NoError(t, ff.Wait(), ffErr.String())
	require.Equal(t, 0, code, stderr.String())

	frags, err := store.List(ctx, "cam", kvs.ProducerTimestamp, 0, math.MaxInt64)
	require.NoError(t, err)
	require.Len(t, frags, 5, "9 s in 2 s fragments")
	for i, f := range frags {
		if i < len(frags)-1 {
			assert.InDelta(t, 2000, f.DurationMillis, 40, "fragment %d", i)
			assert.InDelta(t, 2000, frags[i+1].ProducerMillis-f.ProducerMillis, 40, "fragment %d (the first from its first audio frame)", i)
		}
		doc, err := store.Read(ctx, "cam", f.Number)
		require.NoError(t, err)
		fr, err := mkv.NewBytesReader(doc).Next()
		require.NoError(t, err)
		for _, b := range fr.Blocks {
			if b.Track == 1 {
				assert.True(t, b.Keyframe, "fragment %d starts on a key frame", i)
				break
			}
		}
	}

	am := kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: server.DefaultRegion,
		BaseEndpoint: aws.String(hs.URL), Credentials: aws.AnonymousCredentials{}})
	start, end := time.UnixMilli(frags[0].ProducerMillis), time.UnixMilli(frags[len(frags)-1].ProducerMillis+10_000)
	clip, err := am.GetClip(ctx, &kinesisvideoarchivedmedia.GetClipInput{StreamName: aws.String("cam"),
		ClipFragmentSelector: &kvamtypes.ClipFragmentSelector{FragmentSelectorType: kvamtypes.ClipFragmentSelectorTypeProducerTimestamp,
			TimestampRange: &kvamtypes.ClipTimestampRange{StartTimestamp: &start, EndTimestamp: &end}}})
	require.NoError(t, err)
	defer clip.Payload.Close()
	mp4, err := io.ReadAll(clip.Payload)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "clip.mp4")
	require.NoError(t, os.WriteFile(path, mp4, 0o644))
	out, ok := mediatest.Decode(t, path)
	require.True(t, ok, out)
	perStream := map[int]int{}
	for _, p := range mediatest.Packets(t, path) {
		perStream[p.Stream]++
	}
	assert.Equal(t, secs*fps, perStream[0], "every video frame")
	assert.InDelta(t, audioFrames, perStream[1], 2, "every audio frame")
}
