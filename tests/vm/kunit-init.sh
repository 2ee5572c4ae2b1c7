#!/bin/busybox sh
# /init of the KUnit initramfs: load mmshim and its KUnit module, dump each
# suite's KTAP from debugfs, unload, run a kmemleak scan, reboot.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug
# Structured output for the harness goes to the second serial port. The
# arm64 virt machine has only one (ttyAMA0): there it shares the console,
# the console shows only emergencies meanwhile, and the kernel log is
# appended at the end (tests/vm/lib.sh, run_vm_arm64).
if [ -e /dev/ttyS1 ]; then
	exec 3>/dev/ttyS1
	single=
else
	exec 3>/dev/console
	dmesg -n 1
	single=1
fi
# No automatic scans (the first comes 60 s after boot, which a slow host
# reaches mid-test): one scan, after unload, decides.
echo scan=off > /sys/kernel/debug/kmemleak 2>/dev/null
echo clear > /sys/kernel/debug/kmemleak 2>/dev/null
# Fault injection for tasks that ask for it (kunit/fault_test.c sets
# current->make_it_fail): every slab and page allocation they make fails.
for f in failslab fail_page_alloc; do
	d=/sys/kernel/debug/$f
	[ -d $d ] || continue
	echo Y > $d/task-filter
	echo 100 > $d/probability
	echo -1 > $d/times
	echo 0 > $d/verbose
	echo N > $d/ignore-gfp-wait
done
[ -e /sys/kernel/debug/fail_page_alloc/min-order ] && echo 0 > /sys/kernel/debug/fail_page_alloc/min-order
echo "MMSHIM-STEP insmod mmshim" >&3
insmod /mmshim.ko || echo "MMSHIM-FAIL insmod mmshim.ko" >&3
echo "MMSHIM-STEP insmod mmshim_kunit" >&3
# A DMA configuration boot (mmshim_kunit.dma_only=1 on the command line,
# which mmshim_kunit reads itself, tests/vm/kunit.sh) runs the DMA suites,
# the client's DMA checks and the kmemleak scan only.
client_args=
kasan_probe=1
case " $(cat /proc/cmdline) " in *" mmshim_kunit.dma_only=1 "*) client_args=dma kasan_probe= ;; esac
insmod /mmshim_kunit.ko || echo "MMSHIM-FAIL insmod mmshim_kunit.ko" >&3
for d in /sys/kernel/debug/kunit/mmshim_*; do
	[ -f "$d/results" ] || continue
	echo "MMSHIM-KTAP-BEGIN ${d##*/}" >&3
	cat "$d/results" >&3
	echo "MMSHIM-KTAP-END" >&3
done
echo "MMSHIM-DEBUGFS-BEGIN" >&3
cat /sys/kernel/debug/mmshim/verifier /sys/kernel/debug/mmshim/pool /sys/kernel/debug/mmshim/mdl >&3
echo "MMSHIM-DEBUGFS-END" >&3
if [ -f /ioctl_example.ko ]; then
	if insmod /ioctl_example.ko; then
		echo "MMSHIM-CLIENT-BEGIN" >&3
		# shellcheck disable=SC2086
		/mmshim_ioctl_client $client_args >&3 2>&1
		echo "MMSHIM-CLIENT-END rc=$?" >&3
		rmmod ioctl_example || echo "MMSHIM-FAIL rmmod ioctl_example" >&3
	else
		echo "MMSHIM-FAIL insmod ioctl_example.ko" >&3
	fi
fi
# Evidence that KASAN checks the C++ core (kunit/kasan_core_test.c): last
# before unloading, because a KASAN report turns lockdep off for the rest
# of the boot. tests/vm/kunit.sh looks for the report on the console.
if [ -n "$kasan_probe" ]; then
	echo "MMSHIM-STEP kasan core probe" >&3
	echo 1 > /sys/module/mmshim_kunit/parameters/kasan_core_oob 2>/dev/null
fi
rmmod mmshim_kunit || echo "MMSHIM-FAIL rmmod mmshim_kunit" >&3
rmmod mmshim || echo "MMSHIM-FAIL rmmod mmshim" >&3
if [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo "MMSHIM-KMEMLEAK-BEGIN" >&3
	cat /sys/kernel/debug/kmemleak >&3
	echo "MMSHIM-KMEMLEAK-END" >&3
fi
if [ -n "$single" ]; then
	echo "MMSHIM-DMESG-BEGIN" >&3
	dmesg >&3
	echo "MMSHIM-DMESG-END" >&3
fi
echo "MMSHIM-DONE" >&3
reboot -f
