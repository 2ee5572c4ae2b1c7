// SPDX-License-Identifier: GPL-2.0
// lookaside.h - the core's lookaside lists (lookaside.cpp), for module unload.
#pragma once

#include "support.h"

namespace mmshim::lookaside {

// Module unload: report lists drivers never deleted and release their
// pool-backed caches (drivers' own free routines may be gone by then).
void release_all_at_unload();
SIZE_T live_lists();

} // namespace mmshim::lookaside
