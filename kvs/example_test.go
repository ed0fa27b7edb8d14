package kvs_test

import (
	"fmt"

	"github.com/kvsclip/kvsclip/kvs"
)

// A timestamp typed as epoch seconds or RFC 3339 is the same millisecond,
// and prints as KVS writes timestamps.
func ExampleParseMillis() {
	a, _ := kvs.ParseMillis("1511852108.5")
	b, _ := kvs.ParseMillis("2017-11-28T06:55:08.500Z")
	fmt.Println(a, a == b)
	// Output: 1511852108.500 true
}
