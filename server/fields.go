package server

import "strings"

// stringField is one string field's constraints as the service model
// states them: a length range and a pattern. The patterns are loops over
// the bytes, not regular expressions, as archive.ValidStreamName explains.
type stringField struct {
	name     string
	min, max int
	// pattern says in words what ok checks, for the error.
	pattern string
	ok      func(string) bool
}

// The fields the handlers check beyond StreamName, which archive owns.
var (
	fieldDeviceName = stringField{"DeviceName", 1, 128, "[a-zA-Z0-9_.-]+", isNameChars}
	fieldMediaType  = stringField{"MediaType", 1, 128, "type/subtype[,type/subtype...] of letters, digits and _.+-", isMediaType}
	fieldKmsKeyID   = stringField{"KmsKeyId", 1, 2048, ".+", nil}
	fieldVersion    = stringField{"CurrentVersion", 1, 64, "[a-zA-Z0-9]+", isAlnum}
	fieldStreamARN  = stringField{"StreamARN", 1, 1024, "a Kinesis Video stream ARN", nil}
	// ListStreams' token and prefix.
	fieldStreamsToken = stringField{"NextToken", 0, 512, "[a-zA-Z0-9+/=]*", isBase64Chars}
	fieldNamePrefix   = stringField{"ComparisonValue", 1, 256, "[a-zA-Z0-9_.-]+", isNameChars}
	// ListFragments' token.
	fieldFragmentsToken = stringField{"NextToken", 1, 4096, "[a-zA-Z0-9+/]+={0,2}", isBase64Chars}
)

// check returns InvalidArgument naming the field when v is given and out
// of its constraints. The value is not echoed: it may be megabytes.
func (f stringField) check(v *string) error {
	if v == nil {
		return nil
	}
	if n := len(*v); n < f.min || n > f.max {
		return invalidArg("%s must be %d to %d characters long, not %d.", f.name, f.min, f.max, n)
	}
	if f.ok != nil && !f.ok(*v) {
		return invalidArg("%s does not match %s.", f.name, f.pattern)
	}
	return nil
}

// checkFields checks each field against its value, first failure first.
func checkFields(pairs ...fieldValue) error {
	for _, p := range pairs {
		if err := p.f.check(p.v); err != nil {
			return err
		}
	}
	return nil
}

type fieldValue struct {
	f stringField
	v *string
}

func isNameChars(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == ""
}

func isAlnum(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}

func isBase64Chars(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=") == ""
}

// isMediaType is the model's [\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*.
func isMediaType(s string) bool {
	const word = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.+"
	for _, mt := range strings.Split(s, ",") {
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok || typ == "" || sub == "" || strings.Trim(typ, word) != "" || strings.Trim(sub, word) != "" {
			return false
		}
	}
	return true
}
