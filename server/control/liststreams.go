package control

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/kvsclip/kvsclip/server/httpapi"
)

// ListStreams' token and prefix.
var (
	fieldStreamsToken = httpapi.Field{Name: "NextToken", Min: 0, Max: 512, Pattern: "[a-zA-Z0-9+/=]*", OK: httpapi.IsBase64Chars}
	fieldNamePrefix   = httpapi.Field{Name: "ComparisonValue", Min: 1, Max: 256, Pattern: "[a-zA-Z0-9_.-]+", OK: httpapi.IsNameChars}
)

// maxStreamsPerPage is ListStreams' largest MaxResults, and its default.
const maxStreamsPerPage = 10000

type listStreamsIn struct {
	MaxResults          *int32
	NextToken           *string
	StreamNameCondition *streamNameCondition
}

// streamNameCondition is ListStreams' filter: names that begin with a
// prefix, the one comparison the model has.
type streamNameCondition struct {
	ComparisonOperator string
	ComparisonValue    *string
}

func (in *listStreamsIn) Validate() error {
	if limit := httpapi.Deref(in.MaxResults); in.MaxResults != nil && (limit < 1 || limit > maxStreamsPerPage) {
		return httpapi.InvalidArg("MaxResults must be between 1 and %d.", maxStreamsPerPage)
	}
	if err := fieldStreamsToken.Check(in.NextToken); err != nil {
		return err
	}
	if c := in.StreamNameCondition; c != nil {
		if c.ComparisonOperator != "" && c.ComparisonOperator != "BEGINS_WITH" {
			return httpapi.InvalidArg("ComparisonOperator must be BEGINS_WITH.")
		}
		return fieldNamePrefix.Check(c.ComparisonValue)
	}
	return nil
}

type listStreamsOut struct {
	StreamInfoList []streamInfo
	NextToken      *string `json:",omitempty"`
}

func (p *plane) listStreams(ctx context.Context, in *listStreamsIn) (*listStreamsOut, error) {
	limit := int(httpapi.Deref(in.MaxResults))
	if limit == 0 {
		limit = maxStreamsPerPage
	}
	var prefix *string
	if c := in.StreamNameCondition; c != nil {
		prefix = c.ComparisonValue
	}
	// The token is the last name of the previous page: names are unique
	// and listed sorted, so paging is stable under creates and deletes.
	after := ""
	if in.NextToken != nil {
		raw, err := base64.StdEncoding.DecodeString(*in.NextToken)
		if err != nil || len(raw) == 0 {
			return nil, httpapi.InvalidArg("NextToken is not valid.")
		}
		after = string(raw)
	}
	all, err := p.Store.Streams(ctx)
	if err != nil {
		return nil, err
	}
	out := &listStreamsOut{StreamInfoList: []streamInfo{}}
	for _, st := range all {
		if st.Name <= after || !hasPrefix(st.Name, prefix) {
			continue
		}
		if len(out.StreamInfoList) == limit {
			tok := base64.StdEncoding.EncodeToString([]byte(out.StreamInfoList[limit-1].StreamName))
			out.NextToken = &tok
			break
		}
		out.StreamInfoList = append(out.StreamInfoList, infoOf(st))
	}
	return out, nil
}

// hasPrefix reports whether a stream name matches ListStreams' condition.
func hasPrefix(name string, prefix *string) bool {
	return prefix == nil || strings.HasPrefix(name, *prefix)
}
