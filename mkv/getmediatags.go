package mkv

// AppendGetMediaTags appends to b the Tags element that GetMedia adds after
// a fragment's Cluster: AWS_KINESISVIDEO_MILLIS_BEHIND_NOW,
// _CONTINUATION_TOKEN, _ERROR_CODE and _ERROR_ID, those of t that are set,
// with the bytes WriteFragment writes for them in LayoutGetMedia. It
// appends nothing when none is set.
//
// A document that WriteFragment wrote in LayoutGetMedia without these tags
// ends inside its unknown-size Segment, with this element last, so
// appending the element to the stored document gives the document written
// with the tags: a server can stream a stored document by ranges and add
// the per-consumer tags after it, without parsing or holding it.
func AppendGetMediaTags(b []byte, t *Tags) []byte {
	if !t.HasMillisBehindNow && t.ContinuationToken == "" && t.ErrorCode == "" && t.ErrorID == 0 {
		return b
	}
	tags, tag := beginTags(&b)
	if t.HasMillisBehindNow {
		b = appendIntTag(b, TagMillisBehindNow, t.MillisBehindNow)
	}
	if t.ContinuationToken != "" {
		b = appendSimpleTag(b, TagContinuationToken, t.ContinuationToken)
	}
	if t.ErrorCode != "" {
		b = appendSimpleTag(b, TagErrorCode, t.ErrorCode)
	}
	if t.ErrorID != 0 {
		b = appendIntTag(b, TagErrorID, t.ErrorID)
	}
	endTags(b, tags, tag)
	return b
}
