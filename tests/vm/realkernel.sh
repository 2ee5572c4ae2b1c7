#!/bin/bash
# realkernel.sh 6.1|6.12|5.10|sid|arm64-6.1 - the real-kernel layer: mmshim.ko and the example
# driver built against Debian's linux-headers, loaded and unloaded on the
# matching Debian stock kernel in qemu. Each check below counts as one test.
# Last line: "LAYER-RESULT real-SERIES <passed> <failed>".
set -uo pipefail
# arm64-SERIES: Debian's stock arm64 kernel, modules cross-built with
# aarch64-linux-gnu-, booted in qemu-system-aarch64 (lib.sh's arm64 VM).
case $1 in
arm64-*) export MMSHIM_ARCH=arm64 MMSHIM_KMAKE="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" \
	MMSHIM_CLIENT_CC=aarch64-linux-gnu-gcc ;;
esac
. "$(dirname "$0")/lib.sh"
series=$1
if [ "${MMSHIM_ARCH:-}" = arm64 ]; then
	MMSHIM_BUSYBOX=$(arm64_busybox) || { echo "FAIL real-$series: no arm64 busybox"; echo "LAYER-RESULT real-$series 0 1"; exit 0; }
	export MMSHIM_BUSYBOX
fi
name=real-$series
out=$BUILD/$name
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then passed=$((passed + 1)); echo "  ok   $what"
	else failed=$((failed + 1)); echo "  FAIL $what"; fi
}
if ! boot_stock "$series" "$out"; then
	echo "FAIL $name: build"; echo "LAYER-RESULT $name 0 1"; exit 0
fi
log "$name: checking Debian $ABI run"
o=$out/output.txt
has() { grep -qF -- "$1" "$o"; }
no_build_warnings() { [ -z "$(build_warnings "$out/build.log" | tee /dev/stderr)" ]; }
clean_console() { local p; p=$(console_problems "$out/console.txt"); [ -z "$p" ] || { echo "$p" | head; false; }; }
check "build against linux-headers-$ABI without warnings" no_build_warnings
check "VM finished" has MMSHIM-DONE
check "running kernel is $ABI" has "MMSHIM-UNAME $ABI"
check "insmod mmshim" has "MMSHIM-OK insmod mmshim"
check "insmod hello_mdl" has "MMSHIM-OK insmod hello_mdl"
check "MDL built for nonpaged pool" has "MmBuildMdlForNonPagedPool: MdlFlags 0x000c (SOURCE_IS_NONPAGED_POOL | ALLOCATED_FIXED_SIZE)"
check "system address sees the buffer" has "visible in the buffer"
check "wrong tag refused with a verifier report" has "Windows would bug-check 0xC2 BAD_POOL_CALLER (0xa,"
check "edu: MmMapIoSpaceEx found by MmGetSystemRoutineAddress" has "edu: MmMapIoSpaceEx(BAR0"
check "edu: identification register read through the mapping" has "edu: identification register 0x010000ed"
check "edu: factorial computed by the device" has "edu: the device computed 10! = 3628800"
check "edu: MmUnmapIoSpace at unload" has "edu: MmUnmapIoSpace done; I/O mappings left: 0"
check "rmmod hello_mdl frees everything" has "pool in use: 0 block(s), MDLs: 0"
check "rmmod hello_mdl" has "MMSHIM-OK rmmod hello_mdl"
check "rmmod mmshim" has "MMSHIM-OK rmmod mmshim"
check "no warning, oops or lockdep report on the console" clean_console
# The ioctl example (examples/ioctl_driver): its client's checks count one each.
check "insmod ioctl_example" has "MMSHIM-OK insmod ioctl_example"
check "rmmod ioctl_example" has "MMSHIM-OK rmmod ioctl_example"
read -r cp cf < <(client_counts "$o")
grep -E '^FAIL ' "$o" | sed 's/^/  client: /'
echo "  client: $cp passed, $cf failed"
passed=$((passed + cp)) failed=$((failed + cf))
echo "LAYER-RESULT $name $passed $failed"
