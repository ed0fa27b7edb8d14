package mkv

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
)

// readerCases are the real KVS recordings with what an EBML walk of each
// shows (shared/testdata/kvs/PROVENANCE.md). They feed the tests, the fuzz
// seeds and the benchmarks.
var readerCases = []struct {
	path      string
	fragments int
	blocks    int
	truncated bool // the last fragment is cut short
	tagged    bool // fragments carry AWS tags
	timecodes []int64
}{
	{"getmedia/output_get_media.mkv", 5, 300, false, true, []int64{0, 2000, 4000, 6000, 8000}},
	{"getmedia/kinesis_video_renderer_example_output.mkv", 8, 444, false, true, nil},
	// 359 SimpleBlocks, the last of them cut by the end of the file.
	{"getmedia/output-get-media-non-increasing-timecode.mkv", 12, 358, true, true, []int64{10014, 0, 1001, 2003}},
	{"getmedia/test_mixed_tags.mkv", 10, 100, false, true, nil},
	{"getmedia/empty-mkv-with-tags.mkv", 1, 0, false, true, nil},
	{"producer/clusters.mkv", 8, 444, false, false, []int64{0, 1999, 3999}},
	{"producer/test-stream-1_0.mkv", 37, 1640, false, false, []int64{1703120790149}},
	{"producer/vogels_480.mkv", 9, 2334, false, false, nil},
	{"producer/test_tags_empty_cluster.mkv", 0, 0, false, false, nil},
}

func readAll(t testing.TB, r *Reader) []*Fragment {
	var frags []*Fragment
	for {
		f, err := r.Next()
		if err == io.EOF {
			return frags
		}
		require.NoError(t, err)
		frags = append(frags, f.Clone())
	}
}

func TestReaderRecordings(t *testing.T) {
	dir := mediatest.SharedDir(t)
	for _, c := range readerCases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, c.path))
			require.NoError(t, err)
			frags := readAll(t, NewBytesReader(data))
			require.Len(t, frags, c.fragments)
			blocks, size := 0, int64(0)
			for i, f := range frags {
				blocks += len(f.Blocks)
				assert.Equal(t, size, f.Offset, "fragments tile the input")
				size += f.Size
				assert.Equal(t, i, f.Index)
				assert.Equal(t, c.tagged, f.Tags.FragmentNumber != "")
				assert.Equal(t, c.tagged, f.Tags.HasProducerTimestamp)
				assert.Equal(t, c.truncated && i == len(frags)-1, f.Truncated)
				for _, b := range f.Blocks {
					// Zero copy: each payload is a window of the input.
					assert.Equal(t, data[b.Offset:b.Offset+int64(len(b.Data))], b.Data)
				}
				if i < len(c.timecodes) {
					assert.Equal(t, c.timecodes[i], f.Timecode)
				}
			}
			assert.Equal(t, c.blocks, blocks)
			if c.fragments > 0 {
				assert.Equal(t, int64(len(data)), size)
			}

			// Streaming, even one byte per read, gives the same.
			for name, src := range map[string]io.Reader{
				"stream":   bytes.NewReader(data),
				"one-byte": iotest.OneByteReader(bytes.NewReader(data)),
			} {
				got := readAll(t, NewReader(src))
				require.Len(t, got, len(frags), name)
				for i := range got {
					assert.Equal(t, frags[i].Tags, got[i].Tags, name)
					assert.Equal(t, frags[i].Header, got[i].Header, name)
					require.Len(t, got[i].Blocks, len(frags[i].Blocks), name)
					for j := range got[i].Blocks {
						assert.Equal(t, frags[i].Blocks[j], got[i].Blocks[j], name)
					}
				}
			}
		})
	}
}

func TestReaderTags(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(mediatest.SharedDir(t), "getmedia/output_get_media.mkv"))
	require.NoError(t, err)
	f, err := NewBytesReader(data).Next()
	require.NoError(t, err)
	assert.Equal(t, "91343852333181432392682062607743920146159169392", f.Tags.FragmentNumber)
	assert.Equal(t, int64(1511852108513), f.Tags.ProducerTimestamp)
	assert.Equal(t, int64(1511852109126), f.Tags.ServerTimestamp)
	assert.True(t, f.Tags.HasMillisBehindNow)
	assert.Equal(t, f.Tags.FragmentNumber, f.Tags.ContinuationToken)
	assert.Equal(t, uint64(1_000_000), f.Header.TimecodeScale)
	require.Len(t, f.Header.Tracks, 1)
	tr := f.Header.Tracks[0]
	assert.Equal(t, "V_MPEG4/ISO/AVC", tr.CodecID)
	assert.Equal(t, TrackTypeVideo, tr.Type)
	assert.Equal(t, uint64(640), tr.PixelWidth)
	assert.Equal(t, uint64(360), tr.PixelHeight)
	assert.Len(t, tr.CodecPrivate, 54)
}

