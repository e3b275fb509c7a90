#!/usr/bin/env bash
# Installs everything torus needs to build and test on a fresh Debian 12 machine. Idempotent:
# a second run installs nothing and unpacks nothing. Run as root (apt-get).
#
# Sources: Debian's binary packages only. V8 comes from libnode108 and llhttp's generated C
# from node-llhttp; both are unpacked into a git-ignored prefix (third_party/prefix) instead
# of being installed, because their package dependencies conflict with the machine's nodejs.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/third_party/prefix"

apt_packages=(
  build-essential cmake ninja-build pkg-config
  liburing-dev libmimalloc-dev libgtest-dev libgmock-dev libbenchmark-dev
  libicu72 libuv1 libc-ares2 libnghttp2-14 libbrotli1 libssl3 zlib1g
  curl wrk python3
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_update=0
[ ${#missing[@]} -gt 0 ] && need_update=1
[ -f "$prefix/.stamp" ] || need_update=1
if [ $need_update = 1 ]; then
  echo "setup: apt-get update"
  apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Unpacks the named packages at the candidate version into $prefix. Never pins a version:
# the security archive keeps only the newest build.
unpack() {
  local tmp
  tmp=$(mktemp -d)
  chmod 0777 "$tmp"
  (cd "$tmp" && apt-get download -qq "$@")
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
  rm -rf "$tmp"
}

want="$(apt-cache policy libnode108 | awk '/Candidate:/{print $2}') \
$(apt-cache policy node-llhttp | awk '/Candidate:/{print $2}')"
if [ ! -f "$prefix/.stamp" ] || [ "$(cat "$prefix/.stamp")" != "$want" ]; then
  read -r node_ver llhttp_ver <<<"$want"
  echo "setup: unpacking libnode108 $node_ver and node-llhttp $llhttp_ver into $prefix"
  rm -rf "$prefix"
  mkdir -p "$prefix"
  unpack "libnode108=$node_ver" "libnode-dev=$node_ver" "node-llhttp=$llhttp_ver"
  test -f "$prefix/usr/include/nodejs/deps/v8/include/v8.h"
  test -f "$prefix/usr/lib/x86_64-linux-gnu/libnode.so.108"
  test -f "$prefix/usr/share/llhttp/llhttp.c"
  echo "$want" >"$prefix/.stamp"
fi
# The WHATWG Encoding Standard's index files, as the text-encoding package (the standard's
# polyfill by one of its editors; Unlicense OR Apache-2.0) carries them in
# lib/encoding-indexes.js. js/api/encoding_tables.py turns them into C++ tables at build time;
# the data itself is never committed. `npm pack` fetches the exact version (checked against
# the registry's integrity hash) without a node_modules tree that another install could prune.
text_encoding="$root/third_party/npm/text-encoding-0.7.0"
if [ ! -f "$text_encoding/lib/encoding-indexes.js" ]; then
  command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
  echo "setup: fetching text-encoding 0.7.0 (WHATWG encoding indexes) into $text_encoding"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent text-encoding@0.7.0 >/dev/null)
  rm -rf "$text_encoding.tmp"
  mkdir -p "$text_encoding.tmp"
  tar -xzf "$tmp"/text-encoding-0.7.0.tgz -C "$text_encoding.tmp" --strip-components=1
  rm -rf "$tmp"
  test -f "$text_encoding.tmp/lib/encoding-indexes.js"
  rm -rf "$text_encoding"
  mv "$text_encoding.tmp" "$text_encoding"
fi
echo "setup: ok"
