// SPDX-License-Identifier: GPL-2.0
// mdl.h - the core's MDL bookkeeping, shared by every area that takes an MDL.
#pragma once

#include "support.h"

namespace mmshim::mdl {

// MDLs of up to this many pages come from a fixed-size cache and carry
// MDL_ALLOCATED_FIXED_SIZE, like the Windows MDL lookaside list.
inline constexpr uptr kFixedPages = 23;

// How many PFN entries the MDL's storage really holds: mmshim's own record
// for MDLs from IoAllocateMdl (drivers may overwrite Size), else what Size
// says for MDLs the driver built in its own memory.
uptr capacity_pages(const MDL *mdl);

// Pages spanned by the MDL's described range, or false if the MDL is
// malformed (StartVa not page aligned, ByteOffset past the page, range wraps).
bool described_span(const MDL *mdl, uptr *pages);

// The MDL's pages are about to be released (MmUnlockPages,
// MmFreePagesFromMdl, IoFreeMdl): drop its reserved mapping (reported),
// its user mappings (reported if a process still has them) and its system
// mapping. Returns whether there was a system mapping. Atomic-safe.
bool release_uses(MDL *mdl, const char *routine, void *caller);

// A pool block [block, block + size) is being freed (ExFreePool(WithTag)),
// its memory still intact: for every MDL in it that mmshim still tracks
// (at the block's start, or embedded in a driver's structure: locked,
// holding pages from MmAllocatePagesForMdl, mapped), report it and release
// what it holds, so that nothing leaks and no record outlives the MDL (a
// later MDL at the same address would otherwise inherit it). Partial MDLs
// in the block are forgotten. Reads only MDLs mmshim tracks. Atomic-safe.
void pool_block_freed(void *block, uptr size, const char *routine, void *caller);

int init();
void release_all_at_unload();
void exit();

} // namespace mmshim::mdl
