#!/usr/bin/env bash
# Installs everything torus needs to build and test on a fresh Debian 12 machine. Idempotent:
# a second run installs nothing and unpacks nothing. Run as root (apt-get).
#
# Sources: Debian's binary packages only. V8 comes from libnode108 and llhttp's generated C
# from node-llhttp; both are unpacked into a git-ignored prefix (third_party/prefix) instead
# of being installed, because their package dependencies conflict with the machine's nodejs.
# ada (WHATWG URL) has no binary package: its source is the orig-ada component of Debian's
# nodejs source package, fetched by URI from apt's own answer and checked against its SHA256,
# then unpacked into third_party/ada (git-ignored; never committed) and patched with
# packaging/patches/ada-*.patch. tr46 (UTS #46 data for our IDNA) comes from the npm registry
# into third_party/npm. wolfSSL is rebuilt from Debian's own source package (Debian's binary
# has no AES-NI, Intel asm or SP math) into third_party/wolfssl/prefix, statically.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
prefix="$root/third_party/prefix"

apt_packages=(
  build-essential cmake ninja-build pkg-config
  liburing-dev libmimalloc-dev zlib1g-dev libbrotli-dev libgtest-dev libgmock-dev libbenchmark-dev
  libc-ares-dev libtomlplusplus-dev libsystemd-dev
  libicu72 libuv1 libc-ares2 libnghttp2-14 libbrotli1 libssl3 zlib1g
  curl wrk python3 patch
  mmdebstrap help2man umoci runc golang-github-containers-common
  autoconf automake libtool
  ca-certificates openssl
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
# Source packages: apt needs a deb-src entry. It is derived at run time from the machine's own
# sources (same URIs and suites, Types: deb-src) in a private apt config under $apt_src_dir, so
# /etc/apt is left as it is and no mirror name is written here. Set up (and apt-get update'd)
# once, on first use; removed on exit.
apt_src=()
apt_src_dir=
deb_src_init() {
  [ ${#apt_src[@]} -gt 0 ] && return 0
  apt_src_dir=$(mktemp -d)
  trap 'rm -rf "$apt_src_dir"' EXIT
  mkdir -p "$apt_src_dir/parts" "$apt_src_dir/lists/partial"
  sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    >"$apt_src_dir/parts/deb-src.sources"
  apt_src=(-o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_src_dir/parts"
           -o "Dir::State::Lists=$apt_src_dir/lists" -o "APT::Sandbox::User=root")
  echo "setup: apt-get update (deb-src, private config)"
  apt-get "${apt_src[@]}" update -qq
}
# Fetches one line of `apt-get source --print-uris` ('URI' file size SHA256:hex) into $2,
# checked against the SHA256 apt gives (apt's Sources index is signed through Release).
fetch_checked() {
  local uri file sum sha
  read -r uri file _ sum <<<"$1"
  uri=${uri//\'/}
  sha=${sum#SHA256:}
  [[ $sha =~ ^[0-9a-f]{64}$ ]] || { echo "setup: apt gave no SHA256 for $file" >&2; exit 1; }
  echo "setup: fetching $file"
  curl -fsSL --retry 3 -o "$2/$file" "$uri"
  echo "$sha  $2/$file" | sha256sum -c --quiet -
}
# ada from the nodejs source package (deb_src_init above).
ada="$root/third_party/ada"
# The orig-ada tarball belongs to the upstream version of nodejs (Debian revision dropped), the
# same one libnode108 is built from.
node_upstream=$(apt-cache policy libnode108 | awk '/Candidate:/{print $2}')
node_upstream=${node_upstream%-*}
# Our patches to ada (packaging/patches/ada-*.patch: spec changes newer than ada 2.7.8) are
# part of the stamp, so a changed patch unpacks ada again.
ada_patches=("$root"/packaging/patches/ada-*.patch)
ada_want="$node_upstream $(cat "${ada_patches[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$ada/.stamp" ] || [ "$(cat "$ada/.stamp")" != "$ada_want" ]; then
  tmp=$(mktemp -d)
  deb_src_init
  # Each line: 'URI' file size SHA256:hex
  uris=$(apt-get "${apt_src[@]}" source --print-uris -qq "nodejs=$node_upstream*" 2>/dev/null \
         || apt-get "${apt_src[@]}" source --print-uris -qq nodejs)
  line=$(grep -E "orig-ada\.tar\.xz'? " <<<"$uris" | head -n1)
  [ -n "$line" ] || { echo "setup: no orig-ada component in the nodejs source package" >&2; exit 1; }
  read -r _ file _ <<<"$line"
  fetch_checked "$line" "$tmp"
  rm -rf "$ada"
  mkdir -p "$ada"
  tar -xJf "$tmp/$file" -C "$ada" --strip-components=1
  test -f "$ada/src/ada.cpp"
  test -f "$ada/include/ada.h"
  for p in "${ada_patches[@]}"; do
    echo "setup: applying $(basename "$p") to ada"
    patch -s -p1 -d "$ada" <"$p"
  done
  echo "$ada_want" >"$ada/.stamp"
  rm -rf "$tmp"
fi
# wolfSSL from Debian's own source package (the security archive's revision, with Debian's
# patches applied by dpkg-source), configured with what debian/rules enables (--enable-distro
# --enable-pkcs11 --disable-examples) plus the assembly options Debian's binary lacks (AES-NI,
# Intel asm, SP math: ~45x AES-GCM, ~3x handshakes; notes/deps.md) and everything net/tls.cc
# and WebCrypto use, spelled as 5.5.4's configure spells them (AES key wrap is aeskeywrap).
# Static with PIC: torus links it into its own binary, so no libwolfssl.so of ours can be
# mistaken for Debian's (--enable-distro builds one anyway; it is removed after install).
# WOLFSSL_ALWAYS_KEEP_SNI (SNI readable after the handshake) and WOLFSSL_MIN_AUTH_TAG_SZ=4
# (WebCrypto's AES-GCM allows 32-bit tags; wolfSSL's default minimum is 12 bytes) land in
# wolfssl/options.h, which every user includes first. Our fixes to 5.5.4
# (packaging/patches/wolfssl-*.patch: a TLS 1.3 server leaked its OCSP staple and a decoded
# certificate per handshake; an X25519 public key, one per TLS key share, is computed on
# Ed25519's fixed-base comb instead of the generic ladder; SHA-256 uses the CPU's SHA
# extensions where it has them) are applied after Debian's. The stamp holds the version, the
# flags and the patches: a change to any rebuilds.
wolfssl_dir="$root/third_party/wolfssl"
wolfssl_flags=(
  --enable-distro --enable-pkcs11 --disable-examples --disable-silent-rules
  --enable-aesni --enable-intelasm --enable-sp --enable-sp-asm
  --enable-hkdf --enable-aesgcm --enable-aesctr --enable-aeskeywrap --enable-aescbc --enable-ecc
  --enable-curve25519 --enable-ed25519 --enable-rsapss --enable-keygen --enable-certgen
  --enable-sessioncerts --enable-sni --enable-alpn --enable-session-ticket --enable-tls13
  --enable-opensslextra
  --enable-static --disable-shared --with-pic --disable-crypttests
)
wolfssl_cflags="-O2 -DWOLFSSL_ALWAYS_KEEP_SNI -DWOLFSSL_MIN_AUTH_TAG_SZ=4"
wolfssl_ver=$(apt-cache policy libwolfssl-dev | awk '/Candidate:/{print $2}')
[ -n "$wolfssl_ver" ] && [ "$wolfssl_ver" != "(none)" ] \
  || { echo "setup: apt knows no libwolfssl-dev (is the main component enabled?)" >&2; exit 1; }
wolfssl_patches=("$root"/packaging/patches/wolfssl-*.patch)
wolfssl_want="$wolfssl_ver ${wolfssl_flags[*]} CFLAGS=$wolfssl_cflags $(cat "${wolfssl_patches[@]}" | sha256sum | cut -c1-16)"
if [ ! -f "$wolfssl_dir/.stamp" ] || [ "$(cat "$wolfssl_dir/.stamp")" != "$wolfssl_want" ]; then
  deb_src_init
  tmp=$(mktemp -d)
  # The source version is the binary's without a binNMU suffix (+bN).
  uris=$(apt-get "${apt_src[@]}" source --print-uris -qq "wolfssl=${wolfssl_ver%+b[0-9]*}")
  dsc=
  while read -r line; do
    [ -n "$line" ] || continue
    fetch_checked "$line" "$tmp"
    read -r _ file _ <<<"$line"
    [[ $file == *.dsc ]] && dsc=$file
  done <<<"$uris"
  [ -n "$dsc" ] || { echo "setup: no .dsc in the wolfssl source package" >&2; exit 1; }
  # dpkg-source checks the .dsc's file sums again and applies debian/patches (Debian's CVE
  # fixes among them; gpgv may say it has no key for the .dsc's signature: the sums from apt's
  # signed index are the check). The patches touch configure.ac and Makefile.am, hence
  # autoreconf. Extracted beside the downloads, then moved, so no link to them is left behind.
  (cd "$tmp" && dpkg-source -q -x "$dsc" src)
  rm -rf "$wolfssl_dir"
  mkdir -p "$wolfssl_dir"
  mv "$tmp/src" "$wolfssl_dir/src"
  rm -rf "$tmp"
  for p in "${wolfssl_patches[@]}"; do
    echo "setup: applying $(basename "$p") to wolfssl"
    patch -s -p1 -d "$wolfssl_dir/src" <"$p"
  done
  echo "setup: building wolfssl $wolfssl_ver into $wolfssl_dir/prefix (log: $wolfssl_dir/build.log)"
  if ! (cd "$wolfssl_dir/src" \
        && autoreconf -fi \
        && ./configure --prefix="$wolfssl_dir/prefix" "${wolfssl_flags[@]}" \
             CFLAGS="$wolfssl_cflags" \
        && make -j"$(nproc)" \
        && make install) >"$wolfssl_dir/build.log" 2>&1; then
    tail -n 30 "$wolfssl_dir/build.log" >&2
    echo "setup: building wolfssl failed (full log: $wolfssl_dir/build.log)" >&2
    exit 1
  fi
  # --enable-distro turns shared libraries back on and leaves options.h (the build's defines,
  # which every user must see) uninstalled, for Debian's multi-arch: ours is one arch and
  # static, so options.h is installed by hand and the shared library removed.
  install -m 644 "$wolfssl_dir/src/wolfssl/options.h" "$wolfssl_dir/prefix/include/wolfssl/"
  rm -f "$wolfssl_dir"/prefix/lib/libwolfssl.so* "$wolfssl_dir"/prefix/lib/libwolfssl.la
  test -f "$wolfssl_dir/prefix/lib/libwolfssl.a"
  grep -q "define WOLFSSL_AESNI" "$wolfssl_dir/prefix/include/wolfssl/options.h"
  grep -q "define WOLFSSL_ALWAYS_KEEP_SNI" "$wolfssl_dir/prefix/include/wolfssl/options.h"
  echo "$wolfssl_want" >"$wolfssl_dir/.stamp"
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
# tr46 (jsdom's UTS #46) from the npm registry, for its IDNA Mapping Table and Unicode
# character classes: CMake generates js/api/idna.cc's tables from it at build time
# (packaging/gen_idna_tables.py; docs/idna.md). Pinned to the version whose Unicode the
# web-platform-tests' IDNA data expects; npm checks the tarball's integrity from the registry.
tr46_version=6.0.0
npm_dir="$root/third_party/npm/tr46"
if [ ! -f "$npm_dir/.stamp" ] || [ "$(cat "$npm_dir/.stamp")" != "tr46@$tr46_version" ]; then
  if ! command -v npm >/dev/null; then
    echo "setup: installing npm"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm
  fi
  echo "setup: installing tr46@$tr46_version into $npm_dir"
  rm -rf "$npm_dir"
  mkdir -p "$npm_dir"
  npm install --prefix "$npm_dir" --no-save --no-package-lock --ignore-scripts --no-audit \
    --no-fund --omit=dev --loglevel=error "tr46@$tr46_version"
  test -f "$npm_dir/node_modules/tr46/lib/mappingTable.json"
  test "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' \
          "$npm_dir/node_modules/tr46/package.json")" = "$tr46_version"
  echo "tr46@$tr46_version" >"$npm_dir/.stamp"
fi
# ESLint for the built-in JavaScript (CTest's lint.builtins, eslint.config.js), from npm into
# third_party/npm/eslint (git-ignored), pinned; skipped, saying so, on a machine without npm (the
# lint test then skips too).
eslint_version=9.39.5
npm_prefix="$root/third_party/npm/eslint"
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found: skipping eslint (ctest's lint.builtins will be skipped)"
elif [ ! -f "$npm_prefix/.stamp" ] || [ "$(cat "$npm_prefix/.stamp")" != "$eslint_version" ]; then
  echo "setup: npm install eslint@$eslint_version into $npm_prefix"
  mkdir -p "$npm_prefix"
  npm install --prefix "$npm_prefix" --no-audit --no-fund --loglevel=error \
    "eslint@$eslint_version"
  test -x "$npm_prefix/node_modules/.bin/eslint"
  echo "$eslint_version" >"$npm_prefix/.stamp"
fi
echo "setup: ok"
