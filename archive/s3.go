package archive

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/kvsclip/kvsclip/fragindex"
	"github.com/kvsclip/kvsclip/kvs"
)

// S3 is the Store on an S3-compatible bucket (AWS S3, MinIO, Ceph,
// versitygw). It keeps no state of its own, so any number of servers can
// share one bucket and prefix. The layout:
//
//	<prefix>streams/<name>/meta.json        stream metadata (JSON), replaced with If-Match
//	<prefix>streams/<name>/frags/<number>.mkv
//	<prefix>streams/<name>/frags/<number>.idx      the fragment's sample index
//	<prefix>streams/<name>/idx/s/<server ms>-<number>-<producer ms>-<bytes>-<duration ms>
//	<prefix>streams/<name>/idx/p/<producer ms>-<number>-<server ms>-<bytes>-<duration ms>
//
// Timestamps in index keys are zero-padded to 15 digits, so the keys of one
// index sort by time and ListObjectsV2 with StartAfter lists a time range
// without reading any fragment: the index objects are empty and the key is
// the record.
//
// Put writes the body, then the sample index, then the server-time key, then
// the producer-time key. A crash or an outage between them leaves at worst
// an unlisted body and index (invisible; DeleteBefore removes them once past
// retention) or a fragment listed by server time only, whose body and index
// are whole: no listing key ever names a missing body or a body without
// its index. The producer-time key is written last and is the commit
// record; a Put that fails after writing the server-time key removes that
// key again when it can. When S3 refuses that too, the fragment stays
// listed by server time, so Lookup takes either key as the record: every
// fragment a listing names can be fetched by its number, and only a body
// no key names is not a fragment. DeleteBefore removes in the opposite
// order: listing keys first, bodies and indexes after.
//
// The sample index is an object of its own beside the body, not the body of
// a listing key: Index has only the fragment number, which names the index
// object directly (one GET, with a HEAD of the body beside it to check the
// size), whereas a listing key's name needs the timestamps, from a HEAD of
// the body first: two round trips one after the other per fragment.
type S3 struct {
	client *s3.Client
	bucket string
	prefix string
	opts   S3Options
	log    *slog.Logger
	// reads makes ReadAt's GETs, when the client's configuration lets
	// them bypass the SDK's operation stack (s3reads.go); nil otherwise.
	reads *s3Reads
}

var _ Store = (*S3)(nil)

// S3Options tunes an S3 store. Zero fields, or nil, take the defaults.
type S3Options struct {
	// OpTimeout bounds one Store call, S3 retries included, within the
	// caller's context: a hung endpoint must not hang a PutMedia session
	// whose client is still there. Default 2 minutes (a 50 MB body on a
	// slow link).
	OpTimeout time.Duration
	// PutGrace is how long after its server timestamp a fragment may
	// still be in the middle of its Put on some server. DeleteBefore
	// never deletes younger fragments, so that retention on one server
	// cannot remove a body another server is about to index. Default 10
	// minutes, well past OpTimeout.
	PutGrace time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger receives what the store repairs on its own, such as a
	// damaged index rebuilt; slog.Default() when nil.
	Logger *slog.Logger
}

// Defaults of S3Options.
const (
	DefaultS3OpTimeout = 2 * time.Minute
	DefaultS3PutGrace  = 10 * time.Minute
)

// Key layout names.
const (
	s3Streams   = "streams/"
	s3Meta      = "meta.json"
	s3Lease     = "producer-lease"
	s3Frags     = "frags/"
	s3IdxServer = "idx/s/"
	s3IdxProd   = "idx/p/"
	// s3TsWidth is the zero-padded width of index timestamps: ms up to
	// year 33658, so string order is numeric order.
	s3TsWidth = 15
	s3MaxTs   = 999_999_999_999_999
	// s3Fanout bounds the concurrent requests of one Store call (stream
	// metadata reads, batch deletes).
	s3Fanout = 16
)

// Object metadata names on a fragment body: what Lookup needs to rebuild
// the index key of the body it found.
const (
	s3MetaProducer = "kvsclip-producer-ms"
	s3MetaServer   = "kvsclip-server-ms"
	s3MetaDuration = "kvsclip-duration-ms"
)

