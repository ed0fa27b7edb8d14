package server_test

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// followSeconds is how much media the producer streams, in real time,
// while ffmpeg follows the live playlists.
const followSeconds = 12

// TestHLSLiveFollow: while a producer streams a camera's H.264+AAC in
// real time, ffmpeg follows a LIVE session from its first segment, in
// each container, until the playlist stops growing: it decodes every
// frame the producer sent, of both tracks, with no error.
func TestHLSLiveFollow(t *testing.T) {
	mediatest.Need(t, "ffmpeg")
	r := newRig(t)
	r.createStream("cam", 24)
	began := time.Now()
	media := steadyMedia(t, began, followSeconds)
	sent := map[uint64]int{}
	for _, f := range media.frags {
		for _, b := range f.Blocks {
			sent[b.Track]++
		}
	}
	p := startLiveProducer(t, r, "cam", began)
	ctx, cancel := context.WithTimeout(context.Background(), 2*followSeconds*time.Second+30*time.Second)
	defer cancel()
	streamed := streamRealTime(ctx, p, media.frags, began)
	<-p.firstAck

	type follower struct {
		container string
		cmd       *exec.Cmd
		out, errs bytes.Buffer
	}
	var followers []*follower
	for _, container := range []amtypes.ContainerFormat{amtypes.ContainerFormatFragmentedMp4, amtypes.ContainerFormatMpegTs} {
		u := hlsSession(t, r, &am.GetHLSStreamingSessionURLInput{StreamName: aws.String("cam"),
			PlaybackMode: amtypes.HLSPlaybackModeLive, ContainerFormat: container})
		f := &follower{container: string(container)}
		// From the playlist's first segment (not 3 from its end), and
		// done once the playlist has not grown for a few reloads.
		f.cmd = exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-xerror",
			"-live_start_index", "0", "-m3u8_hold_counters", "4", "-i", u, "-map", "0", "-f", "framecrc", "-")
		f.cmd.Stdout, f.cmd.Stderr = &f.out, &f.errs
		require.NoError(t, f.cmd.Start())
		followers = append(followers, f)
	}
	require.NoError(t, <-streamed)
	p.close(t)

	var wg sync.WaitGroup
	for _, f := range followers {
		wg.Add(1)
		go func() { defer wg.Done(); _ = f.cmd.Wait() }()
	}
	wg.Wait()
	for _, f := range followers {
		t.Run(f.container, func(t *testing.T) {
			require.Zero(t, f.cmd.ProcessState.ExitCode(), "ffmpeg: %s", f.errs.String())
			assert.Empty(t, f.errs.String(), "decode silent")
			frames := framecrcCounts(f.out.Bytes())
			t.Logf("%s: ffmpeg decoded %v frames per stream; the producer sent %v per track", f.container, frames, sent)
			require.Len(t, frames, 2, "a video and an audio stream")
			// ffmpeg numbers the streams it finds; the video is the one
			// with the video track's count of frames or the other.
			got := []int{frames[0], frames[1]}
			want := []int{sent[1], sent[2]}
			if got[0] != want[0] {
				got[0], got[1] = got[1], got[0]
			}
			assert.Equal(t, want, got, "every frame of both tracks")
		})
	}
}

// framecrcCounts counts the frames of each stream in ffmpeg's framecrc
// output ("stream, dts, pts, duration, size, crc" lines).
func framecrcCounts(out []byte) map[int]int {
	n := map[int]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		idx, _, ok := strings.Cut(line, ",")
		if !ok {
			continue
		}
		if k, err := strconv.Atoi(strings.TrimSpace(idx)); err == nil {
			n[k]++
		}
	}
	return n
}
