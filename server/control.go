package server

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kvsclip/kvsclip/archive"
	"github.com/kvsclip/kvsclip/kvs"
	"github.com/kvsclip/kvsclip/server/httpapi"
	"github.com/kvsclip/kvsclip/server/images"
	"github.com/kvsclip/kvsclip/server/streamref"
)

// maxRetentionHours is KVS's upper bound: ten years.
const maxRetentionHours = 87600

// streamInfo is DescribeStream's StreamInfo.
type streamInfo struct {
	CreationTime         kvs.Millis `json:"CreationTime"`
	DataRetentionInHours int32      `json:"DataRetentionInHours"`
	DeviceName           string     `json:"DeviceName,omitempty"`
	KmsKeyID             string     `json:"KmsKeyId,omitempty"`
	MediaType            string     `json:"MediaType,omitempty"`
	Status               string     `json:"Status"`
	StreamARN            string     `json:"StreamARN"`
	StreamName           string     `json:"StreamName"`
	Version              string     `json:"Version"`
}

func infoOf(st archive.Stream) streamInfo {
	return streamInfo{
		CreationTime:         kvs.Millis(st.Created.UnixMilli()),
		DataRetentionInHours: st.RetentionHours,
		DeviceName:           st.Device,
		KmsKeyID:             st.KMSKeyID,
		MediaType:            st.MediaType,
		Status:               "ACTIVE",
		StreamARN:            st.ARN,
		StreamName:           st.Name,
		Version:              st.Version,
	}
}

func (s *Server) createStream(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName           *string
		DataRetentionInHours *int32
		DeviceName           *string
		MediaType            *string
		KmsKeyId             *string
		Tags                 map[string]string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	name := httpapi.Deref(in.StreamName)
	if !kvs.ValidStreamName(name) {
		return streamref.InvalidStreamName(name)
	}
	if err := httpapi.CheckFields(fieldDeviceName.Of(in.DeviceName), fieldMediaType.Of(in.MediaType),
		fieldKmsKeyID.Of(in.KmsKeyId)); err != nil {
		return err
	}
	ret := httpapi.Deref(in.DataRetentionInHours)
	if ret < 0 || ret > maxRetentionHours {
		return httpapi.InvalidArg("DataRetentionInHours must be between 0 and %d.", maxRetentionHours)
	}
	if err := checkTags(in.Tags, false); err != nil {
		return err
	}
	created := s.cfg.Now().UTC().Truncate(time.Millisecond)
	st := archive.Stream{
		Name: name, ARN: s.streams.ARN(name, created.UnixMilli()), RetentionHours: ret,
		Created: created, Version: streamref.NewVersion(), MediaType: httpapi.Deref(in.MediaType),
		Device: httpapi.Deref(in.DeviceName), KMSKeyID: httpapi.Deref(in.KmsKeyId), Tags: in.Tags,
	}
	if err := s.cfg.Store.CreateStream(r.Context(), st); err != nil {
		if errors.Is(err, archive.ErrStreamExists) {
			return httpapi.Errorf(kvs.ResourceInUse, "The stream %s already exists.", name)
		}
		return err
	}
	rq.Log.Info("stream created", "stream", name, "retention_hours", ret)
	httpapi.WriteJSON(w, map[string]string{"StreamARN": st.ARN})
	return nil
}

func (s *Server) describeStream(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct{ StreamName, StreamARN *string }
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	st, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, map[string]any{"StreamInfo": infoOf(st)})
	return nil
}

