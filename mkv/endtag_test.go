package mkv_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/mkv"
)

// producerFragments are two producer-layout fragments, each closed with
// AWS_KINESISVIDEO_END_OF_FRAGMENT, the first with a tag of its own.
func producerFragments(t *testing.T) (first, second []byte) {
	t.Helper()
	h := tinyHeader()
	f1 := tinyFragment(h)
	f1.Tags = mkv.Tags{EndOfFragment: true, Other: []mkv.SimpleTag{{Name: "camera", Value: "door"}}}
	f2 := tinyFragment(h)
	f2.Timecode, f2.Tags = 2000, mkv.Tags{EndOfFragment: true}
	for i := range f2.Blocks {
		f2.Blocks[i].Time += 1000
	}
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: true})
	require.NoError(t, w.WriteFragment(f1))
	n := buf.Len()
	require.NoError(t, w.WriteFragment(f2))
	require.NoError(t, w.Close())
	return buf.Bytes()[:n], buf.Bytes()[n:]
}

// TestEndAtTag: with EndAtTag, a fragment of a live stream is returned as
// soon as its end-of-fragment tag is in, while the producer sends nothing
// more; without it the reader waits for the next element.
func TestEndAtTag(t *testing.T) {
	first, second := producerFragments(t)
	for _, on := range []bool{true, false} {
		pr, pw := io.Pipe()
		r := mkv.NewReader(pr)
		r.EndAtTag(on)
		got := make(chan *mkv.Fragment, 1)
		go func() {
			f, err := r.Next()
			if err != nil {
				f = nil
			}
			got <- f
		}()
		go pw.Write(first)
		select {
		case f := <-got:
			require.True(t, on, "without EndAtTag the fragment came before the next element")
			require.NotNil(t, f)
			assert.True(t, f.Tags.EndOfFragment)
			assert.Equal(t, []mkv.SimpleTag{{Name: "camera", Value: "door"}}, f.Tags.Other)
			assert.Len(t, f.Blocks, 3)
			assert.False(t, f.Truncated)
			assert.Equal(t, int64(len(first)), f.Size)
		case <-time.After(300 * time.Millisecond):
			require.False(t, on, "with EndAtTag the fragment must not wait for more input")
		}
		go func() { pw.Write(second); pw.Close() }()
		if !on {
			f := <-got
			require.NotNil(t, f)
			assert.Equal(t, int64(1000), f.Timecode)
		}
		f, err := r.Next()
		require.NoError(t, err)
		assert.Equal(t, int64(2000), f.Timecode)
		assert.True(t, f.Tags.EndOfFragment)
		_, err = r.Next()
		assert.Equal(t, io.EOF, err)
	}
}

// TestEndAtTagGetMedia: in a GetMedia document a Tags element follows the
// end tag. By default it stays with its fragment; with EndAtTag it begins
// the next, which a document of its own then resets.
func TestEndAtTagGetMedia(t *testing.T) {
	doc := writeFragments(t, mkv.WriterOptions{}, tinyFragment(tinyHeader()))
	for _, on := range []bool{false, true} {
		r := mkv.NewBytesReader(doc)
		r.EndAtTag(on)
		f, err := r.Next()
		require.NoError(t, err)
		assert.True(t, f.Tags.EndOfFragment)
		assert.Equal(t, !on, f.Tags.HasMillisBehindNow, "EndAtTag %v", on)
		_, err = r.Next()
		assert.Equal(t, io.EOF, err)
	}
}

// TestEndAtClusterSize: with EndAtClusterSize, a fragment whose Cluster
// has a known size is returned at the Cluster's last byte while the
// producer sends nothing more, even when the Cluster ends with an element
// shorter than an element header; the Tags after it go to the next
// fragment. Clusters of unknown size keep waiting for what follows.
func TestEndAtClusterSize(t *testing.T) {
	h := tinyHeader()
	f1 := tinyFragment(h)
	f1.Tags = mkv.Tags{}
	// A last frame of one byte: its SimpleBlock is 6 bytes, less than
	// the longest element header.
	f1.Blocks = append(f1.Blocks, mkv.Block{Track: 2, Time: 1050, Keyframe: true, Data: []byte{0x21}})
	f2 := tinyFragment(h)
	f2.Timecode, f2.Tags = 2000, mkv.Tags{Other: []mkv.SimpleTag{{Name: "camera", Value: "door"}}}
	for i := range f2.Blocks {
		f2.Blocks[i].Time += 1000
	}
	for _, unknown := range []bool{false, true} {
		var buf bytes.Buffer
		w := mkv.NewWriter(&buf, &mkv.WriterOptions{Layout: mkv.LayoutProducer, UnknownSizeClusters: unknown})
		require.NoError(t, w.WriteFragment(f1))
		n := buf.Len()
		require.NoError(t, w.WriteFragment(f2))
		first, second := buf.Bytes()[:n], buf.Bytes()[n:]

		pr, pw := io.Pipe()
		r := mkv.NewReader(pr)
		r.EndAtClusterSize(true)
		got := make(chan *mkv.Fragment, 1)
		go func() {
			f, err := r.Next()
			if err != nil {
				t.Log(err)
			}
			got <- f
		}()
		wrote := make(chan struct{})
		go func() { pw.Write(first); close(wrote) }()
		if !unknown {
			select {
			case f := <-got:
				require.NotNil(t, f)
				assert.Len(t, f.Blocks, 4)
				assert.False(t, f.Truncated)
				assert.Equal(t, int64(len(first)), f.Size)
			case <-time.After(10 * time.Second):
				t.Fatal("a Cluster of known size waited for the next element")
			}
		}
		go func() { <-wrote; pw.Write(second); pw.Close() }()
		if unknown {
			f := <-got
			require.NotNil(t, f)
			assert.Len(t, f.Blocks, 4)
		}
		f, err := r.Next()
		require.NoError(t, err)
		assert.Equal(t, int64(2000), f.Timecode)
		if !unknown {
			assert.Empty(t, f.Tags.Other, "the Tags after a Cluster of known size are the next fragment's")
		}
		_, err = r.Next()
		assert.Equal(t, io.EOF, err, "unknown=%v", unknown)
	}
}
