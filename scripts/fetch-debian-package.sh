#!/usr/bin/env bash
# fetch-debian-package.sh SUITE PACKAGE DEST
# Unpacks one package from Debian's own archive into DEST (DEST/usr/...), without installing
# anything system-wide: a private apt state (sources, lists, cache) under DEST/.apt, then
# `apt-get download` and `dpkg-deb -x`. Test tools that a fresh machine lacks (Pebble 2.10,
# libfaketime, the pyca test vectors) come this way, so `npm test` needs nothing installed
# by hand. Safe to run again: DEST/.complete marks a finished unpack, which is reused.
set -euo pipefail
suite=$1 package=$2 dest=$3
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
[ -f "$dest/.complete" ] && exit 0
work="$dest/.apt"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/deb"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" > "$work/sources.list"
opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
fail() {
  echo "fetch-debian-package: could not fetch $package from Debian $suite ($1)." >&2
  [ -f "$work/log" ] && tail -n 5 "$work/log" >&2
  echo "Run it by hand to see why: bash scripts/fetch-debian-package.sh $suite $package $dest" >&2
  exit 1
}
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || fail "needs apt-get and dpkg-deb (Debian or Ubuntu)"
apt-get "${opts[@]}" -qq update >"$work/log" 2>&1 || fail "apt-get update"
( cd "$work/deb" && apt-get "${opts[@]}" -qq download "$package" ) >"$work/log" 2>&1 || fail "apt-get download"
dpkg-deb -x "$(ls "$work"/deb/*.deb | head -n 1)" "$dest" || fail "dpkg-deb -x"
rm -rf "$work"
touch "$dest/.complete"
