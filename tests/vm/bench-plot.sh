#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench-plot.sh RESULTS OUT.png - plot make bench's ratios (mmshim / raw
# Linux primitive, one line per case) against the number of pages, with the
# 1.0 line and issue 14's targets, from the "NAME pages=N mmshim=.. linux=..
# ratio=R" lines of RESULTS (tests/vm/bench.sh). Needs gnuplot (Debian's
# gnuplot-nox, installed by tests/deps.sh bench).
set -euo pipefail
results=$1 png=$2
command -v gnuplot > /dev/null || { echo "bench-plot: gnuplot is missing (tests/deps.sh bench)" >&2; exit 1; }
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

# One data file per plotted case: "pages ratio" lines. Both vm_map_ram
# (<= 16 pages) and vmap (more) rows are the scattered-mapping case.
awk -v dir="$data" '
/ pages=[0-9]+ .*ratio=/ {
	name = $0; sub(/ +pages=.*/, "", name)
	match($0, /pages=[0-9]+/); pages = substr($0, RSTART + 6, RLENGTH - 6)
	match($0, /ratio=[0-9.]+/); ratio = substr($0, RSTART + 6, RLENGTH - 6)
	if (name ~ /^map\+unmap vs (vm_map_ram|vmap)$/) f = "scattered"
	else if (name == "map+unmap contiguous") f = "contiguous"
	else if (name == "probe+lock+unlock") f = "lock"
	else if (name == "reserved map+unmap") f = "reserved"
	else if (name == "reserved vs vmap+flush") f = "reserved_flush"
	else if (name == "dma sg list vs map_sg") f = "dma"
	else if (name == "dma floor vs map_sg") f = "dma_floor"
	else if (name ~ /^map floor vs (vm_map_ram|vmap)$/) f = "map_floor"
	else if (name == "lock floor") f = "lock_floor"
	else next
	print pages, ratio >> (dir "/" f ".dat")
}' "$results"
[ -n "$(ls "$data")" ] || { echo "bench-plot: no ratios in $results" >&2; exit 1; }

# plot CASE TITLE COLOUR: a line for CASE if the run measured it.
series=()
add() {
	[ -s "$data/$1.dat" ] || return 0
	series+=("'$data/$1.dat' using 1:2 with linespoints lw 2 pt 7 ${4:-} lc rgb '$3' title '$2'")
}
add scattered "map+unmap, scattered pages (vs vm_map_ram / vmap)" '#1f77b4'
add contiguous "map+unmap, contiguous pages (vs the same)" '#2ca02c'
add lock "probe+lock+unlock (vs pin_user_pages_fast + unpin)" '#d62728'
add reserved "reserved mapping (vs vmap + vunmap)" '#9467bd'
add reserved_flush "reserved mapping (vs vmap + vunmap + TLB flush)" '#8c564b'
add dma "DMA: Get+PutScatterGatherList (vs dma_map_sg + unmap)" '#ff7f0e'
# Not mmshim: the floors, the least any Windows-shaped version of the same
# calls does, with no checks at all (bench/mmshim_bench.c). Lighter colours.
add map_floor "floor, not mmshim: map+unmap with no checks" '#aec7e8' 'dt 3'
add lock_floor "floor, not mmshim: lock+unlock with no checks" '#ff9896' 'dt 3'
add dma_floor "floor, not mmshim: Get+Put with no checks" '#ffbb78' 'dt 3'
# Targets (issue 14, issue 13): dashed, in the colour of their case.
targets=(
	"1.10 with lines dt 2 lw 2 lc rgb '#1f77b4' title 'target <= 1.10 (scattered, lock 4+ pages, DMA)'"
	"0.5 with lines dt 4 lw 2 lc rgb '#9467bd' title 'target < 0.5 (contiguous, reserved)'"
	"1.0 with lines lw 1 lc rgb 'black' title 'same as Linux (1.0)'"
)
plot=$(IFS=,; echo "${series[*]},${targets[*]}")
gnuplot <<EOF
set terminal pngcairo size 1100,880 font ',10' noenhanced
set output '$png'
set title 'make bench: mmshim / raw Linux primitive, time per call (lower is better; medians of 31 rounds)'
set xlabel 'pages per call' offset 0,-0.3
set ylabel 'ratio (log scale)'
set logscale x 2
set logscale y
set xrange [0.8:320]
set yrange [0.05:40]
set xtics (1, 4, 16, 64, 256)
set ytics (0.1, 0.25, 0.5, 1, 2, 4, 10, 20)
set grid
set key below vertical maxrows 6 width 2 spacing 1.1
set bmargin 14
set label 1 "lock at 1 page: target <= 1.30" at 1.15,3.3 tc rgb '#d62728'
plot $plot
EOF
echo "bench: plot written to $png"
