#!/bin/sh
# Fetch Debian's arm64 bash-static and busybox-static with apt-get download
# (never committed) and put their binaries at $1/bash and $1/busybox: the
# unmodified Linux programs the boot archive and the Linux initramfs carry.
set -eu
out=$1
dir=$out.fetch
rm -rf "$dir"
mkdir -p "$dir" "$out"
cd "$dir"
for package in bash-static busybox-static; do
	apt-get download "$package:arm64" >/dev/null 2>&1 || apt-get download "$package:arm64"
done
for deb in ./*.deb; do
	dpkg-deb -x "$deb" root
done
cd - >/dev/null
cp "$dir"/root/bin/bash-static "$out"/bash
cp "$dir"/root/bin/busybox "$out"/busybox
rm -rf "$dir"
