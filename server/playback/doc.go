// Package playback is the protocol side of KVS playback sessions: the
// session token a GetHLSStreamingSessionURL or GetDASHStreamingSessionURL
// call hands out, and the HLS playlists (RFC 8216) and the DASH manifest
// made from a list of fragments. The segments themselves come from the
// remux engine (remux.Segments), which writes them on the session's
// timeline.
//
// It knows nothing of HTTP routing, storage or the remux engine: the server
// lists and plans fragments and calls this package to describe them.
package playback
