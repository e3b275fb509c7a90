#!/usr/bin/env bash
# An OCI image of torus for edge nodes, built without a container engine (umoci):
#   packaging/oci/build.sh TORUS_BINARY OUT_DIR     -> OUT_DIR/layout (OCI layout, tag torus)
#                                                      OUT_DIR/seccomp.json (io_uring allowed)
# The rootfs is minimal: the binary, exactly the shared libraries ldd names (libnode
# included) and the loader, CA certificates, /etc/passwd and /etc/group with the non-root
# user torus (uid 10001), a config serving the example app on 0.0.0.0:8080, and the app. No
# shell, no package manager. Run it with podman/docker --security-opt seccomp=OUT_DIR/seccomp.json:
# the engines' default profile with io_uring's three calls allowed (packaging/oci/seccomp.py).
set -euo pipefail
bin=$1
out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$out"
mkdir -p "$out"
umoci init --layout "$out/layout"
umoci new --image "$out/layout:torus"
umoci unpack --rootless --image "$out/layout:torus" "$out/bundle" >/dev/null
rootfs="$out/bundle/rootfs"
mkdir -p "$rootfs/usr/bin" "$rootfs/etc/torus" "$rootfs/etc/ssl/certs" "$rootfs/usr/share/torus/examples" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$bin" "$rootfs/usr/bin/torus"
# Every library the binary needs, at the path the loader finds it; those its RUNPATH finds in
# a build tree's third_party/ (libnode) go where the installed binary's RUNPATH looks,
# /usr/lib/torus (packaging/cpack.cmake).
ldd "$bin" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | while read -r lib; do
  real=$(readlink -f "$lib")
  case "$lib" in
    */third_party/*) dest="$rootfs/usr/lib/torus/$(basename "$lib")" ;;
    *) dest="$rootfs$lib" ;;
  esac
  mkdir -p "$(dirname "$dest")"
  cp "$real" "$dest"
done
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/nonexistent\ntorus:x:10001:10001:torus:/nonexistent:/nonexistent\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\ntorus:x:10001:\n' > "$rootfs/etc/group"
cp -r "$root/examples/hello" "$rootfs/usr/share/torus/examples/"
cat > "$rootfs/etc/torus/torus.toml" <<'TOML'
# The image's config: the example app on every address, port 8080.
listen = ["0.0.0.0:8080"]
[app]
name = "hello"
entry = "/usr/share/torus/examples/hello"
TOML
umoci repack --image "$out/layout:torus" "$out/bundle" >/dev/null
umoci config --image "$out/layout:torus" --config.user 10001:10001 \
  --config.entrypoint /usr/bin/torus --config.cmd serve --config.cmd --config \
  --config.cmd /etc/torus/torus.toml --config.exposedports 8080/tcp \
  --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
rm -rf "$out/bundle"
python3 "$root/packaging/oci/seccomp.py" "$out/seccomp.json"
echo "image: $out/layout (tag torus), seccomp profile: $out/seccomp.json"
