// Package images is GetImages, the API surface that answers a time range of
// a stream with still images: for each sample time it finds the key frame
// at or before it from the stored fragments' sample indexes, reads that
// frame alone by a ranged read, and turns it into a JPEG or PNG with the
// ffmpeg program (Decoder). API is the surface the server registers
// (Routes); Decoder is the part that runs ffmpeg, on its own since it is
// process management with its own bounds and tests.
//
// No production pure-Go H.264 or H.265 decoder exists, so the server hands
// libavcodec, through ffmpeg, one key frame as an Annex-B access unit on
// stdin and reads the image from stdout: no temporary files. Decodes are
// bounded in number (a semaphore) and in time (a deadline each), and their
// results are kept in a least-recently-used cache bounded in bytes, since a
// stored key frame never changes and a timeline asks for the same
// thumbnails again and again (DefaultMaxDecodes, DefaultDecodeTimeout,
// DefaultCacheBytes). ffmpeg is looked for when the server is made, and
// the log says whether GetImages is available; without it, GetImages
// answers InvalidArgument and API.Available says so to GetDataEndpoint.
//
// A sample time's key frame is sought in the fragment that holds the time
// and, when a producer split a long group of pictures, in up to
// KeyFrameLookback contiguous fragments before it. An answer's images are
// bounded in bytes (DefaultPageBytes) as well as in number, since a page
// of 100 full-size PNGs would otherwise be held whole in memory; a page
// that reaches the bound ends early with a NextToken.
//
// The engine packages (mkv, codec, mp4, remux, fragindex, dedup) stay pure
// Go; only the server imports this package.
package images
