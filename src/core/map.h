// SPDX-License-Identifier: GPL-2.0
// map.h - the core's record of system mappings, for areas that must drop
// one (MmUnlockPages, IoFreeMdl).
#pragma once

#include "support.h"

namespace mmshim::map {

// The platform's state of one vm_map_ram/vmap mapping, kept inside a core
// record, with what to do when a deferred unmap (atomic context) finishes:
// mmshim_core_map_state_done() calls `done`, which frees or recycles the
// record that holds this.
struct FramesMapping {
	void (*done)(FramesMapping *fm);
	mmshim_map_state state;
};

// mmshim_plat_unmap_frames(), then `done` now, or later from the worker.
inline void unmap_frames(FramesMapping *fm)
{
	if (mmshim_plat_unmap_frames(&fm->state))
		fm->done(fm);
}

// What a mapping of an MDL's frames needs to know, after the checks every
// mapping makes (reported on failure): a described, non-empty range that
// the PFN array holds, a valid CacheType, frames all RAM or all device
// memory, and RAM of one memory type. The type to map with is the one asked
// for device memory and the pages' own for RAM (write-back, or what
// MmAllocatePagesForMdlEx set: another alias would break x86 PAT).
struct Frames {
	uptr pages;
	bool device;     // device memory (no struct page), else RAM
	bool contiguous; // physically
	unsigned type;   // MMSHIM_CACHE_*
};
bool check_frames(MDL *mdl, MEMORY_CACHING_TYPE cache, Frames *out, const char *routine, void *caller);

// Whether the MDL still carries one of the flags in `need` (which include
// MDL_PAGES_LOCKED) that allowed it to be mapped. A map call asks after it
// has registered its mapping, under the lock of the area whose drop
// routine the unlock calls: lock::unlock clears MDL_PAGES_LOCKED before it
// drops any use, so either this sees the flag clear (the call gives up,
// map_gone_report) or the unlock finds the registration and abandons it.
// Call it after the registration is visible to the drop routine (which may
// skip its lock when it sees no registrations): the fence pairs with the
// one in the release path after it clears the flag.
inline bool still_locked(const MDL *m, unsigned need)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (static_cast<unsigned>(static_cast<USHORT>(__atomic_load_n(&m->MdlFlags, __ATOMIC_ACQUIRE))) &
		need) != 0;
}

// Report (as MMSHIM_VRF_MDL_MAPPING_ABANDONED) that the MDL was unlocked
// while `routine` was mapping it, before the mapping was registered.
void report_unlocked_meanwhile(const MDL *mdl, const char *routine, void *caller);

// If mmshim mapped this MDL into system space, unmap it and clear the
// mapping flags; returns whether there was a mapping. A mapping another
// thread is still making is abandoned (reported, as `routine` called by
// `caller`): that map call undoes it and returns NULL. Atomic-safe.
bool drop(MDL *mdl, const char *routine, void *caller);

// map_system for other areas (MmAllocateNonCachedMemory): KernelMode,
// BugCheckOnFailure FALSE, NormalPagePriority. Reports as `routine`.
PVOID map_kernel(MDL *m, MEMORY_CACHING_TYPE cache, const char *routine, void *caller);

// MmProtectMdlSystemAddress's work: set the page-table access
// (MMSHIM_ACCESS_*) of the system mapping mmshim made for `m` with
// MmMapLockedPagesSpecifyCache, and flush the TLBs when tightening.
// *detail: the mapping's base address when there is one. Atomic-safe
// (interrupts on: the flush is then deferred to a worker).
enum class Protect {
	kOk,
	kNotMapped,      // no complete system mapping of m by mmshim
	kLinear,         // mapped through the linear map: not changeable per page
	kOwnerReadOnly,  // write access to frames their owner cannot write
	kPlatformFailed, // the page tables are not as mmshim made them
	kFlushDeferred,  // done, but other CPUs' TLBs are flushed by a worker
};
Protect protect(MDL *m, unsigned access, uptr *detail);

// MmAdvanceMdl is about to move `m`'s start past `pages` whole pages
// (MappedSystemVa with it): note it in the mapping record, so that
// MmUnmapLockedPages(MappedSystemVa) still finds the mapping. Call before
// the MDL's fields change. kUnsupported: `m` is mapped in a way mmshim
// cannot follow (reserved mapping, inherited partial mapping, being mapped
// by another thread). Atomic-safe.
enum class Advance { kOk, kUnsupported };
Advance advance(MDL *m, uptr pages);

// Whether mmshim holds a mapping record for this MDL (a linear-map
// mapping has none). Never dereferences mdl. Atomic-safe.
bool has_record(const MDL *mdl);

// An MDL address in [lo, hi) that this area tracks, if any (for a pool
// block being freed). Never dereferences the MDL. Atomic-safe.
bool first_in(uptr lo, uptr hi, uptr *key);

// Module unload: unmap and report whatever drivers left mapped.
void release_all_at_unload();

} // namespace mmshim::map
