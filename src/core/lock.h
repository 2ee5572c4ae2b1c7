// SPDX-License-Identifier: GPL-2.0
// lock.h - the core's record of MDLs locked by MmProbeAndLockPages.
#pragma once

#include "support.h"

namespace mmshim::lock {

// Whether MmProbeAndLockPages locked this MDL and MmUnlockPages has not
// unlocked it yet. Never dereferences mdl.
bool is_locked(const MDL *mdl);

// What unlock() did.
enum class Unlocked {
	kDone,      // unlocked: mappings dropped, pages unpinned, flags cleared
	kNotLocked, // nothing touched: no lock of this MDL (double unlock?)
	kHeld,      // nothing touched: a DMA mapping holds the lock (see hold)
};

// MmUnlockPages without its report: if the MDL is locked and no DMA
// mapping holds it, drop its mappings (reserved, user, system), unpin its
// pages and clear MDL_PAGES_LOCKED.
Unlocked unlock(MDL *mdl, const char *routine, void *caller);

// What the lock record of an MDL says (never dereferences mdl): whether
// MmProbeAndLockPages locked it, whether its owner could not write its
// frames (a user lock pinned them read-only; a kernel lock found one of
// them read-only for the kernel itself: every mapping of them must be
// read-only), and the locking process (held by the record, so the address
// cannot belong to another process while the MDL is locked; nullptr for
// kernel locks). Given `pages` frames, also whether they are the very
// frames the lock took, at the same indexes (the driver has not rewritten
// them): then `read_only` is the whole answer for them.
//
// With `hold` (a DMA mapping about to use the MDL's frames), a lock that is
// complete also gets a hold, returned in `hold`, taken in the same step that
// found it locked: until drop_hold(), every unlock of the MDL is refused
// (Unlocked::kHeld), so the frames stay pinned for as long as a device may
// use them, whichever CPU unlocks and whenever. A lock still being set up
// by another CPU counts as not locked then.
struct Owner {
	bool locked;
	bool read_only;
	bool same_frames;
	const void *process;
	void *hold;
};
Owner owner_of(const MDL *mdl, const PFN_NUMBER *pfns = nullptr, uptr pages = 0, bool hold = false);

// A hold on the lock of mdl, as owner_of takes one (for the MDL that holds
// a partial MDL's frames), or nullptr if mdl is not locked. Atomic-safe.
void *hold(const MDL *mdl);
// Give a hold back (nullptr: nothing). No lock taken; atomic-safe.
void drop_hold(void *hold);

// Whether any of the frames was pinned read-only by a live user lock: for
// MDLs without a lock record of their own (partial MDLs, MDLs a driver
// built from another MDL's PFN array). Atomic-safe.
bool frames_locked_read_only(const PFN_NUMBER *pfns, uptr pages);

// Whether every one of the frames is pinned by a live user lock of process.
bool frames_locked_by(const void *process, const PFN_NUMBER *pfns, uptr pages);
// How many PFN entries the lock of this MDL wrote (the storage held them),
// or false if it is not locked. Never dereferences mdl.
bool locked_pages(const MDL *mdl, uptr *pages);

// An MDL address in [lo, hi) that this area tracks, if any (for a pool
// block being freed). Never dereferences the MDL. Atomic-safe.
bool first_in(uptr lo, uptr hi, uptr *key);

// Module unload: unlock and report whatever drivers left locked.
void release_all_at_unload();

// MmProbeAndLockPages for the other entry points that lock pages
// (MmProbeAndLockProcessPages, MmSecureVirtualMemory), reporting under
// their routine name and caller. Returns the status MmProbeAndLockPages
// would raise (STATUS_SUCCESS when locked), raising nothing; *reported is
// set when the call was refused with a report instead (misuse: nothing to
// raise, the MDL untouched).
NTSTATUS probe_and_lock_status(MDL *mdl, KPROCESSOR_MODE mode, LOCK_OPERATION op, const char *routine,
			       void *caller, bool *reported);

} // namespace mmshim::lock
