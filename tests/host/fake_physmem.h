// SPDX-License-Identifier: GPL-2.0
// fake_physmem.h - the host stand-in for src/glue/iospace.c and
// src/glue/pagealloc.c: a fake physical address space (RAM is what
// fake_platform's pfn_is_ram says, device memory the rest), a scripted page
// allocator, ioremap handles, and per-frame linear-map cache types.
#pragma once

#include <cstddef>
#include <vector>

namespace fake {

// Forget physmem state: the allocator hands out frames 0x1000, 0x1001, ...
void physmem_reset();
// The allocator returns these frames first (order-0 requests), in order.
void script_frames(const std::vector<unsigned long long> &pfns);
// Next allocations from the allocator: let @skip succeed, then fail all.
void fail_pages_after(unsigned skip);
// Frames handed out and not yet freed.
std::size_t live_pages();
// Frames from pfn on are not RAM, for phys_kind (0: no limit).
void set_ram_end(unsigned long long pfn);
// The allocator fails once this many pages are live (pages_spare says how
// many are left); default: no limit.
void set_spare_pages(std::size_t pages);
// Calls of mmshim_plat_pages_alloc since the last reset.
unsigned long long page_alloc_calls();
// Linear-map cache type of a frame (MMSHIM_CACHE_*; WB unless changed).
unsigned frame_cache(unsigned long long pfn);
// Flags of the last page allocation.
unsigned last_page_flags();
// Live ioremaps; the next ioremap reports a PAT conflict.
std::size_t live_ioremaps();
void ioremap_conflict_next();

} // namespace fake
