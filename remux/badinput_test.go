package remux_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvsclip/kvsclip/internal/mediatest"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/mkv"
	"github.com/kvsclip/kvsclip/remux"
)

// A small EBML builder for hand-made bad input: elements are written byte by
// byte so that sizes, IDs and nesting can lie in ways the mkv.Writer never
// would.

// Element IDs, marker bits included.
var (
	eEBML            = []byte{0x1A, 0x45, 0xDF, 0xA3}
	eDocType         = []byte{0x42, 0x82}
	eMaxIDLength     = []byte{0x42, 0xF2}
	eSegment         = []byte{0x18, 0x53, 0x80, 0x67}
	eInfo            = []byte{0x15, 0x49, 0xA9, 0x66}
	eTimecodeScale   = []byte{0x2A, 0xD7, 0xB1}
	eTracks          = []byte{0x16, 0x54, 0xAE, 0x6B}
	eTrackEntry      = []byte{0xAE}
	eTrackNumber     = []byte{0xD7}
	eTrackType       = []byte{0x83}
	eCodecID         = []byte{0x86}
	eCodecPrivate    = []byte{0x63, 0xA2}
	eContentEncoding = []byte{0x6D, 0x80}
	eVideo           = []byte{0xE0}
	ePixelWidth      = []byte{0xB0}
	ePixelHeight     = []byte{0xBA}
	eAudio           = []byte{0xE1}
	eSamplingFreq    = []byte{0xB5}
	eChannels        = []byte{0x9F}
	eCluster         = []byte{0x1F, 0x43, 0xB6, 0x75}
	eTimecode        = []byte{0xE7}
	eSimpleBlock     = []byte{0xA3}
	eBlockGroup      = []byte{0xA0}
	eBlock           = []byte{0xA1}
	eTags            = []byte{0x12, 0x54, 0xC3, 0x67}
)

// unknown is the 8-byte unknown size.
var unknown = []byte{0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// size8 writes n as an 8-byte EBML size, whatever its value.
func size8(n uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, n)
	b[0] = 0x01
	return b
}

// size writes n in the shortest EBML size.
func size(n int) []byte {
	for l := 1; l < 8; l++ {
		if uint64(n) < 1<<(7*l)-1 {
			b := make([]byte, l)
			v := uint64(n) | 1<<(7*l)
			for i := l - 1; i >= 0; i-- {
				b[i] = byte(v)
				v >>= 8
			}
			return b
		}
	}
	return size8(uint64(n))
}

// elem is an element with its true size.
func elem(id []byte, body ...[]byte) []byte {
	b := cat(body...)
	return cat(id, size(len(b)), b)
}

// elemSized is an element whose size field says what it is told to.
func elemSized(id, sz []byte, body ...[]byte) []byte { return cat(id, sz, cat(body...)) }

func uintBody(v uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, v)
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func float64Body(f float64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], math.Float64bits(f))
	return b[:]
}

var ebmlHead = elem(eEBML, elem(eDocType, []byte("matroska")))

// document is an EBML header and an unknown-size Segment around children.
func document(children ...[]byte) []byte {
	return cat(ebmlHead, eSegment, unknown, cat(children...))
}

var info = elem(eInfo, elem(eTimecodeScale, uintBody(1_000_000)))

func videoEntry(number uint64, codecID string, private []byte) []byte {
	return elem(eTrackEntry, elem(eTrackNumber, uintBody(number)), elem(eTrackType, uintBody(1)),
		elem(eCodecID, []byte(codecID)), elem(eCodecPrivate, private),
		elem(eVideo, elem(ePixelWidth, uintBody(160)), elem(ePixelHeight, uintBody(120))))
}

func audioEntry(number uint64, codecID string, private []byte) []byte {
	return elem(eTrackEntry, elem(eTrackNumber, uintBody(number)), elem(eTrackType, uintBody(2)),
		elem(eCodecID, []byte(codecID)), elem(eCodecPrivate, private),
		elem(eAudio, elem(eSamplingFreq, float64Body(8000)), elem(eChannels, uintBody(1))))
}

