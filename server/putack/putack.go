// Package putack is the vocabulary of PutMedia's answer: the acknowledgement
// events, one JSON line each, and the ids and codes of its ERROR acks (spec
// §4.2). The server's ingest writes them and the PutMedia client reads
// them; they live apart from both so that the client does not import the
// server side, nor the server an HTTP client and its AWS signer.
package putack

// Ack is one PutMedia acknowledgement event, written as one JSON line.
type Ack struct {
	EventType        string `json:"EventType"`
	FragmentTimecode *int64 `json:"FragmentTimecode,omitempty"`
	FragmentNumber   string `json:"FragmentNumber,omitempty"`
	ErrorID          int    `json:"ErrorId,omitempty"`
	ErrorCode        string `json:"ErrorCode,omitempty"`
}

// The ack event types of PutMedia (spec §4.2).
const (
	Buffering = "BUFFERING"
	Received  = "RECEIVED"
	Persisted = "PERSISTED"
	Error     = "ERROR"
	Idle      = "IDLE"
)

// Failure is an ERROR ack's id and code (spec §4.2).
type Failure struct {
	ID   int
	Code string
}

// The ERROR acks the server sends.
var (
	ReadError         = Failure{4000, "STREAM_READ_ERROR"}
	FragmentTooLarge  = Failure{4001, "MAX_FRAGMENT_SIZE_REACHED"}
	FragmentTooLong   = Failure{4002, "MAX_FRAGMENT_DURATION_REACHED"}
	SessionTooLong    = Failure{4003, "MAX_CONNECTION_DURATION_REACHED"}
	TimecodeDecreased = Failure{4004, "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"}
	InvalidMKV        = Failure{4006, "INVALID_MKV_DATA"}
	BadProducerTime   = Failure{4007, "INVALID_PRODUCER_TIMESTAMP"}
	StreamDeleted     = Failure{4008, "STREAM_NOT_ACTIVE"}
	UnknownTrack      = Failure{4010, "TRACK_NUMBER_MISMATCH"}
	NoFrames          = Failure{4011, "FRAMES_MISSING_FOR_TRACK"}
	PersistFailed     = Failure{5001, "ARCHIVAL_ERROR"}
)
