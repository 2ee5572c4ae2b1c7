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

// The memory type for mapping `pages` frames of which the first `ram` are
// RAM (mmshim_plat_frames_ram): device frames (all of them) get the type
// asked, RAM (all of it) its own type from the linear map (write-back, or
// what MmAllocatePagesForMdlEx set: another alias would break x86 PAT).
// Otherwise kMixed (RAM and device frames) or kConflict (RAM of different
// types), with the first offending frame in *index.
enum class FrameType { kOk, kMixed, kConflict };
FrameType frames_type(const PFN_NUMBER *pfns, uptr pages, uptr ram, unsigned asked, unsigned *type,
		      uptr *index);

// If mmshim mapped this MDL into system space, unmap it and clear the
// mapping flags; returns whether there was a mapping. Atomic-safe.
bool drop(MDL *mdl);

// Module unload: unmap and report whatever drivers left mapped.
void release_all_at_unload();

} // namespace mmshim::map
