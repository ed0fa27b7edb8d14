// Package playback is the protocol side of KVS playback sessions: the
// session token a GetHLSStreamingSessionURL or GetDASHStreamingSessionURL
// call hands out, the HLS playlists (RFC 8216) and the DASH manifest made
// from a list of segments, where their discontinuities fall, and a track's
// codecs parameter (RFC 6381). The segments' bytes come from the remux
// engine (remux.Segments), which writes them on the session's timeline, or
// for MPEG_TS from package playback/ts.
//
// It knows nothing of HTTP routing, storage or the remux engine, so that
// the text a player reads can be tested from values alone: package
// sessions lists and plans the fragments and calls this package to
// describe them.
package playback
