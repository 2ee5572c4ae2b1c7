#!/bin/bash
# Build (or reuse from the cache) the KUnit debug kernel for one Debian
# linux-source version.  Prints the build directory on stdout.
#   usage: tests/vm/kernel-build.sh 6.1|6.12|5.10|sid [arm64]
# 6.1 and 6.12 come from the installed linux-source-X packages (bookworm).
# 5.10 is bullseye's linux-source-5.10 and "sid" is whatever series sid's
# linux-source meta-package depends on (followed automatically); both are
# fetched with tests/suite-apt.sh ... download and unpacked with dpkg -x,
# never installed.
# Without an architecture (or with x86_64) the x86_64 kernel is built, with
# the same cache key and path as before the arch argument existed.  arm64 is
# cross-built with aarch64-linux-gnu- from the same source tree into
# kunit-arm64-<ver>-<pkgver>-<key>, from kunit.config minus its x86-only
# lines plus kunit-arm64.config.
# Cache: $MMSHIM_CACHE (default /var/cache/mmshim), keyed by the source
# package version and the config fragments, so only the first run pays.
# A per-series fragment tests/vm/kunit-SERIES.config (if present) is merged
# after the common ones and enters only that series' x86_64 key; its comment
# lines "# absent: CONFIG_FOO" name options of kunit.config that the series
# does not have (renamed/removed), exempt from the "dropped by olddefconfig"
# check.
# "--unpack SERIES [ARCH]" only unpacks the source (under the same lock) and
# prints nothing: tests/check.sh unpacks the next series while one builds.
set -euo pipefail
unpack_only=
if [ "${1:-}" = --unpack ]; then unpack_only=1; shift; fi
ver=$1
arch=${2:-x86_64}
series_arg=$1 # 5.10, 6.1, 6.12 or sid: the slot a build fills in the cache
here=$(cd "$(dirname "$0")" && pwd)
cache=${MMSHIM_CACHE:-/var/cache/mmshim}
suite=
case $ver in
5.10) suite=bullseye ;;
sid) suite=sid
	# sid's linux-source meta-package names the newest series and its
	# version: "Depends: linux-source-7.2 (= 7.2.13-1)".
	dep=$("$here/../suite-apt.sh" sid cache show --no-all-versions linux-source |
		sed -n 's/^Depends:.*\(linux-source-[0-9][0-9.]*\) *(= *\([^)]*\)).*/\1 \2/p' | head -1)
	[ -n "$dep" ] || { echo "kernel-build: cannot resolve sid's linux-source" >&2; exit 1; }
	pkgver=${dep#* } ver=${dep%% *} ver=${ver#linux-source-} ;;
esac
pkg=linux-source-$ver
if [ -n "$suite" ] && [ -n "${pkgver:-}" ]; then
	echo "kernel-build: sid's newest series: $pkg $pkgver" >&2
elif [ -n "$suite" ]; then
	pkgver=$("$here/../suite-apt.sh" "$suite" cache show --no-all-versions "$pkg" |
		sed -n 's/^Version: *//p' | head -1)
	[ -n "$pkgver" ] || { echo "kernel-build: $pkg not found in $suite" >&2; exit 1; }
	echo "kernel-build: $suite: $pkg $pkgver" >&2
else
	tarball=/usr/src/$pkg.tar.xz
	[ -f "$tarball" ] || { echo "kernel-build: $tarball missing (apt-get install $pkg)" >&2; exit 1; }
	pkgver=$(dpkg-query -W -f='${Version}' "$pkg")
fi
# Bump when a change to this script changes the kernel it produces.
recipe=1
src=$cache/src/$pkg-$pkgver
absent=
case $arch in
x86_64)
	fragments=("$here/kunit.config" "$here/kunit-optional.config")
	checked=("$here/kunit.config")
	if [ -f "$here/kunit-$ver.config" ]; then
		fragments+=("$here/kunit-$ver.config")
		checked+=("$here/kunit-$ver.config")
		absent=$(sed -n 's/^# *absent: *\(CONFIG_[A-Z0-9_]*\).*/\1/p' "$here/kunit-$ver.config")
	fi
	key=$( (cat "${fragments[@]}"; echo "recipe=$recipe") | sha256sum | cut -c1-12)
	name=kunit-$ver
	kmake=(ARCH=x86_64)
	image=bzImage
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
if [ -f "$out/.mmshim-done" ]; then [ -n "$unpack_only" ] || echo "$out"; exit 0; fi
if [ -n "$unpack_only" ] && [ -f "$src/.mmshim-unpacked" ]; then exit 0; fi

