package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/kvsclip/kvsclip/mkv"
)

// FS is the filesystem Store (see the package comment for its layout).
type FS struct {
	root string

	mu      sync.RWMutex
	streams map[string]*fsStream
}

// fsStream is one stream's state in memory: its metadata and its index, the
// fragments sorted by number.
type fsStream struct {
	dir string

	mu    sync.RWMutex
	meta  Stream
	frags []Fragment
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

// Open opens (creating if needed) the archive under root. It removes what a
// crash may have left behind — half-written fragments, half-created and
// half-deleted streams — and rebuilds the index from the directory listings.
func Open(root string) (*FS, error) {
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
	a := &FS{root: root, streams: map[string]*fsStream{}}
	entries, err := os.ReadDir(filepath.Join(root, streamsDir))
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || !ValidStreamName(e.Name()) {
			continue
		}
		s, err := loadStream(filepath.Join(root, streamsDir, e.Name()))
		if err != nil {
			return nil, err
		}
		a.streams[s.meta.Name] = s
	}
	return a, nil
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
	for _, e := range entries {
		if f, ok := parseFragmentFileName(e.Name()); ok && e.Type().IsRegular() {
			s.frags = append(s.frags, f)
		}
	}
	sort.Slice(s.frags, func(i, j int) bool {
		return mkv.CompareFragmentNumbers(s.frags[i].Number, s.frags[j].Number) < 0
	})
	return s, nil
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
func (a *FS) CreateStream(st Stream) error {
	if !ValidStreamName(st.Name) {
		return fmt.Errorf("archive: stream name %q: %w", st.Name, ErrInvalid)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.streams[st.Name] != nil {
		return fmt.Errorf("archive: %q: %w", st.Name, ErrStreamExists)
	}
	stage, err := os.MkdirTemp(filepath.Join(a.root, stagingDir), st.Name+"-")
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
	dir := filepath.Join(a.root, streamsDir, st.Name)
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
func (a *FS) Stream(name string) (Stream, error) {
	s, err := a.stream(name)
	if err != nil {
		return Stream{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.meta, nil
}

// Streams returns every stream's metadata, sorted by name.
func (a *FS) Streams() ([]Stream, error) {
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
func (a *FS) UpdateStream(name string, fn func(*Stream) error) error {
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
func (a *FS) DeleteStream(name string) error {
	a.mu.Lock()
	s := a.streams[name]
	if s == nil {
		a.mu.Unlock()
		return fmt.Errorf("archive: %q: %w", name, ErrStreamNotFound)
	}
	trash := filepath.Join(a.root, trashDir, name+"-"+strconv.FormatInt(time.Now().UnixNano(), 10))
	if err := os.Rename(s.dir, trash); err != nil {
		a.mu.Unlock()
		return fmt.Errorf("archive: %w", err)
	}
	delete(a.streams, name)
	err := syncDir(filepath.Join(a.root, streamsDir))
	a.mu.Unlock()
	if err != nil {
		return err
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	return nil
}

// Put writes doc to tmp/, syncs it, renames it into frags/ under its
// metadata name and syncs frags/: only then is the fragment both visible and
// durable.
func (a *FS) Put(stream string, meta Fragment, doc []byte) error {
	if !mkv.ValidFragmentNumber(meta.Number) || meta.Size != int64(len(doc)) || meta.DurationMillis < 0 {
		return fmt.Errorf("archive: fragment %q: %w", meta.Number, ErrInvalid)
	}
	s, err := a.stream(stream)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "frag-*")
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(doc); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	frags := filepath.Join(s.dir, fragsDir)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Rename(tmp, filepath.Join(frags, fragmentFileName(meta))); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	ok = true
	if err := syncDir(frags); err != nil {
		return err
	}
	s.insert(meta)
	return nil
}

// insert adds f to the index, keeping it sorted by number; fragments nearly
// always arrive in order, so this is an append.
func (s *fsStream) insert(f Fragment) {
	n := len(s.frags)
	if n == 0 || mkv.CompareFragmentNumbers(s.frags[n-1].Number, f.Number) < 0 {
		s.frags = append(s.frags, f)
		return
	}
	i := sort.Search(n, func(i int) bool { return mkv.CompareFragmentNumbers(s.frags[i].Number, f.Number) >= 0 })
	if i < n && s.frags[i].Number == f.Number {
		s.frags[i] = f
		return
	}
	s.frags = append(s.frags, Fragment{})
	copy(s.frags[i+1:], s.frags[i:])
	s.frags[i] = f
}

// List scans the index; it never touches a fragment's file. A linear scan
// is a few microseconds per thousand fragments, and producer timestamps
// need not follow number order.
func (a *FS) List(stream string, kind TimestampKind, start, end int64) ([]Fragment, error) {
	s, err := a.stream(stream)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []Fragment
	for _, f := range s.frags {
		t := f.ProducerMillis
		if kind == ByServer {
			t = f.ServerMillis
		}
		if t >= start && t <= end {
			out = append(out, f)
		}
	}
	return out, nil
}

// Lookup finds a fragment in the index by binary search on its number.
func (a *FS) Lookup(stream, number string) (Fragment, error) {
	s, err := a.stream(stream)
	if err != nil {
		return Fragment{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lookup(number)
}

func (s *fsStream) lookup(number string) (Fragment, error) {
	if mkv.ValidFragmentNumber(number) {
		i := sort.Search(len(s.frags), func(i int) bool {
			return mkv.CompareFragmentNumbers(s.frags[i].Number, number) >= 0
		})
		if i < len(s.frags) && mkv.CompareFragmentNumbers(s.frags[i].Number, number) == 0 {
			return s.frags[i], nil
		}
	}
	return Fragment{}, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
}

// Read reads a fragment's file. Retention may delete it between the index
// lookup and the read; that is reported as ErrFragmentNotFound too.
func (a *FS) Read(stream, number string) ([]byte, error) {
	s, err := a.stream(stream)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	f, err := s.lookup(number)
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(s.dir, fragsDir, fragmentFileName(f)))
	if errorsIsNotExist(err) {
		return nil, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return b, nil
}

// DeleteBefore removes the files of fragments older than cutoff, then drops
// them from the index. A crash in between leaves some of them deleted and
// the rest still listed, both consistent states.
func (a *FS) DeleteBefore(stream string, cutoff int64) (int, error) {
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
		n++
	}
	clear(s.frags[len(kept):])
	s.frags = kept
	if n > 0 {
		if err := syncDir(frags); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return n, firstErr
}

func errorsIsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
