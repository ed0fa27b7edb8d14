package kvs

// Selector names which of a fragment's two timestamps a range applies to,
// spelled as the API's FragmentSelectorType and ClipFragmentSelectorType
// spell it.
type Selector string

// The two timestamps of a fragment.
const (
	// ProducerTimestamp is the time the producer stamped on the fragment
	// (AWS_KINESISVIDEO_PRODUCER_TIMESTAMP).
	ProducerTimestamp Selector = "PRODUCER_TIMESTAMP"
	// ServerTimestamp is the time KVS received the fragment's first byte
	// (AWS_KINESISVIDEO_SERVER_TIMESTAMP).
	ServerTimestamp Selector = "SERVER_TIMESTAMP"
)

// Valid reports whether s is one of the two selectors.
func (s Selector) Valid() bool { return s == ProducerTimestamp || s == ServerTimestamp }
