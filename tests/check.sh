#!/bin/bash
# check.sh - make check: install what is missing, then run every test layer:
#   host         the C++ core in user space (GoogleTest via ctest, ASan+UBSan)
#   kunit-6.1    KUnit suites in mmshim_kunit.ko on a debug 6.1 kernel (qemu)
#   kunit-6.12   the same on 6.12
#   stress       every routine family at once in threads, timers and hrtimers,
#                with unlock-vs-map races, on the 6.12 debug kernel (qemu)
#   real-6.1     mmshim.ko + example driver on Debian's stock 6.1 kernel (qemu)
#   real-6.12    the same on 6.12
#   kunit-5.10   KUnit suites on a debug 5.10 kernel (bullseye's linux-source-5.10)
#   kunit-sid    the same on the newest series in Debian sid (linux-source-7.2
#                today; followed through sid's linux-source meta-package)
#   dkms         dkms add + build against every installed header tree and the
#                unpacked bullseye 5.10 and sid headers
#   real-5.10    mmshim.ko + examples on bullseye's stock 5.10 kernel (image
#                and headers unpacked with dpkg -x, never installed; qemu)
#   real-sid     the same on sid's newest stock kernel (linux-image-amd64's
#                ABI, followed automatically; host tools rebuilt here)
#   kunit-arm64  the KUnit suites on an arm64 6.12 debug kernel (cross-built,
#                qemu-system-aarch64 -M virt, TCG)
#   real-arm64-6.1 the same on bookworm's stock arm64 kernel (cross-built,
#                qemu-system-aarch64)
# Prints a summary per layer and ends with "N passed, N failed, N skipped"; exits
# non-zero on any failure. MMSHIM_LAYERS="host dkms" runs a subset.
set -uo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO"
# Order: the debug kernels build in the background in this order (see
# below); the kernel-free layers (real-*, dkms) run while the later ones
# build, so that on a cold cache only kunit-arm64 runs after the last one.
layers=${MMSHIM_LAYERS:-host kunit-6.1 real-6.1 kunit-6.12 stress real-6.12 real-5.10 real-arm64-6.1 kunit-5.10 real-sid dkms kunit-sid kunit-arm64}
logs=$REPO/build/logs
mkdir -p "$logs"
start=$(date +%s)

if ! tests/deps.sh all; then
	echo "check: could not install the packages the tests need"
	echo "0 passed, 1 failed"
	exit 1
fi

# Debug kernels the selected layers need, built in the background in layer
# order while the layers run (MMSHIM_PREBUILD=0: off). A layer that needs a
# kernel still being built waits on kernel-build.sh's per-series lock and
# then finds it done. On a cold cache this fills what the layers leave idle
# (a VM booting under TCG, link steps, the host tests) and saves about a
# tenth of the time; on a warm cache every build returns at once.
prebuild=()
for layer in $layers; do
	case $layer in
	kunit-arm64) k="6.12 arm64" ;;
	kunit-*) k=${layer#kunit-} ;;
	stress) k=6.12 ;;
	*) continue ;;
	esac
	case " ${prebuild[*]:-} " in *" $k,"*) ;; *) prebuild+=("$k,") ;; esac
done
prebuild_pid= unpack_pid=
if [ "${MMSHIM_PREBUILD:-1}" = 1 ] && [ ${#prebuild[@]} -gt 0 ]; then
	echo "check: building the debug kernels in the background: ${prebuild[*]%,} (log: build/logs/prebuild.log)"
	(
		for k in "${prebuild[@]}"; do
			# shellcheck disable=SC2086
			nice -n 5 tests/vm/kernel-build.sh ${k%,} > /dev/null || echo "prebuild: ${k%,} failed (its layer retries)"
			echo "prebuild: ${k%,} finished at $(( $(date +%s) - start ))s"
		done
	) > "$logs/prebuild.log" 2>&1 &
	prebuild_pid=$!
	# Each source unpacks (about a minute, one core) while the kernel
	# before it builds, not on the chain's critical path.
	(
		for k in "${prebuild[@]}"; do
			# shellcheck disable=SC2086
			nice -n 5 tests/vm/kernel-build.sh --unpack ${k%,} || true
			echo "prebuild: ${k%,} unpacked at $(( $(date +%s) - start ))s"
		done
	) > "$logs/prebuild-unpack.log" 2>&1 &
	unpack_pid=$!
	# Background commands of a script ignore SIGINT: take them down with us.
	kill_tree() { local c; for c in $(pgrep -P "$1"); do kill_tree "$c"; done; kill "$1" 2>/dev/null; }
	trap 'kill_tree "$prebuild_pid"; kill_tree "$unpack_pid"; exit 130' INT TERM
fi

total_p=0 total_f=0 total_s=0
summary=()
for layer in $layers; do
	case $layer in
	host) cmd=(tests/host/run.sh) ;;
	kunit-*) cmd=(tests/vm/kunit.sh "${layer#kunit-}") ;;
	stress) cmd=(tests/vm/stress.sh 6.12) ;;
	real-*) cmd=(tests/vm/realkernel.sh "${layer#real-}") ;;
	dkms) cmd=(tests/dkms.sh) ;;
	*) echo "check: unknown layer $layer"; exit 2 ;;
	esac
	echo "=== layer $layer"
	t0=$(date +%s)
	"${cmd[@]}" 2>&1 | tee "$logs/$layer.log"
	line=$(grep '^LAYER-RESULT ' "$logs/$layer.log" | tail -1)
	p=0 f=1 s=0
	[ -n "$line" ] && read -r _ _ p f s <<< "$line"
	s=${s:-0}
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	summary+=("$(printf '%-11s %4d passed %4d failed %3d skipped  (%ds)' "$layer" "$p" "$f" "$s" \
		$(( $(date +%s) - t0 )))")
done

[ -n "$prebuild_pid" ] && wait "$prebuild_pid" "$unpack_pid"

# What failed, right above the summary: CI shows only the end of the output.
for layer in $layers; do
	grep -q '^LAYER-RESULT [^ ]* [0-9]* 0\b' "$logs/$layer.log" && continue
	echo
	echo "=== what failed in $layer"
	grep -E '\[ *FAILED *\]|\*\*\*Failed|\[CRASHED\]|EXPECTATION FAILED|ASSERTION FAILED|^ *Expected|^ *(FAIL|not ok) |^FAIL |BUG:|WARNING:|kmemleak|[0-9]+ failed' \
		"$logs/$layer.log" | grep -v '^LAYER-RESULT' | head -8
done

echo
echo "=== summary ($(( $(date +%s) - start ))s, logs in build/logs/)"
printf '%s\n' "${summary[@]}"
echo "$total_p passed, $total_f failed, $total_s skipped"
[ "$total_f" -eq 0 ]
