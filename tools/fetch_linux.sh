#!/bin/sh
# Fetch Debian's arm64 cloud kernel (linux-image-cloud-arm64's current
# image) with apt-get download and extract its Image to $1.  Used by the
# differential test, which boots the libc conformance app under it.
set -eu
out=$1
dir=$(dirname "$out")/fetch
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"
image=$(apt-cache depends linux-image-cloud-arm64:arm64 | sed -n 's/ *Depends: \(linux-image-[^ ]*\).*/\1/p' | head -n 1)
[ -n "$image" ] || { echo "fetch_linux: no linux-image-cloud-arm64 in the apt lists (apt-get update?)" >&2; exit 1; }
apt-get download "$image" >/dev/null 2>&1 || apt-get download "$image"
dpkg-deb -x ./*.deb root
cd - >/dev/null
cp "$dir"/root/boot/vmlinuz-* "$out"
rm -rf "$dir"
