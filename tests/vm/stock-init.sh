#!/bin/busybox sh
# /init for stock Debian kernels: insmod the modules named in /modules.txt in
# order, show mmshim's debugfs, rmmod them in reverse order, dump dmesg to the
# harness's serial port (ttyS1; the console on arm64), reboot.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs none /sys/kernel/debug
# The arm64 virt machine has no second serial port (only ttyAMA0): there
# the structured output shares the console, which shows only emergencies
# meanwhile (the kernel log follows in the dmesg block), as in kunit-init.sh.
# (Asked by architecture: Debian's arm64 kernel has the 8250 driver built
# in, so /dev/ttyS1 exists there but answers EIO.)
if [ "$(uname -m)" != aarch64 ]; then
	exec 3>/dev/ttyS1
else
	exec 3>/dev/console
	dmesg -n 1
fi
echo "MMSHIM-UNAME $(uname -r)" >&3
loaded=""
for m in $(cat /modules.txt); do
	# Parameters for a module, if the harness gave any (/<module>.args).
	# shellcheck disable=SC2046
	if insmod "/$m.ko" $(cat "/$m.args" 2>/dev/null); then
		echo "MMSHIM-OK insmod $m" >&3
		loaded="$m $loaded"
	else
		echo "MMSHIM-FAIL insmod $m" >&3
	fi
done
if [ -x /mmshim_ioctl_client ] && [ -e /dev/mmshim_ioctl ]; then
	echo "MMSHIM-CLIENT-BEGIN" >&3
	/mmshim_ioctl_client >&3 2>&1
	echo "MMSHIM-CLIENT-END rc=$?" >&3
fi
if [ -d /sys/kernel/debug/mmshim ]; then
	echo "MMSHIM-DEBUGFS-BEGIN" >&3
	for f in verifier pool mdl; do echo "== $f"; cat /sys/kernel/debug/mmshim/$f; done >&3
	echo "MMSHIM-DEBUGFS-END" >&3
fi
for m in $loaded; do
	if rmmod "$m"; then echo "MMSHIM-OK rmmod $m" >&3; else echo "MMSHIM-FAIL rmmod $m" >&3; fi
done
echo "MMSHIM-DMESG-BEGIN" >&3
dmesg >&3
echo "MMSHIM-DMESG-END" >&3
echo "MMSHIM-DONE" >&3
reboot -f
