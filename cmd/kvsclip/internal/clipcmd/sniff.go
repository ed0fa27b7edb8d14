package clipcmd

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/kvsclip/kvsclip/kvs"
)

// sniffSize is how much of an input is looked at to tell what it is when
// it is not Matroska: enough for two MPEG-TS packets.
const sniffSize = 512

// ebmlMagic is the ID of the EBML header every Matroska and WebM file
// starts with.
var ebmlMagic = []byte{0x1a, 0x45, 0xdf, 0xa3}

// checkHead returns an InvalidArgument error in words when head, the first
// bytes of the input name (all of them if it is shorter than sniffSize),
// is empty or not Matroska — "x.mp4 is not a Matroska/WebM file (it looks
// like MP4)" — rather than the parser's complaint about an element ID.
func checkHead(name string, head []byte) error {
	if name == "-" {
		name = "standard input"
	}
	if len(head) == 0 {
		return kvs.Errorf(kvs.InvalidArgument, "%s is empty", name)
	}
	if bytes.HasPrefix(head, ebmlMagic) || len(head) < len(ebmlMagic) && bytes.HasPrefix(ebmlMagic, head) {
		return nil
	}
	if what := looksLike(head); what != "" {
		return kvs.Errorf(kvs.InvalidArgument, "%s is not a Matroska/WebM file (it looks like %s)", name, what)
	}
	return kvs.Errorf(kvs.InvalidArgument, "%s is not a Matroska/WebM file (it does not start with an EBML header)", name)
}

// looksLike names the kind of file head starts like, by the magic numbers
// of the formats a KVS user is likely to have at hand; "" when none fits.
func looksLike(head []byte) string {
	has := func(off int, magic string) bool {
		return len(head) >= off+len(magic) && string(head[off:off+len(magic)]) == magic
	}
	switch {
	case has(4, "ftyp"), has(4, "moov"), has(4, "mdat"), has(4, "moof"), has(4, "styp"), has(4, "free"), has(4, "wide"):
		return "MP4"
	case head[0] == 0x47 && (len(head) <= 188 || head[188] == 0x47):
		return "MPEG-TS"
	case has(0, "FLV"):
		return "FLV"
	case has(0, "RIFF") && has(8, "WAVE"):
		return "WAV"
	case has(0, "RIFF") && has(8, "AVI "):
		return "AVI"
	case has(0, "OggS"):
		return "Ogg"
	case has(0, "ID3"):
		return "MP3"
	case has(0, "\x00\x00\x00\x01"), has(0, "\x00\x00\x01"):
		return "a raw H.264/H.265 stream (Annex B)"
	case has(0, "\xff\xd8\xff"):
		return "JPEG"
	case has(0, "\x89PNG"):
		return "PNG"
	case has(0, "\x1f\x8b"):
		return "gzip"
	case has(0, "PK\x03\x04"):
		return "zip"
	case bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("{")):
		return "JSON"
	case isText(head):
		return "text"
	}
	return ""
}

// isText reports whether head is printable UTF-8 text (a cut-off last
// character allowed).
func isText(head []byte) bool {
	for len(head) > 0 {
		r, n := utf8.DecodeRune(head)
		if r == utf8.RuneError && n == 1 && len(head) >= utf8.UTFMax {
			return false
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
		head = head[n:]
	}
	return true
}

// Sniff checks that the stream r, the input name, is Matroska (checkHead)
// and returns a reader of all of it. It reads the first bytes ahead;
// after them the returned reader reads r directly.
func Sniff(name string, r io.Reader) (io.Reader, error) {
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(r, head)
	head = head[:n]
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, kvs.Errorf(kvs.InvalidArgument, "%s: %w", name, err)
	}
	if err := checkHead(name, head); err != nil {
		return nil, err
	}
	return io.MultiReader(bytes.NewReader(head), r), nil
}
