package kvs

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseCases feed TestParseMillis and seed FuzzParseMillis.
var parseCases = []struct {
	in   string
	want Millis
	err  bool
}{
	{in: "1511852108.513", want: 1511852108513},
	{in: "1700000000.5", want: 1700000000500}, // half a second, not 5 ms
	{in: "1700000000.05", want: 1700000000050},
	{in: "1700000000.500000", want: 1700000000500},
	{in: "1700000000", want: 1700000000000},
	{in: "0", want: 0},
	{in: "-0.5", want: -500}, // the sign holds for the fraction too
	{in: "-1.250", want: -1250},
	{in: "2017-11-28T06:55:08.513Z", want: 1511852108513},
	{in: "2017-11-28T07:55:08+01:00", want: 1511852108000},
	{in: "253402300799", want: 253402300799000},
	{in: "253402300800", err: true},
	{in: "1700000000.5001", err: true}, // finer than a millisecond
	{in: "2017-11-28T06:55:08.5131Z", err: true},
	{in: "1700000000.", err: true},
	{in: ".5", err: true},
	{in: "1e9", err: true},
	{in: "+5", err: true},
	{in: "", err: true},
	{in: "yesterday", err: true},
	{in: "99999999999999999999", err: true},
}

func TestParseMillis(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.in, func(t *testing.T) {
			got, err := ParseMillis(c.in)
			if c.err {
				require.ErrorIs(t, err, ErrTimestamp)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			// What prints reads back as itself.
			back, err := ParseMillis(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, back)
		})
	}
}

func TestMillisString(t *testing.T) {
	for _, c := range []struct {
		in   Millis
		want string
	}{
		{1511852108513, "1511852108.513"},
		{1511852108005, "1511852108.005"},
		{0, "0.000"},
		{-500, "-0.500"},
		{-1250, "-1.250"},
		{7, "0.007"},
	} {
		assert.Equal(t, c.want, c.in.String())
		b, err := json.Marshal(c.in)
		require.NoError(t, err)
		assert.Equal(t, c.want, string(b))
	}
}

func TestMillisJSON(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Millis
		err  bool
	}{
		{in: "1511852108.513", want: 1511852108513},
		{in: "1511852108.5135", want: 1511852108514}, // rounded, as a float would be
		{in: "1.5e3", want: 1500000},
		{in: "-0.5", want: -500},
		{in: "\"1\"", err: true},
		{in: "1e300", err: true},
	} {
		var m Millis
		err := json.Unmarshal([]byte(c.in), &m)
		if c.err {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, m, c.in)
	}
	assert.Equal(t, time.Date(2017, 11, 28, 6, 55, 8, 513e6, time.UTC), Millis(1511852108513).Time().UTC())
	assert.Equal(t, Millis(1511852108513), MillisOf(time.Date(2017, 11, 28, 6, 55, 8, 513999999, time.UTC)))
}

func TestFragmentNumbers(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"9", "10", -1},
		{"10", "9", 1},
		{"0010", "10", 0},
		{"91343852333181432392682062607743920146264142459", "91343852333181432392682062607743920146264142460", -1},
		{"0", "00", 0},
	} {
		assert.Equal(t, c.want, CompareFragmentNumbers(c.a, c.b), "%s vs %s", c.a, c.b)
	}
	long := string(make([]byte, MaxFragmentNumberLength+1))
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"1", true}, {"0123", true}, {"", false}, {"12a", false}, {"-1", false}, {long, false},
	} {
		assert.Equal(t, c.want, ValidFragmentNumber(c.in), "%q", c.in)
	}
}

func TestSelector(t *testing.T) {
	assert.True(t, ProducerTimestamp.Valid())
	assert.True(t, ServerTimestamp.Valid())
	assert.False(t, Selector("producer_timestamp").Valid())
}

// FuzzParseMillis: whatever parses prints as a time that parses back to
// the same millisecond, and a JSON number does the same.
func FuzzParseMillis(f *testing.F) {
	for _, c := range parseCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if m, err := ParseMillis(s); err == nil {
			back, err := ParseMillis(m.String())
			require.NoError(t, err)
			require.Equal(t, m, back)
		}
		var m Millis
		if err := json.Unmarshal([]byte(s), &m); err == nil {
			b, err := json.Marshal(m)
			require.NoError(t, err)
			var back Millis
			require.NoError(t, json.Unmarshal(b, &back))
			require.Equal(t, m, back)
		}
	})
}

func BenchmarkParseMillis(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len("1511852108.513")))
	for b.Loop() {
		if _, err := ParseMillis("1511852108.513"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMillisAppendText(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 0, 32)
	b.SetBytes(int64(len("1511852108.513")))
	for b.Loop() {
		buf = Millis(1511852108513).appendText(buf[:0])
	}
}
