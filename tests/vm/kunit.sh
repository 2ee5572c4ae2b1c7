#!/bin/bash
# kunit.sh VERSION - KUnit layer for one kernel (5.10, 6.1, 6.12, or "sid":
# the newest series in Debian sid): build (or reuse) the debug kernel, build
# mmshim.ko and mmshim_kunit.ko against it, boot qemu, parse the suites' KTAP
# with the kernel's own kunit.py, and check the console.
# Last line: "LAYER-RESULT kunit-VERSION <passed> <failed> <skipped>".
# VERSION "arm64" is the kunit-arm64 layer: the 6.12 debug kernel
# cross-built for arm64, the modules and the ioctl client cross-compiled
# with aarch64-linux-gnu-, booted on qemu-system-aarch64 -M virt (TCG).
set -uo pipefail
ver=$1
if [ "$ver" = arm64 ]; then
	export MMSHIM_ARCH=arm64 MMSHIM_KMAKE="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-"
	export MMSHIM_CLIENT_CC=aarch64-linux-gnu-gcc
	kver=6.12 karch=arm64 image=arch/arm64/boot/Image
else
	kver=$ver karch='' image=arch/x86/boot/bzImage
fi
. "$(dirname "$0")/lib.sh"
name=kunit-$ver
out=$BUILD/$name
mkdir -p "$out"
passed=0 failed=0 skipped=0
result() { echo "LAYER-RESULT $name $passed $failed $skipped"; exit 0; }
fail() { echo "FAIL $name: $*"; failed=$((failed + 1)); }

# shellcheck disable=SC2086
kdir=$("$REPO/tests/vm/kernel-build.sh" "$kver" $karch) || { fail "kernel build"; result; }
if [ "$MMSHIM_ARCH" = arm64 ]; then
	MMSHIM_BUSYBOX=$(arm64_busybox) || { fail "arm64 busybox"; result; }
	export MMSHIM_BUSYBOX
fi
src=$(sed -n 's|^include \(.*\)/Makefile$|\1|p' "$kdir/Makefile")
# The series and Debian version actually tested (kunit-sid follows sid).
log "$name: kernel $(make -s -C "$kdir" kernelversion 2>/dev/null) from ${src##*/}"

stage_sources "$out/mmshim"
if ! build_module "$kdir" "$out/mmshim" > "$out/build.log" 2>&1 ||
   ! build_module "$kdir" "$out/mmshim/kunit" KBUILD_EXTRA_SYMBOLS="$out/mmshim/Module.symvers" \
	>> "$out/build.log" 2>&1; then
	tail -30 "$out/build.log"; fail "module build"; result
fi
# The ioctl example and its client also run on the debug kernel (KASAN,
# kmemleak, lockdep watch the driver's paths and process exits).
build_ioctl_example "$kdir" "$out" || { tail -30 "$out/build.log"; fail "ioctl example build"; }
w=$(build_warnings "$out/build.log")
if [ -n "$w" ]; then echo "$w"; fail "build warnings"; fi

make_initramfs "$out/initrd.gz" "$REPO/tests/vm/kunit-init.sh" \
	"$out/mmshim/mmshim.ko" "$out/mmshim/kunit/mmshim_kunit.ko" \
	$(ls "$out/mmshim/examples/ioctl_driver/ioctl_example.ko" \
	     "$out/mmshim/examples/ioctl_driver/mmshim_ioctl_client" 2>/dev/null)
log "$name: booting $(basename "$kdir") in qemu"
t0=$(date +%s)
run_vm "$kdir/$image" "$out/initrd.gz" "$out/console.log" "$out/output.log" \
	"kmemleak=on kasan_multi_shot"
log "$name: the VM ran $(( $(date +%s) - t0 ))s"
tr -d '\r' < "$out/console.log" > "$out/console.txt"
tr -d '\r' < "$out/output.log" > "$out/output.txt" 2>/dev/null
if grep -q '^MMSHIM-DMESG-BEGIN' "$out/output.txt"; then
	# One serial port (arm64): the kernel log, boot included, is the dmesg
	# dump; what the console printed after it (shutdown) is added.
	awk '/^MMSHIM-DMESG-BEGIN/{on=1; next} /^MMSHIM-DMESG-END/{on=0; after=1; next}
	     on || after' "$out/output.txt" > "$out/kernel.txt"
	mv "$out/kernel.txt" "$out/console.txt"
