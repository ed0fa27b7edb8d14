package httpapi

import "strings"

// Field is one string field's constraints as the service model states
// them: a length range and a pattern. The patterns are loops over the
// bytes, not regular expressions, as kvs.ValidStreamName explains.
type Field struct {
	// Name is the field's name in the model, which the error names.
	Name     string
	Min, Max int
	// Pattern says in words what OK checks, for the error.
	Pattern string
	// OK checks the pattern; nil accepts any value of a valid length.
	OK func(string) bool
}

// Check returns InvalidArgument naming the field when v is given and out
// of its constraints. The value is not echoed: it may be megabytes.
func (f Field) Check(v *string) error {
	if v == nil {
		return nil
	}
	if n := len(*v); n < f.Min || n > f.Max {
		return InvalidArg("%s must be %d to %d characters long, not %d.", f.Name, f.Min, f.Max, n)
	}
	if f.OK != nil && !f.OK(*v) {
		return InvalidArg("%s does not match %s.", f.Name, f.Pattern)
	}
	return nil
}

// FieldValue pairs a field with the value a request gave it.
type FieldValue struct {
	F Field
	V *string
}

// CheckFields checks each field against its value, first failure first.
func CheckFields(pairs ...FieldValue) error {
	for _, p := range pairs {
		if err := p.F.Check(p.V); err != nil {
			return err
		}
	}
	return nil
}

// The fields more than one surface checks. Each surface declares its own
// beside its handlers.
var (
	// FieldStreamARN is StreamARN's rule; its shape is kvs.StreamNameOfARN's.
	FieldStreamARN = Field{Name: "StreamARN", Min: 1, Max: 1024, Pattern: "a Kinesis Video stream ARN"}
	// FieldPageToken is the NextToken of the archived-media pages
	// (ListFragments, GetImages).
	FieldPageToken = Field{Name: "NextToken", Min: 1, Max: 4096, Pattern: "[a-zA-Z0-9+/]+={0,2}", OK: IsBase64Chars}
)

// IsNameChars reports whether s is made of the characters of KVS names
// ([a-zA-Z0-9_.-]+).
func IsNameChars(s string) bool {
	return s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == ""
}

// IsAlnum reports whether s is made of letters and digits.
func IsAlnum(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == ""
}

// IsBase64Chars reports whether s is made of the characters of base64.
func IsBase64Chars(s string) bool {
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=") == ""
}

// Deref returns *p, or T's zero value for nil: the inputs' optional fields
// are pointers, so that a field given empty and one not given differ.
func Deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Of pairs the field with a request's value of it, for CheckFields.
func (f Field) Of(v *string) FieldValue { return FieldValue{F: f, V: v} }
