// Package archive stores KVS fragments and answers the time-range questions
// of the archived-media API without reading a fragment's bytes.
//
// A Store keeps streams (name, ARN, retention, version) and, per stream, the
// fragments PutMedia accepted: each one a self-contained GetMedia-layout
// Matroska document with the AWS tags, as GetMediaForFragmentList returns it.
//
// Every fragment is stored with its sample index (package fragindex), so
// that a clip can be planned from indexes and then read as byte ranges of
// the documents (Store.Index, Store.ReadAt).
//
// FS is the embedded implementation on a local filesystem. Its layout makes
// the directory listing the index, so there is nothing to repair after a
// crash:
//
//	<root>/streams/<name>/stream.json        stream metadata, replaced atomically
//	<root>/streams/<name>/frags/<number>_<producer ms>_<server ms>_<bytes>_<duration ms>.mkv
//	<root>/streams/<name>/frags/<number>.idx  the fragment's sample index
//	<root>/streams/<name>/tmp/               fragments and indexes being written
//	<root>/trash/                             deleted streams, removed at start
//
// A fragment and its index are written under tmp/ and synced; the index is
// renamed into frags/ and the directory synced; then the fragment, and the
// directory synced again, before Put returns. A crash leaves at most files
// in tmp/, or an index whose fragment never arrived, both of which Open
// removes. Every .mkv file in frags/ is therefore whole and has its index,
// and every fragment whose Put returned is in frags/. Open rebuilds the
// in-memory index from the file names alone.
package archive
