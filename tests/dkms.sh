#!/bin/bash
# dkms.sh - the DKMS layer: "dkms add" this tree and "dkms build" it against
# Debian's 6.1 and 6.12 headers (the way a porter installs mmshim), then
# remove it again. Nothing is installed into /lib/modules.
# Last line: "LAYER-RESULT dkms <passed> <failed>".
set -uo pipefail
. "$(dirname "$0")/vm/lib.sh"
# A version of its own, so a real DKMS install of mmshim is never touched,
# and one per checkout, so two trees checked at once do not share it.
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$REPO/dkms.conf")+check.$(printf %s "$REPO" | md5sum | cut -c1-8)
srcdir=/usr/src/mmshim-$ver
passed=0 failed=0
out=$BUILD/dkms
mkdir -p "$out"
cleanup() {
	dkms remove "mmshim/$ver" --all >/dev/null 2>&1 || true
	rm -rf "$srcdir"
}
cleanup
mkdir -p "$srcdir"
stage_sources "$srcdir"
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" "$srcdir/dkms.conf"
if dkms add "mmshim/$ver" > "$out/add.log" 2>&1; then
	passed=$((passed + 1)); echo "  ok   dkms add mmshim/$ver"
	for series in 6.1 6.12; do
		read -r abi _hdr _vmlinuz < <("$REPO/tests/vm/debian-kernel.sh" "$series") || abi=""
		log "dkms build mmshim/$ver for $abi"
		if [ -n "$abi" ] && dkms build "mmshim/$ver" -k "$abi" > "$out/build-$series.log" 2>&1 &&
			ls /var/lib/dkms/mmshim/"$ver"/"$abi"/*/module/mmshim.ko* >/dev/null 2>&1; then
			passed=$((passed + 1)); echo "  ok   dkms build for $abi"
		else
			failed=$((failed + 1)); echo "  FAIL dkms build for ${abi:-$series}"
			tail -20 "$out/build-$series.log"
			find /var/lib/dkms/mmshim -name make.log -exec tail -20 {} \; 2>/dev/null
		fi
	done
else
	failed=$((failed + 1)); echo "  FAIL dkms add"; cat "$out/add.log"
fi
cleanup
echo "LAYER-RESULT dkms $passed $failed"