func TestReaderSharesRepeatedHeaders(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(mediatest.SharedDir(t), "getmedia/kinesis_video_renderer_example_output.mkv"))
	require.NoError(t, err)
	r := NewBytesReader(data)
	first, err := r.Next()
	require.NoError(t, err)
	second, err := r.Next()
	require.NoError(t, err)
	assert.Same(t, first.Header, second.Header, "identical Info+Tracks in each document give one *Header")
}

func TestReaderMixedTagsBeforeInfo(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(mediatest.SharedDir(t), "getmedia/test_mixed_tags.mkv"))
	require.NoError(t, err)
	frags := readAll(t, NewBytesReader(data))
	assert.Equal(t, "Kinesis Video SDK", frags[0].Header.MuxingApp, "trailing NUL dropped")
	assert.Equal(t, int64(5000), frags[1].Tags.ProducerTimestamp)
	names := map[string]bool{}
	for _, tag := range frags[0].Tags.Other {
		names[tag.Name] = true
	}
	assert.True(t, names["testTag_0"], "producer tags before Info are kept: %v", frags[0].Tags.Other)
}

// TestReaderCutAnywhere cuts a real recording at many points: the reader
// never panics, keeps every complete block of a cut Cluster, and otherwise
// fails with a typed error.
func TestReaderCutAnywhere(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(mediatest.SharedDir(t), "producer/vogels_480.mkv"))
	require.NoError(t, err)
	all := readAll(t, NewBytesReader(data))
	step := len(data) / 997
	for cut := 0; cut < len(data); cut += step {
		r := NewBytesReader(data[:cut])
		n := 0
		for {
			f, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				assert.NotEqual(t, kvs.Unknown, kvs.KindOf(err), "cut %d: %v", cut, err)
				break
			}
			require.Less(t, n, len(all))
			require.LessOrEqual(t, len(f.Blocks), len(all[n].Blocks))
			for j := range f.Blocks {
				assert.Equal(t, all[n].Blocks[j].Data, f.Blocks[j].Data)
			}
			n++
		}
	}
}

func TestReaderErrors(t *testing.T) {
	ebml := []byte{0x1A, 0x45, 0xDF, 0xA3, 0x88, 0x42, 0x82, 0x85, 'm', 'a', 't', 'r', 'o'}
	for _, c := range []struct {
		name string
		in   []byte
		kind kvs.Kind
		err  error
	}{
		{"garbage", []byte("GIF89a not a matroska file"), kvs.InvalidArgument, ErrNotMatroska},
		{"wrong doctype", append(ebml[:len(ebml):len(ebml)], 0, 0, 0), kvs.InvalidArgument, ErrNotMatroska},
		{"truncated header", []byte{0x1A, 0x45, 0xDF}, kvs.InvalidArgument, ErrNotMatroska},
		{"zero id byte", []byte{0x00, 0x01}, kvs.InvalidMediaFrame, ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewBytesReader(c.in).Next()
			require.Error(t, err)
			assert.ErrorIs(t, err, c.err)
			assert.Equal(t, c.kind, kvs.KindOf(err))
			// Sticky.
			_, err2 := NewBytesReader(c.in).Next()
			assert.Equal(t, err.Error(), err2.Error())
		})
	}
	_, err := NewBytesReader(nil).Next()
	assert.Equal(t, io.EOF, err, "empty input has no fragments")
}

// TestReaderReadError passes an input error through.
func TestReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := NewReader(iotest.ErrReader(boom)).Next()
	assert.ErrorIs(t, err, boom)
}

// TestReaderCutInNextHeader: input that ends inside the first element
// header after an unknown-size Cluster leaves that Cluster's fragment
// whole (not Truncated); the cut is the next call's error.
func TestReaderCutInNextHeader(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(mediatest.SharedDir(t), "producer/vogels_480.mkv"))
	require.NoError(t, err)
	all := readAll(t, NewBytesReader(data))
	end := all[2].Offset + all[2].Size
	for cut := int64(1); cut < maxElementHeader; cut++ {
		r := NewBytesReader(data[:end+cut])
		for i := range 3 {
			f, err := r.Next()
			require.NoError(t, err, "cut %d", cut)
			assert.False(t, f.Truncated, "cut %d, fragment %d", cut, i)
			assert.Len(t, f.Blocks, len(all[i].Blocks))
		}
		_, err := r.Next()
		assert.Error(t, err, "cut %d: the partial header is not a clean end", cut)
	}
}

// TestReaderOneSegment: with OneSegment, a second document is an error
// once the first one's fragments are out; without it, more fragments.
func TestReaderOneSegment(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(mediatest.SharedDir(t), "producer/vogels_480.mkv"))
	require.NoError(t, err)
	n := len(readAll(t, NewBytesReader(data)))
	twice := append(bytes.Clone(data), data...)
	assert.Len(t, readAll(t, NewBytesReader(twice)), 2*n)
	r := NewBytesReader(twice)
	r.OneSegment(true)
	for range n {
		_, err := r.Next()
		require.NoError(t, err)
	}
	_, err = r.Next()
	assert.ErrorIs(t, err, ErrMalformed)
}
