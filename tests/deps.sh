#!/bin/bash
# deps.sh - install the Debian packages the tests and the demo need, if
# missing (as root). Usage: tests/deps.sh [host|vm|bench|all]  (default all;
# bench: vm plus gnuplot for make bench's plot, not needed by make check)
set -euo pipefail
what=${1:-all}
host_pkgs="g++ cmake make libgtest-dev googletest rsync python3 ccache"
vm_pkgs="gcc make rsync qemu-system-x86 busybox-static cpio gzip xz-utils flex bison bc \
libelf-dev libssl-dev dwarves kmod python3 dkms linux-source-6.1 linux-source-6.12 \
linux-headers-amd64 linux-headers-6.12-amd64 \
gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross qemu-system-arm file"
# kunit-5.10, kunit-sid: kernel sources from bullseye and sid, fetched by
# tests/suite-apt.sh (apt-get download with the archive keyring) and
# unpacked with dpkg -x, never installed.
vm_pkgs="$vm_pkgs apt dpkg debian-archive-keyring"
vm_pkgs="$vm_pkgs procps" # pgrep: check.sh stops the background kernel builds on SIGINT
case $what in
host) pkgs=$host_pkgs ;;
vm) pkgs=$vm_pkgs ;;
bench) pkgs="$vm_pkgs gnuplot-nox" ;;
*) pkgs="$host_pkgs $vm_pkgs" ;;
esac
missing=()
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
