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
suite="" arch=amd64
case $1 in
6.1) meta=linux-headers-amd64 ;;
6.12) meta=linux-headers-6.12-amd64 ;;
5.10) suite=bullseye meta=linux-headers-amd64 ;;
sid) suite=sid meta=linux-headers-amd64 ;;
# bookworm's stock arm64 kernel: image and headers for arm64, and the amd64
# build of the same version's linux-kbuild (Debian builds kbuild per host
# architecture: its tools run here and handle arm64 objects), for
# cross-building with aarch64-linux-gnu-.
arm64-6.1) suite=bookworm arch=arm64 meta=linux-headers-arm64 ;;
*) echo "usage: $0 6.1|6.12|5.10|sid|arm64-6.1" >&2; exit 2 ;;
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
# has_vmlinuz DIR ABI: DIR holds ABI's kernel image (boot/ or, newer
# packaging, usr/lib/modules/ABI/).
has_vmlinuz() {
	[ -f "$1/boot/vmlinuz-$2" ] || [ -f "$1/usr/lib/modules/$2/vmlinuz" ]
}

unpack_foreign() {
	local abi=$1 img=$CACHE/images/$1 tmp pkgs p deps
	# (A tree marked unpacked without its kernel image, left by an earlier
	# version of this function, is unpacked again.)
	[ -f "$img/.unpacked" ] && has_vmlinuz "$img" "$abi" && return 0
	tmp=$(mktemp -d)
	local a=":$arch" ver
	deps=$("$REPO/tests/suite-apt.sh" "$suite" cache depends "linux-headers-$abi$a" 2>/dev/null |
		sed -n 's/^  Depends: <\{0,1\}\(linux-headers-[^ :>]*-common[^ :>]*\|linux-kbuild-[^ :>]*\)[:>]\{0,1\}.*$/\1/p' | sort -u)
	ver=$("$REPO/tests/suite-apt.sh" "$suite" cache show "linux-headers-$abi$a" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	# kbuild: this machine's architecture, the headers' version.
	deps=$(echo "$deps" | sed "s/^\(linux-kbuild-.*\)$/\1:amd64=$ver/")
	pkgs="linux-headers-$abi$a $deps"
	(cd "$tmp" && "$REPO/tests/suite-apt.sh" "$suite" download $pkgs >/dev/null 2>&1) ||
		{ echo "debian-kernel: cannot download $pkgs from $suite" >&2; rm -rf "$tmp"; return 1; }
	(cd "$tmp" && { "$REPO/tests/suite-apt.sh" "$suite" download "linux-image-$abi$a" >/dev/null 2>&1 ||
		"$REPO/tests/suite-apt.sh" "$suite" download "linux-image-$abi-unsigned$a" >/dev/null 2>&1; }) ||
		{ echo "debian-kernel: cannot download linux-image-$abi from $suite" >&2; rm -rf "$tmp"; return 1; }
	# Newer packaging (sid): linux-image-ABI holds no kernel; its dependency
	# linux-binary-ABI has /usr/lib/modules/ABI/vmlinuz. Decided by what the
	# image package contains, not by a query that can come back empty.
	if ! dpkg -c "$tmp"/linux-image-*.deb 2>/dev/null | grep '/vmlinuz' > /dev/null; then
		(cd "$tmp" && "$REPO/tests/suite-apt.sh" "$suite" download "linux-binary-$abi$a" >/dev/null 2>&1) ||
			{ echo "debian-kernel: cannot download linux-binary-$abi from $suite" >&2; rm -rf "$tmp"; return 1; }
	fi
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
	has_vmlinuz "$img.tmp" "$abi" ||
		{ echo "debian-kernel: no vmlinuz in the $abi packages from $suite" >&2; rm -rf "$img.tmp"; return 1; }
	# The prefix's own path is now baked into the trees: unpack afresh if
	# the cache ever moves.
	echo "$img" > "$img.tmp/.unpacked"
	rm -rf "$img"
	mv "$img.tmp" "$img"
}

# runs_here BINARY: the dynamic loader finds every library and symbol version
# BINARY needs (sid's kbuild binaries need a newer glibc than bookworm's).
runs_here() {
	local out
	# Not "ldd | grep -q": grep leaving early can end ldd with SIGPIPE, and
	# with pipefail that failure would count as "runs".
	out=$(ldd "$1" 2>&1) || true
	! grep -q 'not found' <<< "$out"
}

# suite_libc DIR BINARY...: run Debian's own BINARYs with the suite's C
# library. libc6 of $suite is unpacked into DIR (dpkg -x, never installed)
# and each BINARY becomes a two-line script that starts the original (kept
# as BINARY.debian) through that libc's dynamic loader with its library
# directory first; every other library (libelf, zlib ...) comes from this
# machine, which is older and so compatible. Fails, changing nothing, if
# the loader or some library is missing for any BINARY.
suite_libc() {
	local dir=$1 loader libdir f; shift
	rm -rf "$dir" "$dir.deb"; mkdir -p "$dir.deb"
	(cd "$dir.deb" && "$REPO/tests/suite-apt.sh" "$suite" download libc6 >/dev/null 2>&1) || return 1
	dpkg -x "$dir.deb"/libc6_*.deb "$dir" || return 1
	rm -rf "$dir.deb"
	for loader in "$dir"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 \
		"$dir"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 ""; do
		[ -z "$loader" ] || [ -x "$loader" ] && break
	done
	[ -n "$loader" ] || return 1
	libdir=${loader%/*}
	local out
	for f; do
		out=$("$loader" --library-path "$libdir" --list "$f" 2>&1) || return 1
		! grep -q 'not found' <<< "$out" || return 1
	done
	for f; do
		cp -p "$f" "$f.debian"
		printf '#!/bin/sh\n# %s, run with %s libc6 (tests/vm/debian-kernel.sh)\nexec %s --library-path %s %s "$@"\n' \
			"${f##*/}" "$suite" "$loader" "$libdir" "$f.debian" > "$f"
	done
}

# host_tools ABI: make the unpacked kbuild tree of ABI usable with this
# machine's toolchain when its binaries do not run here (sid: built against
# a newer glibc). Tried in this order (docs/testing.md):
#  (a) Debian's binaries as they are: nothing to do if they run;
#  (c) Debian's binaries with the suite's own libc6 (suite_libc above);
#  (b) rebuild the host tools from linux-source-SERIES of the same suite and
#      version with this machine's gcc ("make olddefconfig modules_prepare"
#      on the stock .config) and put them in place of every kbuild binary
#      that does not run (modpost, objtool and Debian's .real-* variants of
#      them, resolve_btfids, ...);
# and, since Kconfig records what the kernel's compiler could do, the
# compiler-description symbols of the unpacked .config, auto.conf and
# autoconf.h (CONFIG_CC_*, CONFIG_GCC_*, CONFIG_AS_*, CONFIG_LD_*,
# CONFIG_PAHOLE_VERSION, CONFIG_TOOLS_*, CONFIG_HAVE_*_COMPILER) are replaced by the values
# "make olddefconfig" gives for this machine's gcc, so Kbuild and the headers
# take their older-compiler paths (-falign-functions instead of gcc 14's
# -fmin-function-alignment, no counted_by/assume attributes, the asm-goto
# workaround). Every other symbol, and so the kernel's ABI, is the stock
# one: olddefconfig must change nothing else that modules see, and this
# function fails if it does. The originals are kept as *.debian.
host_tools() {
	local abi=$1 img=$CACHE/images/$1 kb need=() f src ver series
	kb=$(echo "$img"/usr/lib/linux-kbuild-*)
	[ -f "$img/.hosttools" ] && return 0
	# Only what building an external module runs (sign-file, extract-cert,
	# kallsyms, conf, ... are not; bullseye's sign-file wants OpenSSL 1.1).
	for f in $(find "$kb" -type f -perm -u+x \( -name fixdep -o -name 'modpost*' -o -name 'objtool*' \
		-o -name resolve_btfids -o -name genksyms -o -name gendwarfksyms -o -name recordmcount \)); do
		file -b "$f" | grep -q '^ELF' || continue
		runs_here "$f" || need+=("$f")
	done
	if [ ${#need[@]} -eq 0 ]; then
		echo "Debian's kbuild binaries run as they are" > "$img/.hosttools"
		return 0
	fi
	log "debian-kernel: ${#need[@]} kbuild binaries of $abi do not run here ($(runs_here "${need[0]}" ||
		ldd "${need[0]}" 2>&1 | grep -o "GLIBC_[0-9.]*' not found" | head -1))"
	series=$(echo "$abi" | sed -n 's/^\([0-9]*\.[0-9]*\)\..*/\1/p')
	ver=$("$REPO/tests/suite-apt.sh" "$suite" cache show "linux-headers-$abi" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
	src=$CACHE/images/$abi.hosttools
	rm -rf "$src"; mkdir -p "$src/obj"
	# The source tree: kunit-sid's (tests/vm/kernel-build.sh) when it has
	# unpacked the same version, used read-only through O=; else downloaded.
	local tree=$CACHE/src/linux-source-$series-$ver obj=$src/obj hdr=$img/usr/src/linux-headers-$abi how
	if [ ! -f "$tree/.mmshim-unpacked" ]; then
		(cd "$src" && "$REPO/tests/suite-apt.sh" "$suite" download "linux-source-$series=$ver" >/dev/null 2>&1) ||
			{ echo "debian-kernel: cannot download linux-source-$series=$ver from $suite" >&2; return 1; }
		dpkg -x "$src"/linux-source-*.deb "$src/deb"
		log "debian-kernel: unpacking linux-source-$series $ver"
		tar -C "$src" -xJf "$src/deb/usr/src/linux-source-$series.tar.xz" && rm -rf "$src/deb" "$src"/*.deb
		tree=$src/linux-source-$series
	fi
	cp "$hdr/.config" "$obj/.config"
	log "debian-kernel: make olddefconfig for linux-source-$series with $(gcc --version | head -1)"
	nice -n 5 make -C "$tree" O="$obj" -s CC=gcc HOSTCC=gcc olddefconfig > "$src/build.log" 2>&1 ||
		{ tail -20 "$src/build.log" >&2; echo "debian-kernel: olddefconfig of linux-source-$series failed" >&2; return 1; }
	local rel base done=()
	if suite_libc "$img/libc" "${need[@]}"; then
		# (c) Debian's own binaries with the suite's libc6.
		for f in "${need[@]}"; do done+=("${f#"$kb"/}"); done
		how="run with $suite's libc6 through its dynamic loader ($img/libc):"
	else
		rm -rf "$img/libc"
		log "debian-kernel: $suite's libc6 does not run them here: make modules_prepare in linux-source-$series"
		nice -n 5 make -C "$tree" O="$obj" -j"$(nproc)" CC=gcc HOSTCC=gcc modules_prepare >> "$src/build.log" 2>&1 ||
			{ tail -20 "$src/build.log" >&2; echo "debian-kernel: host tools of linux-source-$series do not build" >&2; return 1; }
		# (b) the rebuilt binaries in place of those that do not run.
		for f in "${need[@]}"; do
			rel=${f#"$kb"/}
			base=${rel%%.real-*}
			[[ $rel == */*.real-* && $rel != *.real-x86* && $rel != *.real-[lm]sb-* ]] && continue
			if [ -f "$obj/$base" ] && file -b "$obj/$base" | grep -q '^ELF'; then
				cp "$f" "$f.debian" && cp "$obj/$base" "$f" && done+=("$rel")
			fi
		done
		how="rebuilt with $(gcc --version | head -1) from linux-source-$series $ver:"
	fi
	# The compiler-description symbols.
	local cls='^(# )?CONFIG_(CC_|GCC_|AS_|LD_|PAHOLE_VERSION|TOOLS_|HAVE_[A-Z0-9_]*_COMPILER)'
	local sdiff
	sdiff=$(diff <(grep -E '^CONFIG_' "$hdr/.config" | grep -vE "$cls" | sort) \
		<(grep -E '^CONFIG_' "$obj/.config" | grep -vE "$cls" | sort) |
		grep -E '^[<>]' | grep -vE 'CONFIG_(RUST|RUSTC|BINDGEN)[A-Z_]*=|CONFIG_[A-Z0-9_]*RUST[A-Z0-9_]*=' || true)
	# Allowed: parts that need the host's Rust toolchain (rustc, bindgen:
	# Rust symbols and options whose Kconfig entry depends on RUST) or its
	# openssl; they are not part of what a C module sees.
	local sym syms left=() allowed='RUST' pass
	syms=$(echo "$sdiff" | sed -n 's/^[<>] \(CONFIG_[A-Z0-9_]*\)=.*/\1/p' | sort -u)
	for pass in 1 2 3; do
		left=()
		for sym in $syms; do
			case $sym in *RUST*|*BINDGEN*|CONFIG_OPENSSL_*) continue ;; esac
			if grep -rh -A12 -E "^(menu)?config ${sym#CONFIG_}\$" "$tree" --include='Kconfig*' 2>/dev/null |
				awk 'NR > 1 && /^(menu)?config /{exit} {print}' |
				grep -qE "^[[:space:]]*depends on .*($allowed)"; then
				allowed="$allowed|${sym#CONFIG_}"
			else
				left+=("$sym")
			fi
		done
		syms=${left[*]:-}
	done
	if [ -n "$syms" ]; then
		echo "debian-kernel: olddefconfig with $(gcc --version | head -1) changes more than compiler symbols:" >&2
		for sym in $syms; do echo "$sdiff" | grep -E "$sym=" >&2; done
		return 1
	fi
	cp "$hdr/.config" "$hdr/.config.debian"
	cp "$hdr/include/config/auto.conf" "$hdr/include/config/auto.conf.debian"
	cp "$hdr/include/generated/autoconf.h" "$hdr/include/generated/autoconf.h.debian"
	local line val changed=() unquoted=0
	# auto.conf has its strings unquoted since 5.18 (quoted before).
	grep -q '^CONFIG_CC_VERSION_TEXT=[^"]' "$hdr/include/config/auto.conf" && unquoted=1
	for sym in $( { grep -E '^CONFIG_' "$hdr/.config"; grep -E '^CONFIG_' "$obj/.config"; } |
		sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\1/p' | grep -E "^${cls#'^(# )?'}" | sort -u); do
		line=$(grep -E "^$sym=" "$obj/.config" || true)
		[ "$line" = "$(grep -E "^$sym=" "$hdr/.config" || true)" ] && continue
		changed+=("${line:-# $sym is not set}")
		sed -i "/^$sym=/d; /^# $sym is not set\$/d" "$hdr/.config" "$hdr/include/config/auto.conf"
		sed -i "/^#define $sym /d" "$hdr/include/generated/autoconf.h"
		if [ -n "$line" ]; then
			echo "$line" >> "$hdr/.config"
			val=${line#*=}
			if [ $unquoted = 1 ] && [ "${val#\"}" != "$val" ]; then
				echo "$sym=$(echo "$val" | sed 's/^"\(.*\)"$/\1/; s/\\"/"/g; s/\\\\/\\/g')" >> "$hdr/include/config/auto.conf"
			else
				echo "$line" >> "$hdr/include/config/auto.conf"
			fi
			[ "$val" = y ] && val=1
			echo "#define $sym $val" >> "$hdr/include/generated/autoconf.h"
		else
			echo "# $sym is not set" >> "$hdr/.config"
		fi
	done
	{
		echo "$how"
		printf '  %s\n' "${done[@]}"
		echo "compiler symbols set for this gcc (originals in *.debian):"
		printf '  %s\n' "${changed[@]}"
	} > "$img/.hosttools"
	rm -rf "$src"
	log "debian-kernel: $(tr '\n' ' ' < "$img/.hosttools")"
}

if [ -n "$suite" ]; then
	abi=$("$REPO/tests/suite-apt.sh" "$suite" cache depends "$meta:$arch" 2>/dev/null |
		sed -n "s/^  Depends: linux-headers-\(.*-$arch\)\(:$arch\)\{0,1\}\$/\1/p" | head -1)
	[ -n "$abi" ] || { echo "debian-kernel: cannot resolve $meta in $suite" >&2; exit 1; }
	mkdir -p "$CACHE/images"
	exec 8>"$CACHE/images/.$abi.lock"; flock 8
	unpack_foreign "$abi" || exit 1
	host_tools "$abi" || exit 1
	hdr=$CACHE/images/$abi/usr/src/linux-headers-$abi
	vmlinuz=$CACHE/images/$abi/boot/vmlinuz-$abi
	[ -f "$vmlinuz" ] || vmlinuz=$CACHE/images/$abi/usr/lib/modules/$abi/vmlinuz
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
