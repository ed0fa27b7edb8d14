package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	am "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

// The Go SDK v2 as the fourth client of the conformance run: every
// operation method of its kinesisvideo and kinesisvideoarchivedmedia
// clients, found by reflection, called with compat/plan.json's input as
// the other runners call theirs. aws-sdk-go-v2 has no kinesis-video-media
// client: GetMedia is not exposed.

// goSDKService is one service client of the Go SDK and its module.
type goSDKService struct {
	name, module string
	client       any
}

// runGoSDK is the Go SDK's runner: it reports as the others do.
func runGoSDK(t *testing.T, r *rig, vars map[string]string) []compatLine {
	kv, media := sdkClients(r.url, testKeyID, testSecret)
	services := []goSDKService{
		{"kinesisvideo", "github.com/aws/aws-sdk-go-v2/service/kinesisvideo", kv},
		{"kinesis-video-archived-media", "github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia", media},
	}
	ctx := t.Context()
	stream, mediaStream := vars["KVSCLIP_STREAM"], vars["KVSCLIP_MEDIA_STREAM"]
	describe := func() (*kinesisvideo.DescribeStreamOutput, error) {
		return kv.DescribeStream(ctx, &kinesisvideo.DescribeStreamInput{StreamName: aws.String(stream)})
	}
	epoch := func(name string) (any, error) {
		s, err := strconv.ParseInt(vars[name], 10, 64)
		return time.Unix(s, 0).UTC().Format(time.RFC3339), err
	}
	placeholders := map[string]func() (any, error){
		"$stream": func() (any, error) { return stream, nil },
		"$media":  func() (any, error) { return mediaStream, nil },
		"$start":  func() (any, error) { return epoch("KVSCLIP_START") },
		"$end":    func() (any, error) { return epoch("KVSCLIP_END") },
		"$version": func() (any, error) {
			out, err := describe()
			if err != nil {
				return nil, err
			}
			return *out.StreamInfo.Version, nil
		},
		"$streamARN": func() (any, error) {
			out, err := describe()
			if err != nil {
				return nil, err
			}
			return *out.StreamInfo.StreamARN, nil
		},
		"$fragment": func() (any, error) {
			out, err := media.ListFragments(ctx, &am.ListFragmentsInput{StreamName: aws.String(mediaStream), MaxResults: aws.Int64(1000)})
			if err != nil {
				return nil, err
			}
			if len(out.Fragments) == 0 {
				return nil, errors.New("no fragments")
			}
			numbers := make([]string, len(out.Fragments))
			for i, f := range out.Fragments {
				numbers[i] = *f.FragmentNumber
			}
			slices.SortFunc(numbers, compareFragmentNumbers)
			return numbers[0], nil
		},
	}

	var plan struct {
		Operations []struct {
			Service, Op string
			Input       json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(readPlanFile(t), &plan))
	planned := map[string]bool{}
	var lines []compatLine
	for _, e := range plan.Operations {
		planned[e.Service+"/"+e.Op] = true
		i := slices.IndexFunc(services, func(s goSDKService) bool { return s.name == e.Service })
		var m reflect.Value
		if i >= 0 {
			m = operationMethod(services[i].client, e.Op)
		}
		if !m.IsValid() {
			lines = append(lines, compatLine{Op: e.Op, Service: e.Service, Outcome: outcomeNotExposed})
			continue
		}
		l := callGoSDK(ctx, m, e.Input, placeholders)
		l.Op, l.Service = e.Op, e.Service
		lines = append(lines, l)
	}
	for _, s := range services {
		for _, op := range operationNames(s.client) {
			if !planned[s.name+"/"+op] {
				l := callGoSDK(ctx, operationMethod(s.client, op), []byte("{}"), placeholders)
				l.Op, l.Service = op, s.name
				lines = append(lines, l)
			}
		}
	}
	for i := range lines {
		lines[i].Client = "go-v2"
		for _, s := range services {
			if s.name == lines[i].Service {
				lines[i].Version = moduleVersion(s.module)
			}
		}
	}
	return lines
}

// compareFragmentNumbers orders decimal fragment numbers by value.
func compareFragmentNumbers(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return bytes.Compare([]byte(a), []byte(b))
}

// operationNames lists a Go SDK client's operations: its methods that
// take (context, *<Name>Input, ...option) and return (*<Name>Output, error).
func operationNames(client any) []string {
	var names []string
	typ := reflect.TypeOf(client)
	for i := range typ.NumMethod() {
		name := typ.Method(i).Name
		if operationMethod(client, name).IsValid() {
			names = append(names, name)
		}
	}
	return names
}

// operationMethod returns client's method for an operation, or the zero
// Value when the client has none.
func operationMethod(client any, op string) reflect.Value {
	m := reflect.ValueOf(client).MethodByName(op)
	if !m.IsValid() {
		return reflect.Value{}
	}
	typ := m.Type()
	if typ.NumIn() != 3 || !typ.IsVariadic() || typ.NumOut() != 2 ||
		typ.In(1).Kind() != reflect.Pointer || typ.In(1).Elem().Name() != op+"Input" ||
		typ.Out(0).Kind() != reflect.Pointer || typ.Out(0).Elem().Name() != op+"Output" {
		return reflect.Value{}
	}
	return m
}

// callGoSDK fills input's placeholders, decodes it into the method's input
// type (a field the type lacks is an error of the plan) and calls it.
func callGoSDK(ctx context.Context, m reflect.Value, input json.RawMessage, placeholders map[string]func() (any, error)) compatLine {
	fail := func(err error) compatLine { return compatLine{Outcome: outcomeOther, Detail: err.Error()} }
	var raw any
	if err := json.Unmarshal(input, &raw); err != nil {
		return fail(err)
	}
	filled, err := fillPlaceholders(raw, placeholders)
	if err != nil {
		return fail(err)
	}
	b, err := json.Marshal(filled)
	if err != nil {
		return fail(err)
	}
	in := reflect.New(m.Type().In(1).Elem())
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in.Interface()); err != nil {
		return fail(fmt.Errorf("the plan's input: %w", err))
	}
	out := m.Call([]reflect.Value{reflect.ValueOf(ctx), in})
	if err, _ := out[1].Interface().(error); err != nil {
		var apiErr smithy.APIError
		switch {
		case !errors.As(err, &apiErr):
			return fail(err)
		case apiErr.ErrorCode() == "UnknownOperationException":
			return compatLine{Outcome: outcomeUnknown}
		}
		return compatLine{Outcome: apiErr.ErrorCode()}
	}
	if payload := out[0].Elem().FieldByName("Payload"); payload.IsValid() {
		body, ok := payload.Interface().(io.ReadCloser)
		if !ok || body == nil {
			return fail(errors.New("no payload"))
		}
		defer body.Close()
		n, err := io.Copy(io.Discard, body)
		if err != nil {
			return fail(err)
		}
		if n == 0 {
			return fail(errors.New("empty payload"))
		}
	}
	return compatLine{Outcome: outcomeOK}
}

// fillPlaceholders replaces the placeholder strings of a decoded JSON value.
func fillPlaceholders(v any, placeholders map[string]func() (any, error)) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			f, err := fillPlaceholders(x, placeholders)
			if err != nil {
				return nil, err
			}
			v[k] = f
		}
	case []any:
		for i, x := range v {
			f, err := fillPlaceholders(x, placeholders)
			if err != nil {
				return nil, err
			}
			v[i] = f
		}
	case string:
		if p, ok := placeholders[v]; ok {
			return p()
		}
	}
	return v, nil
}

// moduleVersion is the version of a module that go.mod requires (a test
// binary's build information lists no dependencies).
func moduleVersion(path string) string {
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		return "?"
	}
	for _, line := range strings.Split(string(mod), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	return "?"
}
