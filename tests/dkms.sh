#!/bin/bash
# dkms.sh - the DKMS layer: "dkms add" this tree and "dkms build" it against
# every kernel header tree installed here (each /usr/src/linux-headers-*
# with a .config and Module.symvers, the way a porter installs mmshim), and,
# with --kernelsourcedir, against the header trees the real-kernel layers
# unpack into the cache without installing them (MMSHIM_DKMS_UNPACKED,
# default "5.10 sid": tests/vm/debian-kernel.sh), then remove it again. Nothing
# is installed into /lib/modules.
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
	# ABI KERNELSOURCEDIR (empty: dkms finds /lib/modules/ABI/build itself)
	trees=()
	for d in /usr/src/linux-headers-*; do
		[ -f "$d/.config" ] && [ -f "$d/Module.symvers" ] || continue
		trees+=("${d#/usr/src/linux-headers-}:")
	done
	[ ${#trees[@]} -gt 0 ] || { failed=$((failed + 1)); echo "  FAIL no kernel header tree installed"; }
	for series in ${MMSHIM_DKMS_UNPACKED-5.10 sid}; do
		if read -r abi hdr _vmlinuz < <("$REPO/tests/vm/debian-kernel.sh" "$series"); then
			trees+=("$abi:$hdr")
		else
			failed=$((failed + 1)); echo "  FAIL unpack the $series headers (tests/vm/debian-kernel.sh $series)"
		fi
	done
	for t in "${trees[@]}"; do
		abi=${t%%:*} hdr=${t#*:}
		args=(-k "$abi")
		[ -n "$hdr" ] && args+=(--kernelsourcedir "$hdr")
		log "dkms build mmshim/$ver ${args[*]}"
		if dkms build "mmshim/$ver" "${args[@]}" > "$out/build-$abi.log" 2>&1 &&
			ls /var/lib/dkms/mmshim/"$ver"/"$abi"/*/module/mmshim.ko* >/dev/null 2>&1; then
			passed=$((passed + 1)); echo "  ok   dkms build for $abi${hdr:+ (unpacked, --kernelsourcedir)}"
		else
			failed=$((failed + 1)); echo "  FAIL dkms build for $abi"
			tail -20 "$out/build-$abi.log"
			find /var/lib/dkms/mmshim/"$ver"/"$abi" -name make.log -exec tail -20 {} \; 2>/dev/null
		fi
	done
else
	failed=$((failed + 1)); echo "  FAIL dkms add"; cat "$out/add.log"
fi
cleanup
echo "LAYER-RESULT dkms $passed $failed"