func (s *Server) listStreams(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct {
		MaxResults          *int32
		NextToken           *string
		StreamNameCondition *struct {
			ComparisonOperator string
			ComparisonValue    *string
		}
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	limit := int(httpapi.Deref(in.MaxResults))
	if in.MaxResults != nil && (limit < 1 || limit > 10000) {
		return httpapi.InvalidArg("MaxResults must be between 1 and 10000.")
	}
	if err := fieldStreamsToken.Check(in.NextToken); err != nil {
		return err
	}
	if limit == 0 {
		limit = 10000
	}
	var prefix *string
	if c := in.StreamNameCondition; c != nil {
		if c.ComparisonOperator != "" && c.ComparisonOperator != "BEGINS_WITH" {
			return httpapi.InvalidArg("ComparisonOperator must be BEGINS_WITH.")
		}
		if err := fieldNamePrefix.Check(c.ComparisonValue); err != nil {
			return err
		}
		prefix = c.ComparisonValue
	}
	// The token is the last name of the previous page: names are unique
	// and listed sorted, so paging is stable under creates and deletes.
	after := ""
	if in.NextToken != nil {
		raw, err := base64.StdEncoding.DecodeString(*in.NextToken)
		if err != nil || len(raw) == 0 {
			return httpapi.InvalidArg("NextToken is not valid.")
		}
		after = string(raw)
	}
	all, err := s.cfg.Store.Streams(r.Context())
	if err != nil {
		return err
	}
	out := struct {
		StreamInfoList []streamInfo
		NextToken      *string `json:",omitempty"`
	}{StreamInfoList: []streamInfo{}}
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
	httpapi.WriteJSON(w, out)
	return nil
}

func (s *Server) deleteStream(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct{ StreamARN, CurrentVersion *string }
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if in.StreamARN == nil {
		return httpapi.InvalidArg("StreamARN is required.")
	}
	st, err := s.streams.Resolve(r.Context(), nil, in.StreamARN)
	if err != nil {
		return err
	}
	if err := streamref.CheckVersion(&st, in.CurrentVersion); err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteStream(r.Context(), st.Name); err != nil {
		if errors.Is(err, archive.ErrStreamNotFound) {
			return httpapi.StreamNotFound(st.ARN)
		}
		return err
	}
	rq.Log.Info("stream deleted", "stream", st.Name)
	httpapi.WriteJSON(w, struct{}{})
	return nil
}

func (s *Server) updateDataRetention(w http.ResponseWriter, r *http.Request, rq *httpapi.Call) error {
	var in struct {
		StreamName, StreamARN, CurrentVersion *string
		Operation                             string
		DataRetentionChangeInHours            *int32
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	change := httpapi.Deref(in.DataRetentionChangeInHours)
	if in.DataRetentionChangeInHours == nil || change < 1 {
		return httpapi.InvalidArg("DataRetentionChangeInHours must be at least 1.")
	}
	if in.Operation != "INCREASE_DATA_RETENTION" && in.Operation != "DECREASE_DATA_RETENTION" {
		return httpapi.InvalidArg("Operation must be INCREASE_DATA_RETENTION or DECREASE_DATA_RETENTION.")
	}
	if in.CurrentVersion == nil {
		return httpapi.InvalidArg("CurrentVersion is required.")
	}
	st, err := s.streams.UpdateVersioned(r.Context(), in.StreamName, in.StreamARN, in.CurrentVersion, func(st *archive.Stream) error {
		next := st.RetentionHours + change
		if in.Operation == "DECREASE_DATA_RETENTION" {
			next = st.RetentionHours - change
		}
		if next < 0 || next > maxRetentionHours {
			return httpapi.InvalidArg("The new retention %d is outside 0..%d hours.", next, maxRetentionHours)
		}
		st.RetentionHours = next
		return nil
	})
	if err != nil {
		return err
	}
	rq.Log.Info("retention changed", "stream", st.Name, "operation", in.Operation, "hours", change)
	httpapi.WriteJSON(w, struct{}{})
	return nil
}

// dataAPIs are the APIName values GetDataEndpoint accepts.
var dataAPIs = map[string]bool{
	"PUT_MEDIA": true, "GET_MEDIA": true, "LIST_FRAGMENTS": true, "GET_MEDIA_FOR_FRAGMENT_LIST": true,
	"GET_HLS_STREAMING_SESSION_URL": true, "GET_DASH_STREAMING_SESSION_URL": true, "GET_CLIP": true, "GET_IMAGES": true,
}

func (s *Server) getDataEndpoint(w http.ResponseWriter, r *http.Request, _ *httpapi.Call) error {
	var in struct {
		APIName               string
		StreamName, StreamARN *string
	}
	if err := httpapi.Decode(r.Body, s.cfg.MaxRequestBody, &in); err != nil {
		return err
	}
	if !dataAPIs[in.APIName] {
		return httpapi.InvalidArg("APIName %q is not one of the data-plane APIs.", in.APIName)
	}
	if in.APIName == "GET_IMAGES" && !s.images.Available() {
		return images.Unavailable() // no endpoint for an API not served
	}
	if _, err := s.streams.Resolve(r.Context(), in.StreamName, in.StreamARN); err != nil {
		return err
	}
	// One server does everything, so every API has the same endpoint.
	httpapi.WriteJSON(w, map[string]string{"DataEndpoint": s.baseURL(r)})
	return nil
}

// hasPrefix reports whether a stream name matches ListStreams' condition.
func hasPrefix(name string, prefix *string) bool {
	return prefix == nil || strings.HasPrefix(name, *prefix)
}
