// SPDX-License-Identifier: GPL-2.0
// partial.h - the core's record of partial MDLs (IoBuildPartialMdl): which
// MDL's lock or page allocation holds the frames a partial MDL describes.
//
// A partial MDL copies its source's PFN entries, so its frames live only as
// long as the source stays locked (MmProbeAndLockPages) or allocated
// (MmAllocatePagesForMdl). The record ties the partial to that holder (the
// root source: a partial of a partial is tied to the first source), in a
// side table keyed by the partial's address, never in MDL bits. Mapping a
// partial requires a live record; releasing the holder removes every record
// tied to it (and mdl::release_uses revokes the partials' mappings), so a
// partial can never map frames that have gone back to the allocator.
#pragma once

#include "support.h"

namespace mmshim::partial {

// IoBuildPartialMdl: `target` now holds `pages` PFN entries copied from
// `source`. Ties it to the holder of those frames (source, or source's own
// holder if source is a tracked partial), if that holder is locked or
// allocated now; otherwise the target gets no record and cannot be mapped.
// Never dereferences either MDL. Atomic-safe (an allocation that fails
// leaves the target unmappable).
void built(const MDL *target, const MDL *source, uptr pages);

// Whether mapping `m` is allowed: not a partial MDL (or one of nonpaged
// pool, whose frames mmshim does not hold), or a partial with a live
// record. On success *token identifies the record for still(); on failure
// a report (MMSHIM_VRF_PARTIAL_SOURCE_RELEASED) was filed for `routine`.
bool check(const MDL *m, unsigned long long *token, const char *routine, void *caller);

// After a mapping of `m` has been claimed (its record is visible to the
// release paths): whether the record check() saw is still live. False
// means the source was released meanwhile: undo the mapping.
bool still(const MDL *m, unsigned long long token);

// PFN entries the partial record of `m` says IoBuildPartialMdl wrote (a
// bound on its storage), or false if it has none.
bool pages_of(const MDL *m, uptr *pages);

// The MDL whose lock or allocation holds the frames of partial MDL `m`
// (never dereferenced), or false if `m` has no record.
bool holder_of(const MDL *m, uptr *holder);

// The holder `source` releases its frames (MmUnlockPages,
// MmFreePagesFromMdl, a free): take out one record tied to it and return
// its partial MDL's address in *target (the caller revokes its mappings).
// False when none is left. Fast (no lock) when there are no records.
bool take_tied_to(const MDL *source, uptr *target);

// `target` is freed (IoFreeMdl, ExFreePool of its block) or re-used:
// forget its record. Never dereferences it.
void forget(const MDL *target);

// An address in [lo, hi) that has a record as a partial MDL, if any.
bool first_in(uptr lo, uptr hi, uptr *key);

// Records now (for tests).
uptr count();

// Module unload: free the records (partials need no freeing: no report).
void release_all_at_unload();

} // namespace mmshim::partial
