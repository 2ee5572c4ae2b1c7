// SPDX-License-Identifier: GPL-2.0
// pagealloc.h - what other core areas need from page allocation and I/O
// space: Windows cache types in Linux terms, and unload cleanup.
#pragma once

#include "support.h"

namespace mmshim {

// MEMORY_CACHING_TYPE -> MMSHIM_CACHE_*, or false for a value outside
// MmNonCached..MmUSWCCached. Hardware-coherent is cached, unordered
// non-cached is non-cached, USWC is write-combined (as the DDI
// documentation describes them).
inline bool cache_of(MEMORY_CACHING_TYPE type, unsigned *out)
{
	switch (type) {
	case MmNonCached:
	case MmNonCachedUnordered:
		*out = MMSHIM_CACHE_UC;
		return true;
	case MmCached:
	case MmHardwareCoherentCached:
		*out = MMSHIM_CACHE_WB;
		return true;
	case MmWriteCombined:
	case MmUSWCCached:
		*out = MMSHIM_CACHE_WC;
		return true;
	default:
		return false;
	}
}

namespace pagealloc {
// MmAllocatePagesForMdlEx for other areas (MmAllocateNonCachedMemory),
// reporting as `routine`. Free with free_mdl_pages, then pool::free.
PMDL allocate_mdl(PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high, PHYSICAL_ADDRESS skip, SIZE_T total,
		  MEMORY_CACHING_TYPE cache, ULONG flags, const char *routine, void *caller);
// Capacity of the PFN array of an MDL from MmAllocatePagesForMdl(Ex) (its
// Size field wraps above 4089 pages), or false if it is not one.
bool mdl_capacity(const MDL *mdl, uptr *pages);
// MmFreePagesFromMdl without its report: if the MDL holds pages from
// MmAllocatePagesForMdl(Ex), drop its mappings, free the pages and mark
// the MDL empty. False, with nothing touched, if it does not, or if a DMA
// mapping holds them (then *held, if given, is set).
bool free_mdl_pages(MDL *mdl, const char *routine, void *caller, bool *held = nullptr);
// A DMA mapping's hold on the pages of an MDL from MmAllocatePagesForMdl(Ex)
// (nullptr if it is not one): until drop_hold(), free_mdl_pages refuses to
// free them, so they stay allocated for as long as a device may use them.
// As lock::owner_of's hold; drop_hold takes no lock. Atomic-safe.
void *hold(const MDL *mdl);
void drop_hold(void *hold);
// Whether the MDL holds pages from MmAllocatePagesForMdl(Ex). Never
// dereferences mdl.
bool owns_mdl(const MDL *mdl);
// An MDL address in [lo, hi) holding pages from MmAllocatePagesForMdl(Ex),
// if any (for a pool block being freed). Atomic-safe.
bool first_in(uptr lo, uptr hi, uptr *key);
// Frames of live non-cached or write-combined allocations (0: all RAM that
// mmshim knows of is write-back, no lookup needed). Atomic-safe.
uptr uncached_pages();
// Module unload: free and report what drivers left allocated.
void release_all_at_unload();
} // namespace pagealloc

namespace iospace {
// Physical address behind an MmMapIoSpace(Ex) address, if va is in one.
bool physical_of(uptr va, ULONGLONG *phys);
void release_all_at_unload();
} // namespace iospace

} // namespace mmshim
