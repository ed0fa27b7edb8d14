package archive

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewS3Reads: which client configurations ReadAt's own GETs serve,
// and at which URL; the others stay with the SDK (nil).
func TestNewS3Reads(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider("ak", "sk", "")
	for _, c := range []struct {
		name    string
		opts    s3.Options
		bucket  string
		url     string // "" when the SDK keeps the reads
		region  string
		signing string
	}{
		{"AWS, virtual host", s3.Options{Region: "eu-west-1", Credentials: creds}, "clips",
			"https://clips.s3.eu-west-1.amazonaws.com", "eu-west-1", "s3"},
		{"AWS, path style", s3.Options{Region: "eu-west-1", Credentials: creds, UsePathStyle: true}, "clips",
			"https://s3.eu-west-1.amazonaws.com/clips", "eu-west-1", "s3"},
		{"AWS, FIPS", s3.Options{Region: "us-east-1", Credentials: creds,
			EndpointOptions: s3.EndpointResolverOptions{UseFIPSEndpoint: aws.FIPSEndpointStateEnabled}}, "clips",
			"https://clips.s3-fips.us-east-1.amazonaws.com", "us-east-1", "s3"},
		{"own endpoint", s3.Options{Region: "us-east-1", Credentials: creds, BaseEndpoint: aws.String("http://127.0.0.1:9000"), UsePathStyle: true}, "kvsclip",
			"http://127.0.0.1:9000/kvsclip", "us-east-1", "s3"},
		{"S3 Express directory bucket", s3.Options{Region: "us-west-2", Credentials: creds}, "clips--usw2-az1--x-s3", "", "", ""},
		{"anonymous", s3.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, "clips", "", "", ""},
		{"no credentials", s3.Options{Region: "us-east-1"}, "clips", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := newS3Reads(context.Background(), s3.New(c.opts), c.bucket)
			if c.url == "" {
				assert.Nil(t, r)
				return
			}
			require.NotNil(t, r)
			assert.Equal(t, c.url, r.bucket.String())
			assert.Equal(t, c.region, r.region)
			assert.Equal(t, c.signing, r.name)
		})
	}
}

// TestPlainKey: the keys whose URL escaping S3 and Go agree on.
func TestPlainKey(t *testing.T) {
	for key, want := range map[string]bool{
		"archive/streams/cam-1/frags/91343852333181432392682062631134345987146224416.mkv": true,
		"a_b.c~d/e-f":  true,
		"with space/x": false,
		"plus+sign/x":  false,
		"eq=/x":        false,
		"caf\u00e9/x":  false,
		"percent%20/x": false,
		"colon:/x":     false,
	} {
		assert.Equal(t, want, plainKey(key), key)
	}
}
