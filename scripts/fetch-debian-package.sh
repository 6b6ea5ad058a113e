#!/usr/bin/env bash
# fetch-debian-package.sh SUITE DEST PACKAGE [PACKAGE...]
# Unpacks packages from Debian's own archive into DEST (DEST/usr/...), plus whatever of their
# dependencies this machine lacks, without installing anything system-wide: a private apt
# state (sources, lists, cache) under DEST/.apt, `apt-get install --download-only` against
# the machine's own package list, then `dpkg-deb -x` of every downloaded package. Test tools
# that a fresh machine lacks (Pebble 2.10, libfaketime, BIND 9, the pyca test vectors) come
# this way, so `npm test` needs nothing installed by hand; a program with libraries of its
# own runs with LD_LIBRARY_PATH=DEST/usr/lib/<arch>:DEST/lib/<arch>.
# Safe to run again: DEST/.complete marks a finished unpack, which is reused.
set -euo pipefail
suite=$1 dest=$2
shift 2
packages=("$@")
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
[ -f "$dest/.complete" ] && exit 0
work="$dest/.apt"
rm -rf "$work"
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
{
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main"
  if [ "$suite" != sid ] && [ "$suite" != unstable ]; then
    # a stable machine's own packages may be newer than the release: its updates and security fixes
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite-updates main"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security $suite-security main"
  fi
} > "$work/sources.list"
opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
      -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root
      -o Debug::NoLocking=1 ${FETCH_DEBIAN_STATUS:+-o "Dir::State::status=$FETCH_DEBIAN_STATUS"})
fail() {
  echo "fetch-debian-package: could not fetch ${packages[*]} from Debian $suite ($1)." >&2
  [ -f "$work/log" ] && tail -n 5 "$work/log" >&2
  echo "Install them instead with: sudo apt-get install -y ${packages[*]}" >&2
  exit 1
}
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || fail "needs apt-get and dpkg-deb (Debian or Ubuntu)"
apt-get "${opts[@]}" -qq update >"$work/log" 2>&1 || fail "apt-get update"
# --reinstall: the named packages come even when the machine has them; their missing
# dependencies come too, the ones it has are used from the machine.
apt-get "${opts[@]}" -qq -y --reinstall --no-install-recommends --download-only install "${packages[@]}" >"$work/log" 2>&1 \
  || fail "apt-get install --download-only"
for deb in "$work"/cache/archives/*.deb; do
  dpkg-deb -x "$deb" "$dest" || fail "dpkg-deb -x $(basename "$deb")"
done
rm -rf "$work"
touch "$dest/.complete"