// simpleBlock is a SimpleBlock of track (1 to 126) with flags and data.
func simpleBlock(track byte, flags byte, data ...byte) []byte {
	return elem(eSimpleBlock, []byte{0x80 | track, 0, 0, flags}, data)
}

func cluster(children ...[]byte) []byte {
	return elem(eCluster, elem(eTimecode, uintBody(0)), cat(children...))
}

// idr is a one-NAL H.264 IDR frame with 4-byte lengths.
var idr = []byte{0, 0, 0, 2, 0x65, 0x88}

// ownMedia is the project's generated recording the table reads (ours, so
// its frames may appear in tests).
const ownMedia = "h264-aac-160x120.getmedia.mkv"

// ownTracks returns the CodecPrivate of every codec of the project's media
// by codec ID.
func ownTracks(t *testing.T) map[string]mkv.Track {
	files, err := filepath.Glob(filepath.Join("..", "testdata", "*.mkv"))
	require.NoError(t, err)
	m := map[string]mkv.Track{}
	for _, p := range files {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		f, err := mkv.NewBytesReader(data).Next()
		require.NoError(t, err, p)
		for _, tr := range f.Header.Tracks {
			if _, ok := m[tr.CodecID]; !ok {
				m[tr.CodecID] = tr
			}
		}
	}
	return m
}

// badRow is one row of the bad-input table: an input and the error kind
// Clip must return for it (Unknown: it must succeed).
type badRow struct {
	name  string
	input []byte
	kind  kvs.Kind
}

