package server

import (
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// The fields the handlers check beyond StreamName, which kvs owns.
var (
	// ListFragments' token.
	fieldFragmentsToken = httpapi.Field{Name: "NextToken", Min: 1, Max: 4096, Pattern: "[a-zA-Z0-9+/]+={0,2}", OK: httpapi.IsBase64Chars}
)
