package archive

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
)

// FS is the filesystem Store (see the package comment for its layout).
type FS struct {
	root  string
	log   *slog.Logger
	files fileCache // open fragment files, for ReadAt

	mu      sync.RWMutex
	streams map[string]*fsStream
}

// fsStream is one stream's state in memory: its metadata and its index, the
// fragments sorted by number.
type fsStream struct {
	dir string

	mu    sync.RWMutex
	meta  Stream
	frags []kvs.Fragment
}

var _ Store = (*FS)(nil)

// Directory and file names of the layout.
const (
	streamsDir = "streams"
	stagingDir = "staging"
	trashDir   = "trash"
	fragsDir   = "frags"
	tmpDir     = "tmp"
	metaFile   = "stream.json"
)

// FSOptions tunes a filesystem store. The zero value, or nil, takes the
// defaults.
type FSOptions struct {
	// Logger receives what the store repairs on its own, such as a
	// damaged index rebuilt; slog.Default() when nil.
	Logger *slog.Logger
}

// Open opens the archive under root with the default options; see OpenFS.
func Open(root string) (*FS, error) { return OpenFS(root, nil) }

// OpenFS opens (creating if needed) the archive under root. It removes what
// a crash may have left behind — half-written fragments, indexes of
// fragments never committed or already deleted, half-created and
// half-deleted streams — and rebuilds the in-memory index from the
// directory listings.
func OpenFS(root string, o *FSOptions) (*FS, error) {
	var opts FSOptions
	if o != nil {
		opts = *o
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	for _, d := range []string{streamsDir, stagingDir, trashDir} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, fmt.Errorf("archive: %w", err)
		}
	}
	// Leftovers of interrupted CreateStream and DeleteStream calls: never
	// visible as streams, so safe to drop.
	for _, d := range []string{stagingDir, trashDir} {
		if err := clearDir(filepath.Join(root, d)); err != nil {
			return nil, err
		}
	}
	a := &FS{root: root, log: opts.Logger, streams: map[string]*fsStream{}}
	entries, err := os.ReadDir(filepath.Join(root, streamsDir))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || !kvs.ValidStreamName(e.Name()) && !isHashedDirName(e.Name()) {
			continue
		}
		s, err := loadStream(filepath.Join(root, streamsDir, e.Name()))
		if err != nil {
			return nil, err
		}
		if streamDirName(s.meta.Name) != e.Name() {
			continue // not the directory this name is kept in
		}
		a.streams[s.meta.Name] = s
	}
	return a, nil
}

// Close closes the fragment files ReadAt keeps open. The store stays
// usable: later reads open them again.
func (a *FS) Close() error {
	a.files.drop(func(fileKey) bool { return true })
	return nil
}

// Root returns the directory the archive lives in.
func (a *FS) Root() string { return a.root }

func loadStream(dir string) (*fsStream, error) {
	raw, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		return nil, fmt.Errorf("archive: stream %s: %w", filepath.Base(dir), err)
	}
	s := &fsStream{dir: dir}
	if err := json.Unmarshal(raw, &s.meta); err != nil {
		return nil, fmt.Errorf("archive: stream %s: %s: %w", filepath.Base(dir), metaFile, err)
	}
	if err := clearDir(filepath.Join(dir, tmpDir)); err != nil {
		return nil, err
	}
	// A metadata update cut short leaves its temporary file beside stream.json.
	if stale, _ := filepath.Glob(filepath.Join(dir, metaFile+".tmp-*")); len(stale) > 0 {
		for _, p := range stale {
			os.Remove(p)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, fragsDir))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	var indexes []string
	for _, e := range entries {
		if f, ok := parseFragmentFileName(e.Name()); ok && e.Type().IsRegular() {
			s.frags = append(s.frags, f)
		} else if number, ok := strings.CutSuffix(e.Name(), indexSuffix); ok && kvs.ValidFragmentNumber(number) {
			indexes = append(indexes, number)
		}
	}
	if err := s.removeOrphanIndexes(indexes); err != nil {
		return nil, err
	}
	sort.Slice(s.frags, func(i, j int) bool {
		return kvs.CompareFragmentNumbers(s.frags[i].Number, s.frags[j].Number) < 0
	})
	return s, nil
}

