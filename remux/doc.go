// Package remux is the kvsclip engine: it turns KVS Matroska fragments into
// an MP4 clip.
//
// A clip is made in one of two ways, and the types say which:
//
//   - Streamed: a Clipper takes fragments one at a time (Add, or AddAll
//     from an mkv.Reader) and writes a fragmented MP4 as they come — the
//     init segment with the first fragment, each fragment's moof+mdat once
//     the next one has come — until Close. Everything it must know before
//     its first byte (the options, and the codec configurations a codec
//     change switches between) is given to NewClipper.
//   - Planned: a clip whose layout depends on all of it — a progressive MP4
//     (moov first), or an fMP4 with its duration (mehd) and segment index
//     (sidx) — is planned from its fragments' sample indexes (package
//     fragindex) before any byte is written. Plan plans from indexes a
//     store keeps; a Collector gathers fragments held in memory and plans
//     them. The PlannedClip knows its exact size and header bytes before any
//     payload is read, and writes the whole clip or any byte range of it,
//     reading the payloads it covers from a Payloads the caller provides
//     (the documents in memory, or ranged reads through a ReadAhead). A
//     FileWriter writes a planned fMP4 into a file in one pass as its
//     fragments come, behind room left for the header it writes at Close.
//
// Clip covers the common case of a whole input, streamed or planned. The
// first fragment fixes the tracks and their codecs; each fragment becomes
// one moof+mdat (one chunk per track in a progressive MP4), all tracks in
// one moof. Frame bytes are never copied on the way: MP4 samples are the
// Matroska blocks' own slices.
//
// Timing: the clip starts at 0 at the first fragment's timestamp. A fragment
// is placed by its producer timestamp tag (for producer files without tags,
// by its Cluster time), never by a raw cluster timecode, which KVS leaves as
// the producer wrote it. Each track gets a timescale that holds its input
// times exactly: 1e9/TimecodeScale for video (1000 for the usual 1 ms
// scale), the sample rate for audio, whose frames are laid end to end and
// re-anchored to the block times whenever those move by more than a
// timecode unit, so audio never drifts. Decode times strictly increase on
// every track.
//
// Every failure is a *kvs.Error with the KVS kind and the fragment, track
// and byte offset where it was found.
//
// # Public on purpose
//
// Some exported names are used by no code of this module outside the
// package and are public for callers all the same (make api-check holds
// the list, api/public-on-purpose.txt): the Err* sentinels, which callers
// test with errors.Is; the manifest's types and Reason* values, which
// callers read (the CLI writes the manifest as JSON); the types of
// Options fields and their values; the read-ahead defaults, which size a
// service's memory; and the Origin of a PlannedClip and of
// SegmentOptions, which go together.
package remux
