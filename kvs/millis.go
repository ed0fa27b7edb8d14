package kvs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Millis is a KVS timestamp: milliseconds since the Unix epoch, the
// precision of every KVS timestamp. It prints, and encodes in JSON, as a
// number of seconds with three decimals (1511852108.513), as KVS writes
// timestamps; nothing on the way goes through binary floating point, so
// .513 stays 513 ms.
type Millis int64

// maxEpochSeconds is the largest epoch time ParseMillis accepts, the last
// second of year 9999: what RFC 3339 can write, and far from overflowing
// int64 once in milliseconds.
const maxEpochSeconds = 253402300799

// String writes the timestamp as seconds with three decimals.
func (m Millis) String() string {
	return string(m.appendText(nil))
}

// appendText appends what String returns to b.
func (m Millis) appendText(b []byte) []byte {
	ms := int64(m)
	if ms < 0 {
		b = append(b, '-')
		ms = -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	frac := ms % 1000
	return append(b, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// Time is the timestamp as a time.Time.
func (m Millis) Time() time.Time { return time.UnixMilli(int64(m)) }

// MillisOf is the timestamp of t, truncated to the millisecond.
func MillisOf(t time.Time) Millis { return Millis(t.UnixMilli()) }

// MarshalJSON writes the seconds as a JSON number, such as 1511852108.513.
func (m Millis) MarshalJSON() ([]byte, error) { return m.appendText(nil), nil }

// UnmarshalJSON reads a JSON number of seconds. Up to three decimals are
// read exactly; a number in another form (an exponent, more decimals) is
// rounded to the nearest millisecond.
func (m *Millis) UnmarshalJSON(b []byte) error {
	if v, ok, err := parseEpoch(string(b), true); ok {
		if err != nil {
			return err
		}
		*m = v
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("kvs: timestamp %q is not a number of seconds", b)
	}
	ms := f * 1000
	if ms > maxEpochSeconds*1000 || ms < -maxEpochSeconds*1000 {
		return fmt.Errorf("kvs: timestamp %q is out of range", b)
	}
	if ms < 0 {
		ms -= 0.5
	} else {
		ms += 0.5
	}
	*m = Millis(int64(ms))
	return nil
}

// ErrTimestamp is the cause of every error of ParseMillis.
var ErrTimestamp = errors.New("not a timestamp")

// ParseMillis reads a timestamp as a person types it, on the command line
// or in a URL: RFC 3339 (1511852108.513 is 2017-11-28T06:55:08.513Z), or
// epoch seconds with up to three decimals, read as decimal digits (.5 is
// 500 ms, and -0.5 is 500 ms before the epoch). A time more precise than a
// millisecond is refused, not rounded: KVS timestamps are whole
// milliseconds, and rounding a range's bound either way would move
// fragments in or out of it.
//
// The producer header x-amzn-producer-start-timestamp is not a typed time:
// its C producer writes milliseconds without zero padding, which the
// service reads on its own.
func ParseMillis(s string) (Millis, error) {
	if v, ok, err := parseEpoch(s, false); ok {
		return v, err
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither RFC 3339 nor epoch seconds: %w", s, ErrTimestamp)
	}
	if t.Nanosecond()%1e6 != 0 {
		return 0, fmt.Errorf("%q is more precise than a millisecond: %w", s, ErrTimestamp)
	}
	if y := t.Year(); y < 0 || y > 9999 {
		return 0, fmt.Errorf("%q is out of range: %w", s, ErrTimestamp)
	}
	return MillisOf(t), nil
}

// parseEpoch parses [-]digits[.digits]; ok is false when s does not have
// that shape. With json, digits past the third decimal are not an error
// but make ok false, so the caller rounds.
func parseEpoch(s string, json bool) (ms Millis, ok bool, err error) {
	body, neg := strings.CutPrefix(s, "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if intPart == "" || !digits(intPart) || !digits(frac) || hasDot && frac == "" {
		return 0, false, nil
	}
	if strings.TrimRight(frac[min(len(frac), 3):], "0") != "" {
		if json {
			return 0, false, nil
		}
		return 0, true, fmt.Errorf("%q is more precise than a millisecond: %w", s, ErrTimestamp)
	}
	sec, err := strconv.ParseInt(intPart, 10, 64)
	if err != nil || sec > maxEpochSeconds {
		return 0, true, fmt.Errorf("%q is out of range: %w", s, ErrTimestamp)
	}
	milli, _ := strconv.ParseInt((frac + "000")[:3], 10, 64)
	v := sec*1000 + milli
	if neg {
		v = -v
	}
	return Millis(v), true, nil
}

func digits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}
