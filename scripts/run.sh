#!/usr/bin/env bash
# What `make run` does: start `kvsclip serve` on a local archive, create
# stream demo, put a minute of H.264+AAC that ffmpeg makes here (a test
# pattern and a tone, 2 s fragments: nothing needs ../shared), fetch a clip
# of it with the curl line it prints and check that the clip decodes, print
# the ready-to-paste client lines, and serve until Ctrl-C.
#
# Usage: run.sh ADDR DATA BIN (make run passes RUN_ADDR, RUN_DATA, BIN).
set -euo pipefail
addr=$1 data=$2 bin=$3
url=http://$addr
log=$data/kvsclip.log
start=1700000000 # producer time of the demo's first frame, epoch seconds
end=$((start + 60))

fail() {
	echo "make run: $*" >&2
	exit 1
}

# Whatever already listens on the port would answer our requests and take
# the demo; nothing may, so that the checks below talk to our server only.
host=${addr%:*} port=${addr##*:}
host=${host:-127.0.0.1}
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
	fail "$addr is already in use (another kvsclip serve?): stop it, or choose another address, such as make run RUN_ADDR=$host:$((port + 1))"
fi

mkdir -p "$data"
"$bin" serve --addr "$addr" --data "$data" ${PLAYER_DIR:+--player-dir "$PLAYER_DIR"} >"$log" 2>&1 &
pid=$!
tmp=$(mktemp -d)
stopped=0
cleanup() {
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
# Ctrl-C is how the demo ends, not a failure.
trap 'stopped=1; cleanup; echo; echo "stopped (server log: $log)"; exit 0' INT TERM

for _ in $(seq 100); do
	kill -0 "$pid" 2>/dev/null || fail "kvsclip serve exited; its log ($log):
$(tail -n 5 "$log")"
	curl -s -o /dev/null "$url/metrics" && break
	sleep 0.1
done
curl -s -o /dev/null "$url/metrics" || fail "kvsclip serve does not answer on $url; its log: $log"

# A stream kept from an earlier run (RUN_DATA) is reused: the demo's
# fragments are put again and GetClip drops the duplicates.
if ! out=$(curl -sS --fail-with-body -X POST "$url/createStream" -H 'Content-Type: application/json' \
	-d '{"StreamName":"demo","DataRetentionInHours":24}' 2>&1); then
	case $out in
	*ResourceInUse*) echo "stream demo exists in $data: putting the demo again" ;;
	*) fail "createStream: $out" ;;
	esac
else
	echo "created stream demo"
fi

echo "making 60 s of H.264+AAC with ffmpeg (testsrc2 and a 440 Hz tone, a key frame every 2 s)"
ffmpeg -nostdin -v error -y \
	-f lavfi -i testsrc2=size=640x360:rate=25 \
	-f lavfi -i sine=frequency=440:sample_rate=48000 -t 60 \
	-c:v libx264 -preset veryfast -pix_fmt yuv420p -g 50 -keyint_min 50 -sc_threshold 0 \
	-c:a aac -b:a 64k -ac 2 \
	-cluster_time_limit 2100 -cluster_size_limit 60000000 \
	-f matroska "$tmp/demo.mkv"
# The limits above make each 2 s GOP one Cluster, so one KVS fragment.

persisted=$("$bin" put --endpoint "$url" --stream demo --start "$start" "$tmp/demo.mkv" | grep -c PERSISTED || true)
[ "$persisted" -gt 0 ] || fail "no fragment PERSISTED; server log: $log"
echo "$persisted fragments PERSISTED in stream demo"

body='{"StreamName":"demo","ClipFragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP","TimestampRange":{"StartTimestamp":'$start',"EndTimestamp":'$end'}}}'
getclip="curl -sS -X POST $url/getClip -H 'Content-Type: application/json' -d '$body'"
# The curl line printed below, run here as printed: with -f an error answer
# fails it loudly instead of landing in demo.mp4 as JSON; the JSON is then
# fetched once more to say what went wrong.
eval "$getclip -f -o \"\$tmp/demo.mp4\"" || fail "GetClip failed: $(eval "$getclip")"
ffmpeg -nostdin -v error -xerror -i "$tmp/demo.mp4" -f null - || fail "the demo clip does not decode"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$tmp/demo.mp4")
echo "demo clip OK: $frames frames"

cat <<EOF

GetClip with curl:
  $getclip -f -o demo.mp4
GetClip with the Go SDK (github.com/aws/aws-sdk-go-v2/service/kinesisvideoarchivedmedia), with an
HTTP client that keeps the SDK from cutting the payload on a busy machine (README: "The Go SDK's GetClip payload"):
  type plainBodies struct{ rt http.RoundTripper }
  func (p plainBodies) RoundTrip(req *http.Request) (*http.Response, error) {
  	if req.Body != nil && req.Body != http.NoBody {
  		req = req.Clone(req.Context())
  		req.Body = struct{ io.ReadCloser }{req.Body} // hides WriteTo from net/http
  	}
  	return p.rt.RoundTrip(req)
  }
  c := kinesisvideoarchivedmedia.New(kinesisvideoarchivedmedia.Options{Region: "us-west-2", BaseEndpoint: aws.String("$url"), Credentials: aws.AnonymousCredentials{}, HTTPClient: &http.Client{Transport: plainBodies{http.DefaultTransport}}})
  out, err := c.GetClip(ctx, &kinesisvideoarchivedmedia.GetClipInput{StreamName: aws.String("demo"), ClipFragmentSelector: &types.ClipFragmentSelector{FragmentSelectorType: types.ClipFragmentSelectorTypeProducerTimestamp, TimestampRange: &types.ClipTimestampRange{StartTimestamp: aws.Time(time.Unix($start, 0)), EndTimestamp: aws.Time(time.Unix($end, 0))}}}) // out.Payload is the MP4
Or open $url/ in a browser for the stream's timeline.

serving on $url (archive $data, server log $log); Ctrl-C stops
EOF

# wait returns early when a trapped signal arrives; the trap then exits.
wait "$pid" || true
[ "$stopped" = 1 ] || fail "kvsclip serve exited; its log ($log):
$(tail -n 5 "$log")"
