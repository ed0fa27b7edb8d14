package control

import (
	"context"
	"regexp"
	"sync"
	"unicode/utf8"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
)

// A stream's tags, set by name (TagStream, UntagStream, ListTagsForStream)
// or by ARN (TagResource, UntagResource, ListTagsForResource): the same
// tags, with the same limits.

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

// addTags merges tags into a stream's, within the limit of 50, replacing
// the values of keys it has.
func (p *plane) addTags(ctx context.Context, stream string, tags map[string]string) error {
	err := p.Store.UpdateStream(ctx, stream, func(st *archive.Stream) error {
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
	if err == nil {
		httpapi.Log(ctx).Info("stream tagged", "stream", stream, "tags", len(tags))
	}
	return err
}

// removeTags deletes keys from a stream's tags; keys the stream does not
// have are ignored, as KVS does.
func (p *plane) removeTags(ctx context.Context, stream string, keys []string) error {
	err := p.Store.UpdateStream(ctx, stream, func(st *archive.Stream) error {
		for _, k := range keys {
			delete(st.Tags, k)
		}
		if len(st.Tags) == 0 {
			st.Tags = nil
		}
		return nil
	})
	if err == nil {
		httpapi.Log(ctx).Info("stream untagged", "stream", stream, "keys", len(keys))
	}
	return err
}

// tagsOut is the answer of both tag listings. A stream has at most 50
// tags, so they always fit one page and no NextToken is returned.
type tagsOut struct {
	Tags map[string]string
}

// tagsOf is a stream's tags as the list operations answer them.
func tagsOf(st archive.Stream) *tagsOut {
	if st.Tags == nil {
		return &tagsOut{Tags: map[string]string{}}
	}
	return &tagsOut{Tags: st.Tags}
}

type tagStreamIn struct {
	streamRef
	Tags map[string]string
}

func (in *tagStreamIn) Validate() error { return checkTags(in.Tags, true) }

func (p *plane) tagStream(ctx context.Context, in *tagStreamIn) (*noOutput, error) {
	st, err := p.resolve(ctx, in.streamRef)
	if err != nil {
		return nil, err
	}
	return nil, p.addTags(ctx, st.Name, in.Tags)
}

type untagStreamIn struct {
	streamRef
	TagKeyList []string
}

func (in *untagStreamIn) Validate() error { return checkTagKeys(in.TagKeyList) }

func (p *plane) untagStream(ctx context.Context, in *untagStreamIn) (*noOutput, error) {
	st, err := p.resolve(ctx, in.streamRef)
	if err != nil {
		return nil, err
	}
	return nil, p.removeTags(ctx, st.Name, in.TagKeyList)
}

type listTagsForStreamIn struct {
	streamRef
	NextToken *string
}

func (in *listTagsForStreamIn) Validate() error { return checkNextToken(in.NextToken) }

func (p *plane) listTagsForStream(ctx context.Context, in *listTagsForStreamIn) (*tagsOut, error) {
	st, err := p.resolve(ctx, in.streamRef)
	if err != nil {
		return nil, err
	}
	return tagsOf(st), nil
}

// channelARN is a signaling channel's ARN, which the resource operations
// may name and which cannot exist here.
var channelARN = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:channel/[a-zA-Z0-9_.-]+/[0-9]+$`)
})

// checkResourceARN validates the ResourceARN of the resource operations.
func checkResourceARN(arn *string) error {
	if arn == nil || *arn == "" || len(*arn) > 1024 {
		return httpapi.InvalidArg("ResourceARN is required (1 to 1024 characters).")
	}
	return nil
}

// resourceStream resolves a valid ResourceARN: a stream's, or a signaling
// channel's, which cannot exist here.
func (p *plane) resourceStream(ctx context.Context, arn *string) (archive.Stream, error) {
	if channelARN().MatchString(*arn) {
		return archive.Stream{}, httpapi.Errorf(kvs.ResourceNotFound, "No signaling channel %s: kvsclip has none.", *arn)
	}
	return p.Streams.Resolve(ctx, nil, arn)
}

type tagResourceIn struct {
	ResourceARN *string
	Tags        []tag
}

// tag is the model's Tag: TagResource takes a list of them, not a map.
type tag struct{ Key, Value *string }

func (in *tagResourceIn) Validate() error {
	if len(in.Tags) < 1 || len(in.Tags) > maxStreamTags {
		return httpapi.InvalidArg("Tags must hold 1 to %d tags.", maxStreamTags)
	}
	for _, t := range in.Tags {
		if t.Key == nil || t.Value == nil {
			return httpapi.InvalidArg("Every tag needs a Key and a Value.")
		}
	}
	if err := checkTags(in.tagMap(), true); err != nil {
		return err
	}
	return checkResourceARN(in.ResourceARN)
}

// tagMap is the tags as TagStream takes them; a key given twice keeps its
// last value.
func (in *tagResourceIn) tagMap() map[string]string {
	tags := make(map[string]string, len(in.Tags))
	for _, t := range in.Tags {
		tags[*t.Key] = *t.Value
	}
	return tags
}

func (p *plane) tagResource(ctx context.Context, in *tagResourceIn) (*noOutput, error) {
	st, err := p.resourceStream(ctx, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return nil, p.addTags(ctx, st.Name, in.tagMap())
}

type untagResourceIn struct {
	ResourceARN *string
	TagKeyList  []string
}

func (in *untagResourceIn) Validate() error {
	if err := checkTagKeys(in.TagKeyList); err != nil {
		return err
	}
	return checkResourceARN(in.ResourceARN)
}

func (p *plane) untagResource(ctx context.Context, in *untagResourceIn) (*noOutput, error) {
	st, err := p.resourceStream(ctx, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return nil, p.removeTags(ctx, st.Name, in.TagKeyList)
}

type listTagsForResourceIn struct {
	ResourceARN, NextToken *string
}

func (in *listTagsForResourceIn) Validate() error {
	if err := checkNextToken(in.NextToken); err != nil {
		return err
	}
	return checkResourceARN(in.ResourceARN)
}

func (p *plane) listTagsForResource(ctx context.Context, in *listTagsForResourceIn) (*tagsOut, error) {
	st, err := p.resourceStream(ctx, in.ResourceARN)
	if err != nil {
		return nil, err
	}
	return tagsOf(st), nil
}
