package archive

import (
	"os"
	"sync"

	"github.com/kvsclip/kvsclip/kvs"
)

// maxOpenFiles bounds the fragment files FS.ReadAt keeps open. A planned
// clip reads its fragments' ranges in order, so it needs about one file at
// a time; 64 serve dozens of clips at once, far below the usual limit of
// 1024 descriptors a process may hold.
const maxOpenFiles = 64

// fileCache keeps recently read fragment files open for ReadAt: a clip
// planned from indexes reads many ranges of each fragment, and opening the
// file costs about ten times the pread of a small range (BenchmarkFSReadAt:
// 7.2 µs a call with the open, 0.7 µs without). A file leaves the cache
// when it has been used least recently of more than maxOpenFiles, when its
// fragment or stream is deleted, and at Close; it is closed when the last
// ReadAt using it returns.
type fileCache struct {
	mu    sync.Mutex
	files map[fileKey]*openFile
	tick  uint64
}

// fileKey names a fragment file by its stream and its whole metadata, which
// is its name: a number stored again under other metadata is another file.
type fileKey struct {
	s *fsStream
	f kvs.Fragment
}

type openFile struct {
	f       *os.File
	refs    int    // ReadAt calls using f
	used    uint64 // the cache's tick at the last use
	dropped bool   // out of the cache: closed when refs is 0
}

// acquire returns the open file of key, opening it with open when the
// cache does not hold it. release must follow.
func (c *fileCache) acquire(key fileKey, open func() (*os.File, error)) (*openFile, error) {
	c.mu.Lock()
	if e := c.files[key]; e != nil {
		c.tick++
		e.refs++
		e.used = c.tick
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	f, err := open() // outside the lock: a slow disk must not stall the other reads
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	if e := c.files[key]; e != nil { // another call opened it meanwhile
		f.Close()
		e.refs++
		e.used = c.tick
		return e, nil
	}
	if c.files == nil {
		c.files = map[fileKey]*openFile{}
	}
	e := &openFile{f: f, refs: 1, used: c.tick}
	c.files[key] = e
	if len(c.files) > maxOpenFiles {
		oldest := key
		for k, o := range c.files {
			if o.used < c.files[oldest].used {
				oldest = k
			}
		}
		c.dropLocked(oldest)
	}
	return e, nil
}

// release ends a use of e.
func (c *fileCache) release(e *openFile) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.dropped && e.refs == 0 {
		e.f.Close()
	}
}

// drop takes the files for which match is true out of the cache.
func (c *fileCache) drop(match func(fileKey) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.files {
		if match(k) {
			c.dropLocked(k)
		}
	}
}

func (c *fileCache) dropLocked(k fileKey) {
	e := c.files[k]
	delete(c.files, k)
	e.dropped = true
	if e.refs == 0 {
		e.f.Close()
	}
}
