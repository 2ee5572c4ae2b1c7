#!/bin/bash
# lib.sh - shared helpers for the VM test scripts (sourced, not run).

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${MMSHIM_CACHE:-/var/cache/mmshim}
BUILD=${MMSHIM_BUILD:-$REPO/build}
# Guest architecture of run_vm/make_initramfs: x86_64, or arm64 (set by
# kunit.sh for the kunit-arm64 layer, whose TCG emulation is several times
# slower: its VMs get a longer default timeout).
MMSHIM_ARCH=${MMSHIM_ARCH:-x86_64}
if [ "$MMSHIM_ARCH" = arm64 ]; then
	VM_TIMEOUT=${MMSHIM_VM_TIMEOUT:-2400}
else
	VM_TIMEOUT=${MMSHIM_VM_TIMEOUT:-900}
fi

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Copy the module sources to $1 (out-of-tree Kbuild writes objects next to
# the sources, so every kernel gets its own copy).
stage_sources() {
	local dest=$1
	mkdir -p "$dest"
	# By content, not timestamps: a file that changed is written anew (newer
	# than its old object, so Kbuild rebuilds it) even when the repo's copy
	# is older (a checkout of an earlier commit); unchanged files keep theirs.
	rsync -rlpD --checksum --delete --exclude build --exclude .git --exclude tests \
		--exclude docs --exclude '*.o' --exclude '*.ko' --exclude '*.cmd' --exclude '*.mod' \
		--exclude '*.mod.c' --exclude Module.symvers --exclude modules.order \
		"$REPO/" "$dest/"
}

# make modules for the directory $2 against kernel tree $1; extra args follow.
# $MMSHIM_KMAKE adds Kbuild variables (the kunit-arm64 layer's
# ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-).
build_module() {
	local kdir=$1 dir=$2; shift 2
	# shellcheck disable=SC2086
	make -C "$kdir" M="$dir" -j"$(( $(nproc) + 1 ))" \
		MODULE_PAHOLE_FLAGS=--lang_exclude=rust,c++,c++03,c++11,c++14 \
		${MMSHIM_KMAKE:-} "$@" modules
}

# Warnings in a build log: compiler, objtool, modpost (Kbuild's own
# "Skipping BTF generation" note is not a warning).
build_warnings() {
	grep -E 'warning:|error:|WARNING:|ERROR:|objtool:|undefined!' "$1" || true
}

# make_initramfs OUT INIT FILE... : busybox initramfs with INIT as /init
make_initramfs() {
	local out=$1 init=$2; shift 2
	local root
	root=$(mktemp -d)
	mkdir -p "$root"/{bin,proc,sys,dev,tmp}
	cp "${MMSHIM_BUSYBOX:-/bin/busybox}" "$root/bin/busybox"
	cp "$init" "$root/init"; chmod +x "$root/init"
	local f
	for f in "$@"; do cp "$f" "$root/"; done
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
	rm -rf "$root"
}

# Accelerator: KVM when it works, else TCG. Probed once per machine by
# booting KERNEL with KVM and an initramfs that only says hello (nested KVM
# on these machines either aborts or hangs at "Booting from ROM"); the answer
# is kept in $CACHE/accel-<host kernel>. MMSHIM_ACCEL=tcg|kvm overrides.
probe_accel() {
	local kernel=$1 stamp
	[ -n "${MMSHIM_ACCEL:-}" ] && return
	stamp=$CACHE/accel-$(uname -r)
	if [ ! -f "$stamp" ]; then
		local dir init out
		dir=$(mktemp -d)
		init=$dir/init
		printf '#!/bin/busybox sh\n/bin/busybox echo MMSHIM-KVM-OK\n/bin/busybox reboot -f\n' > "$init"
		make_initramfs "$dir/initrd.gz" "$init"
		out=tcg
		if [ -w /dev/kvm ] && timeout 60 qemu-system-x86_64 -accel kvm -cpu host -m 512 \
			-display none -serial stdio -no-reboot -kernel "$kernel" -initrd "$dir/initrd.gz" \
			-append "console=ttyS0 panic=-1" </dev/null 2>&1 | grep -q MMSHIM-KVM-OK; then
			out=kvm
		fi
		rm -rf "$dir"
		mkdir -p "$CACHE"
		echo "$out" > "$stamp"
		log "qemu accelerator: $out (KVM probe)"
	fi
	MMSHIM_ACCEL=$(cat "$stamp")
	export MMSHIM_ACCEL
}

# arm64_busybox: path of an arm64 static busybox for the guest: bookworm's
# busybox-static:arm64, downloaded through tests/suite-apt.sh and unpacked
# with dpkg -x into $CACHE/busybox-arm64 (never installed on the host).
arm64_busybox() {
	local dir=$CACHE/busybox-arm64 tmp
	if [ ! -x "$dir/bin/busybox" ]; then
		tmp=$(mktemp -d)
		(cd "$tmp" && chmod 755 . && "$REPO/tests/suite-apt.sh" bookworm download busybox-static:arm64 >&2) &&
			dpkg -x "$tmp"/busybox-static_*_arm64.deb "$tmp/root" || { rm -rf "$tmp"; return 1; }
		rm -rf "$dir"; mkdir -p "$CACHE"; mv "$tmp/root" "$dir"; rm -rf "$tmp"
	fi
	echo "$dir/bin/busybox"
}

qemu_accel_args() {
	if [ "$MMSHIM_ACCEL" = kvm ]; then echo "-accel kvm -cpu host"; else echo "-accel tcg -cpu max"; fi
}

# run_vm KERNEL INITRD CONSOLE_LOG OUTPUT_LOG [extra kernel args]: boots and
# waits; returns qemu's rc. The kernel console is ttyS0 (CONSOLE_LOG); the
# test's own structured output goes to ttyS1 (OUTPUT_LOG), so printk lines
# never interleave with it. Devices: qemu's edu (MMIO registers, and a DMA
# engine that reaches 32 bits of bus address: its default 28-bit mask
# cannot be served by the debug kernels, which have no ZONE_DMA;
# kunit/dma_test.c) and pci-testdev (an MMIO BAR and an I/O-port BAR;
# kunit/register_test.c). MMSHIM_QEMU_MACHINE adds machine options before
# the devices (tests/vm/kunit.sh's IOMMU configuration: q35 and
# intel-iommu, which qemu wants ahead of the PCI devices it translates).
#
# A kernel that never reached /init's first line (every init script here
# writes an MMSHIM- line before it loads anything) never ran any of
# mmshim: that is a boot failure of the kernel under qemu TCG, not a test
# result. On 2026-12-03 Debian's 7.2 sid kernel hit a stray int3 while
# patching its own code during initcalls in 2 of 10 boots, and once the
# sid debug kernel hung in KASAN reports from an interrupt during
# identify_cpu until the VM timed out. Such a boot is kept as
# CONSOLE_LOG.boot-crash-N and the VM booted again, up to three more times;
# a fourth stands and fails the layer as before.
run_vm() {
	local out=$3 data=$4 rc tries=0
	run_vm_once "$@"
	rc=$?
	while [ $tries -lt 3 ] && ! grep -q 'MMSHIM-' "$data" 2>/dev/null; do
		tries=$((tries + 1))
		cp "$out" "$out.boot-crash-$tries"
		log "the kernel never reached /init (nothing of mmshim was loaded; see $out.boot-crash-$tries): booting it again"
		run_vm_once "$@"
		rc=$?
	done
	return $rc
}

run_vm_once() {
	local kernel=$1 initrd=$2 out=$3 data=$4 extra=${5:-}
	rm -f "$data"
	if [ "$MMSHIM_ARCH" = arm64 ]; then
		run_vm_arm64 "$@"
		return
	fi
	probe_accel "$kernel"
	# shellcheck disable=SC2046
	timeout "$VM_TIMEOUT" qemu-system-x86_64 $(qemu_accel_args) -smp 2 -m 2048 \
		-display none -no-reboot ${MMSHIM_QEMU_MACHINE:-} \
		-device edu,dma_mask=0xffffffff -device pci-testdev \
		-serial stdio -serial "file:$data" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 oops=panic loglevel=7 $extra" \
		</dev/null > "$out" 2>&1
}

# run_vm_arm64: the same on qemu-system-aarch64 -M virt (TCG, -cpu max with
# the cheaper IMPDEF pointer-authentication algorithm, 2 vCPUs; edu and
# pci-testdev on the virt machine's generic ECAM PCIe). virt has a single
# UART (pl011, ttyAMA0): the init script sees no second serial port, writes
# its structured output to the console with the console log level lowered
# to emergencies, and appends the whole kernel log (dmesg) at the end
# between MMSHIM-DMESG-BEGIN/END; CONSOLE_LOG and OUTPUT_LOG are then the
# same stream (the caller takes the kernel log from that section).
run_vm_arm64() {
	local kernel=$1 initrd=$2 out=$3 data=$4 extra=${5:-}
	timeout "$VM_TIMEOUT" qemu-system-aarch64 -M virt -accel tcg -cpu max,pauth-impdef=on \
		-smp 2 -m 2048 -display none -no-reboot -device edu,dma_mask=0xffffffff -device pci-testdev \
		-serial stdio -kernel "$kernel" -initrd "$initrd" \
		-append "console=ttyAMA0 panic=-1 oops=panic loglevel=7 log_buf_len=16M $extra" \
		</dev/null > "$out" 2>&1
	local rc=$?
	cp "$out" "$data"
	return $rc
}

# Kernel-log lines that fail a run. Each real problem starts with one of
# these headers ("Oops:", not the bare word: hello_mdl names its wrong tag
# 'Oops', and on arm64 the dmesg dump shares the console); verifier reports
# ("mmshim: verifier report ...") and their stack dumps are not among them. A test that provokes one of these on
# purpose must print "mmshim-test: expect: <the line>" just before, and
# console_problems then lets exactly that line pass.
CONSOLE_BAD='WARNING:|BUG:|KASAN|UBSAN|kmemleak:.*suspected|unreferenced object|possible recursive locking|possible circular locking|inconsistent lock state|INFO: lockdep|sleeping function called from invalid context|Oops:|Oops - |Kernel panic|general protection fault|refcount_t:|list_add corruption|list_del corruption|missing return thunk|Unable to handle|soft lockup|hung_task|invoked oom-killer|Out of memory'

# console_problems LOG: print the offending lines (nothing if clean).
console_problems() {
	awk -v bad="$CONSOLE_BAD" '
		/mmshim-test: expect: / { sub(/.*mmshim-test: expect: /, ""); expect = $0; next }
		$0 ~ bad {
			if (expect != "" && index($0, expect)) { expect = ""; next }
			print
		}
	' "$1"
}

# boot_stock SERIES OUTDIR: build mmshim.ko and the example driver against
# Debian's stock SERIES (6.1|6.12|5.10|sid: tests/vm/debian-kernel.sh) headers,
# boot the matching stock kernel in
# qemu, insmod/rmmod both. Leaves OUTDIR/{build.log,console.txt,output.txt}
# and sets ABI. Returns non-zero if the modules could not be built.
boot_stock() {
	local series=$1 out=$2 hdr vmlinuz
	read -r ABI hdr vmlinuz < <("$REPO/tests/vm/debian-kernel.sh" "$series") || return 1
	mkdir -p "$out"
	stage_sources "$out/mmshim"
	build_module "$hdr" "$out/mmshim" > "$out/build.log" 2>&1 &&
		build_module "$hdr" "$out/mmshim/examples/hello_mdl" MMSHIM_DIR="$out/mmshim" \
			>> "$out/build.log" 2>&1 &&
		build_ioctl_example "$hdr" "$out" || { tail -30 "$out/build.log" >&2; return 1; }
	echo "mmshim hello_mdl ioctl_example" > "$out/modules.txt"
	make_initramfs "$out/initrd.gz" "$REPO/tests/vm/stock-init.sh" "$out/modules.txt" \
		"$out/mmshim/mmshim.ko" "$out/mmshim/examples/hello_mdl/hello_mdl.ko" \
		"$out/mmshim/examples/ioctl_driver/ioctl_example.ko" \
		"$out/mmshim/examples/ioctl_driver/mmshim_ioctl_client"
	log "booting Debian $ABI in qemu"
	run_vm "$vmlinuz" "$out/initrd.gz" "$out/console.log" "$out/output.log" "quiet"
	tr -d '\r' < "$out/console.log" > "$out/console.txt"
	tr -d '\r' < "$out/output.log" > "$out/output.txt" 2>/dev/null
	return 0
}

# build_ioctl_example KDIR OUTDIR: the ioctl example driver (against the
# staged mmshim in OUTDIR/mmshim) and its static user-space client; the
# build log goes to OUTDIR/build.log.
build_ioctl_example() {
	local kdir=$1 out=$2
	build_module "$kdir" "$out/mmshim/examples/ioctl_driver" MMSHIM_DIR="$out/mmshim" \
		>> "$out/build.log" 2>&1 &&
		make -C "$out/mmshim/examples/ioctl_driver" client ${MMSHIM_CLIENT_CC:+CC="$MMSHIM_CLIENT_CC"} \
			>> "$out/build.log" 2>&1
}

# client_counts OUTPUT: "<passed> <failed>" from the ioctl client's PASS/FAIL
# lines between MMSHIM-CLIENT-BEGIN and MMSHIM-CLIENT-END (failed is at least
# 1 if the client did not finish).
client_counts() {
	awk '/^MMSHIM-CLIENT-BEGIN/{on=1; next} /^MMSHIM-CLIENT-END/{on=0}
	     on && /^PASS /{p++} on && /^FAIL /{f++} on && /^CLIENT-RESULT /{done=1}
	     END { if (!done) f++; print p+0, f+0 }' "$1"
}
