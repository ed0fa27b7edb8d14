// Package remux is the kvsclip engine: it turns KVS Matroska fragments into a
// fragmented MP4 clip.
//
// Fragments come in through an mkv.Reader (or one at a time through a
// Clipper, for callers that select fragments themselves); the first fragment
// fixes the tracks and their codecs; each fragment becomes one moof+mdat,
// all tracks in one moof. Frame bytes are never copied on the way: MP4
// samples are the Matroska blocks' own slices.
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
// A clip whose layout depends on all of it — a progressive MP4 (moov
// first), or an fMP4 with its duration (mehd) and segment index (sidx) —
// is planned from the fragments' sample indexes (package fragindex) with
// Plan: the PlannedClip knows its exact size and header bytes before any
// payload is read, and writes the whole clip or any byte range of it,
// reading the payloads it covers from a Payloads the caller provides (the
// documents in memory, or ranged reads through a ReadAhead). Streaming
// fMP4 goes through a Clipper: fragments in, moof+mdat out as they come.
//
// Every failure is a *kvserr.Error with the KVS kind and the fragment, track
// and byte offset where it was found.
package remux
