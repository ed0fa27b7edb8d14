package server

import (
	"net/http"
	"regexp"
	"sync"
	"unicode/utf8"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// Tag limits of the service model (TagKey, TagValue, ResourceTags and
// TagKeyList): keys of 1 to 128 characters, values of up to 256, and at
// most 50 tags on a stream.
const (
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	maxStreamTags  = 50
)

// tagChars is the character class the model allows in tag keys and values:
// letters, spaces, digits and _.:/=+-@. Compiled on first use.
var tagChars = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
})

const codeTagsPerResource = "TagsPerResourceExceededLimitException"

func tooManyTags() *httpapi.Error {
	return httpapi.Errorf(kvs.TagsPerResourceExceededLimit, "A stream can have at most %d tags.", maxStreamTags)
}

// checkTagKey validates one tag key against the model.
func checkTagKey(k string) error {
	if n := utf8.RuneCountInString(k); n < 1 || n > maxTagKeyLen || !tagChars().MatchString(k) {
		return httpapi.InvalidArg("Tag key %q must be 1 to %d letters, digits, spaces or _.:/=+-@.", k, maxTagKeyLen)
	}
	return nil
}

// checkTags validates a ResourceTags map: 1 to 50 entries (or none when
// optional), each key and value as the model constrains them.
func checkTags(tags map[string]string, required bool) error {
	if len(tags) == 0 && required {
		return httpapi.InvalidArg("Tags must hold at least one tag.")
	}
	if len(tags) > maxStreamTags {
		return tooManyTags()
	}
	for k, v := range tags {
		if err := checkTagKey(k); err != nil {
			return err
		}
		if utf8.RuneCountInString(v) > maxTagValueLen || !tagChars().MatchString(v) {
			return httpapi.InvalidArg("The value of tag %q must be up to %d letters, digits, spaces or _.:/=+-@.", k, maxTagValueLen)
		}
	}
	return nil
}

// tagStream adds tags to a stream, replacing the values of keys it has.
func (s *Server) tagStream(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN *string
		Tags                  map[string]string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if err := checkTags(in.Tags, true); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if err := s.addTags(r, st.Name, in.Tags); err != nil {
		return err
	}
	rq.Log.Info("stream tagged", "stream", st.Name, "tags", len(in.Tags))
	httpapi.WriteJSON(w, struct{}{})
	return nil
}

// addTags merges tags into a stream's, within the limit of 50.
func (s *Server) addTags(r *http.Request, stream string, tags map[string]string) error {
	return s.cfg.Store.UpdateStream(r.Context(), stream, func(st *archive.Stream) error {
		merged := make(map[string]string, len(st.Tags)+len(tags))
		for k, v := range st.Tags {
			merged[k] = v
		}
		for k, v := range tags {
			merged[k] = v
		}
		if len(merged) > maxStreamTags {
			return tooManyTags()
		}
		st.Tags = merged
		return nil
	})
}

// untagStream removes tags by key; keys the stream does not have are
// ignored, as KVS does.
func (s *Server) untagStream(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN *string
		TagKeyList            []string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if err := checkTagKeys(in.TagKeyList); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	if err := s.removeTags(r, st.Name, in.TagKeyList); err != nil {
		return err
	}
	rq.Log.Info("stream untagged", "stream", st.Name, "keys", len(in.TagKeyList))
	httpapi.WriteJSON(w, struct{}{})
	return nil
}

// checkTagKeys validates a TagKeyList.
func checkTagKeys(keys []string) error {
	if len(keys) < 1 || len(keys) > maxStreamTags {
		return httpapi.InvalidArg("TagKeyList must hold 1 to %d keys.", maxStreamTags)
	}
	for _, k := range keys {
		if err := checkTagKey(k); err != nil {
			return err
		}
	}
	return nil
}

// removeTags deletes keys from a stream's tags.
func (s *Server) removeTags(r *http.Request, stream string, keys []string) error {
	return s.cfg.Store.UpdateStream(r.Context(), stream, func(st *archive.Stream) error {
		for _, k := range keys {
			delete(st.Tags, k)
		}
		if len(st.Tags) == 0 {
			st.Tags = nil
		}
		return nil
	})
}

// listTagsForStream answers a stream's tags. A stream has at most 50, so
// they always fit one page and no NextToken is returned.
func (s *Server) listTagsForStream(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN, NextToken *string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if err := checkNextToken(in.NextToken); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, map[string]any{"Tags": tagsOf(st)})
	return nil
}

// tagsOf is a stream's tags as the list operations answer them.
func tagsOf(st archive.Stream) map[string]string {
	if st.Tags == nil {
		return map[string]string{}
	}
	return st.Tags
}

// checkNextToken validates a tag listing's NextToken against the model.
func checkNextToken(tok *string) error {
	if t := httpapi.Deref(tok); len(t) > 512 || !nextTokenChars().MatchString(t) {
		return httpapi.InvalidArg("NextToken is not valid.")
	}
	return nil
}

// nextTokenChars is the model's NextToken pattern.
var nextTokenChars = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[a-zA-Z0-9+/=]*$`)
})
