#!/usr/bin/env bash
# Times kvsclip and `ffmpeg -c copy` on the same inputs, in one run, and
# prints the ratio. Usage: bench-vs-ffmpeg.sh KVSCLIP_BINARY SHARED_DIR
set -euo pipefail
bin=$1 shared=$2 runs=${RUNS:-5}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
best() { # best wall time in ns over $runs runs of "$@"
	local b=0 s e d
	for _ in $(seq "$runs"); do
		s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); d=$((e - s))
		if [ "$b" = 0 ] || [ "$d" -lt "$b" ]; then b=$d; fi
	done
	echo "$b"
}
printf '%-32s %12s %12s %8s\n' input kvsclip_ms ffmpeg_ms ratio
for f in producer/vogels_480.mkv producer/test-stream-1_0.mkv getmedia/output_get_media.mkv; do
	in=$shared/$f
	k=$(best "$bin" clip -o "$tmp/k.mp4" "$in")
	m=$(best ffmpeg -nostdin -v error -y -i "$in" -c copy -f mp4 "$tmp/f.mp4")
	awk -v f="$f" -v k="$k" -v m="$m" 'BEGIN { printf "%-32s %12.2f %12.2f %7.1fx\n", f, k/1e6, m/1e6, m/k }'
done
echo "ratio = ffmpeg time / kvsclip time (higher is faster kvsclip); best of $runs runs each"
