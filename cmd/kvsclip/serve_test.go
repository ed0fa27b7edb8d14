package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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
		{"unknown flag", nil, []string{"--bogus"}},
		{"an origin with a path", nil, []string{"--allow-origin", "https://app.example/page"}},
		{"a wildcard origin", nil, []string{"--allow-origin", "*"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envAccessKey, "")
			t.Setenv(envSecretKey, "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			code, _, stderr := runCLI(nil, append([]string{"serve", "--data", t.TempDir()}, c.args...)...)
			assert.Equal(t, 2, code)
			assert.LessOrEqual(t, strings.Count(stderr, "\n"), 2, "a line or two, not the flag list: %s", stderr)
		})
	}
}

// TestServeAndStop starts the real command, talks to it with the SDK and
// stops it with SIGTERM, which it must survive and answer by exiting 0.
func TestServeAndStop(t *testing.T) {
	t.Setenv(envAccessKey, "AKIDSERVE")
	t.Setenv(envSecretKey, "serve-secret")
	url, done := startServe(t, `http://[^\s,]+`, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--region", "eu-west-1")
	kv := kinesisvideo.New(kinesisvideo.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSERVE", "serve-secret", "")})
	_, err := kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{StreamName: aws.String("demo"), DataRetentionInHours: aws.Int32(1)})
	require.NoError(t, err)

	stopServe(t, done)
}

// TestServeAllowOrigin: in local mode, --allow-origin (repeated or with
// commas) names the web pages' origins whose preflights and calls are
// answered; another origin's are refused.
func TestServeAllowOrigin(t *testing.T) {
	t.Setenv(envAccessKey, "")
	t.Setenv(envSecretKey, "")
	url, done := startServe(t, `http://[^\s,]+`, "--addr", "127.0.0.1:0", "--data", t.TempDir(),
		"--allow-origin", "https://a.example,http://localhost:3000", "--allow-origin", "https://c.example")
	for origin, ok := range map[string]bool{"https://a.example": true, "http://localhost:3000": true, "https://c.example": true, "https://d.example": false} {
		req, err := http.NewRequest(http.MethodOptions, url+"/listStreams", nil)
		require.NoError(t, err)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, ok, resp.StatusCode == http.StatusNoContent, origin)
		assert.Equal(t, ok, resp.Header.Get("Access-Control-Allow-Origin") == origin, origin)
	}
	stopServe(t, done)
}

// selfSigned writes a certificate for 127.0.0.1 and its key to dir and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kvsclip test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeTLS: with --tls-cert and --tls-key the server speaks HTTPS, and
// hands out https data endpoints.
func TestServeTLS(t *testing.T) {
	t.Setenv(envAccessKey, "AKIDSERVE")
	t.Setenv(envSecretKey, "serve-secret")
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	code, _, stderr := runCLI(nil, "serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--tls-cert", certFile)
	assert.Equal(t, 2, code, stderr)

	url, done := startServe(t, `https://[^\s,]+`, "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--tls-cert", certFile, "--tls-key", keyFile, "--region", "eu-west-1")

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	kv := kinesisvideo.New(kinesisvideo.Options{Region: "eu-west-1", BaseEndpoint: aws.String(url), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSERVE", "serve-secret", "")})
	_, err := kv.CreateStream(context.Background(), &kinesisvideo.CreateStreamInput{StreamName: aws.String("demo"), DataRetentionInHours: aws.Int32(1)})
	require.NoError(t, err)
	ep, err := kv.GetDataEndpoint(context.Background(), &kinesisvideo.GetDataEndpointInput{StreamName: aws.String("demo"), APIName: "PUT_MEDIA"})
	require.NoError(t, err)
	assert.Equal(t, url, *ep.DataEndpoint)
	_, err = http.Get(url + "/metrics")
	assert.Error(t, err, "an unknown certificate is refused")

	stopServe(t, done)
}

// startServe runs serve with args and returns the URL its first line
// announces (matching pattern), and the channel of its exit code.
func startServe(t *testing.T, pattern string, args ...string) (string, chan int) {
	t.Helper()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() { done <- serveCmd(args, pw, io.Discard) }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr)
	url := regexp.MustCompile(pattern).FindString(line)
	require.NotEmpty(t, url, line)
	return url, done
}

// stopServe sends SIGTERM, which serve must survive and answer by exiting 0.
func stopServe(t *testing.T, done chan int) {
	t.Helper()
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGTERM))
	select {
	case code := <-done:
		assert.Equal(t, 0, code)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}
