// Package mkv reads and writes Matroska as Kinesis Video Streams stores it:
// a stream of fragments, each a Cluster of frames with the track header that
// describes them and the AWS_KINESISVIDEO_* tags that place it in time.
//
// The Reader accepts both shapes users hold: GetMedia / GetMediaForFragmentList
// dumps (one self-contained EBML document per fragment, concatenated) and
// producer-side files (one Segment, a Cluster per fragment). Over a []byte it
// is zero-copy: block payloads are sub-slices of the input. Over an io.Reader
// it reads one fragment at a time into reused buffers, so memory is bounded
// by the largest fragment.
//
// The Writer writes KVS-style fragments with the AWS tags, for tests,
// fixtures and the archive.
//
// The Reader is written by hand rather than built on a general EBML
// library such as github.com/at-wat/ebml-go, which the tests use as a
// second decoder to check it against (ebmlgo_test.go). What the hand-written
// Reader gives that a reflection-based unmarshaller does not: allocation
// bounded per element by the limits in limits.go, and, over a stream,
// growing with the bytes that arrive rather than with the sizes the input
// declares (ebml-go allocates a leaf's declared size before reading it);
// block payloads that are windows of the input, not a copy per frame;
// fragments read and handed over one at a time, into two reused buffers,
// instead of a whole document decoded into a tree; and errors that are
// *Error values naming the element, its input offset, a sentinel cause and
// the KVS error kind the API reports.
//
// # Public on purpose
//
// Some exported names are used by no code of this module outside the
// package and are public for callers all the same (make api-check holds
// the list, api/public-on-purpose.txt): the Err* sentinels, which callers
// test with errors.Is, and the fields of *Error they read with errors.As;
// the AWS tag names (Tag*), the KVS vocabulary of Fragment.Tags, GetMedia's
// error fragments included; and Layout, the type of WriterOptions.Layout.
package mkv
