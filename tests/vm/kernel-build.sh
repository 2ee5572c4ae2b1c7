#!/bin/bash
# Build (or reuse from the cache) the KUnit debug kernel for one Debian
# linux-source version.  Prints the build directory on stdout.
#   usage: tests/vm/kernel-build.sh 6.1|6.12
# Cache: $MMSHIM_CACHE (default /var/cache/mmshim), keyed by the source
# package version and the config fragments, so only the first run pays.
set -euo pipefail
ver=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${MMSHIM_CACHE:-/var/cache/mmshim}
pkg=linux-source-$ver
tarball=/usr/src/$pkg.tar.xz
[ -f "$tarball" ] || { echo "kernel-build: $tarball missing (apt-get install $pkg)" >&2; exit 1; }
pkgver=$(dpkg-query -W -f='${Version}' "$pkg")
# Bump when a change to this script changes the kernel it produces.
recipe=1
key=$( (cat "$here/kunit.config" "$here/kunit-optional.config"; echo "recipe=$recipe") |
	sha256sum | cut -c1-12)
src=$cache/src/$pkg-$pkgver
out=$cache/kunit-$ver-$pkgver-$key
log=$cache/kunit-$ver.log
mkdir -p "$cache/src"
if [ -f "$out/.mmshim-done" ]; then echo "$out"; exit 0; fi

exec 9>"$cache/.lock-$ver"; flock 9
# Whoever held the lock may have just built it: never rebuild a finished kernel.
if [ -f "$out/.mmshim-done" ]; then echo "$out"; exit 0; fi
if [ ! -f "$src/.mmshim-unpacked" ]; then
	echo "kernel-build: unpacking $pkg $pkgver" >&2
	rm -rf "$src" "$src.tmp"; mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.mmshim-unpacked"; mv "$src.tmp" "$src"
fi
rm -rf "$out"; mkdir -p "$out"
jobs=$(( $(nproc) + 1 ))
echo "kernel-build: building $pkg $pkgver debug kernel in $out (log: $log)" >&2
start=$(date +%s)
{
	make -C "$src" O="$out" ARCH=x86_64 tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
		"$here/kunit.config" "$here/kunit-optional.config"
	make -C "$src" O="$out" ARCH=x86_64 olddefconfig
} > "$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$here/kunit.config" | while read -r l; do
	grep -qx "$l" "$out/.config" || echo "${l%=y}"; done)
if [ -n "$missing" ]; then
	echo "kernel-build: options dropped by olddefconfig: $missing" >&2; exit 1
fi
make -C "$src" O="$out" ARCH=x86_64 -j"$jobs" bzImage modules >> "$log" 2>&1 ||
	{ tail -40 "$log" >&2; exit 1; }
touch "$out/.mmshim-done"
# Older builds of this series (other config or source version) are stale.
for old in "$cache"/kunit-"$ver"-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "kernel-build: $pkg done in $(( $(date +%s) - start ))s" >&2
echo "$out"
