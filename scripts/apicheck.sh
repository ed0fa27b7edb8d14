#!/usr/bin/env bash
# The engine's API guard: each engine package's exported API is compared
# with its committed snapshot (api/PKG.export, export data written by
# golang.org/x/exp/cmd/apidiff), and an incompatible change fails unless
# the snapshot moves in the same commit (`scripts/apicheck.sh -update`,
# which `make api-update` runs). Compatible additions pass and are listed.
set -euo pipefail
cd "$(dirname "$0")/.."
APIDIFF=${APIDIFF:-$(command -v apidiff || echo "$(go env GOPATH)/bin/apidiff")}
pkgs=(mkv codec dedup fragindex kvs mp4 remux)
update=false
[ "${1:-}" = "-update" ] && update=true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
for p in "${pkgs[@]}"; do
	"$APIDIFF" -w "$tmp/$p.export" "github.com/kvsclip/kvsclip/$p"
	if $update; then
		cp "$tmp/$p.export" "api/$p.export"
		continue
	fi
	if [ ! -f "api/$p.export" ]; then
		echo "api: no snapshot for $p: run make api-update"
		fail=1
		continue
	fi
	incompatible=$("$APIDIFF" -incompatible "api/$p.export" "$tmp/$p.export")
	if [ -n "$incompatible" ]; then
		echo "api: incompatible change in $p:"
		echo "$incompatible" | sed 's/^/  /'
		fail=1
	fi
	added=$("$APIDIFF" "api/$p.export" "$tmp/$p.export" | grep -v '^Incompatible' || true)
	[ -n "$added" ] && echo "api: $p adds (update the snapshot to keep them): $(echo "$added" | grep -c '^-') names"
done
if [ $fail = 1 ]; then
	echo "api: the engine's API promises fields are added, never changed; if this change is meant, run make api-update and say why in the commit"
	exit 1
fi
$update && echo "api: snapshots written to api/"
exit 0
