package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/kvsclip/kvsclip/fragindex"
)

// encodeIndex builds the sample index of a document about to be stored and
// encodes it. A document the index cannot be built from is no fragment, and
// is refused with ErrInvalid.
func encodeIndex(number string, doc []byte) ([]byte, error) {
	x, err := fragindex.Build(doc)
	if err != nil {
		return nil, fmt.Errorf("archive: fragment %s: %w: %w", number, ErrInvalid, err)
	}
	enc, err := x.Marshal()
	if err != nil {
		return nil, fmt.Errorf("archive: fragment %s: index: %w: %w", number, ErrInvalid, err)
	}
	return enc, nil
}

// errNoIndex is the cause of a rebuild for a fragment stored without an
// index: not damage, only an archive older than indexes.
var errNoIndex = errors.New("no stored index")

// storedIndex is what a store found of one fragment's index — the stored
// bytes, or missing when there are none — and the stored document's size,
// with the means to read the document and to store a rebuilt index. Errors
// of reading the index other than its absence are the store's to return.
type storedIndex struct {
	stream, number string
	raw            []byte
	missing        bool
	docSize        int64
	readDoc        func(context.Context) ([]byte, error)
	write          func(ctx context.Context, enc []byte) error
}

// indexFrom returns the stored index when it decodes and describes a
// document of the stored size; otherwise it builds the index from the
// document, stores it and returns it. Damage is logged as a warning, a
// missing index (an older archive) at debug level.
func indexFrom(ctx context.Context, log *slog.Logger, s storedIndex) (*fragindex.Index, error) {
	cause := errNoIndex
	if !s.missing {
		x, err := fragindex.Unmarshal(s.raw)
		switch {
		case err != nil:
			cause = err
		case x.DocSize != s.docSize:
			cause = fmt.Errorf("index of a %d-byte document, the stored one has %d", x.DocSize, s.docSize)
		default:
			return x, nil
		}
	}
	doc, err := s.readDoc(ctx)
	if err != nil {
		return nil, err
	}
	x, err := fragindex.Build(doc)
	if err != nil {
		return nil, fmt.Errorf("archive: fragment %s: stored document has no index: %w", s.number, err)
	}
	enc, err := x.Marshal()
	if err != nil {
		return nil, fmt.Errorf("archive: fragment %s: index: %w", s.number, err)
	}
	level, msg := slog.LevelWarn, "archive: stored index not usable; rebuilt from the document"
	if errors.Is(cause, errNoIndex) {
		level, msg = slog.LevelDebug, "archive: fragment stored without an index; built from the document"
	}
	werr := s.write(ctx, enc)
	log.Log(ctx, level, msg, "stream", s.stream, "fragment", s.number, "cause", cause, "stored", werr == nil)
	if werr != nil {
		// The index is right; only keeping it failed. The next call
		// builds it again.
		log.Warn("archive: storing a rebuilt index", "stream", s.stream, "fragment", s.number, "err", werr)
	}
	return x, nil
}

// indexDescribes reports whether raw is an index of a size-byte document,
// reading no more than its fixed head.
func indexDescribes(raw []byte, size int64) bool {
	n, err := fragindex.DocSize(raw)
	return err == nil && n == size
}