// OpenS3 returns the store in bucket under prefix, creating the bucket when
// it is missing. prefix is used as given plus a "/" when it lacks one; ""
// means the bucket's root.
func OpenS3(ctx context.Context, client *s3.Client, bucket, prefix string, o *S3Options) (*S3, error) {
	var opts S3Options
	if o != nil {
		opts = *o
	}
	if bucket == "" {
		return nil, fmt.Errorf("archive: s3: no bucket: %w", ErrInvalid)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = DefaultS3OpTimeout
	}
	if opts.PutGrace <= 0 {
		opts.PutGrace = DefaultS3PutGrace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &S3{client: client, bucket: bucket, prefix: prefix, opts: opts, log: opts.Logger, reads: newS3Reads(ctx, client, bucket)}
	if err := a.ensureBucket(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// ParseS3URL splits s3://BUCKET/PREFIX into its bucket and prefix.
func ParseS3URL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("archive: %q is not an s3://BUCKET/PREFIX URL: %w", u, ErrInvalid)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("archive: %q names no bucket: %w", u, ErrInvalid)
	}
	return bucket, prefix, nil
}

// Bucket and Prefix say where the store lives.
func (a *S3) Bucket() string { return a.bucket }

// Prefix is the key prefix, ending in "/" unless empty.
func (a *S3) Prefix() string { return a.prefix }

func (a *S3) ensureBucket(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, a.opts.OpTimeout)
	defer cancel()
	_, err := a.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &a.bucket})
	if err == nil {
		return nil
	}
	if !isNotFound(err) {
		return fmt.Errorf("archive: s3 bucket %s: %w", a.bucket, err)
	}
	in := &s3.CreateBucketInput{Bucket: &a.bucket}
	// us-east-1 is the one region that refuses its own name as a location.
	if r := a.client.Options().Region; r != "" && r != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(r)}
	}
	_, err = a.client.CreateBucket(ctx, in)
	var owned *s3types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) { // another server won the race: fine
		return fmt.Errorf("archive: s3 create bucket %s: %w", a.bucket, err)
	}
	return nil
}

// ctx returns the context of one Store call: the caller's, ended at the
// latest by OpTimeout.
func (a *S3) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, a.opts.OpTimeout)
}

func (a *S3) streamKey(name string) string { return a.prefix + s3Streams + name + "/" }
func (a *S3) metaKey(name string) string   { return a.streamKey(name) + s3Meta }
func (a *S3) bodyKey(name, number string) string {
	return a.streamKey(name) + s3Frags + number + ".mkv"
}

// indexObjectKey is the key of a fragment's sample index.
func (a *S3) indexObjectKey(name, number string) string {
	return a.streamKey(name) + s3Frags + indexFileName(number)
}

// indexKey is a fragment's key in the index of kind.
func (a *S3) indexKey(name string, kind kvs.Selector, f kvs.Fragment) string {
	if kind == kvs.ServerTimestamp {
		return fmt.Sprintf("%s%s%0*d-%s-%d-%d-%d", a.streamKey(name), s3IdxServer, s3TsWidth, f.ServerMillis, f.Number, f.ProducerMillis, f.Size, f.DurationMillis)
	}
	return fmt.Sprintf("%s%s%0*d-%s-%d-%d-%d", a.streamKey(name), s3IdxProd, s3TsWidth, f.ProducerMillis, f.Number, f.ServerMillis, f.Size, f.DurationMillis)
}

// parseIndexName is the inverse of indexKey for the part after idx/<k>/.
func parseIndexName(kind kvs.Selector, name string) (kvs.Fragment, bool) {
	parts := strings.Split(name, "-")
	if len(parts) != 5 || len(parts[0]) != s3TsWidth || !kvs.ValidFragmentNumber(parts[1]) {
		return kvs.Fragment{}, false
	}
	var nums [4]int64
	for i, p := range []string{parts[0], parts[2], parts[3], parts[4]} {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || n < 0 {
			return kvs.Fragment{}, false
		}
		nums[i] = n
	}
	f := kvs.Fragment{Number: parts[1], ProducerMillis: nums[0], ServerMillis: nums[1], Size: nums[2], DurationMillis: nums[3]}
	if kind == kvs.ServerTimestamp {
		f.ProducerMillis, f.ServerMillis = f.ServerMillis, f.ProducerMillis
	}
	return f, true
}

// CreateStream writes meta.json only if it does not exist (If-None-Match),
// so two servers creating one name cannot both succeed. Objects left by an
// interrupted DeleteStream are removed first: a new stream starts empty.
func (a *S3) CreateStream(ctx context.Context, st Stream) error {
	if !kvs.ValidStreamName(st.Name) {
		return fmt.Errorf("archive: stream name %q: %w", st.Name, ErrInvalid)
	}
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	if _, _, err := a.readMeta(ctx, st.Name); err == nil {
		return fmt.Errorf("archive: %q: %w", st.Name, ErrStreamExists)
	} else if !errors.Is(err, ErrStreamNotFound) {
		return err
	}
	if err := a.deletePrefix(ctx, a.streamKey(st.Name), a.metaKey(st.Name)); err != nil {
		return err
	}
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	_, err = a.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &a.bucket, Key: aws.String(a.metaKey(st.Name)), Body: bytes.NewReader(raw),
		IfNoneMatch: aws.String("*"), ContentType: aws.String("application/json"),
	})
	if isPreconditionFailed(err) {
		return fmt.Errorf("archive: %q: %w", st.Name, ErrStreamExists)
	}
	if err != nil {
		return fmt.Errorf("archive: s3 create stream %s: %w", st.Name, err)
	}
	return nil
}