// removeOrphanIndexes removes the index files whose fragment is not in
// s.frags: a Put cut short between committing the index and the fragment,
// or a DeleteBefore between removing the fragment and its index. Nothing
// reads them, but a later fragment could never reuse the number otherwise.
func (s *fsStream) removeOrphanIndexes(numbers []string) error {
	listed := make(map[string]bool, len(s.frags))
	for _, f := range s.frags {
		listed[f.Number] = true
	}
	removed := false
	for _, n := range numbers {
		if !listed[n] {
			if err := os.Remove(filepath.Join(s.dir, fragsDir, indexFileName(n))); err != nil && !errorsIsNotExist(err) {
				return fmt.Errorf("archive: %w", err)
			}
			removed = true
		}
	}
	if removed {
		return syncDir(filepath.Join(s.dir, fragsDir))
	}
	return nil
}

// clearDir removes everything inside dir, keeping dir.
func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
	}
	return nil
}

func (a *FS) stream(name string) (*fsStream, error) {
	a.mu.RLock()
	s := a.streams[name]
	a.mu.RUnlock()
	if s == nil {
		return nil, fmt.Errorf("archive: %q: %w", name, ErrStreamNotFound)
	}
	return s, nil
}

// CreateStream builds the stream's directory under staging/ and renames it
// into streams/, so a crash never leaves a stream without its metadata.
func (a *FS) CreateStream(ctx context.Context, st Stream) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !kvs.ValidStreamName(st.Name) {
		return fmt.Errorf("archive: stream name %q: %w", st.Name, ErrInvalid)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.streams[st.Name] != nil {
		return fmt.Errorf("archive: %q: %w", st.Name, ErrStreamExists)
	}
	// Staged under a name of its own: the stream's (up to 256 bytes) with
	// a suffix would pass the file systems' 255-byte limit on a name.
	stage, err := os.MkdirTemp(filepath.Join(a.root, stagingDir), "stream-")
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	for _, d := range []string{fragsDir, tmpDir} {
		if err := os.Mkdir(filepath.Join(stage, d), 0o755); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
	}
	if err := writeJSONAtomic(stage, metaFile, st); err != nil {
		return err
	}
	dir := filepath.Join(a.root, streamsDir, streamDirName(st.Name))
	if err := os.Rename(stage, dir); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := syncDir(filepath.Join(a.root, streamsDir)); err != nil {
		return err
	}
	a.streams[st.Name] = &fsStream{dir: dir, meta: st}
	return nil
}

