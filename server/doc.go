// Package server speaks the Kinesis Video Streams HTTP API over an
// archive.Store, so that the stock AWS SDKs and producers can be pointed at
// it: the control plane (streams, their tags, retention, image-generation
// and notification configurations, GetDataEndpoint; signaling channels are
// refused with a type), PutMedia ingestion, GetMedia, the archived-media
// reads (ListFragments, GetMediaForFragmentList, GetClip, GetImages), and the HLS and
// DASH playback sessions of GetHLSStreamingSessionURL and
// GetDASHStreamingSessionURL, whose resources under /hls/v1/ and /dash/v1/
// take the session token in the URL instead of a signature.
//
// Every route uses the REST-JSON conventions the SDKs decode (spec §1.9):
// an x-amzn-RequestId header, and for errors the X-Amzn-ErrorType header
// with a JSON body holding the message. Requests are authenticated with
// SigV4 when credentials are configured. PutMedia stores each fragment
// with its sample index; GetClip selects fragments from the archive index
// with package dedup, plans the clip from their sample indexes with
// package remux, and streams the payloads by ranged reads within a read
// budget the clips in flight share.
//
// Hostile and careless clients are bounded. A signature is checked as AWS
// checks it (Host, X-Amz-Date and PutMedia's stream header signed, the
// server's region, the session token, presigned URLs) before any body byte
// is used; a PutMedia body signed with its hash is verified before it is
// parsed, an aws-chunked one chunk by chunk. Every phase has a limit: a
// request body's ReadTimeout, PutMedia's progress
// rule (bytes per window, not a deadline a trickle can renew), a write
// stall timeout for clip and media answers, a count of PutMedia sessions
// and GetClips, one producer per stream (the newest wins), and, in front,
// connlimit.LimitedListener's connection budget. Without credentials the
// server is local: loopback clients, a loopback Host, no cross-site
// requests but from the origins Config.AllowOrigins names.
//
// Browsers are clients too (httpapi.CORS): the API routes, the clip URLs
// and the session resources answer preflights from their headers alone
// (no signature check, no store read) and tell a page of another origin
// that it may read their answers: any origin on a server with
// credentials, whose requests carry their own, unless AllowOrigins names
// some; only those named in local mode.
//
// GetImages (package images) finds, for each sample time, the key frame
// at or before it from the fragment indexes (in the fragment holding the
// time, or in up to images.KeyFrameLookback contiguous ones before it),
// reads that frame alone by a ranged read, and decodes it with the ffmpeg
// program from an Annex-B access unit on a pipe. ffmpeg is looked for when the
// Server is made, and the log says whether GetImages is available; without
// it GetImages and GetDataEndpoint's GET_IMAGES answer InvalidArgument.
// Decodes are bounded in number and time and their images cached
// (images.DefaultMaxDecodes, DefaultDecodeTimeout, DefaultCacheBytes), and
// an answer's images by images.DefaultPageBytes, past which a page ends
// early with a NextToken.
//
// The kinesisvideo operations newer than some SDK models (edge, mapped
// resource, media storage and stream storage configuration) answer what is
// true here, as package control explains: no edge configurations or mapped
// resources, media storage refused with the signaling channels, the
// storage tier kept with the stream.
//
// The web page at / (web/, embedded) lists the streams, plays and
// downloads clips, and plays HLS and DASH sessions: a live view of a
// stream and the playback of a chosen range, asked for with
// Get{HLS,DASH}StreamingSessionURL as any client asks. Browsers offer
// Media Source Extensions rather than these protocols (Safari's HLS
// aside), so the page loads hls.js and dash.js. The libraries are
// fetched, not committed: make deps (and make run) unpack pinned
// versions, checked against their packages' SHA-256, from the npm
// registry into Config.PlayerDir (kvsclip serve --player-dir, by default
// the user's cache directory), and the server serves those files alone
// under /web/player/. Vendoring them would have put 1.3 MB of minified
// third-party code, and its updates, into the repository's history for a
// feature the API does not need; a server without them still serves
// everything else, and its page says what is missing, playing HLS
// natively where the browser can.
package server
