// SPDX-License-Identifier: GPL-2.0
// vapool.h - kernel VA with page tables prepared at load, for system
// mappings made in atomic context (no allocation, no sleeping).
#pragma once

#include "support.h"

namespace mmshim::vapool {

inline constexpr uptr kPages = 1024; // 4 MiB of VA

int init();
void exit();

// Map `count` RAM frames at free consecutive pool pages; returns the
// page-aligned address and sets *index, or returns 0 if no run is free.
// Atomic-safe, allocates nothing.
uptr map(const PFN_NUMBER *pfns, uptr count, bool read_only, uptr *index);

// Unmap; the pages become reusable once every TLB has been flushed.
// Atomic-safe.
void unmap(uptr index, uptr count);

// Pages neither mapped nor waiting for a TLB flush (for tests).
uptr free_pages();

} // namespace mmshim::vapool
