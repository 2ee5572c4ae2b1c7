// SPDX-License-Identifier: GPL-2.0
// reserve.h - the core's record of reserved mappings, for areas that must
// drop an MDL's reserved mapping (MmUnlockPages, IoFreeMdl) and for unload.
#pragma once

#include "support.h"

namespace mmshim::reserve {

// If this MDL is mapped into a reservation (a driver bug when it is being
// unlocked or freed), report it for `routine`, unmap it there (the
// reservation stays), clear its mapping flags and return true. Atomic-safe.
bool drop_mdl(MDL *mdl, const char *routine, void *caller);

// Whether this MDL is mapped into a reservation. Never dereferences mdl.
bool has_mdl(const MDL *mdl);

// An MDL address in [lo, hi) that this area tracks, if any (for a pool
// block being freed). Never dereferences the MDL. Atomic-safe.
bool first_in(uptr lo, uptr hi, uptr *key);

// Module unload: unmap and free whatever reservations drivers left, and
// report them.
void release_all_at_unload();

} // namespace mmshim::reserve
