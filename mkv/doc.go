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
package mkv
