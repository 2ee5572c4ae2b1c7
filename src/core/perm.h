// SPDX-License-Identifier: GPL-2.0
// perm.h - whether a mapping of an MDL's frames must be read-only, whoever
// asks for it: the rule every mapping path (system, user, reserved, atomic
// VA pool) applies. docs/security.md.
#pragma once

#include "lock.h"
#include "support.h"

namespace mmshim::perm {

// True if no mapping of these frames may be writable: the MDL's lock
// record says its owner could not write them (pinned read-only), or - for
// an MDL without a lock record of its own (a partial MDL, a hand-built
// copy) - a live read-only lock pinned any of them, or any frame is
// read-only for the kernel itself (the shared zero page, kernel or module
// read-only data). pfns has `pages` entries, bounded by the caller.
// Atomic-safe.
bool read_only(const MDL *mdl, const PFN_NUMBER *pfns, uptr pages);

// The same judgement given what lock::owner_of(mdl, pfns, pages) said, for
// a caller that needed the lock record anyway (one lookup, not two).
bool read_only(const lock::Owner &owner, const PFN_NUMBER *pfns, uptr pages);

} // namespace mmshim::perm
