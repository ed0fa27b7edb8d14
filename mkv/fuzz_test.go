package mkv

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/kvsclip/kvsclip/kvserr"
)

// FuzzReader feeds arbitrary bytes to both forms of the Reader. Neither may
// panic; both must agree; every error must carry a kind; every block must be
// a window of the input. Seeds: testdata/fuzz/FuzzReader (heads of the real
// recordings and the synthetic documents of the unit tests).
func FuzzReader(f *testing.F) {
	f.Add(doc(elSized(idCluster, -1, el(idTimecode, u(0)), simpleBlock(1, 0, 0x80, 1))))
	f.Add(doc(el(idCluster, el(idTimecode, u(5)), simpleBlock(2, 0, 0x86, 2, 0x81, 0xC0, 1, 2, 3))))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := scanAll(t, NewBytesReader(data), data)
		b := scanAll(t, NewReader(bytes.NewReader(data)), data)
		if a != b {
			t.Fatalf("bytes and stream readers disagree: %q vs %q", a, b)
		}
	})
}

// scanAll reads everything and returns a digest of what was read.
func scanAll(t *testing.T, r *Reader, data []byte) string {
	var sum bytes.Buffer
	for i := 0; i < 1<<16; i++ {
		f, err := r.Next()
		if err == io.EOF {
			return sum.String()
		}
		if err != nil {
			if kvserr.KindOf(err) == kvserr.Unknown {
				t.Fatalf("error without a kind: %v", err)
			}
			sum.WriteString(err.Error())
			return sum.String()
		}
		for _, b := range f.Blocks {
			if b.Offset < 0 || b.Offset+int64(len(b.Data)) > int64(len(data)) ||
				!bytes.Equal(data[b.Offset:b.Offset+int64(len(b.Data))], b.Data) {
				t.Fatalf("block at %d is not a window of the input", b.Offset)
			}
			sum.WriteByte(byte(len(b.Data)))
		}
		sum.WriteString(f.Tags.FragmentNumber)
	}
	t.Fatal("no end after 65536 fragments")
	return ""
}

func BenchmarkReader(b *testing.B) {
	dir := os.Getenv("KVSCLIP_SHARED")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "testdata", "kvs")
	}
	for _, c := range readerCases {
		if c.blocks < 300 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, c.path))
		if err != nil {
			b.Skip(err)
		}
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
