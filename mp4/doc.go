// Package mp4 writes fragmented MP4 (ISO BMFF) for kvsclip: one init segment
// (ftyp+moov) followed by one moof+mdat pair per fragment.
//
// The init segment is cold-path code and is built with mp4ff, which already
// knows every field of the sample description boxes. The moof is on the hot
// path (it is written once per fragment for every clip the engine serves), so
// it is encoded by hand into a reused buffer: a steady-state WriteFragment
// makes no allocations.
//
// Sample payloads are never parsed or changed here. Small ones are copied into
// a reused gather buffer so the sink sees few, large writes; large ones are
// handed to the sink as they are. See [GatherThreshold].
package mp4