// readMeta returns a stream's metadata and the ETag that guards it.
func (a *S3) readMeta(ctx context.Context, name string) (Stream, string, error) {
	if !kvs.ValidStreamName(name) {
		return Stream{}, "", fmt.Errorf("archive: %q: %w", name, ErrStreamNotFound)
	}
	out, err := a.getObject(ctx, &s3.GetObjectInput{Bucket: &a.bucket, Key: aws.String(a.metaKey(name))})
	if isNotFound(err) {
		return Stream{}, "", fmt.Errorf("archive: %q: %w", name, ErrStreamNotFound)
	}
	if err != nil {
		return Stream{}, "", fmt.Errorf("archive: s3 stream %s: %w", name, err)
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(out.Body)
	if err != nil {
		return Stream{}, "", fmt.Errorf("archive: s3 stream %s: %w", name, err)
	}
	var st Stream
	if err := json.Unmarshal(raw, &st); err != nil {
		return Stream{}, "", fmt.Errorf("archive: s3 stream %s: %s: %w", name, s3Meta, err)
	}
	return st, aws.ToString(out.ETag), nil
}

// streamExists is the cheap check of calls that only need the stream to be
// there: a HEAD of meta.json.
func (a *S3) streamExists(ctx context.Context, name string) error {
	if !kvs.ValidStreamName(name) {
		return fmt.Errorf("archive: %q: %w", name, ErrStreamNotFound)
	}
	_, err := a.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &a.bucket, Key: aws.String(a.metaKey(name))})
	if isNotFound(err) {
		return fmt.Errorf("archive: %q: %w", name, ErrStreamNotFound)
	}
	if err != nil {
		return fmt.Errorf("archive: s3 stream %s: %w", name, err)
	}
	return nil
}

// Stream reads a stream's meta.json.
func (a *S3) Stream(ctx context.Context, name string) (Stream, error) {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	st, _, err := a.readMeta(ctx, name)
	return st, err
}

