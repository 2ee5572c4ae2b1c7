// SPDX-License-Identifier: GPL-2.0
// dmause.h - which MDLs a live DMA mapping covers (a scatter/gather list, a
// MapTransfer run not yet flushed): the hook through which the MDL
// lifecycle (MmUnlockPages, IoFreeMdl, MmFreePagesFromMdl) refuses to
// release an MDL the device may still be reading or writing, without
// depending on the DMA area (dma.cpp depends on lock and mdl; they reach
// it only through this leaf).
//
// The records are embedded in dma.cpp's own (lists, runs), keyed by the
// MDL's address, never dereferenced. MMSHIM_LOCK_DMA protects them: dma.cpp
// adds and removes them with it held; mapped() takes it.
#pragma once

#include "support.h"

namespace mmshim::dmause {

// One DMA mapping's claim on one MDL. `hold`: the DMA area's hold on the
// MDL's lock (lock::owner_of), dropped by it once the mapping is gone;
// never read here. [va_lo, va_hi): the kernel virtual range of the memory
// the mapping moves through this MDL (empty for user memory and pages
// without a kernel address), so that pool memory is not freed under it.
struct Use {
	KeyedLink link;
	void *hold;
	uptr va_lo;
	uptr va_hi;
};

// A live DMA mapping covers `mdl` / no longer does. Caller holds
// MMSHIM_LOCK_DMA. Atomic-safe.
void add_locked(Use *use, const MDL *mdl);
void remove_locked(Use *use);

// Whether a live DMA mapping covers `mdl`. One relaxed load when no DMA
// mapping is live. Never dereferences mdl. Atomic-safe; call with no core
// lock held.
bool mapped(const MDL *mdl);

// The refusal MmUnlockPages, IoFreeMdl and MmFreePagesFromMdl share: if a
// live DMA mapping covers `mdl`, report MMSHIM_DMA_MDL_STILL_MAPPED and
// return true (the caller releases nothing). Call with no core lock held.
bool refuse_if_mapped(const MDL *mdl, const char *routine, void *caller);
// That refusal's report alone (MMSHIM_DMA_MDL_STILL_MAPPED).
void report_still_mapped(const MDL *mdl, const char *routine, void *caller);

// What a live DMA mapping keeps in a pool block [lo, hi) being freed, by
// the precedence the free reports it with: an MDL it covers lies in the
// block (*mdl: the MDL); the rest of BuildScatterGatherList's private record
// lies there (the list's buffer, not put yet); or it moves the block's own
// memory (*mdl: the MDL it moves it through: the device may still write
// it). Takes MMSHIM_LOCK_DMA; one relaxed load when no DMA mapping is live.
enum class InBlock { kNone, kMdl, kRecord, kMemory };
InBlock in_block(uptr lo, uptr hi, uptr *mdl);

// Uses now (for tests).
uptr count();

} // namespace mmshim::dmause
