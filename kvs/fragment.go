package kvs

// MaxFragmentNumberLength is the longest fragment number the KVS API
// accepts (the service model's FragmentNumberString: 1 to 128 digits).
const MaxFragmentNumberLength = 128

// ValidFragmentNumber reports whether s is a KVS fragment number: 1 to 128
// decimal digits.
func ValidFragmentNumber(s string) bool {
	return len(s) > 0 && len(s) <= MaxFragmentNumberLength && digits(s)
}

// CompareFragmentNumbers compares two fragment numbers as the non-negative
// integers they denote and returns -1, 0 or +1: KVS numbers grow along a
// stream, but are too long for any integer type. Both must be decimal
// digit strings (ValidFragmentNumber); leading zeros are ignored.
func CompareFragmentNumbers(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func trimZeros(s string) string {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	return s
}

// Fragment is a fragment's metadata: what ListFragments reports of it, what
// a clip's selection (package dedup) and a session's playlist need of it,
// and what an archive keeps beside its bytes. Every package that speaks of
// fragments uses this one type, so none converts between its own copies.
type Fragment struct {
	// Number is the KVS fragment number, a string of decimal digits;
	// empty when the fragment has none (a producer-side file). Numbers of
	// one stream grow with ingestion order.
	Number string
	// ProducerMillis and ServerMillis are the fragment's start timestamps
	// in ms since the Unix epoch.
	ProducerMillis int64
	ServerMillis   int64
	// Size is the fragment's document length in bytes (FragmentSizeInBytes).
	Size int64
	// DurationMillis is the fragment's playback length
	// (FragmentLengthInMilliseconds).
	DurationMillis int64
	// NoProducerTimestamp and NoServerTimestamp tell that the fragment
	// lacks that timestamp, as a producer-side file read by kvsclip clip
	// may. A stored fragment always has both, so the zero value fits it.
	NoProducerTimestamp, NoServerTimestamp bool
}

// HasProducerTimestamp reports whether ProducerMillis holds a timestamp.
func (f *Fragment) HasProducerTimestamp() bool { return !f.NoProducerTimestamp }

// HasServerTimestamp reports whether ServerMillis holds a timestamp.
func (f *Fragment) HasServerTimestamp() bool { return !f.NoServerTimestamp }