if [ -z "$unpack_only" ]; then
	exec 9>"$cache/.lock-$ver"; flock 9  # one build lock per source tree, both arches
	# Whoever held the lock may have just built it: never rebuild a finished kernel.
	if [ -f "$out/.mmshim-done" ]; then echo "$out"; exit 0; fi
fi
# Unpacking has a lock of its own, so "--unpack" never waits for a build.
exec 8>"$cache/.lock-src-$ver"; flock 8
if [ ! -f "$src/.mmshim-unpacked" ]; then
	echo "kernel-build: unpacking $pkg $pkgver" >&2
	ustart=$(date +%s)
	rm -rf "$src" "$src.tmp" "$src.deb"; mkdir -p "$src.tmp"
	if [ -n "$suite" ]; then
		mkdir -p "$cache/debs" "$src.deb"
		deb=$(ls "$cache/debs/${pkg}_${pkgver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
		if [ -z "$deb" ]; then
			(cd "$cache/debs" && "$here/../suite-apt.sh" "$suite" download "$pkg=$pkgver" >&2)
			deb=$(ls "$cache/debs/${pkg}_${pkgver//:/%3a}_"*.deb | head -1)
		fi
		dpkg -x "$deb" "$src.deb"
		tarball=$src.deb/usr/src/$pkg.tar.xz
	fi
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	rm -rf "$src.deb"
	echo "kernel-build: unpacked $pkg $pkgver in $(( $(date +%s) - ustart ))s" >&2
	echo "src-$series_arg" > "$src.tmp/.mmshim-slot"
	touch "$src.tmp/.mmshim-unpacked"; mv "$src.tmp" "$src"
fi
flock -u 8
[ -z "$unpack_only" ] || exit 0
rm -rf "$out"; mkdir -p "$out"
if [ "$arch" = arm64 ]; then
	echo "$neutral" > "$out/kunit-neutral.config"
	fragments=("$out/kunit-neutral.config" "$here/kunit-arm64.config")
	checked=("${fragments[@]}")
fi
# Two more jobs than CPUs: the layers beside a background build (a VM under
# TCG, mostly one busy vCPU) leave gaps a deeper queue fills.
jobs=$(( $(nproc) + 2 ))
echo "kernel-build: building $pkg $pkgver $arch debug kernel in $out (log: $log)" >&2
start=$(date +%s)
{
	make -C "$src" O="$out" "${kmake[@]}" tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}"
	make -C "$src" O="$out" "${kmake[@]}" olddefconfig
} > "$log" 2>&1 || { tail -30 "$log" >&2; exit 1; }
# Every "=y" of the checked fragments must survive, except the options the
# per-series fragment declares absent.
missing=$(cat "${checked[@]}" | grep -E '^CONFIG_[A-Z0-9_]+=y' | while read -r l; do
	[ -n "$absent" ] && grep -qx "${l%=y}" <<< "$absent" && continue
	grep -qx "$l" "$out/.config" || echo "${l%=y}"; done)
if [ -n "$missing" ]; then
	echo "kernel-build: options dropped by olddefconfig: $missing" >&2; exit 1
fi
# And every "is not set" of any fragment must hold: an option some other
# option selects would otherwise come back silently and cost build time.
forced=$(cat "${fragments[@]}" | sed -n 's/^# *\(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' | while read -r o; do
	grep -qx "$o=y" "$out/.config" && echo "$o" || true; done)
if [ -n "$forced" ]; then
	echo "kernel-build: options switched on again by olddefconfig: $forced" >&2; exit 1
fi
make -C "$src" O="$out" "${kmake[@]}" -j"$jobs" "$image" modules >> "$log" 2>&1 ||
	{ tail -40 "$log" >&2; exit 1; }
echo "$arch-$series_arg" > "$out/.mmshim-slot"
[ -f "$src/.mmshim-slot" ] || echo "src-$series_arg" > "$src/.mmshim-slot"
touch "$out/.mmshim-done"
# Older builds of this series (other config or source version) are stale,
# and so are builds and source trees that filled the same slot before (sid's
# previous series once sid moves on, an older source version).
for old in "$cache/$name"-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
for old in "$cache"/kunit-*/.mmshim-slot "$cache"/src/*/.mmshim-slot; do
	[ -f "$old" ] || continue
	dir=${old%/.mmshim-slot}
	[ "$dir" != "$out" ] && [ "$dir" != "$src" ] || continue
	slot=$(cat "$old")
	if [ "$slot" = "$arch-$series_arg" ] || [ "$slot" = "src-$series_arg" ]; then
		echo "kernel-build: removing $dir (replaced for $slot)" >&2
		rm -rf "$dir"
	fi
done
echo "kernel-build: $pkg $arch done in $(( $(date +%s) - start ))s" >&2
echo "$out"
