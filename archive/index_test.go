package archive

import (
	"context"
	"log/slog"
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/mkv"
)

// FuzzStoredIndex feeds arbitrary bytes to the stores' handling of a
// stored index, for a real document: the result is the stored index only
// when it decodes and describes a document of the stored size, and then
// nothing is written; otherwise it is the document's own index, which is
// written back. It never fails, as the document is always there.
func FuzzStoredIndex(f *testing.F) {
	data, err := os.ReadFile("../testdata/h264-aac-160x120.getmedia.mkv")
	require.NoError(f, err)
	r := mkv.NewBytesReader(data)
	first, err := r.Next()
	require.NoError(f, err)
	doc := data[first.Offset : first.Offset+first.Size]
	want, err := fragindex.Build(doc)
	require.NoError(f, err)
	enc, err := want.Marshal()
	require.NoError(f, err)
	second, err := r.Next()
	require.NoError(f, err)
	other, err := fragindex.Build(data[second.Offset : second.Offset+second.Size])
	require.NoError(f, err)
	otherEnc, err := other.Marshal()
	require.NoError(f, err)
	f.Add(enc)
	f.Add(otherEnc)
	f.Add([]byte{})
	f.Add(enc[:len(enc)/2])
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var wrote []byte
		got, err := indexFrom(context.Background(), log, storedIndex{
			stream: "cam", number: "1", raw: raw, docSize: int64(len(doc)),
			readDoc: func(context.Context) ([]byte, error) { return doc, nil },
			write:   func(_ context.Context, b []byte) error { wrote = b; return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		if stored, err := fragindex.Unmarshal(raw); err == nil && stored.DocSize == int64(len(doc)) {
			if !reflect.DeepEqual(got, stored) || wrote != nil {
				t.Fatalf("a usable stored index was not returned as stored (wrote %d bytes)", len(wrote))
			}
			return
		}
		if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(wrote, enc) {
			t.Fatal("an unusable stored index was not replaced by the document's")
		}
	})
}
