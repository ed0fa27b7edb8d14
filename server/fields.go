package server

import (
	"strings"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

// The fields the handlers check beyond StreamName, which archive owns.
var (
	fieldDeviceName = httpapi.Field{Name: "DeviceName", Min: 1, Max: 128, Pattern: "[a-zA-Z0-9_.-]+", OK: httpapi.IsNameChars}
	fieldMediaType  = httpapi.Field{Name: "MediaType", Min: 1, Max: 128, Pattern: "type/subtype[,type/subtype...] of letters, digits and _.+-", OK: isMediaType}
	fieldKmsKeyID   = httpapi.Field{Name: "KmsKeyId", Min: 1, Max: 2048, Pattern: ".+", OK: nil}
	// ListStreams' token and prefix.
	fieldStreamsToken = httpapi.Field{Name: "NextToken", Min: 0, Max: 512, Pattern: "[a-zA-Z0-9+/=]*", OK: httpapi.IsBase64Chars}
	fieldNamePrefix   = httpapi.Field{Name: "ComparisonValue", Min: 1, Max: 256, Pattern: "[a-zA-Z0-9_.-]+", OK: httpapi.IsNameChars}
	// ListFragments' token.
	fieldFragmentsToken = httpapi.Field{Name: "NextToken", Min: 1, Max: 4096, Pattern: "[a-zA-Z0-9+/]+={0,2}", OK: httpapi.IsBase64Chars}
)

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
