package kvs

import (
	"fmt"
	"strings"
)

// MaxStreamNameLength is the longest StreamName KVS accepts.
const MaxStreamNameLength = 256

// ValidStreamName reports whether name is a KVS stream name — KVS's pattern
// [a-zA-Z0-9_.-]{1,256} — that is also safe as a directory name: the pattern
// allows "." and "..", which would name the streams directory or its
// parent. The character class is short enough to spell out as a loop over
// the bytes, which also keeps the length check apart from the class
// (TestValidStreamName holds it to the pattern).
func ValidStreamName(name string) bool {
	if len(name) == 0 || len(name) > MaxStreamNameLength || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !nameByte(name[i]) {
			return false
		}
	}
	return true
}

func nameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-'
}

// StreamARN is a stream's ARN in KVS's form: region, account, name, and the
// stream's creation time in milliseconds, which makes the ARN of a stream
// created again under the same name a different one.
func StreamARN(region, account, name string, createdMillis int64) string {
	return fmt.Sprintf("arn:aws:kinesisvideo:%s:%s:stream/%s/%d", region, account, name, createdMillis)
}

// StreamNameOfARN returns the stream name an ARN of StreamARN's form names,
// with any partition, region and account; ok is false for anything else.
// It checks the shape only: whether that stream exists, and has that ARN,
// is the store's to say.
func StreamNameOfARN(arn string) (name string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesisvideo" ||
		!arnWord(parts[1], true) || !arnWord(parts[3], true) || !arnWord(parts[4], false) {
		return "", false
	}
	rest, found := strings.CutPrefix(parts[5], "stream/")
	if !found {
		return "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", false
	}
	name, created := rest[:i], rest[i+1:]
	if !ValidStreamName(name) || created == "" || !digits(created) {
		return "", false
	}
	return name, true
}

// arnWord checks an ARN's partition or region ([a-z0-9-]+, letters allowed)
// or its account ([0-9]+).
func arnWord(s string, letters bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || letters && ('a' <= c && c <= 'z' || c == '-')) {
			return false
		}
	}
	return true
}
