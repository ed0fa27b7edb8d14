package mkv

// Limits on what the Reader accepts. Each bounds the memory or work one
// element of hostile input can cost; each is far above what a real KVS
// stream holds.
const (
	// MaxFragmentSize bounds one fragment (a GetMedia document, or a
	// Cluster with its Tags). KVS refuses fragments over 50 MB at ingestion
	// (PutMedia ErrorId 4001); the margin covers the header and tags.
	MaxFragmentSize = 64 << 20

	// MaxHeaderElementSize bounds Info, Tracks, Tags and the other
	// non-Cluster elements the Reader parses. A Tracks element is a few
	// hundred bytes plus CodecPrivate (parameter sets: kilobytes); KVS caps
	// fragment metadata at 10 tags of 384 bytes.
	MaxHeaderElementSize = 1 << 20

	// MaxTracks bounds the tracks of one header. The producer SDK allows at
	// most 3 tracks per stream; GetClip uses 2.
	MaxTracks = 16

	// MaxFramesPerFragment bounds the frames (after unlacing) of one
	// fragment: KVS fragments last at most 10 s, and even 240 fps video with
	// 48 kHz audio in 256-sample frames is under 4,500 frames in 10 s.
	MaxFramesPerFragment = 1 << 16

	// MaxSimpleTags bounds the SimpleTags of one fragment: KVS adds 5 and
	// producers may add 10 metadata items; encoders add a few statistics
	// tags per track.
	MaxSimpleTags = 256

	// maxTrackNumber bounds track numbers read from block headers and
	// Tracks. Matroska allows 8-byte varints; no producer needs more than
	// a few tracks, and a small bound keeps lookups cheap.
	maxTrackNumber = 1 << 16

	// MaxTimecodeScale is one second per timecode unit, the coarsest the
	// producer SDK accepts. The finest is 1 ns: a TimecodeScale of 0 is
	// refused.
	MaxTimecodeScale = 1_000_000_000
)
