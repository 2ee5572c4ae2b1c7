#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# scan_test.sh - tests of tools/mmshim-scan and docs/scope.md, run by the
# host layer (one ctest test per case, see CMakeLists.txt):
#   scan_test.sh ROOT CASE
# ROOT is the mmshim tree whose tools/, include/ and docs/ are tested; the
# fixtures are next to this script (tests/host/scan/).
set -uo pipefail
root=$1
case=$2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
scan=$root/tools/mmshim-scan
fixtures=$here/scan
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# run_scan OUT ARGS...: the report in OUT, the exit status in $rc
run_scan() {
	local out=$1
	shift
	"$scan" "$@" >"$out" 2>"$out.err"
	rc=$?
	cat "$out" "$out.err"
}

# The "Not provided" section of a report, one name per line.
not_provided() {
	sed -n '/^Not provided by mmshim/,/^mmshim-scan:/p' "$1" | grep -E '^  [^ ]' | awk '{print $1}'
}
provided_line() {
	sed -n '/^Provided by mmshim/,/^$/p' "$1" | grep -E "^  $2 "
}
# expect_missing REPORT NAME AREA: NAME is reported not provided, with the
# advice of the scope.md section AREA (or "none").
expect_missing() {
	local report=$1 name=$2 area=$3 block
	if ! not_provided "$report" | grep -qxF -- "$name"; then
		fail "$name is not reported as not provided"
		return
	fi
	block=$(sed -n '/^Not provided by mmshim/,$p' "$report" | grep -A1 -E "^  $name " | tail -n 1)
	if [ "$area" = none ]; then
		grep -q 'no advice in docs/scope.md' <<<"$block" || fail "$name: expected no advice, got: $block"
	else
		grep -qF "(docs/scope.md#$area)" <<<"$block" || fail "$name: expected the advice of #$area, got: $block"
	fi
}

case $case in
examples)
	# COORDINATOR: this asserts that mmshim provides everything examples/
	# uses. If it fails after a merge, the examples use a WDK name that no
	# header declares: the report below names it.
	run_scan "$tmp/report" "$root/examples"
	[ "$rc" -eq 0 ] || fail "mmshim-scan examples/ exited $rc, expected 0 (everything provided)"
	grep -q '^mmshim-scan: [0-9]* provided, 0 not provided' "$tmp/report" || fail "examples: something is not provided"
	grep -E '^  Windows half, compiled .*examples/hello_mdl/driver.c.*examples/ioctl_driver/driver.c' "$tmp/report" |
		grep -qv iomgr.c || fail "examples: the Windows-half files are not the ones compiled"
	for name in IoAllocateMdl MmProbeAndLockPages ExAllocatePool2 MmMapIoSpace __try; do
		provided_line "$tmp/report" "$name" | grep -q 'docs/[a-z]*\.md' ||
			fail "examples: $name is not listed as provided with a doc page"
	done
	;;