// badInputs builds the hand-made rows.
func badInputs(t *testing.T) []badRow {
	own := ownTracks(t)
	avc := own["V_MPEG4/ISO/AVC"].CodecPrivate
	require.NotEmpty(t, avc)
	goodTracks := elem(eTracks, videoEntry(1, "V_MPEG4/ISO/AVC", avc))
	good := func(clusters ...[]byte) []byte { return document(info, goodTracks, cat(clusters...)) }

	tenThousand := make([][]byte, 10_000)
	for i := range tenThousand {
		tenThousand[i] = videoEntry(uint64(i+1), "V_MPEG4/ISO/AVC", avc)
	}
	deep := simpleBlock(1, 0x80, idr...)
	for range 10_000 {
		deep = elem(eBlockGroup, deep)
	}
	rows := []badRow{
		{"control: a valid document", good(cluster(simpleBlock(1, 0x80, idr...))), kvs.Unknown},
		{"empty input", nil, kvs.ResourceNotFound},
		{"not EBML", []byte("RIFF\x00\x00\x00\x00WAVEfmt "), kvs.InvalidArgument},
		{"DocType not matroska", cat(elem(eEBML, elem(eDocType, []byte("mp4"))), eSegment, unknown), kvs.InvalidArgument},

		// Sizes that lie.
		{"EBML header larger than the file", cat(elemSized(eEBML, size(5000), elem(eDocType, []byte("matroska")))), kvs.InvalidArgument},
		{"EBML header over the header limit", cat(elemSized(eEBML, size8(1<<40), elem(eDocType, []byte("matroska")))), kvs.InvalidMediaFrame},
		{"TrackEntry larger than its Tracks", document(info, elemSized(eTracks, size(4), elemSized(eTrackEntry, size(200), elem(eTrackNumber, uintBody(1))))), kvs.InvalidMediaFrame},
		{"Tracks larger than the file", document(info, elemSized(eTracks, size(5000), videoEntry(1, "V_MPEG4/ISO/AVC", avc))), kvs.InvalidMediaFrame},
		{"Tracks over the header limit", document(info, elemSized(eTracks, size8(mkv.MaxHeaderElementSize+1))), kvs.InvalidMediaFrame},
		{"Cluster of 48 MiB in a few bytes", good(elemSized(eCluster, size8(48<<20), elem(eTimecode, uintBody(0)))), kvs.ResourceNotFound},
		{"Cluster over the fragment limit", good(elemSized(eCluster, size8(mkv.MaxFragmentSize+1), elem(eTimecode, uintBody(0)))), kvs.InvalidMediaFrame},
		{"SimpleBlock larger than its Cluster", good(elemSized(eCluster, size(12), elem(eTimecode, uintBody(0)), elemSized(eSimpleBlock, size(100), []byte{0x81, 0, 0, 0x80}, idr))), kvs.InvalidMediaFrame},
		{"unknown-size Tracks", document(info, elemSized(eTracks, unknown, videoEntry(1, "V_MPEG4/ISO/AVC", avc))), kvs.InvalidMediaFrame},
		{"unknown-size SimpleBlock", good(elemSized(eCluster, unknown, elem(eTimecode, uintBody(0)), elemSized(eSimpleBlock, unknown, []byte{0x81, 0, 0, 0x80}, idr))), kvs.InvalidMediaFrame},
		{"unknown-size Info", document(elemSized(eInfo, unknown, elem(eTimecodeScale, uintBody(1_000_000)))), kvs.InvalidMediaFrame},

		// 8-byte IDs and sizes.
		{"5-byte ID in the Segment", good([]byte{0x08, 1, 2, 3, 4, 0x81, 0}), kvs.InvalidMediaFrame},
		{"8-byte ID in the Segment", good([]byte{0x01, 1, 2, 3, 4, 5, 6, 7, 0x81, 0}), kvs.InvalidMediaFrame},
		{"EBMLMaxIDLength 8", cat(elem(eEBML, elem(eDocType, []byte("matroska")), elem(eMaxIDLength, uintBody(8))), eSegment, unknown), kvs.InvalidArgument},
		{"zero size-length byte", good([]byte{0xEC, 0x00, 0x00}), kvs.InvalidMediaFrame},
		{"8-byte sizes everywhere", document(elemSized(eInfo, size8(uint64(len(elem(eTimecodeScale, uintBody(1_000_000))))), elem(eTimecodeScale, uintBody(1_000_000))),
			elemSized(eTracks, size8(uint64(len(videoEntry(1, "V_MPEG4/ISO/AVC", avc)))), videoEntry(1, "V_MPEG4/ISO/AVC", avc)),
			elemSized(eCluster, size8(uint64(len(elem(eTimecode, uintBody(0)))+len(simpleBlock(1, 0x80, idr...)))), elem(eTimecode, uintBody(0)), simpleBlock(1, 0x80, idr...))), kvs.Unknown},

		// Nesting deeper than any real file.
		{"Segment inside a Segment", document(cat(eSegment, unknown)), kvs.InvalidMediaFrame},
		{"BlockGroups 10,000 deep", good(cluster(deep)), kvs.InvalidMediaFrame},
		{"TrackEntry inside a TrackEntry", document(info, elem(eTracks, elem(eTrackEntry, videoEntry(1, "V_MPEG4/ISO/AVC", avc))), cluster(simpleBlock(1, 0x80, idr...))), kvs.InvalidMediaFrame},

		// Blocks.
		{"block of a track that does not exist", good(cluster(simpleBlock(7, 0x80, idr...))), kvs.InvalidMediaFrame},
		{"block of track 0", good(cluster(elem(eSimpleBlock, []byte{0x80, 0, 0, 0x80}, idr))), kvs.InvalidMediaFrame},
		{"block header cut short", good(cluster(elem(eSimpleBlock, []byte{0x81, 0}))), kvs.InvalidMediaFrame},
		{"Xiph lace count past the block", good(cluster(simpleBlock(1, 0x82, 5, 2, 1))), kvs.InvalidMediaFrame},
		{"Xiph lace sizes larger than the block", good(cluster(simpleBlock(1, 0x82, 1, 200, 1, 2, 3))), kvs.InvalidMediaFrame},
		{"EBML lace sizes larger than the block", good(cluster(simpleBlock(1, 0x86, 1, 0xC0, 1, 2))), kvs.InvalidMediaFrame},
		{"EBML lace size difference below zero", good(cluster(simpleBlock(1, 0x86, 2, 0x82, 0x80, 1, 2, 3))), kvs.InvalidMediaFrame},
		{"fixed lace count that does not divide", good(cluster(simpleBlock(1, 0x84, 2, 1, 2, 3, 4))), kvs.InvalidMediaFrame},
		{"laced block without frame count", good(cluster(simpleBlock(1, 0x84))), kvs.InvalidMediaFrame},
		{"zero-length frame", good(cluster(simpleBlock(1, 0x80))), kvs.InvalidMediaFrame},
		{"256 zero-length laced frames", good(cluster(simpleBlock(1, 0x84, 0xFF))), kvs.InvalidMediaFrame},
		{"zero-length frame in a lace", good(cluster(simpleBlock(1, 0x82, 1, 0, 0, 0, 0, 2, 0x65, 0x88))), kvs.InvalidMediaFrame},
		{"BlockGroup without Block", good(cluster(elem(eBlockGroup))), kvs.InvalidMediaFrame},
		{"NAL length past the frame", good(cluster(simpleBlock(1, 0x80, 0, 0, 0, 9, 0x65, 0x88))), kvs.InvalidMediaFrame},
		{"NAL length past the frame after a good NAL", good(cluster(simpleBlock(1, 0x80, 0, 0, 0, 2, 0x65, 0x88, 0, 0, 0x10, 0, 0x41))), kvs.InvalidMediaFrame},
		{"NAL length field cut", good(cluster(simpleBlock(1, 0x80, 0, 0, 0, 2, 0x65, 0x88, 0, 0))), kvs.InvalidMediaFrame},
		{"zero-length NAL", good(cluster(simpleBlock(1, 0x80, 0, 0, 0, 0))), kvs.InvalidMediaFrame},

		// Headers.
		{"no Tracks before the Cluster", document(info, cluster(simpleBlock(1, 0x80, idr...))), kvs.InvalidMediaFrame},
		{"Tracks with 10,000 entries", document(info, elem(eTracks, tenThousand...), cluster(simpleBlock(1, 0x80, idr...))), kvs.InvalidMediaFrame},
		{"track number declared twice", document(info, elem(eTracks, videoEntry(1, "V_MPEG4/ISO/AVC", avc), videoEntry(1, "V_MPEG4/ISO/AVC", avc)), cluster(simpleBlock(1, 0x80, idr...))), kvs.InvalidMediaFrame},
		{"TimecodeScale 0", document(elem(eInfo, elem(eTimecodeScale, uintBody(0))), goodTracks, cluster(simpleBlock(1, 0x80, idr...))), kvs.InvalidMediaFrame},
		{"Timecode out of range", good(elem(eCluster, elem(eTimecode, uintBody(1<<62)), simpleBlock(1, 0x80, idr...))), kvs.InvalidMediaFrame},
		{"compressed track", document(info, elem(eTracks, elem(eTrackEntry, elem(eTrackNumber, uintBody(1)), elem(eContentEncoding))), cluster(simpleBlock(1, 0x80, idr...))), kvs.UnsupportedStreamMediaType},
		{"AAC config cut inside its explicit sample rate", document(info, elem(eTracks, videoEntry(1, "V_MPEG4/ISO/AVC", avc), audioEntry(2, "A_AAC", []byte{0x17, 0x80, 0x00})),
			cluster(simpleBlock(1, 0x80, idr...))), kvs.InvalidCodecPrivateData},
		{"unsupported codec", document(info, elem(eTracks, videoEntry(1, "V_VP9", []byte{1})), cluster(simpleBlock(1, 0x80, 1))), kvs.UnsupportedStreamMediaType},
		{"bad AWS tag value", good(elem(eTags, elem([]byte{0x73, 0x73}, elem([]byte{0x67, 0xC8},
			elem([]byte{0x45, 0xA3}, []byte(mkv.TagProducerTimestamp)), elem([]byte{0x44, 0x87}, []byte("soon"))))),
			cluster(simpleBlock(1, 0x80, idr...))), kvs.InvalidMediaFrame},
	}

	// CodecPrivate of every codec cut short, at every length.
	for _, codecID := range []string{"V_MPEG4/ISO/AVC", "V_MPEGH/ISO/HEVC", "A_AAC", "A_MS/ACM"} {
		tr, ok := own[codecID]
		require.True(t, ok, "no media of the project has %s", codecID)
		for n := 0; n < len(tr.CodecPrivate); n++ {
			if codecID == "A_AAC" && n == 0 {
				continue // AAC may go without: the track's sampling frequency says enough
			}
			kind := kvs.InvalidCodecPrivateData
			switch {
			case n == 0:
				kind = kvs.MissingCodecPrivateData
			case codecID == "V_MPEG4/ISO/AVC" && tr.CodecPrivate[1] >= 100 && n >= len(tr.CodecPrivate)-4:
				// A High-profile avcC may leave out its 4-byte trailer
				// (chroma format, bit depths, SPS extensions): codec
				// reads fewer than 4 bytes of it as absent.
				kind = kvs.Unknown
			case codecID == "A_AAC" && n >= 2:
				// Two bytes hold a whole AudioSpecificConfig of AAC-LC;
				// codec reads nothing after frameLengthFlag, so a cut
				// extension is not seen.
				kind = kvs.Unknown
			case codecID == "A_MS/ACM" && n == 16:
				// 16 bytes are a whole PCMWAVEFORMAT (no cbSize).
				kind = kvs.Unknown
			}
			input := document(info, elem(eTracks, videoEntry(1, codecID, tr.CodecPrivate[:n])),
				cluster(simpleBlock(1, 0x80, idr...)))
			if tr.Type == mkv.TrackTypeAudio {
				input = document(info, elem(eTracks, videoEntry(1, "V_MPEG4/ISO/AVC", avc), audioEntry(2, codecID, tr.CodecPrivate[:n])),
					cluster(simpleBlock(1, 0x80, idr...), simpleBlock(2, 0x80, make([]byte, 160)...)))
			}
			rows = append(rows, badRow{name: codecID + " CodecPrivate cut to " + strconv.Itoa(n) + " bytes", input: input, kind: kind})
		}
	}
	return rows
}

