#!/usr/bin/env bash
# player.sh DIR PACKAGE VERSION SHA256 FILE: puts FILE of the npm package
# PACKAGE@VERSION (from its dist/ folder) and the package's LICENSE into
# DIR, with a VERSION file naming what is there. The package comes from
# the npm registry by `npm pack` and must have the pinned SHA-256: a
# version is immutable there, and a different tarball is refused rather
# than served to the page. Nothing is fetched when DIR already holds it.
set -euo pipefail
dir=$1 pkg=$2 version=$3 sum=$4 file=$5
want="$pkg@$version"
if [ "$(cat "$dir/VERSION" 2>/dev/null)" = "$want" ] && [ -f "$dir/$file" ]; then
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching $want into $dir"
(cd "$tmp" && npm pack --silent "$want" >/dev/null)
tgz=$(echo "$tmp"/*.tgz)
echo "$sum  $tgz" | sha256sum --check --quiet -
tar -xzf "$tgz" -C "$tmp" "package/dist/$file" package/LICENSE
mkdir -p "$dir"
cp "$tmp/package/dist/$file" "$tmp/package/LICENSE" "$dir/"
echo "$want" >"$dir/VERSION"
