package server

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/kvsclip/kvsclip/archive"
)

// Fragment numbers look like KVS's: 47 decimal digits. Ours are a fixed
// 11-digit prefix, the server clock in ns (19 digits) and a counter (17
// digits). The clock part never goes backwards, even across restarts (New
// seeds it from the archive), so numbers grow with ingestion order and
// compare correctly as strings of one width.
const numberPrefix = "91343852333"

type numberGen struct {
	mu     sync.Mutex
	lastNs int64
	seq    uint64
}

// next returns a fresh number for a fragment that began arriving at t.
func (g *numberGen) next(t time.Time) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	ns := t.UnixNano()
	if ns <= g.lastNs {
		ns = g.lastNs + 1
	}
	g.lastNs = ns
	g.seq++
	return fmt.Sprintf("%s%019d%017d", numberPrefix, ns, g.seq%1e17)
}

// seedNumbers starts the generator past every number in the archive.
func seedNumbers(store archive.Store) (*numberGen, error) {
	g := &numberGen{}
	streams, err := store.Streams()
	if err != nil {
		return nil, err
	}
	for _, st := range streams {
		frags, err := store.List(st.Name, archive.ByServer, math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		for _, f := range frags {
			if len(f.Number) != 47 || f.Number[:11] != numberPrefix {
				continue
			}
			ns, err1 := strconv.ParseInt(f.Number[11:30], 10, 64)
			seq, err2 := strconv.ParseUint(f.Number[30:], 10, 64)
			if err1 == nil && err2 == nil {
				g.lastNs = max(g.lastNs, ns)
				g.seq = max(g.seq, seq)
			}
		}
	}
	return g, nil
}
