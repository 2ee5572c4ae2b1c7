// SPDX-License-Identifier: GPL-2.0
// mmextra.h - what the rest of the core needs from mmextra.cpp.
#pragma once

#include "support.h"

namespace mmshim::mmextra {
// Module unload: free and report MmAllocateNonCachedMemory blocks left
// allocated. Call before the map and page-allocation areas clean up.
void release_all_at_unload();
// MmQuerySystemSize's thresholds: 128 MiB and 512 MiB of RAM.
MM_SYSTEMSIZE system_size(unsigned long long ram_pages);
} // namespace mmshim::mmextra
