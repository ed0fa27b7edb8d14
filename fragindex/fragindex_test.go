package fragindex

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
)

// testDoc is one fragment's document cut from a committed recording.
type testDoc struct {
	name string // file and fragment index
	doc  []byte
}

// testDocs returns the document of every fragment of every committed
// testdata/*.mkv, in file order.
func testDocs(t testing.TB) []testDoc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.mkv"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var docs []testDoc
	for _, path := range files {
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		r := mkv.NewBytesReader(data)
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, path)
			docs = append(docs, testDoc{
				name: filepath.Base(path) + "#" + f.Name(),
				doc:  data[f.Offset : f.Offset+f.Size],
			})
		}
	}
	return docs
}

// TestSamplesAreTheBlocks builds the index of every fragment of every
// committed recording and checks each sample against the Reader's block:
// doc[Offset:Offset+Size] is the block's Data, and the other fields are
// the block's.
func TestSamplesAreTheBlocks(t *testing.T) {
	for _, d := range testDocs(t) {
		t.Run(d.name, func(t *testing.T) {
			x, err := Build(d.doc)
			require.NoError(t, err)
			assert.Equal(t, int64(len(d.doc)), x.DocSize)
			f, err := mkv.NewBytesReader(d.doc).Next()
			require.NoError(t, err)
			require.Len(t, x.Samples, len(f.Blocks))
			for i, s := range x.Samples {
				b := f.Blocks[i]
				require.True(t, bytes.Equal(b.Data, d.doc[s.Offset:s.Offset+int64(s.Size)]), "sample %d", i)
				assert.Equal(t, []any{b.Track, b.Time, b.Duration, b.Lace, b.Keyframe, b.HasDuration},
					[]any{s.Track, s.Time, s.Duration, s.Lace, s.Flags&Keyframe != 0, s.Flags&HasDuration != 0}, "sample %d", i)
			}
		})
	}
}

func TestBuildNoFragment(t *testing.T) {
	for _, doc := range [][]byte{nil, {}} {
		_, err := Build(doc)
		assert.ErrorIs(t, err, ErrNoFragment)
	}
	_, err := Build([]byte("not matroska at all"))
	assert.Error(t, err)
}