fi
grep -q MMSHIM-DONE "$out/output.txt" || fail "VM did not finish (see $out/console.txt)"
grep 'MMSHIM-FAIL' "$out/output.txt" && fail "load/unload step failed"

# KTAP: one top-level document over the suites in DIR/output.txt whose name
# matches the awk regex FILTER, parsed by kunit.py; adds to the counts.
# 5.10's kunit.py knows only "TAP version 14" and prints its own summary.
# Sets $suites.
parse_ktap() {
	local dir=$1 filter=$2 parser=$src/tools/testing/kunit header="KTAP version 1" line rc p f e s old n
	suites=$(grep -cE "^MMSHIM-KTAP-BEGIN $filter" "$dir/output.txt")
	grep -q 'KTAP version' "$parser/kunit_parser.py" || header="TAP version 14"
	{
		echo "$header"
		echo "1..$suites"
		# Each debugfs file numbers its suite 1: renumber the top-level lines.
		awk -v filter="^MMSHIM-KTAP-BEGIN $filter" '
		     /^MMSHIM-KTAP-BEGIN/{on = $0 ~ filter; next} /^MMSHIM-KTAP-END/{on=0; next}
		     on && /^(KTAP version|1\.\.[0-9]+$)/ { next }
		     on && /^(not )?ok [0-9]+ / { n++; sub(/ok [0-9]+ /, "ok " n " ") }
		     on { print }' "$dir/output.txt"
	} > "$dir/results.ktap"
	if [ "$suites" -eq 0 ]; then
		fail "no KUnit results in $dir"
		return
	fi
	python3 "$parser/kunit.py" parse "$dir/results.ktap" > "$dir/kunit-parse.txt" 2>&1
	rc=$?
	sed 's/\x1b\[[0-9;]*m//g' "$dir/kunit-parse.txt" | grep -vE '^\[[0-9:]+\] *$' | sed 's/^/  /'
	line=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/kunit-parse.txt" | grep -o 'Ran [0-9]* tests.*' | tail -1)
	p=$(echo "$line" | sed -n 's/.*passed: \([0-9]*\).*/\1/p')
	f=$(echo "$line" | sed -n 's/.*failed: \([0-9]*\).*/\1/p')
	e=$(echo "$line" | sed -n 's/.*errors: \([0-9]*\).*/\1/p')
	s=$(echo "$line" | sed -n 's/.*skipped: \([0-9]*\).*/\1/p')
	# 5.10: "Testing complete. N tests run. F failed. C crashed." (no skips)
	old=$(sed 's/\x1b\[[0-9;]*m//g' "$dir/kunit-parse.txt" |
		sed -n 's/.*Testing complete\. \([0-9]*\) tests run\. \([0-9]*\) failed\. \([0-9]*\) crashed\..*/\1 \2 \3/p' | tail -1)
	if [ -z "$line" ] && [ -n "$old" ]; then
		read -r n f e <<< "$old"
		p=$((n - f - e))
	fi
	skipped=$((skipped + ${s:-0}))
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0} + ${e:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && [ "${e:-0}" -eq 0 ]; then fail "kunit.py parse rc=$rc"; fi
}

# Clean console and no kmemleak report in DIR, counted as one test.
console_clean() {
	local dir=$1 problems
	problems=$(console_problems "$dir/console.txt"
		   awk '/^MMSHIM-KMEMLEAK-BEGIN/{on=1; next} /^MMSHIM-KMEMLEAK-END/{on=0} on' "$dir/output.txt")
	if [ -n "$problems" ]; then
		echo "$problems" | head -20
		fail "kernel console reported problems (see $dir/console.txt)"
	else
		passed=$((passed + 1))
	fi
}

