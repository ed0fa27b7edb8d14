package main

import (
	"bufio"
	"context"
	"io"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kinesisvideo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeRefusesUnsafeSetups(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"open to the network without credentials", nil, []string{"--addr", "0.0.0.0:0"}},
		{"half the credentials", map[string]string{envAccessKey: "AKID"}, []string{"--addr", "127.0.0.1:0"}},
		{"arguments", nil, []string{"extra"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envAccessKey, "")
			t.Setenv(envSecretKey, "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			code, _, _ := runCLI(nil, append([]string{"serve", "--data", t.TempDir()}, c.args...)...)
			assert.Equal(t, 2, code)
		})
	}
}

// TestServeAndStop starts the real command, talks to it with the SDK and
// stops it with SIGTERM, which it must survive and answer by exiting 0.
func TestServeAndStop(t *testing.T) {
	t.Setenv(envAccessKey, "AKIDSERVE")
	t.Setenv(envSecretKey, "serve-secret")
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() { done <- serveCmd([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, pw, io.Discard) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(`http://[^\s,]+`).FindString(line)
	require.NotEmpty(t, url, line)

	kv := kinesisvideo.New(kinesisvideo.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSERVE", "serve-secret", "")})
	_, err = kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{StreamName: aws.String("demo"), DataRetentionInHours: aws.Int32(1)})
	require.NoError(t, err)

	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}
