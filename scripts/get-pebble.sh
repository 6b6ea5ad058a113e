#!/usr/bin/env bash
# get-pebble.sh [DEST]  (default: .cache/pebble in the repository)
# Puts Pebble 2.10+ and pebble-challtestsrv into DEST/bin from Debian's own archive (suite
# 'sid'), without installing anything system-wide. Debian bookworm's `apt-get install pebble`
# is 2.4, which has no ARI ('renewalInfo') and no profiles, so the tests need this one.
# The binaries need only libc >= 2.34. Safe to run again: it reuses what it fetched.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$here/.cache/pebble}
if [ -x "$DEST/bin/pebble" ] && [ -x "$DEST/bin/pebble-challtestsrv" ]; then
  echo "$DEST/bin/pebble"; exit 0
fi
bash "$here/scripts/fetch-debian-package.sh" sid "$DEST/deb" pebble
mkdir -p "$DEST/bin"
cp "$DEST/deb/usr/bin/pebble" "$DEST/deb/usr/bin/pebble-challtestsrv" "$DEST/bin/"
rm -rf "$DEST/deb"
"$DEST/bin/pebble" -version >/dev/null 2>&1 || { echo "get-pebble: fetched binary does not run here" >&2; exit 1; }
echo "$DEST/bin/pebble"