missing)
	run_scan "$tmp/report" "$fixtures/missing"
	[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1 (something is missing)"
	expect_missing "$tmp/report" IoCreateDevice device-and-driver-objects-plug-and-play-power
	# PDEVICE_OBJECT exists (an incomplete type, for DMA adapters: docs/dma.md).
	provided_line "$tmp/report" PDEVICE_OBJECT | grep -q . || fail "PDEVICE_OBJECT is not listed as provided"
	expect_missing "$tmp/report" PDRIVER_OBJECT device-and-driver-objects-plug-and-play-power
	expect_missing "$tmp/report" KeInitializeDpc interrupts-and-dpcs
	expect_missing "$tmp/report" KDPC interrupts-and-dpcs
	expect_missing "$tmp/report" PKDPC interrupts-and-dpcs
	expect_missing "$tmp/report" IoConnectInterrupt interrupts-and-dpcs
	expect_missing "$tmp/report" ZwCreateFile sections-and-zw-calls
	expect_missing "$tmp/report" OBJECT_ATTRIBUTES sections-and-zw-calls
	expect_missing "$tmp/report" IO_STATUS_BLOCK irps-and-the-io-manager
	expect_missing "$tmp/report" IRP_MJ_DEVICE_CONTROL irps-and-the-io-manager
	expect_missing "$tmp/report" MmFrobnicateWidget none
	# Only the compiler can tell that a lower-case name is missing.
	expect_missing "$tmp/report" _wcsnicmp none
	not_provided "$tmp/report" | grep -qxF '<ntstrsafe.h>' || fail "the missing header <ntstrsafe.h> is not reported"
	# Comments and strings are not uses; Linux names in the Linux half are not WDK names.
	for name in IoDeleteDevice KeInsertQueueDpc GFP_KERNEL KEY_A IRQ_HANDLED kmalloc pr_info FIXTURE_TAG FixtureLog; do
		if grep -qE "^  $name " "$tmp/report"; then fail "$name is reported"; fi
	done
	provided_line "$tmp/report" ExAllocatePool2 | grep -q 'docs/pool.md' ||
		fail "ExAllocatePool2 is not listed as provided with docs/pool.md"
	# --quiet: only what is missing and the summary.
	run_scan "$tmp/quiet" --quiet "$fixtures/missing" >/dev/null
	[ "$rc" -eq 1 ] || fail "--quiet: exit status $rc, expected 1"
	if grep -q '^Provided by mmshim' "$tmp/quiet"; then fail "--quiet still lists what is provided"; fi
	not_provided "$tmp/quiet" | grep -qxF IoCreateDevice || fail "--quiet does not list IoCreateDevice"
	# The scan cannot run: exit status 2, not "something is missing".
	run_scan "$tmp/none" "$tmp/no-such-dir" >/dev/null
	[ "$rc" -eq 2 ] || fail "a missing directory: exit status $rc, expected 2"
	CC=/nonexistent/gcc run_scan "$tmp/nocc" "$fixtures/missing" >/dev/null
	[ "$rc" -eq 2 ] || fail "no compiler: exit status $rc, expected 2"
	;;
macro)
	run_scan "$tmp/report" "$fixtures/macro"
	[ "$rc" -eq 0 ] || fail "exit status $rc, expected 0"
	provided_line "$tmp/report" ExAllocatePool2 | grep -q 'docs/pool.md' ||
		fail "ExAllocatePool2, used only through a macro, is not listed as provided (docs/pool.md)"
	provided_line "$tmp/report" ExFreePoolWithTag | grep -q 'docs/pool.md' ||
		fail "ExFreePoolWithTag, used only through a macro, is not listed as provided"
	provided_line "$tmp/report" MmInitializeMdl | grep -q 'docs/mdl.md' ||
		fail "MmInitializeMdl (a header macro, used through a macro) is not listed as provided (docs/mdl.md)"
	provided_line "$tmp/report" STATUS_SUCCESS | grep -q . ||
		fail "STATUS_SUCCESS, which the driver also defines under #ifndef, is not listed as provided"
	for name in FIXTURE_ALLOC FIXTURE_FREE FIXTURE_TAG FixtureAlloc; do
		if grep -qE "^  $name " "$tmp/report"; then fail "the driver's own $name is reported"; fi
	done
	;;
