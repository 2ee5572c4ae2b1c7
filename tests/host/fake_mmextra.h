// SPDX-License-Identifier: GPL-2.0
// fake_mmextra.h - the host stand-in for src/glue/mmextra.c: page-table
// access per kernel page, as mmshim_plat_kva_protect last set it, and the
// RAM size MmQuerySystemSize sees.
#pragma once

#include <cstddef>

namespace fake {

// Forget every access set, the failure knob and the RAM size (1 GiB).
void mmextra_reset();
// MMSHIM_ACCESS_* last set for the page at va, or -1 if never set.
int kva_access(unsigned long va);
// Calls of mmshim_plat_kva_protect, and how many were made under a core lock.
unsigned long kva_protect_calls();
// The next mmshim_plat_kva_protect fails (nothing changed).
void kva_protect_fail_next();
void set_total_ram_pages(unsigned long long pages);

} // namespace fake
