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

int init();
void release_all_at_unload();
void exit();

} // namespace mmshim::mdl
