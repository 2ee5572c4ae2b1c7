#!/bin/bash
# Build (or reuse from the cache) the KUnit debug kernel for one Debian
# linux-source version.  Prints the build directory on stdout.
#   usage: tests/vm/kernel-build.sh 6.1|6.12 [arm64]
# Without an architecture (or with x86_64) the x86_64 kernel is built, with
# the same cache key and path as before the arch argument existed.  arm64 is
# cross-built with aarch64-linux-gnu- from the same source tree into
# kunit-arm64-<ver>-<pkgver>-<key>, from kunit.config minus its x86-only
# lines plus kunit-arm64.config.
# Cache: $MMSHIM_CACHE (default /var/cache/mmshim), keyed by the source
# package version and the config fragments, so only the first run pays.
set -euo pipefail
ver=$1
arch=${2:-x86_64}
here=$(cd "$(dirname "$0")" && pwd)
cache=${MMSHIM_CACHE:-/var/cache/mmshim}
pkg=linux-source-$ver
tarball=/usr/src/$pkg.tar.xz
[ -f "$tarball" ] || { echo "kernel-build: $tarball missing (apt-get install $pkg)" >&2; exit 1; }
pkgver=$(dpkg-query -W -f='${Version}' "$pkg")
# Bump when a change to this script changes the kernel it produces.
recipe=1
src=$cache/src/$pkg-$pkgver
case $arch in
x86_64)
	key=$( (cat "$here/kunit.config" "$here/kunit-optional.config"; echo "recipe=$recipe") |
		sha256sum | cut -c1-12)
	name=kunit-$ver
	kmake=(ARCH=x86_64)
	image=bzImage
	fragments=("$here/kunit.config" "$here/kunit-optional.config")
	checked=("$here/kunit.config")
	;;
arm64)
	# kunit.config lines that only mean something on x86 (or pick the
	# PC's serial port); everything else there is architecture-neutral.
	x86_only='X86_PAT|MTRR|HYPERVISOR_GUEST|PARAVIRT|UNWINDER_ORC|SERIAL_8250|SERIAL_8250_CONSOLE'
	neutral=$(grep -vE "^CONFIG_($x86_only)=" "$here/kunit.config")
	arm64_recipe=1
	key=$( (echo "$neutral"; cat "$here/kunit-arm64.config"; echo "arm64-recipe=$arm64_recipe") |
		sha256sum | cut -c1-12)
	name=kunit-arm64-$ver
	kmake=(ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-)
	image=Image
	;;
*) echo "kernel-build: unknown architecture $arch (x86_64, arm64)" >&2; exit 1 ;;
esac
out=$cache/$name-$pkgver-$key
log=$cache/$name.log
mkdir -p "$cache/src"
if [ -f "$out/.mmshim-done" ]; then echo "$out"; exit 0; fi

exec 9>"$cache/.lock-$ver"; flock 9  # one lock per source tree, both arches
# Whoever held the lock may have just built it: never rebuild a finished kernel.
if [ -f "$out/.mmshim-done" ]; then echo "$out"; exit 0; fi
if [ ! -f "$src/.mmshim-unpacked" ]; then
	echo "kernel-build: unpacking $pkg $pkgver" >&2
	rm -rf "$src" "$src.tmp"; mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.mmshim-unpacked"; mv "$src.tmp" "$src"
fi
rm -rf "$out"; mkdir -p "$out"
if [ "$arch" = arm64 ]; then
	echo "$neutral" > "$out/kunit-neutral.config"
	fragments=("$out/kunit-neutral.config" "$here/kunit-arm64.config")
	checked=("${fragments[@]}")
fi
jobs=$(( $(nproc) + 1 ))
echo "kernel-build: building $pkg $pkgver $arch debug kernel in $out (log: $log)" >&2
start=$(date +%s)
{
	make -C "$src" O="$out" "${kmake[@]}" tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}"
	make -C "$src" O="$out" "${kmake[@]}" olddefconfig
} > "$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
missing=$(cat "${checked[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=y' | while read -r l; do
	grep -qx "$l" "$out/.config" || echo "${l%=y}"; done)
if [ -n "$missing" ]; then
	echo "kernel-build: options dropped by olddefconfig: $missing" >&2; exit 1
fi
make -C "$src" O="$out" "${kmake[@]}" -j"$jobs" "$image" modules >> "$log" 2>&1 ||
	{ tail -40 "$log" >&2; exit 1; }
touch "$out/.mmshim-done"
# Older builds of this series (other config or source version) are stale.
for old in "$cache/$name"-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "kernel-build: $pkg done in $(( $(date +%s) - start ))s" >&2
echo "$out"
