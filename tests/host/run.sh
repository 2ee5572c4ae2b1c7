#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh - build and run the host tests (layer 1): the C++ core against a
# fake platform, GoogleTest under ctest, ASan + UBSan.
#
# Builds in build/host under the repository root. Always exits 0 once it has
# run; the last line is the result for the caller to count:
#   LAYER-RESULT host <passed> <failed>
# A failed configure or build counts as one failure: LAYER-RESULT host 0 1.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build/host
log=$build/ctest.log

generator=()
if [ ! -f "$build/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then
	generator=(-G Ninja)
fi

# Compiler cache next to the kernel cache (outside the repository): a clean
# clone rebuilds the host tests from it in seconds. Paths are hashed relative
# to the repository, so every clone shares the entries.
launcher=()
cachedir=${MMSHIM_CACHE:-/var/cache/mmshim}/ccache
if command -v ccache >/dev/null 2>&1 && mkdir -p "$cachedir" 2>/dev/null && [ -w "$cachedir" ]; then
	export CCACHE_DIR=$cachedir CCACHE_BASEDIR=$root CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=2G
	launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

mkdir -p "$build"
if ! cmake -S "$here" -B "$build" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE= -DMMSHIM_ROOT="$root"; then
	echo "host: cmake configure failed" >&2
	echo "LAYER-RESULT host 0 1"
	exit 0
fi
if ! cmake --build "$build" --parallel "$(nproc 2>/dev/null || echo 2)"; then
	echo "host: build failed" >&2
	echo "LAYER-RESULT host 0 1"
	exit 0
fi

(cd "$build" && ctest --output-on-failure --parallel "$(nproc 2>/dev/null || echo 2)") 2>&1 | tee "$log"

# "100% tests passed, 0 tests failed out of 97" / "97% tests passed, 3 tests failed out of 97"
summary=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
if [ -z "$summary" ]; then
	echo "host: no ctest summary found" >&2
	echo "LAYER-RESULT host 0 1"
	exit 0
fi
failed=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
total=$(sed -E 's/.*passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$summary")
if [ "$total" -eq 0 ]; then
	echo "host: ctest ran no tests" >&2
	echo "LAYER-RESULT host 0 1"
	exit 0
fi
echo "LAYER-RESULT host $((total - failed)) $failed"
exit 0
