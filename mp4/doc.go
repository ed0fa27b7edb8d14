// Package mp4 encodes fragmented MP4 (ISO BMFF) for kvsclip: one init
// segment (ftyp+moov) followed by one moof+mdat pair per fragment, and the
// progressive MP4 (one moov, one mdat) of a clip planned in full.
//
// The init segment is cold-path code and is built with mp4ff, which already
// knows every field of the sample description boxes. The moof is on the hot
// path (it is written once per fragment for every clip the engine serves), so
// it is encoded by hand into a reused buffer: a steady-state WriteFragment
// makes no allocations.
//
// The package is an encoder and nothing more: it emits init segments, moof
// and mdat headers, and the payload slices as the caller gave them, never
// parsed, changed or copied. How those pieces reach the operating system is
// the sink's policy: a sink that implements [VectorWriter] gets each
// fragment in one call; any other io.Writer gets one Write per piece. The
// engine's sink (kvsclip's internal/clipio, which package remux wraps
// around its destination) gathers short pieces, writes vectors with one
// system call and may write behind the caller; mp4 itself imports no
// syscall, unsafe or runtime.
//
// # Public on purpose
//
// Some exported names are used by no code of this module outside the
// package and are public for callers all the same (make api-check holds
// the list, api/public-on-purpose.txt): the Err* sentinels, which callers
// test with errors.Is; MaxFragmentSize, the limit ErrFragmentTooLarge
// reports; VectorWriter, which sinks implement; and
// Progressive.BytesWritten, the counterpart of Writer.BytesWritten.
package mp4
