// SPDX-License-Identifier: GPL-2.0
// vocab.h - the base vocabulary's state: address-space boundaries and
// secured user ranges (src/core/vocab.cpp).
#pragma once

#include "support.h"

namespace mmshim::vocab {

// Module load: MmHighestUserAddress, MmSystemRangeStart, MmUserProbeAddress
// from the platform's user/kernel boundary.
void init();

// Module unload: release and report secured ranges drivers left.
void release_all_at_unload();

} // namespace mmshim::vocab
