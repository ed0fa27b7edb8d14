package mkv

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
)

// startsOf reads r to the end with a fragment-start function and returns
// the fragments and, for each, the calls made while Next read it.
func startsOf(t *testing.T, r *Reader) ([]Fragment, [][]fragmentStart) {
	t.Helper()
	var calls []fragmentStart
	r.OnFragmentStart(func(offset, timecode int64) {
		calls = append(calls, fragmentStart{offset, timecode})
	})
	var frags []Fragment
	var starts [][]fragmentStart
	for {
		f, err := r.Next()
		if err == io.EOF {
			require.Empty(t, calls, "a start without a fragment")
			return frags, starts
		}
		require.NoError(t, err)
		frags = append(frags, *f)
		starts = append(starts, calls)
		calls = nil
	}
}

// startCases are synthetic documents whose Clusters are of known and of
// unknown size, each with a leading Timecode and frames enough for the
// timecode to be read ahead of them.
var startCases = []struct {
	name string
	doc  []byte
}{
	{"known size", doc(
		el(idCluster, el(idTimecode, u(1000)), simpleBlock(1, 0, 0x80, bytes.Repeat([]byte{1}, 300)...)),
		el(idCluster, el(idTimecode, u(3000)), simpleBlock(1, 0, 0x80, bytes.Repeat([]byte{2}, 300)...)),
		el(idCluster, el(idTimecode, u(5000)), simpleBlock(1, 0, 0x80, bytes.Repeat([]byte{3}, 300)...)))},
	{"unknown size", doc(
		elSized(idCluster, -1, el(idTimecode, u(1000)), simpleBlock(1, 0, 0x80, bytes.Repeat([]byte{1}, 300)...)),
		elSized(idCluster, -1, el(idTimecode, u(3000)), simpleBlock(1, 0, 0x80, bytes.Repeat([]byte{2}, 300)...)),
		elSized(idCluster, -1, el(idTimecode, u(5000)), simpleBlock(1, 0, 0x80, bytes.Repeat([]byte{3}, 300)...)))},
	{"tiny known size", doc(
		el(idCluster, el(idTimecode, u(7)), simpleBlock(1, 0, 0x80, 1)),
		el(idCluster, el(idTimecode, u(9)), simpleBlock(1, 0, 0x80, 2)))},
	{"timecode after a frame", doc(
		el(idCluster, simpleBlock(1, 0, 0x80, bytes.Repeat([]byte{1}, 40)...), el(idTimecode, u(11))))},
}

// TestOnFragmentStart: over the real recordings and the synthetic cases,
// read as a []byte and as a stream, every fragment with frames gets one
// call, made while Next read it, with its Offset and Timecode; and the
// fragments are those read without the function.
func TestOnFragmentStart(t *testing.T) {
	dir := mediatest.SharedDir(t)
	inputs := map[string][]byte{}
	for _, c := range readerCases {
		data, err := os.ReadFile(filepath.Join(dir, c.path))
		require.NoError(t, err)
		inputs[c.path] = data
	}
	for _, c := range startCases {
		inputs[c.name] = c.doc
	}
	for name, data := range inputs {
		for kind, open := range map[string]func() *Reader{
			"bytes":  func() *Reader { return NewBytesReader(data) },
			"stream": func() *Reader { return NewReader(bytes.NewReader(data)) },
		} {
			t.Run(name+"/"+kind, func(t *testing.T) {
				want := readAll(t, open())
				frags, starts := startsOf(t, open())
				require.Len(t, frags, len(want))
				for i, f := range frags {
					assert.Equal(t, want[i].Offset, f.Offset)
					assert.Equal(t, want[i].Size, f.Size)
					assert.Equal(t, want[i].Timecode, f.Timecode)
					assert.Len(t, f.Blocks, len(want[i].Blocks))
					if len(f.Blocks) == 0 {
						assert.Empty(t, starts[i], "fragment %d has no Cluster", i)
						continue
					}
					assert.Equal(t, []fragmentStart{{f.Offset, f.Timecode}}, starts[i], "fragment %d", i)
				}
			})
		}
	}
}

// gatedReader serves data up to cut, then waits for open to be closed
// before serving the rest: a producer whose fragment is on its way.
type gatedReader struct {
	data []byte
	pos  int
	cut  int
	open chan struct{}
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.pos == g.cut {
		<-g.open
	}
	if g.pos >= len(g.data) {
		return 0, io.EOF
	}
	end := len(g.data)
	if g.pos < g.cut {
		end = g.cut
	}
	n := copy(p, g.data[g.pos:end])
	g.pos += n
	return n, nil
}

// TestOnFragmentStartEarly: with the second fragment's Cluster cut 40
// bytes in (its Timecode and the start of its frame), its start is
// reported while Next still waits for the rest, for Clusters of known and
// of unknown size; Next then returns it once the rest arrives.
func TestOnFragmentStartEarly(t *testing.T) {
	for _, c := range startCases[:2] {
		t.Run(c.name, func(t *testing.T) {
			whole := readAll(t, NewBytesReader(c.doc))
			require.Len(t, whole, 3)
			second := whole[1]
			cluster := bytes.Index(c.doc[second.Offset:], []byte{0x1F, 0x43, 0xB6, 0x75})
			require.GreaterOrEqual(t, cluster, 0)
			g := &gatedReader{data: c.doc, cut: int(second.Offset) + cluster + 40, open: make(chan struct{})}
			r := NewReader(g)
			started := make(chan fragmentStart, 4)
			r.OnFragmentStart(func(offset, timecode int64) { started <- fragmentStart{offset, timecode} })
			first, err := r.Next()
			require.NoError(t, err)
			assert.Equal(t, fragmentStart{whole[0].Offset, whole[0].Timecode}, <-started)
			assert.Equal(t, whole[0].Offset, first.Offset)

			next := make(chan *Fragment, 1)
			go func() {
				f, err := r.Next()
				assert.NoError(t, err)
				next <- f
			}()
			select {
			case s := <-started:
				assert.Equal(t, fragmentStart{second.Offset, second.Timecode}, s)
			case <-time.After(5 * time.Second):
				t.Fatal("no start reported while the fragment's rest is held back")
			}
			select {
			case <-next:
				t.Fatal("Next returned a fragment whose rest has not arrived")
			default:
			}
			close(g.open)
			f := <-next
			require.NotNil(t, f)
			assert.Equal(t, second.Offset, f.Offset)
			assert.Equal(t, second.Size, f.Size)
			assert.Len(t, f.Blocks, 1)
		})
	}
}
