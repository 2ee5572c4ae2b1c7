#!/bin/bash
# stress.sh [VERSION] - the stress layer: build (or reuse) the debug kernel
# (default 6.12), build mmshim.ko and kunit/stress/mmshim_stress.ko against
# it, boot qemu with the edu device, run the stress for
# MMSHIM_STRESS_SECONDS (default 150; `make stress SECONDS=600` for a long
# run), then check the module's verdicts (a PASS/FAIL/SKIP line per check:
# every family ran with every data check correct, every mmshim counter back
# to its start, no verifier report but those the deliberate races provoke),
# a clean unload, a clean kmemleak scan and a clean console.
# MMSHIM_STRESS_ARGS passes module parameters (kunit/stress/stress_main.c);
# its default, below, is where the layer switches on the families that wait
# for issue 10's fixes (items 5/15: race_kernel, race_user, race_reserved;
# item 10: irq_seh).
# Last line: "LAYER-RESULT stress <passed> <failed> <skipped>".
set -uo pipefail
. "$(dirname "$0")/lib.sh"
ver=${1:-6.12}
name=stress
out=$BUILD/stress-$ver
secs=${MMSHIM_STRESS_SECONDS:-150}
# The race and interrupt families (issue 10 items 5 and 10) are on by default.
default_args="race_kernel=1 race_user=1 race_reserved=1 irq_seh=1"
VM_TIMEOUT=${MMSHIM_VM_TIMEOUT:-$((secs + 900))}
mkdir -p "$out"
passed=0 failed=0 skipped=0
result() { echo "LAYER-RESULT $name $passed $failed $skipped"; exit 0; }
fail() { echo "FAIL $name: $*"; failed=$((failed + 1)); }

kdir=$("$REPO/tests/vm/kernel-build.sh" "$ver") || { fail "kernel build"; result; }

stage_sources "$out/mmshim"
if ! build_module "$kdir" "$out/mmshim" > "$out/build.log" 2>&1 ||
   ! build_module "$kdir" "$out/mmshim/kunit/stress" KBUILD_EXTRA_SYMBOLS="$out/mmshim/Module.symvers" \
	>> "$out/build.log" 2>&1; then
	tail -30 "$out/build.log"; fail "module build"; result
fi
w=$(build_warnings "$out/build.log")
if [ -n "$w" ]; then echo "$w"; fail "build warnings"; fi

make_initramfs "$out/initrd.gz" "$REPO/tests/vm/stress-init.sh" \
	"$out/mmshim/mmshim.ko" "$out/mmshim/kunit/stress/mmshim_stress.ko"
cmdline="kmemleak=on mmshim_stress.seconds=$secs"
for a in ${MMSHIM_STRESS_ARGS-$default_args}; do cmdline="$cmdline mmshim_stress.$a"; done
log "$name: booting $(basename "$kdir") in qemu, $secs s of stress ($cmdline)"
run_vm "$kdir/arch/x86/boot/bzImage" "$out/initrd.gz" "$out/console.log" "$out/output.log" "$cmdline"
tr -d '\r' < "$out/console.log" > "$out/console.txt"
tr -d '\r' < "$out/output.log" > "$out/output.txt" 2>/dev/null
grep -q MMSHIM-DONE "$out/output.txt" || fail "VM did not finish (see $out/console.txt)"
while read -r l; do fail "${l#MMSHIM-FAIL }"; done < <(grep '^MMSHIM-FAIL' "$out/output.txt")

# The module's own lines: configuration, operations per family, verdicts.
awk '/^MMSHIM-STRESS-BEGIN/{on=1; next} /^MMSHIM-STRESS-END/{on=0} on' "$out/output.txt" > "$out/results.txt"
sed 's/^/  /' "$out/results.txt"
grep -q '^STRESS-RESULT ' "$out/results.txt" || fail "the stress module did not finish (see $out/console.txt)"
passed=$((passed + $(grep -c '^PASS ' "$out/results.txt")))
failed=$((failed + $(grep -c '^FAIL ' "$out/results.txt")))
skipped=$((skipped + $(grep -c '^SKIP ' "$out/results.txt")))

# After the run's own checks, unloading mmshim must not find anything left
# (its LEAKED_AT_UNLOAD reports) nor report anything else.
late=$(awk '/mmshim-stress: done:/{on=1; next} on && /mmshim: verifier report/' "$out/console.txt")
if [ -n "$late" ]; then
	echo "$late" | head -10
	fail "verifier reports after the run (unload of mmshim_stress or mmshim)"
else
	passed=$((passed + 1))
fi

problems=$(console_problems "$out/console.txt"; awk '/^MMSHIM-KMEMLEAK-BEGIN/{on=1; next} /^MMSHIM-KMEMLEAK-END/{on=0} on' "$out/output.txt")
if [ -n "$problems" ]; then
	echo "$problems" | head -20
	fail "kernel console reported problems (see $out/console.txt)"
else
	passed=$((passed + 1)) # the clean-console and kmemleak check
fi
result