// TestBadInput runs every hand-made bad input through the whole engine: each
// must give its error kind, quickly, within the allocation bound of
// FuzzClip, and never a panic.
func TestBadInput(t *testing.T) {
	for _, row := range badInputs(t) {
		t.Run(row.name, func(t *testing.T) {
			start := time.Now()
			man, err, alloc := clipMeasured(io.Discard, row.input, mediatest.HeapAllocatedExact)
			assert.Less(t, time.Since(start), 2*time.Second, "slow")
			assert.LessOrEqual(t, alloc, uint64(clipOverhead+clipPerByte*len(row.input)), "allocated bytes")
			assert.NotNil(t, man, "a manifest comes with every answer")
			if row.kind == kvs.Unknown {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			var ke *kvs.Error
			require.ErrorAs(t, err, &ke)
			assert.Equal(t, row.kind, ke.Kind, "%v", err)
		})
	}
}

// TestBadInputTruncated cuts the first fragment of one of the project's
// recordings, shrunk to its first frames, at every byte offset, and checks
// the kind of each answer against where the cut falls:
//
//   - nothing at all: ResourceNotFound;
//   - inside the EBML header: InvalidArgument (not Matroska);
//   - at the end of an element before the Cluster: ResourceNotFound (a
//     fragment without frames);
//   - inside an element before the Cluster, or inside the Cluster's own ID
//     and size: InvalidMediaFrame;
//   - inside the Cluster: a clip of the frames that are complete
//     (cut-short), or ResourceNotFound before the first one;
//   - in the Tags after the Cluster: a clip, cut short, when the cut leaves
//     no byte of a Tags body, else InvalidMediaFrame (an element outside
//     the last Cluster must be whole).
func TestBadInputTruncated(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", ownMedia))
	require.NoError(t, err)
	f, err := mkv.NewBytesReader(data).Next()
	require.NoError(t, err)
	// Keep the frames up to the first video key frame and two more.
	small := f.Clone()
	for i, b := range small.Blocks {
		if b.Keyframe && small.Header.Track(b.Track).Type == mkv.TrackTypeVideo {
			small.Blocks = small.Blocks[:min(i+3, len(small.Blocks))]
			break
		}
	}
	var buf bytes.Buffer
	w := mkv.NewWriter(&buf, nil)
	require.NoError(t, w.WriteFragment(small))
	require.NoError(t, w.Close())
	frag := buf.Bytes()
	require.Less(t, len(frag), 16<<10, "a small fragment")
	t.Logf("%d bytes, %d frames", len(frag), len(small.Blocks))

	l := layout(t, frag)
	for cut := 0; cut < len(frag); cut++ {
		// The zero-copy reader, to keep 10,000 clips quick; every 64th
		// cut also goes through Clip's streaming reader, which must agree.
		c := remux.NewClipper(io.Discard, nil)
		err := c.AddAll(mkv.NewBytesReader(frag[:cut]))
		man := c.Manifest()
		if err == nil {
			man, err = c.Close()
		}
		if cut%64 == 0 {
			_, serr := remux.Clip(io.Discard, bytes.NewReader(frag[:cut]), nil)
			require.Equal(t, kvs.KindOf(err), kvs.KindOf(serr), "cut at %d: %v / %v", cut, err, serr)
		}
		want, clip := l.expect(cut)
		if clip {
			require.NoError(t, err, "cut at %d", cut)
			require.Equal(t, remux.ReasonCutShort, man.Fragments[0].Reason, "cut at %d", cut)
			continue
		}
		require.Error(t, err, "cut at %d", cut)
		require.Equal(t, want, kvs.KindOf(err), "cut at %d: %v", cut, err)
	}
}

// fragLayout is where the elements of one GetMedia document lie.
type fragLayout struct {
	ebmlEnd      int
	segBody      int
	before       [][2]int // elements between Segment header and Cluster: [start, end)
	clusterStart int
	clusterBody  int
	firstFrame   int // end of the Cluster's first block
	clusterEnd   int
	after        [][3]int // elements after the Cluster: start, body start, end
}

// layout walks a document the mkv.Writer wrote, with the EBML rules
// written out again here.
func layout(t *testing.T, b []byte) fragLayout {
	var l fragLayout
	head := func(pos int) (id []byte, body, end int) {
		n := 1
		for b[pos]&(0x80>>(n-1)) == 0 {
			n++
		}
		m := 1
		for b[pos+n]&(0x80>>(m-1)) == 0 {
			m++
		}
		v := uint64(b[pos+n]) & (0xFF >> m)
		for i := 1; i < m; i++ {
			v = v<<8 | uint64(b[pos+n+i])
		}
		if v == 1<<(7*m)-1 {
			return b[pos : pos+n], pos + n + m, len(b)
		}
		return b[pos : pos+n], pos + n + m, pos + n + m + int(v)
	}
	_, _, l.ebmlEnd = head(0)
	_, l.segBody, _ = head(l.ebmlEnd)
	pos := l.segBody
	for pos < len(b) {
		id, body, end := head(pos)
		switch {
		case bytes.Equal(id, eCluster):
			l.clusterStart, l.clusterBody, l.clusterEnd = pos, body, end
			for p := body; p < end; {
				cid, _, cend := head(p)
				if bytes.Equal(cid, eSimpleBlock) || bytes.Equal(cid, eBlockGroup) {
					l.firstFrame = cend
					break
				}
				p = cend
			}
		case l.clusterStart == 0:
			l.before = append(l.before, [2]int{pos, end})
		default:
			l.after = append(l.after, [3]int{pos, body, end})
		}
		pos = end
	}
	require.NotZero(t, l.firstFrame)
	return l
}

// expect returns the kind of a cut at offset cut, or clip true when the cut
// leaves a clip.
func (l fragLayout) expect(cut int) (kvs.Kind, bool) {
	switch {
	case cut == 0:
		return kvs.ResourceNotFound, false
	case cut < l.ebmlEnd:
		return kvs.InvalidArgument, false
	case cut == l.ebmlEnd:
		return kvs.ResourceNotFound, false
	case cut < l.segBody:
		return kvs.InvalidMediaFrame, false
	case cut <= l.clusterStart:
		for _, e := range l.before {
			if cut == e[1] || cut == l.segBody {
				return kvs.ResourceNotFound, false
			}
		}
		return kvs.InvalidMediaFrame, false
	case cut < l.clusterBody:
		return kvs.InvalidMediaFrame, false
	case cut < l.firstFrame:
		return kvs.ResourceNotFound, false
	case cut <= l.clusterEnd:
		return kvs.Unknown, true
	}
	for _, e := range l.after {
		if cut > e[0] && cut < e[2] && cut > e[1] {
			return kvs.InvalidMediaFrame, false
		}
	}
	return kvs.Unknown, true
}
