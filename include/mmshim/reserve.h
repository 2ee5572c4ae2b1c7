/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/reserve.h - reserved mappings: MmAllocateMappingAddress,
 * MmMapLockedPagesWithReservedMapping, MmUnmapReservedMapping,
 * MmFreeMappingAddress. A driver reserves kernel virtual addresses once
 * (page tables included) and later maps locked MDLs there without any
 * allocation, so it makes progress when memory is short. See docs/reserve.md.
 */
#ifndef MMSHIM_RESERVE_H
#define MMSHIM_RESERVE_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

MMSHIM_EXTERN_C_BEGIN

/*
 * Reserve kernel VA for BYTES_TO_PAGES(NumberOfBytes) pages, page tables
 * prepared; nothing is mapped. Returns the page-aligned base, or NULL (tag 0,
 * zero size, no memory). IRQL <= APC_LEVEL (may sleep).
 */
PVOID MmAllocateMappingAddress(SIZE_T NumberOfBytes, ULONG PoolTag);

/* Release a reservation (nothing may be mapped in it). May sleep. */
VOID MmFreeMappingAddress(PVOID BaseAddress, ULONG PoolTag);

/*
 * Map a locked MDL (or a partial MDL of a locked one) at the start of the
 * reservation by writing page-table entries only: no allocation. Returns the
 * reservation base + Mdl->ByteOffset; Mdl->MappedSystemVa is set to the base
 * WITHOUT the byte offset, as on Windows. NULL if the MDL spans more pages
 * than reserved. Callable with a spinlock held.
 */
PVOID MmMapLockedPagesWithReservedMapping(PVOID MappingAddress, ULONG PoolTag, PMDL MemoryDescriptorList,
					  MEMORY_CACHING_TYPE CacheType);

/* Clear the entries for the MDL's span and flush TLBs; the reservation stays
 * usable. Callable with a spinlock held. */
VOID MmUnmapReservedMapping(PVOID BaseAddress, ULONG PoolTag, PMDL MemoryDescriptorList);

/* mmshim extension: live reservations (from MmAllocateMappingAddress). */
SIZE_T MmshimReservedMappingCount(VOID);
/*
 * mmshim extension: how unmaps flushed TLBs since load. Synchronous: every
 * CPU before returning (task context, interrupts enabled). Deferred: this
 * CPU at once, the others from a worker (interrupts disabled or interrupt
 * context). EarlyReuses: maps that reused a range whose deferred flush had
 * not run yet in a context that could not wait for it (docs/reserve.md).
 */
VOID MmshimReservedMappingFlushes(PSIZE_T Synchronous, PSIZE_T Deferred, PSIZE_T EarlyReuses);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_RESERVE_H */
