package ts

import (
	"context"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
)

// mutationsPerFixture keeps the test under a second on a shared machine.
const mutationsPerFixture = 500

// TestMutatedFragments runs the fuzz target's check over a fixed set of
// mutations of the fixtures (a few random bytes changed in each): what
// the fuzzer does, reproducibly, in every test run.
func TestMutatedFragments(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, name := range fixtures {
		raw, _ := os.ReadFile(filepath.Join("..", "..", "..", "testdata", name))
		raw = raw[:min(len(raw), 16<<10)]
		for range mutationsPerFixture {
			doc := append([]byte(nil), raw...)
			for k := 0; k < 1+rng.Intn(8); k++ {
				doc[rng.Intn(len(doc))] = byte(rng.Intn(256))
			}
			frag, err := mkv.NewBytesReader(doc).Next()
			if err != nil {
				continue
			}
			tracks, samples, err := FromFragment(frag)
			if err != nil {
				require.NotEqual(t, kvs.Unknown, kvs.KindOf(err), "%v", err)
				continue
			}
			w, err := NewWriter(context.Background(), io.Discard, tracks)
			if err != nil {
				continue
			}
			for i := range samples {
				if err := w.WriteSample(&samples[i]); err != nil {
					require.ErrorIs(t, err, ErrFrame)
					break
				}
			}
		}
	}
}
