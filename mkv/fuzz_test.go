package mkv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"testing/iotest"
	"unsafe"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
)

// Allocation bounds the fuzz harness holds the Reader to, for a whole read of
// an input of n bytes: readerOverhead + readerPerByte·n for a []byte input,
// plus streamOverhead + streamPerByte·n for an io.Reader.
//
// readerPerByte: the Reader turns every frame into a Block, and a frame
// costs at least one input byte (empty frames are refused); append doubles
// the Blocks slice, so the slices allocated along the way sum to at most
// four Blocks per frame. Header copies (CodecPrivate, the header cache),
// Track and SimpleTag structs and strings each cost less than 64 bytes per
// input byte that declares them.
//
// streamPerByte: the streaming source doubles its buffer as bytes arrive,
// so the buffers allocated sum to at most four times the input; the
// overhead is its read-ahead in both alternating buffers, doubled.
const (
	readerOverhead = 64 << 10
	readerPerByte  = 4*uint64(unsafe.Sizeof(Block{})) + 64
	streamOverhead = 8 * readAhead
	streamPerByte  = 4
)

// checkReaderAllocs fails t when reading data through open allocated more
// than limit. A cheap figure over the limit is measured again exactly.
func checkReaderAllocs(t *testing.T, what string, data []byte, got, limit uint64, open func() *Reader) {
	t.Helper()
	if got <= limit {
		return
	}
	_, got = scanAllMeasured(t, open(), data, mediatest.HeapAllocatedExact)
	if got > limit {
		t.Fatalf("%s allocated %d bytes for %d of input, limit %d", what, got, len(data), limit)
	}
}

// readerSentinels are the causes a reading error may have.
var readerSentinels = []error{ErrNotMatroska, ErrMalformed, ErrUnexpectedEOF, ErrTooLarge,
	ErrUnknownTrack, ErrNoTracks, ErrUnsupported, ErrBadTag}

// FuzzReader feeds arbitrary bytes to the Reader over a []byte, over an
// io.Reader, and over an io.Reader that returns one byte per call. None may
// panic; all must agree; every error must be a *Error with a sentinel cause
// and a KVS kind; every block must be a non-empty window of the input of a
// declared track; every fragment must lie after the one before, so that
// Next always consumes input or ends; a whole read must allocate within
// the bounds above; and a fragment-start function (OnFragmentStart), set
// on a fourth reader, must change nothing, be called at most once per call
// of Next, and only with the offset and timecode of the fragment that
// Next then returns; and every fragment must read as ebml-go reads the
// same elements (EBMLGoAgrees). Seeds: testdata/fuzz/FuzzReader (see seeds_test.go).
func FuzzReader(f *testing.F) {
	f.Add(doc(elSized(idCluster, -1, el(idTimecode, u(0)), simpleBlock(1, 0, 0x80, 1))))
	f.Add(doc(el(idCluster, el(idTimecode, u(5)), simpleBlock(2, 0, 0x86, 2, 0x81, 0xC0, 1, 2, 3))))
	f.Fuzz(func(t *testing.T, data []byte) {
		n := uint64(len(data))
		a, allocA := scanAll(t, NewBytesReader(data), data)
		checkReaderAllocs(t, "bytes reader", data, allocA, readerOverhead+readerPerByte*n,
			func() *Reader { return NewBytesReader(data) })
		b, allocB := scanAll(t, NewReader(bytes.NewReader(data)), data)
		checkReaderAllocs(t, "stream reader", data, allocB, readerOverhead+streamOverhead+(readerPerByte+streamPerByte)*n,
			func() *Reader { return NewReader(bytes.NewReader(data)) })
		c, _ := scanAll(t, NewReader(iotest.OneByteReader(bytes.NewReader(data))), data)
		if a != b || a != c {
			t.Fatalf("readers disagree:\nbytes:  %q\nstream: %q\n1-byte: %q", a, b, c)
		}
		if d := scanStarts(t, NewReader(iotest.OneByteReader(bytes.NewReader(data))), data); d != a {
			t.Fatalf("a fragment-start function changed the reading:\nwithout: %q\nwith:    %q", a, d)
		}
		// After the measured reads: ebml-go's allocations are its own.
		EBMLGoAgrees(t, data)
	})
}

// scanAll reads everything and returns a digest of what was read and the
// bytes the calls to Next allocated.
func scanAll(t *testing.T, r *Reader, data []byte) (string, uint64) {
	return scanAllMeasured(t, r, data, mediatest.HeapAllocated)
}

// fragmentStart is one call of an OnFragmentStart function.
type fragmentStart struct{ offset, timecode int64 }

// scanStarts is scanAll with a fragment-start function on r, checked
// against what each call of Next returns.
func scanStarts(t *testing.T, r *Reader, data []byte) string {
	var calls []fragmentStart
	r.OnFragmentStart(func(offset, timecode int64) {
		calls = append(calls, fragmentStart{offset, timecode})
	})
	sum, _ := scanAllChecked(t, r, data, mediatest.HeapAllocated, func(f *Fragment, err error) {
		switch {
		case len(calls) > 1:
			t.Fatalf("%d fragment starts in one call of Next: %v", len(calls), calls)
		case len(calls) == 1 && err == nil && calls[0] != (fragmentStart{f.Offset, f.Timecode}):
			t.Fatalf("fragment start %+v for fragment %d at %d, timecode %d", calls[0], f.Index, f.Offset, f.Timecode)
		}
		calls = calls[:0]
	})
	return sum
}