parse_ktap "$out" '.'
# Every suite registered in kunit/ must have reported (a suite whose
# suite_init failed, or one missing from 5.10's list in kunit_main.c, would
# otherwise vanish silently).
registered=$(grep -hcE '^(kunit_test_suite|mmshim_kunit_suite_with_hooks)\(' "$REPO"/kunit/*.c |
	awk '{ n += $1 } END { print n + 0 }')
if [ "$suites" -ne "$registered" ]; then
	fail "$suites KUnit suites reported, $registered registered in kunit/"
fi

read -r cp cf < <(client_counts "$out/output.txt")
grep -E '^FAIL ' "$out/output.txt" | sed 's/^/  ioctl client: /'
echo "  ioctl client: $cp passed, $cf failed"
passed=$((passed + cp)) failed=$((failed + cf))

# KASAN must see the C++ core: the deliberate out-of-bounds read in the core
# (kunit/kasan_core_test.c, triggered by kunit-init.sh) is reported from
# inside mmshim.ko. (cxx.mk also fails the build if the core has no
# __asan_ reference.)
if grep -q 'BUG: KASAN: slab-out-of-bounds in .*\[mmshim\]' "$out/console.txt"; then
	echo "  kasan-core: KASAN reported the core's out-of-bounds read"
	passed=$((passed + 1))
else
	fail "KASAN did not report the core's out-of-bounds read (kasan_core_oob)"
fi

console_clean "$out"

# The DMA configurations (issue 13, docs/dma.md) on the x86_64 6.1 and 6.12
# debug kernels, whose per-series fragments add the IOMMU: the same kernel
# and initramfs booted again with only the DMA suites running
# (mmshim_kunit.dma_only; the other tests skip at once), behind qemu's
# intel-iommu on q35, and with every streaming mapping bounced through
# swiotlb. mmshim_dma_config asserts that each configuration is in effect.
# MMSHIM_DMA_CONFIGS="" skips them.
case "$ver" in
6.1|6.12) configs=${MMSHIM_DMA_CONFIGS-iommu swiotlb} ;;
*) configs= ;;
esac
for cfg in $configs; do
	dir=$out/dma-$cfg
	mkdir -p "$dir"
	case $cfg in
	iommu) machine="-M q35 -device intel-iommu,intremap=off" args="intel_iommu=on" ;;
	swiotlb) machine="" args="swiotlb=force" ;;
	*) fail "unknown DMA configuration $cfg"; continue ;;
	esac
	log "$name: DMA configuration $cfg ($machine $args)"
	t0=$(date +%s)
	MMSHIM_QEMU_MACHINE=$machine run_vm "$kdir/$image" "$out/initrd.gz" "$dir/console.log" "$dir/output.log" \
		"kmemleak=on kasan_multi_shot $args mmshim_kunit.dma_only=1 mmshim_kunit.dma_config=$cfg"
	log "$name: the $cfg VM ran $(( $(date +%s) - t0 ))s"
	tr -d '\r' < "$dir/console.log" > "$dir/console.txt"
	tr -d '\r' < "$dir/output.log" > "$dir/output.txt" 2>/dev/null
	grep -q MMSHIM-DONE "$dir/output.txt" || fail "$cfg VM did not finish (see $dir/console.txt)"
	grep 'MMSHIM-FAIL' "$dir/output.txt" && fail "$cfg: load/unload step failed"
	echo "  DMA configuration $cfg:"
	parse_ktap "$dir" 'mmshim_dma'
	[ "$suites" -eq 2 ] || fail "$cfg: $suites DMA suites reported, 2 expected"
	# The ioctl example's client (its DMA through edu included) runs in
	# this configuration too.
	read -r cp cf < <(client_counts "$dir/output.txt")
	grep -E '^FAIL ' "$dir/output.txt" | sed "s/^/  ioctl client ($cfg): /"
	echo "  ioctl client ($cfg): $cp passed, $cf failed"
	passed=$((passed + cp)) failed=$((failed + cf))
	console_clean "$dir"
done
result
