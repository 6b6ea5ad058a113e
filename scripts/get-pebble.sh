#!/usr/bin/env bash
# get-pebble.sh [DEST]  (default: .cache/pebble in the repository)
# Puts Pebble 2.10+ and pebble-challtestsrv into DEST/bin from Debian's own archive (suite
# 'sid'), without installing anything system-wide. Debian bookworm's `apt-get install pebble`
# is 2.4, which has no ARI ('renewalInfo') and no profiles, so the tests need this one.
# The binaries need only libc >= 2.34. Safe to run again: it reuses what it fetched.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$here/.cache/pebble}
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
if [ -x "$DEST/bin/pebble" ] && [ -x "$DEST/bin/pebble-challtestsrv" ]; then
  echo "$DEST/bin/pebble"; exit 0
fi
work="$DEST/apt"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" > "$work/sources.list"
opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
apt-get "${opts[@]}" -qq update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; exit 1; }
( cd "$work/deb" && apt-get "${opts[@]}" -qq download pebble ) >"$work/download.log" 2>&1 \
  || { cat "$work/download.log" >&2; exit 1; }
deb=$(ls "$work"/deb/pebble_*.deb | head -n 1)
rm -rf "$work/x" && mkdir -p "$work/x" && dpkg-deb -x "$deb" "$work/x"
mkdir -p "$DEST/bin"
cp "$work/x/usr/bin/pebble" "$work/x/usr/bin/pebble-challtestsrv" "$DEST/bin/"
rm -rf "$work/x" "$work/lists" "$work/cache"
"$DEST/bin/pebble" -version >/dev/null 2>&1 || { echo "get-pebble: fetched binary does not run here" >&2; exit 1; }
echo "$DEST/bin/pebble"
