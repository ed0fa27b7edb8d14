// Package codec turns a Matroska track's CodecID and CodecPrivate into the
// validated facts an MP4 sample entry needs ([Track]), and checks and adapts
// the frames of those codecs (NAL length prefixes, Annex-B start codes).
//
// It owns the codec meaning of bytes — AVC and HEVC decoder configuration
// records, sequence parameter sets, AAC AudioSpecificConfig, the
// WAVEFORMATEX of G.711 — and nothing of the containers around them. Every parser here is bounded: it checks each length
// against the bytes it has before it reads, and reports a *kvs.Error of
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
// H.265 ([CodecIDHEVC]) works the same way with an hvcC record or Annex-B
// VPS/SPS/PPS: [HEVCConfig.Record] has 4-byte lengths, the profile and
// sample format of the first SPS ([ParseHEVCSPS], a bounded parser), and
// its parameter set arrays marked complete. The sample entry is "hvc1"
// when the record holds a VPS, an SPS and a PPS, "hev1" when the frames
// must carry some of them ([HEVCConfig.InBand]).
//
// G.711 ([CodecIDACM]) is a WAVEFORMATEX with format tag 6 (A-law,
// "alaw") or 7 (µ-law, "ulaw"). The producer SDK's wrong avgBytesPerSec
// and zero bitsPerSample are ignored; samples are one byte per channel, so
// a frame's duration is [G711Config.FrameSamples].
//
// # Frames
//
// [ToAVCC] (and [AVCConfig.Frame]) hand back a frame that already has
// 4-byte NAL lengths unchanged and without allocating — the case of all data
// stored through the KVS producer SDK — and convert the rest (1- or 2-byte
// lengths, Annex-B) into a caller-owned buffer; [HEVCConfig.Frame] is the
// same for H.265, with [HasIRAP] and [HEVCParameterSets] as the H.265
// counterparts of [HasIDR] and [ParameterSets]. A zero NAL length is an
// error, not padding: a NAL unit has at least a header byte.
//
// # Public on purpose
//
// Some exported names are used by no code of this module outside the
// package and are public for callers all the same (make api-check holds
// the list, api/public-on-purpose.txt): the facts of parse results (the
// fields of SPS, HEVCSPS, AudioSpecificConfig, G711Config and HEVCConfig)
// that callers inspect; the CodecID and WAVEFORMATEX tag values, the
// vocabulary of Track.CodecID and G711Config.FormatTag; the bounded SPS
// parsers; and the tools for parameter sets carried in frames
// ([ParameterSets], [NewAVCConfig] and their H.265 counterparts), which
// build a configuration when CodecPrivate lacks one. The parsers' limits
// are not exported: derived from the formats, they are never reached by a
// stream a player could show.
package codec
