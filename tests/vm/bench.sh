#!/bin/bash
# bench.sh - make bench: build mmshim and bench/mmshim_bench.ko against
# Debian's stock 6.12 headers (a production kernel, not the debug one), boot
# it in qemu, and print each case's time per operation for mmshim and for
# the raw Linux primitive measured in the same run, with their ratio; the
# ratios are also plotted into build/bench-SERIES/bench.png (bench-plot.sh).
# MMSHIM_BENCH_KERNEL=6.1 picks the other series.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$REPO/tests/deps.sh" bench
series=${MMSHIM_BENCH_KERNEL:-6.12}
out=$BUILD/bench-$series
read -r ABI hdr vmlinuz < <("$REPO/tests/vm/debian-kernel.sh" "$series")
mkdir -p "$out"
stage_sources "$out/mmshim"
build_module "$hdr" "$out/mmshim" > "$out/build.log" 2>&1
build_module "$hdr" "$out/mmshim/bench" MMSHIM_DIR="$out/mmshim" >> "$out/build.log" 2>&1
echo "mmshim mmshim_bench" > "$out/modules.txt"
# MMSHIM_BENCH_PROFILE=<pages>: also profile each case of that size.
echo "profile=${MMSHIM_BENCH_PROFILE:-0}" > "$out/mmshim_bench.args"
make_initramfs "$out/initrd.gz" "$REPO/tests/vm/stock-init.sh" "$out/modules.txt" \
	"$out/mmshim/mmshim.ko" "$out/mmshim/bench/mmshim_bench.ko" "$out/mmshim_bench.args"
log "bench: booting Debian $ABI in qemu (accelerator: ${MMSHIM_ACCEL:-probed})"
run_vm "$vmlinuz" "$out/initrd.gz" "$out/console.log" "$out/output.log" "quiet"
tr -d '\r' < "$out/output.log" | sed -n 's/^\[ *[0-9.]*\] bench: //p' | tee "$out/results.txt"
if ! grep -q '^end' "$out/results.txt"; then
	# What the VM printed last, so a one-off failure can be read afterwards.
	echo "bench: no results (see $out/); the console's last lines:" >&2
	tr -d '\r' < "$out/console.log" | tail -n 40 >&2 || true
	tr -d '\r' < "$out/output.log" | tail -n 20 >&2 || true
	exit 1
fi
# The ratios as a plot next to the table (README shows docs/bench.png, a copy
# of one run's plot).
"$REPO/tests/vm/bench-plot.sh" "$out/results.txt" "$out/bench.png"