// Streams lists the stream directories and reads their metadata
// concurrently. A directory without meta.json (a stream being deleted) is
// skipped.
func (a *S3) Streams(ctx context.Context) ([]Stream, error) {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	var names []string
	p := s3.NewListObjectsV2Paginator(a.client, &s3.ListObjectsV2Input{
		Bucket: &a.bucket, Prefix: aws.String(a.prefix + s3Streams), Delimiter: aws.String("/"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("archive: s3 list streams: %w", err)
		}
		for _, cp := range page.CommonPrefixes {
			name := strings.TrimSuffix(strings.TrimPrefix(aws.ToString(cp.Prefix), a.prefix+s3Streams), "/")
			if kvs.ValidStreamName(name) {
				names = append(names, name)
			}
		}
	}
	out := make([]Stream, len(names))
	found := make([]bool, len(names))
	err := forEach(len(names), func(i int) error {
		st, _, err := a.readMeta(ctx, names[i])
		if errors.Is(err, ErrStreamNotFound) {
			return nil
		}
		out[i], found[i] = st, err == nil
		return err
	})
	if err != nil {
		return nil, err
	}
	kept := out[:0]
	for i, st := range out {
		if found[i] {
			kept = append(kept, st)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	return kept, nil
}

// s3UpdateAttempts bounds the read-modify-write retries of UpdateStream
// when other servers keep winning the race.
const s3UpdateAttempts = 10

// UpdateStream reads meta.json, applies fn and writes the result with
// If-Match on the ETag it read: a concurrent update on another server makes
// the write fail, and the whole read-apply-write starts again, so fn always
// sees the latest metadata (KVS's CurrentVersion check stays exact).
func (a *S3) UpdateStream(ctx context.Context, name string, fn func(*Stream) error) error {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	for range s3UpdateAttempts {
		cur, etag, err := a.readMeta(ctx, name)
		if err != nil {
			return err
		}
		next := cur
		if err := fn(&next); err != nil {
			return err
		}
		next.Name = cur.Name
		raw, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		_, err = a.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &a.bucket, Key: aws.String(a.metaKey(name)), Body: bytes.NewReader(raw),
			IfMatch: aws.String(etag), ContentType: aws.String("application/json"),
		})
		if isPreconditionFailed(err) || isNotFound(err) {
			continue // changed or deleted meanwhile: read again
		}
		if err != nil {
			return fmt.Errorf("archive: s3 update stream %s: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("archive: s3 update stream %s: too many concurrent updates", name)
}

// DeleteStream removes meta.json first — from then on the stream is gone
// for every server — and then every other object under the stream.
func (a *S3) DeleteStream(ctx context.Context, name string) error {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	if err := a.streamExists(ctx, name); err != nil {
		return err
	}
	if _, err := a.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &a.bucket, Key: aws.String(a.metaKey(name))}); err != nil {
		return fmt.Errorf("archive: s3 delete stream %s: %w", name, err)
	}
	return a.deletePrefix(ctx, a.streamKey(name), "")
}

// deletePrefix deletes every object under prefix except keep. The idx/
// keys go in a first pass and the rest after ("frags/" sorts before
// "idx/"), so that no index key outlives its body even when this is cut
// short.
func (a *S3) deletePrefix(ctx context.Context, prefix, keep string) error {
	for _, sub := range []string{prefix + "idx/", prefix} {
		keys, err := a.listKeys(ctx, sub, "", func(string) bool { return true })
		if err != nil {
			return err
		}
		kept := keys[:0]
		for _, k := range keys {
			if k != keep {
				kept = append(kept, k)
			}
		}
		if err := a.deleteKeys(ctx, kept); err != nil {
			return err
		}
	}
	return nil
}

// listKeys lists keys under prefix after startAfter while more returns true.
func (a *S3) listKeys(ctx context.Context, prefix, startAfter string, more func(key string) bool) ([]string, error) {
	in := &s3.ListObjectsV2Input{Bucket: &a.bucket, Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	var keys []string
	p := s3.NewListObjectsV2Paginator(a.client, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("archive: s3 list %s: %w", prefix, err)
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if !more(k) {
				return keys, nil
			}
			keys = append(keys, k)
		}
	}
	return keys, nil
}

// deleteKeys deletes keys in batches of DeleteObjects' limit, in order: a
// batch starts only when the one before it is done.
func (a *S3) deleteKeys(ctx context.Context, keys []string) error {
	for len(keys) > 0 {
		n := min(len(keys), 1000)
		ids := make([]s3types.ObjectIdentifier, n)
		for i, k := range keys[:n] {
			ids[i] = s3types.ObjectIdentifier{Key: aws.String(k)}
		}
		out, err := a.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
			Bucket: &a.bucket, Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("archive: s3 delete: %w", err)
		}
		for _, e := range out.Errors {
			if aws.ToString(e.Code) != "NoSuchKey" {
				return fmt.Errorf("archive: s3 delete %s: %s %s", aws.ToString(e.Key), aws.ToString(e.Code), aws.ToString(e.Message))
			}
		}
		keys = keys[n:]
	}
	return nil
}

// leaseKey holds the session id of the stream's producer.
func (a *S3) leaseKey(name string) string { return a.streamKey(name) + s3Lease }

// TakeProducerLease replaces the lease it reads with the session, on the
// condition that the lease is still the one it read (If-Match, or
// If-None-Match when there was none): the newest producer wins, as in KVS,
// and a take that a newer one overtook between the read and the write
// (a slow request, or an SDK retry landing late) does not undo it but
// returns ErrLeaseTaken.
func (a *S3) TakeProducerLease(ctx context.Context, stream, session string) error {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	holder, etag, err := a.readLease(ctx, stream)
	if err != nil {
		return err
	}
	if holder == session {
		return nil
	}
	in := &s3.PutObjectInput{Bucket: &a.bucket, Key: aws.String(a.leaseKey(stream)),
		Body: strings.NewReader(session), ContentLength: aws.Int64(int64(len(session)))}
	if etag == "" {
		in.IfNoneMatch = aws.String("*")
	} else {
		in.IfMatch = aws.String(etag)
	}
	_, err = a.client.PutObject(ctx, in)
	if isPreconditionFailed(err) {
		// Either our own write landed on an attempt the SDK retried,
		// or another session took the lease meanwhile.
		if holder, _, rerr := a.readLease(ctx, stream); rerr == nil && holder == session {
			return nil
		}
		return fmt.Errorf("archive: s3 producer lease %s: %w", stream, ErrLeaseTaken)
	}
	if err != nil {
		return fmt.Errorf("archive: s3 producer lease %s: %w", stream, err)
	}
	return nil
}

// ProducerLeaseHolder reads the lease; "" when none was taken.
func (a *S3) ProducerLeaseHolder(ctx context.Context, stream string) (string, error) {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	holder, _, err := a.readLease(ctx, stream)
	return holder, err
}

// readLease reads the lease and its ETag; "" and "" when none was taken.
func (a *S3) readLease(ctx context.Context, stream string) (holder, etag string, err error) {
	out, err := a.getObject(ctx, &s3.GetObjectInput{Bucket: &a.bucket, Key: aws.String(a.leaseKey(stream))})
	if isNotFound(err) {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("archive: s3 producer lease %s: %w", stream, err)
	}
	defer out.Body.Close()
	// A session id is a request id: 36 bytes; more is not a lease.
	b, err := io.ReadAll(io.LimitReader(out.Body, maxLeaseBytes))
	if err != nil {
		return "", "", fmt.Errorf("archive: s3 producer lease %s: %w", stream, err)
	}
	return string(b), aws.ToString(out.ETag), nil
}

// maxLeaseBytes bounds what is read of a lease object.
const maxLeaseBytes = 256

// Put writes the body (If-None-Match, so a fragment number is never
// reused), then the sample index, then the server-time listing key, then
// the producer-time one.
// Timestamps must be 0..999999999999999 ms: the index sorts them as
// fixed-width decimals.
func (a *S3) Put(ctx context.Context, stream string, meta kvs.Fragment, doc []byte) error {
	if !kvs.ValidFragmentNumber(meta.Number) || meta.Size != int64(len(doc)) || meta.DurationMillis < 0 ||
		meta.ProducerMillis < 0 || meta.ProducerMillis > s3MaxTs || meta.ServerMillis < 0 || meta.ServerMillis > s3MaxTs {
		return fmt.Errorf("archive: fragment %q: %w", meta.Number, ErrInvalid)
	}
	enc, err := encodeIndex(meta.Number, doc)
	if err != nil {
		return err
	}
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	if err := a.streamExists(ctx, stream); err != nil {
		return err
	}
	if err := a.putBody(ctx, stream, meta, doc); err != nil {
		return err
	}
	if err := a.putIndex(ctx, stream, meta.Number, enc); err != nil {
		return err
	}
	sKey := a.indexKey(stream, kvs.ServerTimestamp, meta)
	if err := a.putEmpty(ctx, sKey); err != nil {
		return err
	}
	if err := a.putEmpty(ctx, a.indexKey(stream, kvs.ProducerTimestamp, meta)); err != nil {
		// Uncommitted: take the server-time key back if S3 lets us, so
		// the fragment is not half listed. If it does not, the fragment
		// stays listed by server time, with its whole body.
		_, _ = a.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &a.bucket, Key: aws.String(sKey)})
		return err
	}
	return nil
}

