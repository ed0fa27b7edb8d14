package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/kvsclip/kvsclip/cmd/kvsclip/internal/cliflag"
	"github.com/kvsclip/kvsclip/server"
)

// putCmd runs `kvsclip put`: streams a Matroska file or stdin to PutMedia
// and prints every ack as a JSON line.
func putCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("put", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", "", "data endpoint URL, such as http://127.0.0.1:8080 (required)")
	stream := fs.String("stream", "", "stream name (required)")
	tc := fs.String("timecode-type", "RELATIVE", "ABSOLUTE (cluster timecodes are epoch ms) or RELATIVE (offsets from --start)")
	start := fs.String("start", "", "producer start timestamp for RELATIVE timecodes: RFC 3339 or epoch seconds (default: now)")
	region := fs.String("region", "", "signing region (default $AWS_REGION or us-west-2)")
	operands, err := cliflag.Parse(fs, args)
	if err != nil {
		return 2
	}
	if *endpoint == "" || *stream == "" || len(operands) > 1 {
		fmt.Fprintln(stderr, "usage: kvsclip put --endpoint URL --stream NAME [FILE|-]")
		return 2
	}
	in := stdin
	if len(operands) == 1 && operands[0] != "-" {
		name := operands[0]
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(stderr, "kvsclip put: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	startTime, err := parseStart(*start)
	if err != nil {
		fmt.Fprintf(stderr, "kvsclip put: --start: %v\n", err)
		return 2
	}
	if *region == "" {
		*region = cmpOr(os.Getenv("AWS_REGION"), server.DefaultRegion)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	enc := json.NewEncoder(stdout)
	err = server.PutMedia(ctx, nil, server.PutMediaInput{
		Endpoint: *endpoint, StreamName: *stream, TimecodeType: strings.ToUpper(*tc), StartTimestamp: startTime,
		Body: in, Credentials: envCredentials(), Region: *region,
	}, func(a server.Ack) { enc.Encode(a) })
	if err != nil {
		var ae *server.Error
		if errors.As(err, &ae) {
			fmt.Fprintf(stderr, "kvsclip put: %s: %s\n", ae.Code, ae.Message)
		} else {
			fmt.Fprintf(stderr, "kvsclip put: %v\n", err)
		}
		return 1
	}
	return 0
}

// envCredentials takes the key pair from the server's variables, else the
// AWS SDK's; nil (unsigned requests) when neither is set.
func envCredentials() *aws.Credentials {
	for _, p := range [][3]string{
		{envAccessKey, envSecretKey, ""},
		{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"},
	} {
		id, secret := os.Getenv(p[0]), os.Getenv(p[1])
		if id != "" && secret != "" {
			c := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret}
			if p[2] != "" {
				c.SessionToken = os.Getenv(p[2])
			}
			return &c
		}
	}
	return nil
}

// parseStart reads --start; empty means now.
func parseStart(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	ms, err := server.ParseStartTimestamp(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither RFC 3339 nor epoch seconds", s)
	}
	return time.UnixMilli(ms), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
