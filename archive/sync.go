package archive

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// syncDir fsyncs a directory, which makes the renames and removals inside it
// durable: without it a crash can undo a rename that already returned.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("archive: sync %s: %w", dir, err)
	}
	return nil
}

// writeJSONAtomic replaces dir/name with v encoded as JSON: a temporary file,
// synced, renamed over the old one, and the directory synced. Readers and
// crashes see the old file or the new one, never a mix.
func writeJSONAtomic(dir, name string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	tmp, err := writeTemp(dir, name+".tmp-*", raw)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("archive: %w", err)
	}
	return syncDir(dir)
}
