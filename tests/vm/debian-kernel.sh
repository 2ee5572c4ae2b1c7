#!/bin/bash
# debian-kernel.sh 6.1|6.12 - print "ABI HEADERS_DIR VMLINUZ" for Debian's
# current stock kernel of that series: the ABI named by the linux-headers
# meta package, its installed headers, and the matching vmlinuz extracted
# (apt-get download + dpkg -x, never installed) into the cache.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
case $1 in
6.1) meta=linux-headers-amd64 ;;
6.12) meta=linux-headers-6.12-amd64 ;;
*) echo "usage: $0 6.1|6.12" >&2; exit 2 ;;
esac
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