// Stream returns a stream's metadata.
func (a *FS) Stream(ctx context.Context, name string) (Stream, error) {
	if err := ctx.Err(); err != nil {
		return Stream{}, err
	}
	s, err := a.stream(name)
	if err != nil {
		return Stream{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.meta, nil
}

// Streams returns every stream's metadata, sorted by name.
func (a *FS) Streams(ctx context.Context) ([]Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a.mu.RLock()
	out := make([]Stream, 0, len(a.streams))
	for _, s := range a.streams {
		s.mu.RLock()
		out = append(out, s.meta)
		s.mu.RUnlock()
	}
	a.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// UpdateStream rewrites stream.json through a temporary file and a rename.
func (a *FS) UpdateStream(ctx context.Context, name string, fn func(*Stream) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := a.stream(name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.meta
	if err := fn(&next); err != nil {
		return err
	}
	next.Name = s.meta.Name // the name is the directory: not changeable
	if err := writeJSONAtomic(s.dir, metaFile, next); err != nil {
		return err
	}
	s.meta = next
	return nil
}

// DeleteStream moves the stream's directory to trash/ (one atomic rename, so
// the stream is gone whole or not at all) and then removes it.
func (a *FS) DeleteStream(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	a.mu.Lock()
	s := a.streams[name]
	if s == nil {
		a.mu.Unlock()
		return fmt.Errorf("archive: %q: %w", name, ErrStreamNotFound)
	}
	// Not named after the stream: with a suffix, a 256-byte name would
	// pass the file systems' 255-byte limit on a name.
	trash := filepath.Join(a.root, trashDir, "stream-"+strconv.FormatInt(time.Now().UnixNano(), 10))
	if err := os.Rename(s.dir, trash); err != nil {
		a.mu.Unlock()
		return fmt.Errorf("archive: %w", err)
	}
	delete(a.streams, name)
	err := syncDir(filepath.Join(a.root, streamsDir))
	a.mu.Unlock()
	a.files.drop(func(k fileKey) bool { return k.s == s })
	if err != nil {
		return err
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// Put writes the document and its index to tmp/ and syncs them; renames
// the index into frags/ and syncs frags/; then renames the document into
// frags/ under its metadata name and syncs frags/ again. Only then is the
// fragment both visible and durable, and its index was durable before it:
// a crash in between leaves an index without its fragment, which Open
// removes, never a fragment without its index.
func (a *FS) Put(ctx context.Context, stream string, meta kvs.Fragment, doc []byte) error {
	if !kvs.ValidFragmentNumber(meta.Number) || meta.Size != int64(len(doc)) || meta.DurationMillis < 0 {
		return fmt.Errorf("archive: fragment %q: %w", meta.Number, ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s, err := a.stream(stream)
	if err != nil {
		return err
	}
	enc, err := encodeIndex(meta.Number, doc)
	if err != nil {
		return err
	}
	tmpDoc, err := writeTemp(filepath.Join(s.dir, tmpDir), "frag-*", doc)
	if err != nil {
		return err
	}
	tmpIdx, err := writeTemp(filepath.Join(s.dir, tmpDir), "idx-*", enc)
	if err != nil {
		os.Remove(tmpDoc)
		return err
	}
	defer func() { // what was not renamed
		for _, p := range []string{tmpDoc, tmpIdx} {
			if p != "" {
				os.Remove(p)
			}
		}
	}()
	if err := ctx.Err(); err != nil {
		return err // the last point at which nothing is committed
	}
	frags := filepath.Join(s.dir, fragsDir)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Rename(tmpIdx, filepath.Join(frags, indexFileName(meta.Number))); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	tmpIdx = ""
	if err := syncDir(frags); err != nil {
		return err
	}
	if err := os.Rename(tmpDoc, filepath.Join(frags, fragmentFileName(meta))); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	tmpDoc = ""
	if err := syncDir(frags); err != nil {
		return err
	}
	s.insert(meta)
	return nil
}

// writeTemp writes b to a new file in dir named after pattern, syncs and
// closes it, and returns its path; on failure it leaves nothing behind.
func writeTemp(dir, pattern string, b []byte) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("archive: %w", err)
	}
	_, werr := f.Write(b)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("archive: %w", err)
	}
	return f.Name(), nil
}

// insert adds f to the index, keeping it sorted by number; fragments nearly
// always arrive in order, so this is an append.
func (s *fsStream) insert(f kvs.Fragment) {
	n := len(s.frags)
	if n == 0 || kvs.CompareFragmentNumbers(s.frags[n-1].Number, f.Number) < 0 {
		s.frags = append(s.frags, f)
		return
	}
	i := sort.Search(n, func(i int) bool { return kvs.CompareFragmentNumbers(s.frags[i].Number, f.Number) >= 0 })
	if i < n && s.frags[i].Number == f.Number {
		s.frags[i] = f
		return
	}
	s.frags = append(s.frags, kvs.Fragment{})
	copy(s.frags[i+1:], s.frags[i:])
	s.frags[i] = f
}

// List scans the index; it never touches a fragment's file. A linear scan
// is a few microseconds per thousand fragments, and producer timestamps
// need not follow number order.
func (a *FS) List(ctx context.Context, stream string, kind kvs.Selector, start, end int64) ([]kvs.Fragment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, err := a.stream(stream)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []kvs.Fragment
	for _, f := range s.frags {
		t := f.ProducerMillis
		if kind == kvs.ServerTimestamp {
			t = f.ServerMillis
		}
		if t >= start && t <= end {
			out = append(out, f)
		}
	}
	return out, nil
}

// Lookup finds a fragment in the index by binary search on its number.
func (a *FS) Lookup(ctx context.Context, stream, number string) (kvs.Fragment, error) {
	if err := ctx.Err(); err != nil {
		return kvs.Fragment{}, err
	}
	_, f, err := a.fragment(stream, number)
	return f, err
}

// fragment finds a fragment's stream and metadata.
func (a *FS) fragment(stream, number string) (*fsStream, kvs.Fragment, error) {
	s, err := a.stream(stream)
	if err != nil {
		return nil, kvs.Fragment{}, err
	}
	s.mu.RLock()
	f, err := s.lookup(number)
	s.mu.RUnlock()
	return s, f, err
}

func (s *fsStream) lookup(number string) (kvs.Fragment, error) {
	if kvs.ValidFragmentNumber(number) {
		i := sort.Search(len(s.frags), func(i int) bool {
			return kvs.CompareFragmentNumbers(s.frags[i].Number, number) >= 0
		})
		if i < len(s.frags) && kvs.CompareFragmentNumbers(s.frags[i].Number, number) == 0 {
			return s.frags[i], nil
		}
	}
	return kvs.Fragment{}, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
}

// readChunk is how much Read reads between two looks at its context: a
// millisecond or less from the page cache, a few from a disk.
const readChunk = 1 << 20

// Read reads a fragment's file, a chunk at a time, stopping when ctx ends.
// Retention may delete it between the index lookup and the read; that is
// reported as ErrFragmentNotFound too.
func (a *FS) Read(ctx context.Context, stream, number string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, meta, err := a.fragment(stream, number)
	if err != nil {
		return nil, err
	}
	f, err := s.open(meta)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, meta.Size)
	for off := 0; off < len(b); off += readChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if _, err := f.ReadAt(b[off:min(off+readChunk, len(b))], int64(off)); err != nil {
			return nil, fmt.Errorf("archive: fragment %s: %w", number, err)
		}
	}
	return b, nil
}

// open opens a fragment's file.
func (s *fsStream) open(meta kvs.Fragment) (*os.File, error) {
	f, err := os.Open(filepath.Join(s.dir, fragsDir, fragmentFileName(meta)))
	if errorsIsNotExist(err) {
		return nil, fmt.Errorf("archive: fragment %s: %w", meta.Number, ErrFragmentNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return f, nil
}

// ReadAt is one pread of the fragment's file, which it keeps open for the
// next ranges (see fileCache).
func (a *FS) ReadAt(ctx context.Context, stream, number string, p []byte, off int64) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("archive: fragment %s: offset %d: %w", number, off, ErrInvalid)
	}
	s, meta, err := a.fragment(stream, number)
	if err != nil {
		return 0, err
	}
	f, err := a.files.acquire(fileKey{s, meta}, func() (*os.File, error) { return s.open(meta) })
	if err != nil {
		return 0, err
	}
	defer a.files.release(f)
	n, err := f.f.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("archive: fragment %s: %w", number, err)
	}
	return n, err
}

// Index reads the fragment's index file, or builds the index and writes
// the file when it is missing or does not describe the document.
func (a *FS) Index(ctx context.Context, stream string, f kvs.Fragment) (*fragindex.Index, error) {
	number := f.Number
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s, meta, err := a.fragment(stream, number)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(s.dir, fragsDir, indexFileName(number))
	raw, err := readBounded(path, fragindex.MaxEncodedSize)
	if err != nil && !errorsIsNotExist(err) {
		return nil, err
	}
	return indexFrom(ctx, a.log, storedIndex{
		stream: stream, number: number, raw: raw, missing: err != nil, docSize: meta.Size,
		readDoc: func(ctx context.Context) ([]byte, error) { return a.Read(ctx, stream, number) },
		write:   func(ctx context.Context, enc []byte) error { return s.writeIndex(ctx, meta, enc) },
	})
}

// readBounded reads a file of at most limit bytes; a longer one is read
// as its first limit+1 bytes, which no decoder accepts.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return b, nil
}

// writeIndex replaces a fragment's index file with enc, through tmp/, a
// sync and a rename, while the fragment is still listed: retention
// holding the lock cannot remove the fragment in between and leave the
// index behind.
func (s *fsStream) writeIndex(ctx context.Context, meta kvs.Fragment, enc []byte) error {
	tmp, err := writeTemp(filepath.Join(s.dir, tmpDir), "idx-*", enc)
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err = s.lookup(meta.Number); err == nil {
		err = ctx.Err()
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	frags := filepath.Join(s.dir, fragsDir)
	if err := os.Rename(tmp, filepath.Join(frags, indexFileName(meta.Number))); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("archive: %w", err)
	}
	return syncDir(frags)
}

// DeleteBefore removes the files of fragments older than cutoff, each
// fragment before its index, then drops them from the index. A crash in
// between leaves some of them deleted and the rest still listed, both
// consistent states, and at worst an index without its fragment, which Open
// removes.
func (a *FS) DeleteBefore(ctx context.Context, stream string, cutoff int64) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s, err := a.stream(stream)
	if err != nil {
		return 0, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	frags := filepath.Join(s.dir, fragsDir)
	kept := s.frags[:0]
	n := 0
	var firstErr error
	for _, f := range s.frags {
		if f.ServerMillis >= cutoff {
			kept = append(kept, f)
			continue
		}
		if err := os.Remove(filepath.Join(frags, fragmentFileName(f))); err != nil && !errorsIsNotExist(err) {
			if firstErr == nil {
				firstErr = fmt.Errorf("archive: %w", err)
			}
			kept = append(kept, f)
			continue
		}
		if err := os.Remove(filepath.Join(frags, indexFileName(f.Number))); err != nil && !errorsIsNotExist(err) && firstErr == nil {
			firstErr = fmt.Errorf("archive: %w", err)
		}
		n++
	}
	clear(s.frags[len(kept):])
	s.frags = kept
	if n > 0 {
		a.files.drop(func(k fileKey) bool { return k.s == s && k.f.ServerMillis < cutoff })
		if err := syncDir(frags); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return n, firstErr
}

func errorsIsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
