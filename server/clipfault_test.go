package server_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	amtypes "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/bench"
	"github.com/kvsclip/kvsclip/server"
)

// TestGetClipMissingFragment: a listed fragment whose stored document is
// gone fails the clip with a typed error before its first byte when it is
// the clip's first, and cuts the response when it comes later: never a
// clip that silently lacks frames.
func TestGetClipMissingFragment(t *testing.T) {
	rec := syntheticRecording(t, bench.Synth{Fragments: 6, KeyFrame: 30_000, Frame: 3_600, Audio: 300})
	for _, c := range []struct {
		name   string
		remove int // which fragment's document goes
		whole  bool
	}{
		{"first", 0, false},
		{"later", 4, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, dir, start, nums := recordedInDir(t, rec)
			require.NoError(t, os.Remove(storedDoc(t, dir, nums[c.remove])))

			out, err := producerClip(r, "cam", start, start.Add(time.Hour))
			if !c.whole {
				var notFound *amtypes.ResourceNotFoundException
				require.ErrorAs(t, err, &notFound)
				return
			}
			require.NoError(t, err, "the clip began before the missing fragment")
			_, err = io.Copy(io.Discard, out.Payload)
			assert.Error(t, err, "the response is cut, not complete")
		})
	}
}

// recordedInDir is a server on a directory store, dir, with rec put into
// stream "cam" from start; nums are its fragments.
func recordedInDir(t *testing.T, rec []byte, tune ...func(*server.Config)) (r *rig, dir string, start time.Time, nums []string) {
	dir = t.TempDir()
	r = newRig(t, append([]func(*server.Config){func(cfg *server.Config) {
		store, err := archive.Open(dir)
		require.NoError(t, err)
		cfg.Store = store
	}}, tune...)...)
	r.createStream("cam", 24)
	start = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	acks, err := r.put("cam", "RELATIVE", start, bytes.NewReader(rec))
	require.NoError(t, err)
	return r, dir, start, persisted(acks)
}

// storedDoc is the file of fragment num's document in a directory store.
func storedDoc(t *testing.T, dir, num string) string {
	docs, err := filepath.Glob(filepath.Join(dir, "streams", "cam", "frags", num+"_*.mkv"))
	require.NoError(t, err)
	require.Len(t, docs, 1)
	return docs[0]
}
