#!/bin/busybox sh
# /init of the stress initramfs: load mmshim, run mmshim_stress.ko (its
# module init is the whole run; module parameters come from the kernel
# command line as mmshim_stress.NAME=VALUE), dump its results and mmshim's
# debugfs counters, unload both, run a kmemleak scan, reboot.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug
exec 3>/dev/ttyS1
echo scan=off > /sys/kernel/debug/kmemleak 2>/dev/null
echo clear > /sys/kernel/debug/kmemleak 2>/dev/null
args=
for w in $(cat /proc/cmdline); do
	case $w in mmshim_stress.*) args="$args ${w#mmshim_stress.}" ;; esac
done
echo "MMSHIM-STEP insmod mmshim" >&3
# Reports from the deliberate races are expected: no stack dump for each.
insmod /mmshim.ko verifier_backtrace=0 || echo "MMSHIM-FAIL insmod mmshim.ko" >&3
echo "MMSHIM-STEP insmod mmshim_stress$args" >&3
insmod /mmshim_stress.ko $args || echo "MMSHIM-FAIL insmod mmshim_stress.ko" >&3
echo "MMSHIM-STRESS-BEGIN" >&3
cat /sys/kernel/debug/mmshim_stress/results >&3
echo "MMSHIM-STRESS-END" >&3
echo "MMSHIM-DEBUGFS-BEGIN" >&3
cat /sys/kernel/debug/mmshim/verifier /sys/kernel/debug/mmshim/pool /sys/kernel/debug/mmshim/mdl >&3
echo "MMSHIM-DEBUGFS-END" >&3
# mmshim rate-limits its report lines (20 per 5 s): let the races' window
# pass, so that a report at unload is printed for stress.sh to see.
sleep 6
rmmod mmshim_stress || echo "MMSHIM-FAIL rmmod mmshim_stress" >&3
echo "mmshim-stress: unloading mmshim" > /dev/kmsg
rmmod mmshim || echo "MMSHIM-FAIL rmmod mmshim" >&3
if [ -e /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	echo "MMSHIM-KMEMLEAK-BEGIN" >&3
	cat /sys/kernel/debug/kmemleak >&3
	echo "MMSHIM-KMEMLEAK-END" >&3
fi
echo "MMSHIM-DONE" >&3
reboot -f
