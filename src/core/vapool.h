// SPDX-License-Identifier: GPL-2.0
// vapool.h - kernel VA with page tables prepared at load, for system
// mappings made in atomic context (no allocation, no sleeping).
#pragma once

#include "support.h"

namespace mmshim::vapool {

// 16 MiB of VA (page tables 32 KiB). Where the context allows a
// synchronous TLB flush (interrupts enabled, not hard IRQ) unmapped pages come
// back at once, so the size only bounds what is mapped at the same time;
// with interrupts off it also bounds what can be mapped between two runs of
// the flush worker.
inline constexpr uptr kPages = 4096;

int init();
void exit();

// Map `count` RAM frames at free consecutive pool pages; returns the
// page-aligned address and sets *index, or returns 0 if no run is free.
// Atomic-safe, allocates nothing.
uptr map(const PFN_NUMBER *pfns, uptr count, bool read_only, uptr *index);

// Unmap; the pages become reusable once every TLB has been flushed (by the
// worker, or by map() itself when it finds no free run and the context
// allows a synchronous flush). Atomic-safe.
void unmap(uptr index, uptr count);

// Pages neither mapped nor waiting for a TLB flush (for tests).
uptr free_pages();

// Synchronous flushes map() has done (for tests).
uptr sync_flushes();

} // namespace mmshim::vapool
