package remux_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// runFormats are the ways every run of fragments is clipped: streamed fMP4
// by a Clipper; the planned layouts, indexed fMP4 and progressive MP4, with
// remux.Plan from the fragments' indexes, and progressive MP4 again from
// the fragments through a Collector (which indexes them as the test does,
// so its fMP4 would add nothing but time).
var runFormats = []struct {
	name   string
	mode   string // "clipper", "collector" or "plan"
	format remux.Format
}{
	{"clipper-fmp4", "clipper", remux.FormatFMP4},
	{"collector-mp4", "collector", remux.FormatMP4},
	{"plan-fmp4", "plan", remux.FormatFMP4},
	{"plan-mp4", "plan", remux.FormatMP4},
}

// refusedRun lists the error kinds a run of valid fragments may still get,
// because of what the run holds rather than how it is clipped: no frame at
// all, or tracks that change within it (test_mixed_tags.mkv). Anything else,
// such as an InvalidArgument from the planner, is a fault of ours.
var refusedRun = map[kvs.Kind]bool{
	kvs.ResourceNotFound:           true,
	kvs.UnsupportedStreamMediaType: true,
}

// TestEveryRunFixtures clips every single fragment and every run of
// consecutive fragments of every committed fixture in every format, and
// requires each clip to succeed.
func TestEveryRunFixtures(t *testing.T) {
	for _, file := range familyFiles(t) {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		t.Run(strings.TrimSuffix(filepath.Base(file), ".getmedia.mkv"), func(t *testing.T) {
			failed := clipEveryRun(t, data)
			assert.Empty(t, failed, "a committed fixture's runs all clip")
		})
	}
}

// TestEveryRunRecordings is TestEveryRunFixtures for the real KVS
// recordings: a run may be refused only for what it holds (refusedRun),
// and every format refuses it alike.
func TestEveryRunRecordings(t *testing.T) {
	dir := mediatest.SharedDir(t)
	for _, rel := range []string{
		"getmedia/output_get_media.mkv",
		"getmedia/kinesis_video_renderer_example_output.mkv",
		"getmedia/output-get-media-non-increasing-timecode.mkv",
		"getmedia/test_mixed_tags.mkv",
		"getmedia/empty-mkv-with-tags.mkv",
		"producer/clusters.mkv",
		"producer/test-stream-1_0.mkv",
		"producer/vogels_480.mkv",
		"producer/test_tags_empty_cluster.mkv",
	} {
		t.Run(filepath.Base(rel), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, rel))
			require.NoError(t, err)
			failed := clipEveryRun(t, data)
			for run, kind := range failed {
				assert.True(t, refusedRun[kind], "run %s refused with %v", run, kind)
			}
		})
	}
}

// clipEveryRun clips each run of consecutive fragments of data in every
// runFormat and returns the runs refused, with the kind of their error;
// it fails the test when the formats disagree about a run.
func clipEveryRun(t *testing.T, data []byte) map[string]kvs.Kind {
	frags := cloneFragments(t, data)
	idx, docs, ok := indexesOf(t, data)
	require.True(t, ok)
	require.Len(t, idx, len(frags))
	failed := map[string]kvs.Kind{}
	for i := range frags {
		for j := i + 1; j <= len(frags); j++ {
			run := fmtRun(i, j)
			var first error
			for k, f := range runFormats {
				var out bytes.Buffer
				err := clipRun(&out, f.mode, f.format, frags[i:j], idx[i:j], docs[i:j])
				if k == 0 {
					first = err
				}
				if (err == nil) != (first == nil) || kvs.KindOf(err) != kvs.KindOf(first) {
					t.Fatalf("run %s: %s: %v, %s: %v", run, runFormats[0].name, first, f.name, err)
				}
			}
			if first != nil {
				failed[run] = kvs.KindOf(first)
			}
		}
	}
	return failed
}

// fmtRun names the run of fragments i to j-1.
func fmtRun(i, j int) string { return fmt.Sprintf("[%d, %d)", i, j) }

// clipRun clips one run to out as mode says: with a Clipper or a
// Collector from the fragments, or with remux.Plan from their indexes and
// documents. A planned clip must be as long as planned.
func clipRun(out *bytes.Buffer, mode string, format remux.Format, frags []*mkv.Fragment, idx []*fragindex.Index, docs remux.Documents) error {
	if mode == "clipper" {
		c := remux.NewClipper(out, nil)
		for _, f := range frags {
			if err := c.Add(f); err != nil {
				c.Abort()
				return err
			}
		}
		_, err := c.Close()
		return err
	}
	ctx := context.Background()
	opts := &remux.PlanOptions{Format: format}
	var pc *remux.PlannedClip
	var err error
	if mode == "plan" {
		pc, err = remux.Plan(ctx, idx, docs, opts)
	} else {
		var col remux.Collector
		for i, f := range frags {
			col.Add(f, docs[i])
		}
		pc, err = col.Plan(ctx, opts)
	}
	if err != nil {
		return err
	}
	size, err := pc.Size()
	if err != nil {
		return err
	}
	before := out.Len()
	if err := pc.WriteTo(ctx, out, docs); err != nil {
		return err
	}
	if wrote := int64(out.Len() - before); size != wrote {
		return fmt.Errorf("planned %d bytes, wrote %d", size, wrote)
	}
	return nil
}

// TestNoKeyFrameFragment clips fragment 2 of vogels_480.mkv alone, as the
// GetClip of the issue did: its video frames all belong to a GOP whose key
// frame is in fragment 1, so the clip holds its audio only. Every planned
// format leaves the empty video track out, and the clip decodes.
func TestNoKeyFrameFragment(t *testing.T) {
	data := mediatest.SharedFile(t, "producer/vogels_480.mkv")
	frags := cloneFragments(t, data)
	idx, docs, ok := indexesOf(t, data)
	require.True(t, ok)
	const k = 2
	audio := 0
	for _, b := range frags[k].Blocks {
		if frags[k].Header.Track(b.Track).Type == mkv.TrackTypeAudio {
			audio++
		}
	}
	for _, f := range runFormats[1:] { // the streamed fMP4 has every track's init
		t.Run(f.name, func(t *testing.T) {
			t.Parallel() // waits on ffmpeg; the fragments are only read
			var out bytes.Buffer
			require.NoError(t, clipRun(&out, f.mode, f.format, frags[k:k+1], idx[k:k+1], docs[k:k+1]))
			path := filepath.Join(t.TempDir(), "out.mp4")
			require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
			msg, ok := mediatest.Decode(t, path)
			require.True(t, ok, msg)
			times := mediatest.PresentationTimes(t, path, "packet")
			require.Len(t, times, 1, "the audio stream alone")
			assert.Len(t, times[0], audio)
		})
	}
}
