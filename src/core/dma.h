// SPDX-License-Identifier: GPL-2.0
// dma.h - DMA adapters over MDLs (dma.cpp, docs/dma.md): what core.cpp needs.
#pragma once

#include "support.h"

namespace mmshim::dma {

// Module unload: report adapters drivers never put, release their lists
// (unmapped) and common buffers, and forget every device object.
void release_all_at_unload();

} // namespace mmshim::dma