func scanAllMeasured(t *testing.T, r *Reader, data []byte, heapAllocated func() uint64) (string, uint64) {
	return scanAllChecked(t, r, data, heapAllocated, nil)
}

// scanAllChecked is scanAllMeasured calling check, if not nil, after each
// call of Next with what it returned.
func scanAllChecked(t *testing.T, r *Reader, data []byte, heapAllocated func() uint64, check func(*Fragment, error)) (string, uint64) {
	var sum bytes.Buffer
	var alloc uint64
	end := int64(0) // where the previous fragment ended
	// Each fragment holds at least one input byte, so a Reader that has
	// not ended after len(data)+1 fragments is stuck.
	for i := 0; i <= len(data)+1; i++ {
		before := heapAllocated()
		f, err := r.Next()
		alloc += heapAllocated() - before
		if check != nil {
			check(f, err)
		}
		if err == io.EOF {
			if _, again := r.Next(); again != io.EOF {
				t.Fatalf("Next after io.EOF: %v", again)
			}
			return sum.String(), alloc
		}
		if err != nil {
			checkReadError(t, err)
			if _, again := r.Next(); again != err {
				t.Fatalf("error not sticky: %v, then %v", err, again)
			}
			sum.WriteString(err.Error())
			return sum.String(), alloc
		}
		if f.Offset < end || f.Size <= 0 || f.Offset+f.Size > int64(len(data)) {
			t.Fatalf("fragment %d at %d+%d: previous ended at %d, input is %d bytes", f.Index, f.Offset, f.Size, end, len(data))
		}
		end = f.Offset + f.Size
		fmt.Fprintf(&sum, "F%d@%d+%d tc%d tr%v h%+v|", f.Index, f.Offset, f.Size, f.Timecode, f.Truncated, f.Header)
		for _, b := range f.Blocks {
			if len(b.Data) == 0 || b.Offset < f.Offset || b.Offset+int64(len(b.Data)) > end ||
				!bytes.Equal(data[b.Offset:b.Offset+int64(len(b.Data))], b.Data) {
				t.Fatalf("block at %d is not a window of its fragment", b.Offset)
			}
			if f.Header == nil || f.Header.Track(b.Track) == nil {
				t.Fatalf("block of undeclared track %d", b.Track)
			}
			fmt.Fprintf(&sum, "%d:%d:%d:%d:%v%v%v|", b.Track, b.Time, b.Offset, len(b.Data), b.Keyframe, b.Lace, b.Duration)
		}
		fmt.Fprintf(&sum, "%+v\n", f.Tags)
	}
	t.Fatalf("no end after %d fragments from %d bytes", len(data)+2, len(data))
	return "", 0
}

// checkReadError fails t unless err is a *Error with one of the sentinel
// causes and a KVS kind.
func checkReadError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *mkv.Error", err, err)
	}
	known := false
	for _, s := range readerSentinels {
		known = known || errors.Is(err, s)
	}
	if !known {
		t.Fatalf("error %v has no sentinel cause", err)
	}
	if kvs.KindOf(err) == kvs.Unknown {
		t.Fatalf("error without a kind: %v", err)
	}
}

func BenchmarkReader(b *testing.B) {
	for _, c := range readerCases {
		if c.blocks < 300 {
			continue
		}
		data := mediatest.SharedFile(b, c.path)
		for name, open := range map[string]func() *Reader{
			"bytes":  func() *Reader { return NewBytesReader(data) },
			"stream": func() *Reader { return NewReader(bytes.NewReader(data)) },
		} {
			b.Run(filepath.Base(c.path)+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					r := open()
					for {
						if _, err := r.Next(); err != nil {
							break
						}
					}
				}
			})
		}
	}
}

// TestFuzzFindings keeps what fuzzing found in the Reader fixed: each input
// must fail with its cause and cost the streaming reader less than the
// bound FuzzReader holds it to.
func TestFuzzFindings(t *testing.T) {
	seeds := seedDocs()
	for _, c := range []struct {
		name  string
		input []byte
		cause error
	}{
		// The streaming source grew its buffer to a Cluster's declared
		// size before reading: 48 MiB for a 200-byte input. It reads as
		// one truncated fragment.
		{"lying-cluster-size", seeds["lying-cluster-size"], io.EOF},
		// 256 empty frames from a 7-byte laced block; empty frames are
		// now refused.
		{"empty-laced-frames", seeds["empty-laced-frames"], ErrMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := uint64(len(c.input))
			before := mediatest.HeapAllocatedExact()
			r := NewReader(bytes.NewReader(c.input))
			var err error
			for err == nil {
				_, err = r.Next()
			}
			got := mediatest.HeapAllocatedExact() - before
			if !errors.Is(err, c.cause) {
				t.Fatalf("error %v, want %v", err, c.cause)
			}
			if limit := readerOverhead + streamOverhead + (readerPerByte+streamPerByte)*n; got > limit {
				t.Fatalf("allocated %d bytes for %d of input, limit %d", got, n, limit)
			}
		})
	}
}
