package archive

import (
	"context"
	"fmt"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// s3IdleConns is how many idle connections to the S3 endpoint are kept for
// reuse. A clip keeps 16 reads in flight and a server runs several clips at
// once; with the SDK's default of 10 per host, every read beyond the tenth
// dialled a connection and closed it after one GET, about half of a clip's
// reads (counted as TIME_WAIT sockets).
const s3IdleConns = 128

// OpenS3URL opens the store at s3://BUCKET/PREFIX with the SDK's standard
// configuration: AWS_REGION, the default credential chain (environment,
// shared files, SSO, container and instance roles) and the endpoint from
// AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL. With a custom endpoint, requests
// use path-style addressing (http://host/bucket/key): MinIO, Ceph and
// versitygw all serve it, while virtual-host style needs wildcard DNS that
// a self-hosted endpoint rarely has.
func OpenS3URL(ctx context.Context, url string, opts *S3Options) (*S3, error) {
	bucket, prefix, err := ParseS3URL(url)
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = s3IdleConns
		t.MaxIdleConnsPerHost = s3IdleConns
	})))
	if err != nil {
		return nil, fmt.Errorf("archive: aws config: %w", err)
	}
	if cfg.Region == "" {
		// The SDK refuses to sign without a region; a self-hosted
		// endpoint rarely cares which.
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.BaseEndpoint != nil {
			o.UsePathStyle = true
		}
	})
	return OpenS3(ctx, client, bucket, prefix, opts)
}
