package fragindex

import (
	"testing"
)

// benchDoc is the committed recording's fragment with the most samples.
func benchDoc(b *testing.B) []byte {
	var best []byte
	most := -1
	for _, d := range testDocs(b) {
		x, err := Build(d.doc)
		if err != nil {
			b.Fatal(err)
		}
		if len(x.Samples) > most {
			best, most = d.doc, len(x.Samples)
		}
	}
	return best
}

// BenchmarkBuild indexes one document; bytes are the document's.
func BenchmarkBuild(b *testing.B) {
	doc := benchDoc(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := Build(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal encodes into a reused buffer; bytes are the encoding's.
func BenchmarkMarshal(b *testing.B) {
	x, err := Build(benchDoc(b))
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, x.MarshalSize())
	b.ReportAllocs()
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := x.MarshalTo(buf); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnmarshal decodes; bytes are the encoding's.
func BenchmarkUnmarshal(b *testing.B) {
	x, err := Build(benchDoc(b))
	if err != nil {
		b.Fatal(err)
	}
	enc, err := x.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(enc)))
	for b.Loop() {
		if _, err := Unmarshal(enc); err != nil {
			b.Fatal(err)
		}
	}
}
