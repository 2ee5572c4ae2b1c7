#!/bin/bash
# suite-apt.sh SUITE APT-GET-ARGS... - run apt-get against another Debian
# suite (bullseye, sid, ...) of the same archive through a private source
# list and state directory in $MMSHIM_CACHE/apt/SUITE, never touching the
# machine's own package sources. Only for "download" (then dpkg -x): nothing
# from another suite is ever installed. The lists are refreshed when older
# than a day. Both amd64 and arm64 indexes are fetched.
#   tests/suite-apt.sh sid download linux-source-7.2
#   tests/suite-apt.sh sid cache show linux-source    (apt-cache instead)
set -euo pipefail
suite=$1; shift
cache=${MMSHIM_CACHE:-/var/cache/mmshim}
dir=$cache/apt/$suite
mkdir -p "$dir/lists/partial"
mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/* *$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
source="deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main"
opts=(-o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists="$dir/lists" -o Dir::State::status=/dev/null
	-o APT::Architectures::=amd64 -o APT::Architectures::=arm64)
exec 9>"$dir/.lock"; flock 9
# Written under the lock, and only when it changes: a concurrent apt-cache
# must never read a truncated source list (it then finds no package at all).
if [ "$(cat "$dir/sources.list" 2>/dev/null)" != "$source" ]; then
	echo "$source" > "$dir/sources.list.tmp" && mv "$dir/sources.list.tmp" "$dir/sources.list"
fi
if [ -z "$(find "$dir/lists" -maxdepth 1 -name '*_InRelease' -mmin -1440 2>/dev/null)" ]; then
	apt-get "${opts[@]}" update -qq >&2
fi
if [ "${1:-}" = cache ]; then
	shift; apt-cache "${opts[@]}" "$@"
else
	apt-get "${opts[@]}" "$@"
fi