func (a *S3) putBody(ctx context.Context, stream string, meta kvs.Fragment, doc []byte) error {
	key := a.bodyKey(stream, meta.Number)
	_, err := a.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &a.bucket, Key: aws.String(key), Body: bytes.NewReader(doc),
		ContentLength: aws.Int64(int64(len(doc))), ContentType: aws.String("video/webm"),
		IfNoneMatch: aws.String("*"),
		Metadata: map[string]string{
			s3MetaProducer: strconv.FormatInt(meta.ProducerMillis, 10),
			s3MetaServer:   strconv.FormatInt(meta.ServerMillis, 10),
			s3MetaDuration: strconv.FormatInt(meta.DurationMillis, 10),
		},
	})
	if isPreconditionFailed(err) {
		// Either an SDK retry of our own write that had landed, or
		// another fragment with this number. Only the first is fine.
		if got, herr := a.headBody(ctx, stream, meta.Number); herr == nil && got == meta {
			return nil
		}
		return fmt.Errorf("archive: s3 fragment %s exists already: %w", meta.Number, ErrInvalid)
	}
	if err != nil {
		return fmt.Errorf("archive: s3 put fragment %s: %w", meta.Number, err)
	}
	return nil
}

func (a *S3) putEmpty(ctx context.Context, key string) error {
	_, err := a.client.PutObject(ctx, &s3.PutObjectInput{Bucket: &a.bucket, Key: aws.String(key), Body: bytes.NewReader(nil), ContentLength: aws.Int64(0)})
	if err != nil {
		return fmt.Errorf("archive: s3 put index: %w", err)
	}
	return nil
}

// putIndex writes a fragment's sample index, replacing any: one left by a
// Put cut short is as good as this one, and a damaged one is replaced by
// Index on purpose.
func (a *S3) putIndex(ctx context.Context, stream, number string, enc []byte) error {
	_, err := a.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &a.bucket, Key: aws.String(a.indexObjectKey(stream, number)), Body: bytes.NewReader(enc),
		ContentLength: aws.Int64(int64(len(enc))), ContentType: aws.String("application/octet-stream"),
	})
	if err != nil {
		return fmt.Errorf("archive: s3 put index %s: %w", number, err)
	}
	return nil
}

// headBody reads a fragment's metadata from its body object.
func (a *S3) headBody(ctx context.Context, stream, number string) (kvs.Fragment, error) {
	out, err := a.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &a.bucket, Key: aws.String(a.bodyKey(stream, number))})
	if isNotFound(err) {
		return kvs.Fragment{}, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	if err != nil {
		return kvs.Fragment{}, fmt.Errorf("archive: s3 fragment %s: %w", number, err)
	}
	f := kvs.Fragment{Number: number, Size: aws.ToInt64(out.ContentLength)}
	var perr error
	parse := func(name string) int64 {
		v, err := strconv.ParseInt(out.Metadata[name], 10, 64)
		perr = errors.Join(perr, err)
		return v
	}
	f.ProducerMillis, f.ServerMillis, f.DurationMillis = parse(s3MetaProducer), parse(s3MetaServer), parse(s3MetaDuration)
	if perr != nil {
		return kvs.Fragment{}, fmt.Errorf("archive: s3 fragment %s: bad metadata: %w", number, perr)
	}
	return f, nil
}

