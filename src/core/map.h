// SPDX-License-Identifier: GPL-2.0
// map.h - the core's record of system mappings, for areas that must drop
// one (MmUnlockPages, IoFreeMdl).
#pragma once

#include "support.h"

namespace mmshim::map {

// If mmshim mapped this MDL into system space, unmap it and clear the
// mapping flags; returns whether there was a mapping. Atomic-safe.
bool drop(MDL *mdl);

// Module unload: unmap and report whatever drivers left mapped.
void release_all_at_unload();

} // namespace mmshim::map
