package ingest

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/server/storeread"
)

// Fragment numbers look like KVS's: 47 decimal digits. Ours are a fixed
// 11-digit prefix, the server clock in ns (19 digits), a node id (6 digits)
// and a counter (11 digits). The clock part never goes backwards, even
// across restarts (New seeds it from the archive), so numbers grow with
// ingestion order and compare correctly as strings of one width.
//
// Several servers may share one archive (the S3 store). The node id, drawn
// at random when the server starts, keeps their numbers apart even when
// two clocks read the same nanosecond; the S3 store refuses to overwrite a
// fragment body as well, so a collision is an ERROR ack, never a lost
// fragment. Across servers, numbers are ordered by their clocks.
const numberPrefix = "91343852333"

type numberGen struct {
	mu     sync.Mutex
	lastNs int64
	node   uint32
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
	return fmt.Sprintf("%s%019d%06d%011d", numberPrefix, ns, g.node, g.seq%1e11)
}

// seedNumbers starts the generator past every number in the archive.
//
// A number's clock part is its fragment's server timestamp (both are the
// moment it began arriving, on the server that took it), so the greatest
// number of a stream is among the fragments of its latest server
// timestamp, which storeread.Newest finds.
func seedNumbers(store archive.Store, now time.Time) (*numberGen, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	g := &numberGen{node: binary.BigEndian.Uint32(b[:]) % 1e6}
	streams, err := store.Streams(context.Background())
	if err != nil {
		return nil, err
	}
	for _, st := range streams {
		frags, err := storeread.Newest(context.Background(), store, st.Name, now)
		if err != nil {
			return nil, err
		}
		for _, f := range frags {
			if len(f.Number) != 47 || f.Number[:11] != numberPrefix {
				continue
			}
			ns, err1 := strconv.ParseInt(f.Number[11:30], 10, 64)
			seq, err2 := strconv.ParseUint(f.Number[36:], 10, 64)
			if err1 == nil && err2 == nil {
				g.lastNs = max(g.lastNs, ns)
				g.seq = max(g.seq, seq)
			}
		}
	}
	return g, nil
}