// List lists the index of kind from start, stopping after end; no body is
// read. Index keys sort by time, so the result is sorted by number after.
func (a *S3) List(ctx context.Context, stream string, kind kvs.Selector, start, end int64) ([]kvs.Fragment, error) {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	if err := a.streamExists(ctx, stream); err != nil {
		return nil, err
	}
	if end < 0 || start > end || start > s3MaxTs {
		return nil, nil
	}
	start = max(start, 0)
	dir := a.streamKey(stream) + s3IdxProd
	if kind == kvs.ServerTimestamp {
		dir = a.streamKey(stream) + s3IdxServer
	}
	var out []kvs.Fragment
	// StartAfter is exclusive; the padded start alone sorts before every
	// key of that millisecond ("…123" < "…123-…"), so start is included.
	_, err := a.listKeys(ctx, dir, fmt.Sprintf("%s%0*d", dir, s3TsWidth, start), func(k string) bool {
		f, ok := parseIndexName(kind, strings.TrimPrefix(k, dir))
		if !ok {
			return true // not ours: skip
		}
		t := f.ProducerMillis
		if kind == kvs.ServerTimestamp {
			t = f.ServerMillis
		}
		if t > end {
			return false
		}
		out = append(out, f)
		return true
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return kvs.CompareFragmentNumbers(out[i].Number, out[j].Number) < 0 })
	return out, nil
}

// Lookup reads the body's metadata and then checks that a listing key
// names it: the producer-time key, the commit record, or else the
// server-time key of a Put cut short before it (see S3). A body that no
// key names is not a fragment.
func (a *S3) Lookup(ctx context.Context, stream, number string) (kvs.Fragment, error) {
	if !kvs.ValidFragmentNumber(number) {
		return kvs.Fragment{}, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	f, err := a.headBody(ctx, stream, number)
	if errors.Is(err, ErrFragmentNotFound) {
		if serr := a.streamExists(ctx, stream); serr != nil {
			return kvs.Fragment{}, serr
		}
	}
	if err != nil {
		return kvs.Fragment{}, err
	}
	_, err = a.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &a.bucket, Key: aws.String(a.indexKey(stream, kvs.ProducerTimestamp, f))})
	if isNotFound(err) {
		_, err = a.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &a.bucket, Key: aws.String(a.indexKey(stream, kvs.ServerTimestamp, f))})
	}
	if isNotFound(err) {
		return kvs.Fragment{}, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	if err != nil {
		return kvs.Fragment{}, fmt.Errorf("archive: s3 fragment %s: %w", number, err)
	}
	return f, nil
}

// Read gets one body in one request, into a slice of its exact size.
// Callers find numbers through List or Lookup, so it does not check the
// listing again.
func (a *S3) Read(ctx context.Context, stream, number string) ([]byte, error) {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	out, err := a.getBody(ctx, stream, number)
	if err != nil {
		return nil, err
	}
	defer out.Body.Close()
	n := aws.ToInt64(out.ContentLength)
	if n < 0 || n > 1<<31 {
		n = 0
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
	if _, err := buf.ReadFrom(out.Body); err != nil {
		return nil, fmt.Errorf("archive: s3 read fragment %s: %w", number, err)
	}
	return buf.Bytes(), nil
}

// getBody GETs a fragment's whole body through the SDK.
func (a *S3) getBody(ctx context.Context, stream, number string) (*s3.GetObjectOutput, error) {
	if !kvs.ValidFragmentNumber(number) {
		return nil, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	out, err := a.getObject(ctx, &s3.GetObjectInput{Bucket: &a.bucket, Key: aws.String(a.bodyKey(stream, number))})
	if err != nil {
		return nil, a.bodyErr(ctx, stream, number, err)
	}
	return out, nil
}

// bodyErr is the store's error for a failed GET of a fragment's body: a
// missing body is ErrFragmentNotFound, or the stream's own error when the
// stream is gone; a range past the end keeps its status for the caller.
func (a *S3) bodyErr(ctx context.Context, stream, number string, err error) error {
	if isNotFound(err) {
		if serr := a.streamExists(ctx, stream); serr != nil {
			return serr
		}
		return fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	return fmt.Errorf("archive: s3 read fragment %s: %w", number, err)
}

// getObject is GetObject without the SDK's message for a response that
// carries no checksum to validate: no ranged read does, nor do objects
// that other tools wrote without one, and the SDK's default logger prints
// that message on stderr for each GET — hundreds for one clip.
func (a *S3) getObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	return a.client.GetObject(ctx, in, append(opts, quietChecksums)...)
}

func quietChecksums(o *s3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }

// noResponseChecksum leaves a ReadAt's response unchecked, whatever its
// range. S3 has no checksum for a part of an object, so ranged reads were
// never checked; but a range that covers the whole object (a clip reads
// most fragments whole) gets the object's checksum, and the SDK then ran
// a CRC over every byte: 2% of a whole-cap GetClip's CPU. ReadAt is the
// clip's payload path and is treated as the ranged read it is; Read,
// which returns a whole fragment, keeps the SDK's default.
func noResponseChecksum(o *s3.Options) {
	o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
}

// ReadAt is one ranged GET. S3 answers a range that starts past the end
// with 416 and one that runs past it with the bytes there are: io.EOF
// both.
func (a *S3) ReadAt(ctx context.Context, stream, number string, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("archive: fragment %s: offset %d: %w", number, off, ErrInvalid)
	}
	if len(p) == 0 {
		// No range can ask for nothing; only the fragment's existence
		// is left to report.
		_, err := a.Lookup(ctx, stream, number)
		return 0, err
	}
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	body, ranged, err := a.getRange(ctx, stream, number, off, len(p))
	if httpStatus(err) == http.StatusRequestedRangeNotSatisfiable {
		return 0, io.EOF
	}
	if err != nil {
		return 0, err
	}
	defer body.Close()
	if !ranged && off > 0 {
		// A server that ignores Range sends the whole body from byte 0.
		return 0, fmt.Errorf("archive: s3 read fragment %s: the server ignored the range", number)
	}
	n, err := io.ReadFull(body, p)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return n, io.EOF
	case err != nil:
		return n, fmt.Errorf("archive: s3 read fragment %s: %w", number, err)
	}
	return n, nil
}

