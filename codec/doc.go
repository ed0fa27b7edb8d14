// Package codec turns a Matroska track's CodecID and CodecPrivate into the
// validated facts an MP4 sample entry needs ([Track]), and checks and adapts
// the frames of those codecs (NAL length prefixes, Annex-B start codes).
//
// It owns the codec meaning of bytes — AVC decoder configuration records,
// sequence parameter sets, AAC AudioSpecificConfig — and nothing of the
// containers around them. Every parser here is bounded: it checks each length
// against the bytes it has before it reads, and reports a *kvserr.Error of
// kind MissingCodecPrivateData, InvalidCodecPrivateData, InvalidMediaFrame or
// UnsupportedStreamMediaType.
//
// # Tracks
//
// [ParseTrack] dispatches on the CodecID in one place; each codec has its own
// file. H.264 CodecPrivate may be an avcC record (reserved bits are masked,
// NAL lengths of 1, 2 or 4 bytes) or Annex-B parameter sets; either way the
// [AVCConfig.Record] written to the MP4 is canonical: reserved bits set,
// 4-byte lengths, the High-profile trailer rebuilt from the SPS.
//
// # Frames
//
// [AppendAVCC] (and [AVCConfig.Frame]) hand back a frame that already has
// 4-byte NAL lengths unchanged and without allocating — the case of all data
// stored through the KVS producer SDK — and convert the rest (1- or 2-byte
// lengths, Annex-B) into a caller-owned buffer. A zero NAL length is an
// error, not padding: a NAL unit has at least a header byte.
package codec
