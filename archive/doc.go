// Package archive stores KVS fragments and answers the time-range questions
// of the archived-media API without reading a fragment's bytes.
//
// A Store keeps streams (name, ARN, retention, version) and, per stream, the
// fragments PutMedia accepted: each one a self-contained GetMedia-layout
// Matroska document with the AWS tags, as GetMediaForFragmentList returns it.
//
// FS is the embedded implementation on a local filesystem. Its layout makes
// the directory listing the index, so there is nothing to repair after a
// crash:
//
//	<root>/streams/<name>/stream.json        stream metadata, replaced atomically
//	<root>/streams/<name>/frags/<number>_<producer ms>_<server ms>_<bytes>_<duration ms>.mkv
//	<root>/streams/<name>/tmp/               fragments being written
//	<root>/trash/                             deleted streams, removed at start
//
// A fragment is written under tmp/, synced, renamed into frags/ and the
// directory synced before Put returns; a crash leaves at most a file in tmp/,
// which Open removes. Every file in frags/ is therefore whole, and every
// fragment whose Put returned is in frags/. Open rebuilds the in-memory index
// from the file names alone.
package archive
