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