scope_names_undeclared)
	# Every exact name in docs/scope.md's advice table stays undeclared, and
	# the scan reports each with the advice of its own row.
	table=$(sed -n '/<!-- mmshim-scan advice: begin -->/,/<!-- mmshim-scan advice: end -->/p' "$root/docs/scope.md")
	rows=$(grep -c '^| `' <<<"$table")
	[ "$rows" -ge 9 ] || fail "the advice table has $rows rows, expected at least 9 (one per area)"
	# Each row's link points at a heading of scope.md.
	anchors=$(grep -E '^#+ ' "$root/docs/scope.md" | sed -E 's/^#+ //' | tr '[:upper:]' '[:lower:]' |
		sed -E 's/[^a-z0-9 -]//g; s/ /-/g')
	while read -r anchor; do
		grep -qxF -- "$anchor" <<<"$anchors" || fail "advice table link #$anchor matches no heading of scope.md"
	done < <(grep -oE '\]\(#[^)]+\)' <<<"$table" | sed -E 's/^\]\(#//; s/\)$//' | sort -u)
	mkdir -p "$tmp/drv"
	: >"$tmp/names"
	{
		echo '#include <wdm.h>'
		echo 'void ScopeUses(void)'
		echo '{'
		while IFS='|' read -r _ names area _; do
			anchor=$(grep -oE '\(#[^)]+\)' <<<"$area" | tr -d '()#')
			for name in $(grep -oE '`[^`]+`' <<<"$names" | tr -d '`' | grep -v '[][*?]'); do
				echo "$name $anchor" >>"$tmp/names"
				echo "	(void)$name;"
			done
		done < <(grep '^| `' <<<"$table")
		echo '}'
	} >"$tmp/drv/uses.c"
	n=$(wc -l <"$tmp/names")
	[ "$n" -ge 100 ] || fail "only $n exact names in the advice table"
	run_scan "$tmp/report" --quiet "$tmp/drv" >/dev/null
	[ "$rc" -eq 1 ] || fail "exit status $rc, expected 1"
	# "name anchor" for each reported name (one pass: this runs for every name).
	sed -n '/^Not provided by mmshim/,/^mmshim-scan:/p' "$tmp/report" | awk '
		/^  [^ ]/ { name = $1; next }
		/^      / && name != "" {
			a = "none"
			if (match($0, /docs\/scope\.md#[^)]*/)) a = substr($0, RSTART + 14, RLENGTH - 14)
			print name, a; name = ""
		}' | sort >"$tmp/got"
	# A name spelled out in two rows gets the first row's advice.
	awk '!seen[$1]++' "$tmp/names" | sort >"$tmp/want"
	while read -r name anchor; do
		got=$(awk -v n="$name" '$1 == n { print $2 }' "$tmp/got")
		if [ -z "$got" ]; then
			fail "$name (docs/scope.md: not provided) is declared by mmshim's headers"
		elif [ "$got" != "$anchor" ]; then
			fail "$name: expected the advice of #$anchor, got #$got"
		fi
	done < <(comm -23 "$tmp/want" "$tmp/got")
	echo "checked $n names of the advice table"
	;;
headers_decide)
	# The verdict comes from the headers, not from a list in the tool: in a
	# copy of the tree where a header stops declaring IoFreeMdl and another
	# starts declaring KeInitializeDpc, the scan follows.
	mkdir -p "$tmp/tree"
	cp -r "$root/include" "$root/docs" "$root/tools" "$tmp/tree/"
	grep -rlw IoFreeMdl "$tmp/tree/include" | xargs sed -i 's/\bIoFreeMdl\b/IoFreeMdlRenamed/g'
	cat >>"$tmp/tree/include/mmshim/types.h" <<'EOF'
typedef struct _KDPC { int Opaque; } KDPC, *PKDPC;
void KeInitializeDpc(PKDPC Dpc, void *Routine, void *Context);
EOF
	"$tmp/tree/tools/mmshim-scan" --quiet "$root/examples" >"$tmp/report" 2>&1
	rc=$?
	cat "$tmp/report"
	[ "$rc" -eq 1 ] || fail "examples against headers without IoFreeMdl: exit $rc, expected 1"
	not_provided "$tmp/report" | grep -qxF IoFreeMdl || fail "IoFreeMdl, no longer declared, is not reported"
	"$tmp/tree/tools/mmshim-scan" "$fixtures/missing" >"$tmp/report2" 2>&1
	cat "$tmp/report2"
	for name in KeInitializeDpc KDPC PKDPC; do
		provided_line "$tmp/report2" "$name" | grep -q . || fail "$name, now declared, is not listed as provided"
		if not_provided "$tmp/report2" | grep -qxF "$name"; then fail "$name, now declared, is reported missing"; fi
	done
	not_provided "$tmp/report2" | grep -qxF IoCreateDevice || fail "IoCreateDevice is no longer reported"
	# Headers that pull in compiler headers: what those declare (NULL,
	# size_t) is usable but not mmshim's, so neither provided nor missing.
	mkdir -p "$tmp/tree2"
	cp -r "$root/include" "$root/docs" "$root/tools" "$tmp/tree2/"
	sed -i 's/^#define MMSHIM_TYPES_H$/&\n#include <stddef.h>\n#include <stdarg.h>/' "$tmp/tree2/include/mmshim/types.h"
	grep -q '^#include <stddef.h>' "$tmp/tree2/include/mmshim/types.h" || fail "could not edit the copy of types.h"
	"$tmp/tree2/tools/mmshim-scan" "$root/examples" >"$tmp/report3" 2>&1
	rc=$?
	[ "$rc" -eq 0 ] || { cat "$tmp/report3"; fail "examples against headers that include <stddef.h>: exit $rc, expected 0"; }
	for name in size_t va_list; do
		if provided_line "$tmp/report3" "$name" | grep -q .; then fail "$name (from <stddef.h>/<stdarg.h>) is listed as mmshim's"; fi
	done
	;;
*)
	echo "scan_test.sh: unknown case $case" >&2
	exit 2
	;;
esac

if [ "$fails" -ne 0 ]; then
	echo "scan_test $case: $fails failure(s)"
	exit 1
fi
echo "scan_test $case: PASS"
