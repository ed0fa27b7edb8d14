package archived

import (
	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/remux"
	"github.com/kvsclip/kvsclip/server/internal/lru"
	"github.com/kvsclip/kvsclip/server/storeread"
)

// newPlanCache returns the server's cache of the plans of recent clips,
// least recently used out first, within a byte bound, keyed by the clip's
// ETag (the stream, the format and the chosen fragments, which never
// change once stored). A player seeking in /clips sends a range request
// for each seek, and each one needs the whole clip's plan to know where
// its bytes are; several viewers of one clip ask for it again and again.
// Planning 200 fragments from cached indexes takes several milliseconds
// of CPU; a kept plan takes none, and its first byte waits only for the
// listing and the first payload read. One plan may take at most an
// eighth of the bound.
func newPlanCache(max int64) *lru.Cache[string, *remux.PlannedClip] {
	return lru.New[string, *remux.PlannedClip](max, 8)
}

// Estimates of a plan's memory: per sample, its record in the plan
// (mp4.Sample and where its bytes come from) and its entries in the
// moov's tables; per plan, the writers it keeps for its next writes, with
// their gather buffers. The plan also holds its fragments' indexes, which
// outlive the index cache's hold on them, so they are counted too.
const (
	planBytesPerSample = 64
	planBytesFixed     = 640 << 10
)

// planBytes estimates the memory of a plan of the fragments of idx.
func planBytes(idx []*fragindex.Index) int64 {
	n := int64(planBytesFixed)
	for _, x := range idx {
		n += int64(len(x.Samples))*planBytesPerSample + storeread.IndexBytes(x)
	}
	return n
}