// getRange GETs n bytes at off of a fragment's body and tells whether the
// answer is a range (a server that ignores Range sends the whole body).
func (a *S3) getRange(ctx context.Context, stream, number string, off int64, n int) (io.ReadCloser, bool, error) {
	if !kvs.ValidFragmentNumber(number) {
		return nil, false, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	body, ranged, err := a.getKey(ctx, a.bodyKey(stream, number), off, n, noResponseChecksum)
	if err != nil {
		return nil, false, a.bodyErr(ctx, stream, number, err)
	}
	return body, ranged, nil
}

// getKey GETs bytes [off, off+n) of key, or all of it when n < 0, through
// s3Reads when it can and else through the SDK with opts, and tells
// whether the answer is a range. Its errors answer isNotFound and
// httpStatus either way.
func (a *S3) getKey(ctx context.Context, key string, off int64, n int, opts ...func(*s3.Options)) (io.ReadCloser, bool, error) {
	if a.reads != nil && plainKey(key) {
		resp, err := a.reads.get(ctx, key, off, n)
		if err != nil {
			return nil, false, err
		}
		return resp.Body, resp.Header.Get("Content-Range") != "", nil
	}
	in := &s3.GetObjectInput{Bucket: &a.bucket, Key: aws.String(key)}
	if n >= 0 {
		in.Range = aws.String(fmt.Sprintf("bytes=%d-%d", off, off+int64(n)-1))
	}
	out, err := a.getObject(ctx, in, opts...)
	if err != nil {
		return nil, false, err
	}
	return out.Body, out.ContentRange != nil, nil
}

// Index GETs the index object. With the fragment's size known (f.Size, as
// List returns it from the listing keys) that is the one request; when the
// index does not match that size, or the size is not given, a HEAD of the
// body tells the size the index must describe.
func (a *S3) Index(ctx context.Context, stream string, f kvs.Fragment) (*fragindex.Index, error) {
	number := f.Number
	if !kvs.ValidFragmentNumber(number) {
		return nil, fmt.Errorf("archive: fragment %s: %w", number, ErrFragmentNotFound)
	}
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	raw, err := a.getIndex(ctx, stream, number)
	missing := errors.Is(err, ErrFragmentNotFound)
	if err != nil && !missing {
		return nil, err
	}
	size := f.Size
	if missing || size <= 0 || !indexDescribes(raw, size) {
		body, err := a.headBody(ctx, stream, number)
		if errors.Is(err, ErrFragmentNotFound) {
			if serr := a.streamExists(ctx, stream); serr != nil {
				return nil, serr
			}
		}
		if err != nil {
			return nil, err
		}
		size = body.Size
	}
	return indexFrom(ctx, a.log, storedIndex{
		stream: stream, number: number, raw: raw, missing: missing, docSize: size,
		readDoc: func(ctx context.Context) ([]byte, error) { return a.Read(ctx, stream, number) },
		write:   func(ctx context.Context, enc []byte) error { return a.putIndex(ctx, stream, number, enc) },
	})
}

// getIndex reads an index object of at most fragindex.MaxEncodedSize
// bytes; ErrFragmentNotFound when there is none.
func (a *S3) getIndex(ctx context.Context, stream, number string) ([]byte, error) {
	// The index carries its own checksum, which its decoder checks.
	body, _, err := a.getKey(ctx, a.indexObjectKey(stream, number), 0, -1)
	if isNotFound(err) {
		return nil, fmt.Errorf("archive: index %s: %w", number, ErrFragmentNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("archive: s3 read index %s: %w", number, err)
	}
	defer body.Close()
	raw, err := io.ReadAll(io.LimitReader(body, fragindex.MaxEncodedSize+1))
	if err != nil {
		return nil, fmt.Errorf("archive: s3 read index %s: %w", number, err)
	}
	return raw, nil
}

// DeleteBefore lists the server-time index up to the cutoff, deletes both
// index keys of each fragment and then the bodies, and then removes bodies
// no index names (Puts cut short) whose number says they are that old.
// Fragments younger than PutGrace are kept whatever the cutoff: another
// server may still be writing their keys.
func (a *S3) DeleteBefore(ctx context.Context, stream string, cutoff int64) (int, error) {
	ctx, cancel := a.ctx(ctx)
	defer cancel()
	if err := a.streamExists(ctx, stream); err != nil {
		return 0, err
	}
	cutoff = min(cutoff, a.opts.Now().Add(-a.opts.PutGrace).UnixMilli())
	dir := a.streamKey(stream) + s3IdxServer
	var frags []kvs.Fragment
	_, err := a.listKeys(ctx, dir, "", func(k string) bool {
		f, ok := parseIndexName(kvs.ServerTimestamp, strings.TrimPrefix(k, dir))
		if !ok {
			return true
		}
		if f.ServerMillis >= cutoff {
			return false
		}
		frags = append(frags, f)
		return true
	})
	if err != nil {
		return 0, err
	}
	idx := make([]string, 0, 2*len(frags))
	bodies := make([]string, 0, 2*len(frags))
	for _, f := range frags {
		// The commit record goes first, as Lookup trusts it.
		idx = append(idx, a.indexKey(stream, kvs.ProducerTimestamp, f), a.indexKey(stream, kvs.ServerTimestamp, f))
		bodies = append(bodies, a.bodyKey(stream, f.Number), a.indexObjectKey(stream, f.Number))
	}
	if err := a.deleteKeys(ctx, idx); err != nil {
		return 0, err
	}
	if err := a.deleteKeys(ctx, bodies); err != nil {
		return len(frags), err
	}
	return len(frags), a.deleteOrphans(ctx, stream, cutoff)
}

// deleteOrphans removes bodies and indexes older than cutoff by the server
// clock their number carries (see the server's numbering: digits 11..30
// are ns). They sort by number, so the listing stops at the first young
// one; numbers of another shape are left alone.
func (a *S3) deleteOrphans(ctx context.Context, stream string, cutoff int64) error {
	dir := a.streamKey(stream) + s3Frags
	number := func(k string) string {
		n := strings.TrimPrefix(k, dir)
		if b, ok := strings.CutSuffix(n, ".mkv"); ok {
			return b
		}
		b, _ := strings.CutSuffix(n, indexSuffix)
		return b
	}
	keys, err := a.listKeys(ctx, dir, "", func(k string) bool {
		n := number(k)
		if len(n) != 47 {
			return true
		}
		ns, err := strconv.ParseInt(n[11:30], 10, 64)
		return err == nil && ns/1e6 < cutoff
	})
	if err != nil {
		return err
	}
	var old []string
	for _, k := range keys {
		if len(number(k)) == 47 {
			old = append(old, k)
		}
	}
	return a.deleteKeys(ctx, old)
}

// forEach runs fn(0..n-1) with at most s3Fanout at once and returns the
// first error.
func forEach(n int, fn func(i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		sem   = make(chan struct{}, s3Fanout)
	)
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// isNotFound reports S3's "no such key / bucket" answers, which come as
// typed errors from GET and as bare 404s from HEAD.
func isNotFound(err error) bool {
	if err == nil {
		return false
	}
	var nsk *s3types.NoSuchKey
	var nf *s3types.NotFound
	var nsb *s3types.NoSuchBucket
	if errors.As(err, &nsk) || errors.As(err, &nf) || errors.As(err, &nsb) {
		return true
	}
	return httpStatus(err) == http.StatusNotFound
}

// isPreconditionFailed reports a failed If-Match / If-None-Match. S3 says
// 412; some servers answer a lost If-None-Match race with 409.
func isPreconditionFailed(err error) bool {
	if err == nil {
		return false
	}
	var ae smithy.APIError
	if errors.As(err, &ae) && (ae.ErrorCode() == "PreconditionFailed" || ae.ErrorCode() == "ConditionalRequestConflict") {
		return true
	}
	s := httpStatus(err)
	return s == http.StatusPreconditionFailed || s == http.StatusConflict
}

func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}
