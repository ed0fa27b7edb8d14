package mkv

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite testdata/fuzz/FuzzReader from seedDocs")

// seedDocs are the synthetic documents the fuzz corpus starts from: every
// structure the reader handles, each small enough to mutate quickly.
func seedDocs() map[string][]byte {
	tags := el(idTags, el(idTag,
		el(idSimpleTag, el(idTagName, []byte(TagFragmentNumber)), el(idTagString, []byte("91343852333181432392682062607743920146159169392"))),
		el(idSimpleTag, el(idTagName, []byte(TagProducerTimestamp)), el(idTagString, []byte("1511852108.513"))),
		el(idSimpleTag, el(idTagName, []byte(TagServerTimestamp)), el(idTagString, []byte("1511852109.126")))))
	key := simpleBlock(1, 0, 0x80, 0, 0, 0, 2, 0x65, 0x88)
	getMedia := func(tc uint64) []byte {
		return append(append([]byte{}, testEBML...), elSized(idSegment, -1, testTracks, tags,
			el(idCluster, el(idTimecode, u(tc)), key, simpleBlock(2, 3, 0x80, 0x21, 0x10)))...)
	}
	return map[string][]byte{
		"getmedia-two-docs": append(getMedia(0), getMedia(2000)...),
		"producer-unknown-clusters": doc(elSized(idCluster, -1, el(idTimecode, u(1703120790149)), key),
			elSized(idCluster, -1, el(idTimecode, u(1703120791149)), key)),
		"lacing": doc(el(idCluster, el(idTimecode, u(7)),
			simpleBlock(2, 0, 0x82, 2, 1, 2, 0xA, 0xB, 0xC, 0xD),
			simpleBlock(2, 1, 0x86, 1, 0x82, 0xA, 0xB, 0xC),
			simpleBlock(2, 2, 0x84, 1, 0xA, 0xB))),
		"blockgroup": doc(el(idCluster, el(idTimecode, u(0)),
			el(idBlockGroup, el(idBlock, []byte{0x81, 0, 0, 0, 1}), el(idBlockDuration, u(33)), el(idReferenceBlock, []byte{0xFF})))),
		"cut-cluster": getMedia(0)[:len(getMedia(0))-3],
		"header-only": append(append([]byte{}, testEBML...), elSized(idSegment, -1, testTracks, tags)...),
	}
}

// TestFuzzSeeds keeps the committed corpus in step with seedDocs.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	for name, d := range seedDocs() {
		path := filepath.Join(dir, name)
		content := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(d)))
		if *updateSeeds {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
			continue
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./mkv -run TestFuzzSeeds -update-seeds")
		require.True(t, bytes.Equal(got, []byte(content)), "%s is stale: run with -update-seeds", name)
	}
}
