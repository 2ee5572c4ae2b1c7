// SPDX-License-Identifier: GPL-2.0
// seh.h - raising exceptions from core routines (see include/mmshim/seh.h).
#pragma once

#include "support.h"

namespace mmshim::seh {

// Raise `status` to the innermost __try of the current thread. Does not
// return if there is one. If there is none (or its frame is unusable) it
// files a KMODE_EXCEPTION_NOT_HANDLED report naming `routine` and `caller`
// and returns, so the routine can return normally ("safe return").
// Call it last: everything the routine took must already be released.
void raise(NTSTATUS status, const char *routine, void *caller);

} // namespace mmshim::seh
