#!/bin/bash
# demo.sh - what a newcomer runs first (make demo): scan the example drivers
# with tools/mmshim-scan, build mmshim and the example ported driver, boot a
# Debian stock kernel in qemu, insmod both and show what the driver did.
# MMSHIM_DEMO_KERNEL=6.1 picks the other series.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$REPO/tests/deps.sh" vm
# Step 1 of a port: which WDK names do the drivers use, and does mmshim
# provide them all? (docs/porting.md)
echo "=== tools/mmshim-scan examples/: the WDK names the example drivers use (step 1 of a port)"
echo
if ! "$REPO/tools/mmshim-scan" "$REPO/examples"; then
	echo "demo: mmshim-scan: the examples use names mmshim does not provide" >&2
	exit 1
fi
echo
series=${MMSHIM_DEMO_KERNEL:-6.12}
out=$BUILD/demo-$series
boot_stock "$series" "$out"
o=$out/output.txt
grep -q MMSHIM-DONE "$o" || { echo "demo: the VM did not finish; see $out/console.txt" >&2; exit 1; }
echo
echo "=== mmshim demo on Debian's stock kernel $ABI (qemu) ==="
echo "examples/hello_mdl/driver.c is Windows-style code that includes only <wdm.h>."
echo "Kernel log of insmod mmshim.ko, insmod hello_mdl.ko, rmmod both:"
echo
sed -n '/^MMSHIM-DMESG-BEGIN/,/^MMSHIM-DMESG-END/p' "$o" |
	grep -E 'mmshim: |hello_mdl: |ioctl_example: ' | sed -E 's/^\[ *[0-9.]+\] //' | grep -v 'verification failed'
echo
echo "/sys/kernel/debug/mmshim while the driver was loaded:"
sed -n '/^MMSHIM-DEBUGFS-BEGIN/,/^MMSHIM-DEBUGFS-END/p' "$o" | grep -v '^MMSHIM-' | sed 's/^/  /'
echo
echo "examples/ioctl_driver: a Windows-style ioctl driver (buffered, direct, METHOD_NEITHER, DMA of a"
echo "user buffer through qemu's edu device with GetScatterGatherList, a buffer shared through a"
echo "user-mode mapping) and its user-space client, run in the VM:"
echo
sed -n '/^MMSHIM-CLIENT-BEGIN/,/^MMSHIM-CLIENT-END/p' "$o" | grep -v '^MMSHIM-' | sed 's/^/  /'
echo
grep -E '^MMSHIM-(OK|FAIL)' "$o" | sed 's/^MMSHIM-/  /'
read -r cp cf < <(client_counts "$o")
[ "$cf" -eq 0 ] || { echo "demo: the ioctl client reported $cf failure(s)" >&2; exit 1; }
if grep -q '^MMSHIM-FAIL' "$o"; then exit 1; fi
