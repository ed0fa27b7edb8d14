#!/usr/bin/env bash
# player.sh DIR PACKAGE VERSION SHA256 FILE [LICENSE]: puts FILE, a path
# in the npm package PACKAGE@VERSION, into DIR under its base name, with
# the package's LICENSE (or the LICENSE path given) beside it as
# NAME.LICENSE and NAME.version naming what is there. The package comes
# from the npm registry by `npm pack` and must have the pinned SHA-256: a
# version is immutable there, and a different tarball is refused rather
# than served to the page. Nothing is fetched when DIR already holds it.
set -euo pipefail
dir=$1 pkg=$2 version=$3 sum=$4 file=$5 license=${6:-LICENSE}
want="$pkg@$version"
name=$(basename "$file")
if [ "$(cat "$dir/$name.version" 2>/dev/null)" = "$want" ] && [ -f "$dir/$name" ]; then
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching $want into $dir"
(cd "$tmp" && npm pack --silent "$want" >/dev/null)
tgz=$(echo "$tmp"/*.tgz)
echo "$sum  $tgz" | sha256sum --check --quiet -
tar -xzf "$tgz" -C "$tmp" "package/$file" "package/$license"
mkdir -p "$dir"
cp "$tmp/package/$file" "$dir/$name"
cp "$tmp/package/$license" "$dir/$name.LICENSE"
echo "$want" >"$dir/$name.version"
