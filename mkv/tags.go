package mkv

import (
	"strconv"

	"github.com/kvsclip/kvsclip/kvs"
)

// maxTagValueSize bounds one SimpleTag's name and value: KVS allows 128-byte
// names and 256-byte values for fragment metadata; encoder statistics tags
// are shorter still.
const maxTagValueSize = 64 << 10

// parseTags reads a Tags element body into t. KVS writes its SimpleTags in
// one Tag with no Targets; producers add Tags with Targets; both are read
// alike, and nested SimpleTags are ignored.
func parseTags(t *Tags, body []byte, off int64) error {
	count := len(t.Other)
	return children(body, off, "Tags", func(id uint32, data []byte, off int64) error {
		if id != idTag {
			return nil
		}
		return children(data, off, "Tag", func(id uint32, data []byte, off int64) error {
			if id != idSimpleTag {
				return nil
			}
			count++
			if count > MaxSimpleTags {
				return newError(off, "Tags", ErrTooLarge, "more than %d SimpleTags", MaxSimpleTags)
			}
			var name, value []byte
			err := children(data, off, "SimpleTag", func(id uint32, data []byte, _ int64) error {
				switch id {
				case idTagName:
					name = data
				case idTagString:
					value = data
				}
				return nil
			})
			if err != nil {
				return err
			}
			if len(name) > maxTagValueSize || len(value) > maxTagValueSize {
				return newError(off, "SimpleTag", ErrTooLarge, "tag longer than %d bytes", maxTagValueSize)
			}
			return t.set(readString(name), readString(value), off)
		})
	})
}

// set records one tag; AWS tags are checked against their formats (spec §4.4).
func (t *Tags) set(name, value string, off int64) error {
	var err error
	switch name {
	case TagFragmentNumber:
		if !kvs.ValidFragmentNumber(value) {
			return newError(off, name, ErrBadTag, "%q is not a decimal fragment number", value)
		}
		t.FragmentNumber = value
	case TagProducerTimestamp:
		t.ProducerTimestamp, err = parseMillis(value)
		t.HasProducerTimestamp = err == nil
	case TagServerTimestamp:
		t.ServerTimestamp, err = parseMillis(value)
		t.HasServerTimestamp = err == nil
	case TagMillisBehindNow:
		t.MillisBehindNow, err = strconv.ParseInt(value, 10, 64)
		t.HasMillisBehindNow = err == nil
	case TagContinuationToken:
		t.ContinuationToken = value
	case TagEndOfFragment:
		t.EndOfFragment = true
	case TagErrorCode, TagExceptionErrorCode:
		t.ErrorCode = value
	case TagErrorID:
		t.ErrorID, err = strconv.ParseInt(value, 10, 64)
	default:
		t.Other = append(t.Other, SimpleTag{Name: name, Value: value})
	}
	if err != nil {
		return newError(off, name, ErrBadTag, "%q", value)
	}
	return nil
}

// startsFragment reports whether t holds the tags KVS writes before a
// fragment's Cluster: seen after a Cluster, they open the next fragment.
func (t *Tags) startsFragment() bool {
	return t.FragmentNumber != "" || t.HasProducerTimestamp || t.HasServerTimestamp
}

// merge adds the tags of u to t (u's values win).
func (t *Tags) merge(u *Tags) {
	if u.FragmentNumber != "" {
		t.FragmentNumber = u.FragmentNumber
	}
	if u.HasProducerTimestamp {
		t.ProducerTimestamp, t.HasProducerTimestamp = u.ProducerTimestamp, true
	}
	if u.HasServerTimestamp {
		t.ServerTimestamp, t.HasServerTimestamp = u.ServerTimestamp, true
	}
	if u.HasMillisBehindNow {
		t.MillisBehindNow, t.HasMillisBehindNow = u.MillisBehindNow, true
	}
	if u.ContinuationToken != "" {
		t.ContinuationToken = u.ContinuationToken
	}
	t.EndOfFragment = t.EndOfFragment || u.EndOfFragment
	if u.ErrorCode != "" {
		t.ErrorCode = u.ErrorCode
	}
	if u.ErrorID != 0 {
		t.ErrorID = u.ErrorID
	}
	t.Other = append(t.Other, u.Other...)
}

// maxMillis is the last millisecond of the year 9999: a later timestamp is
// not a clock reading, and the bound keeps sums of timestamps far from
// int64 overflow.
const maxMillis = 253402300799999

// parseMillis parses epoch seconds written with up to 9 decimals
// ("1511852108.513", "0.000", "5") into milliseconds, truncating below a
// millisecond. Exactness matters: the value is compared with request bounds,
// so it is parsed as decimal digits, never through a float.
func parseMillis(s string) (int64, error) {
	intPart, frac := s, ""
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			intPart, frac = s[:i], s[i+1:]
			break
		}
	}
	if intPart == "" || len(intPart) > 15 || len(frac) > 9 {
		return 0, strconv.ErrSyntax
	}
	var ms int64
	for i := 0; i < len(intPart); i++ {
		c := intPart[i]
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		ms = ms*10 + int64(c-'0')
	}
	ms *= 1000
	scale := int64(100)
	for i := 0; i < len(frac); i++ {
		c := frac[i]
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		ms += int64(c-'0') * scale
		scale /= 10
	}
	if ms > maxMillis {
		return 0, strconv.ErrRange
	}
	return ms, nil
}
