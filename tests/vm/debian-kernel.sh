#!/bin/bash
# debian-kernel.sh 6.1|6.12|5.10|sid - print "ABI HEADERS_DIR VMLINUZ" for
# Debian's current stock kernel of that series: the ABI named by the
# linux-headers meta package, its headers, and the matching vmlinuz extracted
# (apt-get download + dpkg -x, never installed) into the cache.
#   6.1, 6.12  bookworm's own kernels: headers installed from bookworm
#              (tests/deps.sh), the image unpacked into $CACHE/images/ABI.
#   5.10       bullseye's stock kernel, sid the newest series in sid (the ABI
#              its linux-headers-amd64 meta package depends on, followed
#              automatically): image, headers, common headers and kbuild all
#              downloaded through tests/suite-apt.sh and unpacked with dpkg -x
#              into the prefix $CACHE/images/ABI/{boot,usr/src,usr/lib}; see
#              unpack_foreign below for what is rewritten to make the
#              unpacked header tree usable from there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
suite=""
case $1 in
6.1) meta=linux-headers-amd64 ;;
6.12) meta=linux-headers-6.12-amd64 ;;
5.10) suite=bullseye meta=linux-headers-amd64 ;;
sid) suite=sid meta=linux-headers-amd64 ;;
*) echo "usage: $0 6.1|6.12|5.10|sid" >&2; exit 2 ;;
esac

# unpack_foreign ABI: download linux-image-ABI (or -unsigned), linux-headers-ABI
# and the packages it depends on for its tree (linux-headers-*-common*,
# linux-kbuild-*) from $suite and dpkg -x them into $CACHE/images/ABI. The
# headers' Makefile includes the common tree by absolute path
# (/usr/src/linux-headers-ABI-common/Makefile); every such absolute
# /usr/src/linux-* or /usr/lib/linux-kbuild-* path in a text file of the
# unpacked trees is rewritten to the same path under the prefix (the
# trees' own scripts/tools symlinks are relative and resolve inside the
# prefix as they are). Nothing is written outside $CACHE.
# .kernelvariables names the compiler the kernel was built with (gcc-10 for
# bullseye, gcc-N for sid); when that gcc-N is not installed here, it is
# rewritten to this machine's gcc, and the original line is kept as a
# comment (see docs/testing.md for what that means).
unpack_foreign() {
	local abi=$1 img=$CACHE/images/$1 tmp pkgs p deps
	[ -f "$img/.unpacked" ] && return 0
	tmp=$(mktemp -d)
	deps=$("$REPO/tests/suite-apt.sh" "$suite" cache depends "linux-headers-$abi" 2>/dev/null |
		sed -n 's/^  Depends: \(linux-headers-[^ ]*-common[^ ]*\|linux-kbuild-[^ ]*\)$/\1/p' | sort -u)
	pkgs="linux-headers-$abi $deps"
	(cd "$tmp" && "$REPO/tests/suite-apt.sh" "$suite" download $pkgs >/dev/null 2>&1) ||
		{ echo "debian-kernel: cannot download $pkgs from $suite" >&2; rm -rf "$tmp"; return 1; }
	(cd "$tmp" && { "$REPO/tests/suite-apt.sh" "$suite" download "linux-image-$abi" >/dev/null 2>&1 ||
		"$REPO/tests/suite-apt.sh" "$suite" download "linux-image-$abi-unsigned" >/dev/null 2>&1; }) ||
		{ echo "debian-kernel: cannot download linux-image-$abi from $suite" >&2; rm -rf "$tmp"; return 1; }
	rm -rf "$img.tmp"
	mkdir -p "$img.tmp"
	for p in "$tmp"/*.deb; do dpkg -x "$p" "$img.tmp"; done
	rm -rf "$tmp"
	# Absolute paths to the trees' own install location -> the prefix.
	local f
	grep -rlIZ -e '/usr/src/linux-' -e '/usr/lib/linux-kbuild-' "$img.tmp/usr/src" "$img.tmp/usr/lib" 2>/dev/null |
		while IFS= read -r -d '' f; do
			[ -L "$f" ] && continue
			sed -i -e "s#\([^/A-Za-z0-9._-]\|^\)/usr/src/linux-#\1$img/usr/src/linux-#g" \
				-e "s#\([^/A-Za-z0-9._-]\|^\)/usr/lib/linux-kbuild-#\1$img/usr/lib/linux-kbuild-#g" "$f"
		done
	local kv=$img.tmp/usr/src/linux-headers-$abi/.kernelvariables cc
	if [ -f "$kv" ]; then
		cc=$(sed -n 's/^CC = .*(CROSS_COMPILE)\(gcc-[0-9]*\).*/\1/p' "$kv")
		if [ -n "$cc" ] && ! command -v "$cc" >/dev/null; then
			sed -i "s/^\(CC = .*\)$/# kernel built with: \1\n# $cc is not installed on this machine (tests\/vm\/debian-kernel.sh):\nCC = \$(if \$(DEBIAN_KERNEL_USE_CCACHE),\$(CCACHE)) \$(CROSS_COMPILE)gcc/" "$kv"
		fi
	fi
	# The prefix's own path is now baked into the trees: unpack afresh if
	# the cache ever moves.
	echo "$img" > "$img.tmp/.unpacked"
	rm -rf "$img"
	mv "$img.tmp" "$img"
}

if [ -n "$suite" ]; then
	abi=$("$REPO/tests/suite-apt.sh" "$suite" cache depends "$meta" 2>/dev/null |
		sed -n 's/^  Depends: linux-headers-\(.*-amd64\)$/\1/p' | head -1)
	[ -n "$abi" ] || { echo "debian-kernel: cannot resolve $meta in $suite" >&2; exit 1; }
	unpack_foreign "$abi" || exit 1
	hdr=$CACHE/images/$abi/usr/src/linux-headers-$abi
	vmlinuz=$CACHE/images/$abi/boot/vmlinuz-$abi
	[ -d "$hdr" ] && [ -f "$vmlinuz" ] || { echo "debian-kernel: $abi unpacked incompletely" >&2; exit 1; }
	log "debian-kernel: $1 is $abi ($suite, $("$REPO/tests/suite-apt.sh" "$suite" cache show "linux-headers-$abi" 2>/dev/null | sed -n 's/^Version: //p' | head -1))"
	echo "$abi $hdr $vmlinuz"
	exit 0
fi

abi=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/.*Depends: linux-headers-\(.*-amd64\)$/\1/p' | head -1)
[ -n "$abi" ] || { echo "debian-kernel: cannot resolve $meta" >&2; exit 1; }
hdr=/usr/src/linux-headers-$abi
[ -d "$hdr" ] || { echo "debian-kernel: $hdr missing (apt-get install linux-headers-$abi)" >&2; exit 1; }
img=$CACHE/images/$abi
vmlinuz=$img/boot/vmlinuz-$abi
if [ ! -f "$vmlinuz" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download "linux-image-$abi" >/dev/null 2>&1 ||
		apt-get download "linux-image-$abi-unsigned" >/dev/null) ||
		{ echo "debian-kernel: cannot download linux-image-$abi" >&2; exit 1; }
	mkdir -p "$img.tmp"
	dpkg -x "$tmp"/linux-image-*.deb "$img.tmp"
	rm -rf "$img" "$tmp"
	mv "$img.tmp" "$img"
fi
echo "$abi $hdr $vmlinuz"
