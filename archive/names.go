package archive

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/kvsclip/kvsclip/kvs"
)

// maxFileName is the longest file name ext4, XFS, Btrfs and APFS take, in
// bytes: one less than the longest stream name.
const maxFileName = 255

// hashedDirPrefix starts the directory name of a stream whose name is too
// long to be one. Stream names cannot hold '~', so no name is taken for
// another's directory.
const hashedDirPrefix = "~"

// streamDirName is the directory a stream is kept in: its name, or, for a
// name longer than a file name may be, the hash of the name (meta.json in
// the directory holds the name itself).
func streamDirName(name string) string {
	if len(name) <= maxFileName {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return hashedDirPrefix + hex.EncodeToString(sum[:])
}

// isHashedDirName reports whether a directory name is one streamDirName
// makes from a hash.
func isHashedDirName(dir string) bool {
	h, ok := strings.CutPrefix(dir, hashedDirPrefix)
	if !ok || len(h) != sha256.Size*2 {
		return false
	}
	_, err := hex.DecodeString(h)
	return err == nil
}

// fragmentFileName encodes a fragment's metadata in its file name, so that a
// directory listing is the whole index and a crash leaves nothing to rebuild.
// The number comes first: numbers of one server have one width, so names
// sort in ingestion order.
func fragmentFileName(f kvs.Fragment) string {
	return fmt.Sprintf("%s_%d_%d_%d_%d.mkv", f.Number, f.ProducerMillis, f.ServerMillis, f.Size, f.DurationMillis)
}

// indexSuffix ends the name of a fragment's index file, beside the
// fragment's file in frags/.
const indexSuffix = ".idx"

// indexFileName is the name of a fragment's index file: its number alone,
// so that the index is found from the number without the metadata.
func indexFileName(number string) string { return number + indexSuffix }

// parseFragmentFileName is the inverse of fragmentFileName; ok is false for
// any other name, which Open then ignores.
func parseFragmentFileName(name string) (f kvs.Fragment, ok bool) {
	base, found := strings.CutSuffix(name, ".mkv")
	if !found {
		return f, false
	}
	parts := strings.Split(base, "_")
	if len(parts) != 5 || !kvs.ValidFragmentNumber(parts[0]) {
		return f, false
	}
	var nums [4]int64
	for i, p := range parts[1:] {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return f, false
		}
		nums[i] = n
	}
	if nums[2] < 0 || nums[3] < 0 {
		return f, false
	}
	return kvs.Fragment{Number: parts[0], ProducerMillis: nums[0], ServerMillis: nums[1], Size: nums[2], DurationMillis: nums[3]}, true
}
