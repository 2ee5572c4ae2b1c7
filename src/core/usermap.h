// SPDX-License-Identifier: GPL-2.0
// usermap.h - the core's record of user-mode mappings
// (MmMapLockedPagesSpecifyCache with UserMode), for map.cpp, lock.cpp and
// mdl.cpp.
#pragma once

#include "support.h"

namespace mmshim::usermap {

// MmMapLockedPagesSpecifyCache(UserMode): map into the current process.
// Raises (seh::raise) on failures Windows raises for; refusals of misuse
// are reported and return NULL.
PVOID map(MDL *mdl, MEMORY_CACHING_TYPE cache, PVOID requested, ULONG priority, const char *routine,
	  void *caller);

// MmUnmapLockedPages of a user address.
void unmap(PVOID address, MDL *mdl, const char *routine, void *caller);

// The MDL's pages are about to be released (MmUnlockPages, IoFreeMdl):
// forget every user mapping of it. A mapping still present in a process is
// a driver bug: it is reported and its page-table entries are removed, so
// the process can no longer reach the pages (it gets SIGBUS). Atomic-safe.
void drop_all(MDL *mdl, const char *routine, void *caller);

// Whether any process maps this MDL (or did, and the MDL was not unmapped
// since). Never dereferences mdl.
bool has(const MDL *mdl);

// An MDL address in [lo, hi) that this area tracks, if any (for a pool
// block being freed). Never dereferences the MDL. Atomic-safe.
bool first_in(uptr lo, uptr hi, uptr *key);

// Module unload: release and report whatever drivers left.
void release_all_at_unload();

} // namespace mmshim::usermap
