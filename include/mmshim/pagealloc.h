/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/pagealloc.h - physical pages for drivers: MmAllocatePagesForMdl,
 * MmAllocatePagesForMdlEx, MmFreePagesFromMdl, MmAllocateContiguousMemory,
 * MmAllocateContiguousMemorySpecifyCache, MmFreeContiguousMemory.
 *
 * Pages come from the Linux page allocator. A non-cached or write-combined
 * allocation changes the pages' attributes in the kernel's linear map
 * (set_memory_uc / set_memory_wc) so every mapping of them agrees, and
 * restores write-back when they are freed. See docs/pagealloc.md.
 */
#ifndef MMSHIM_PAGEALLOC_H
#define MMSHIM_PAGEALLOC_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

/* MmAllocatePagesForMdlEx Flags. */
#define MM_DONT_ZERO_ALLOCATION 0x00000001
#define MM_ALLOCATE_FROM_LOCAL_NODE_ONLY 0x00000002
#define MM_ALLOCATE_FULLY_REQUIRED 0x00000004
#define MM_ALLOCATE_NO_WAIT 0x00000008
#define MM_ALLOCATE_PREFER_CONTIGUOUS 0x00000010
#define MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS 0x00000020
#define MM_ALLOCATE_FAST_LARGE_PAGES 0x00000040

MMSHIM_EXTERN_C_BEGIN

/*
 * Allocate up to TotalBytes of zeroed pages whose physical addresses lie in
 * [LowAddress, HighAddress] (or that range moved up by multiples of
 * SkipBytes) and describe them with a new MDL (StartVa NULL, ByteOffset 0,
 * MDL_PAGES_LOCKED). ByteCount may be less than asked: check it. NULL if
 * no page at all. Free the pages with MmFreePagesFromMdl, then the MDL
 * with ExFreePool.
 */
PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
			   PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes);

/* As above, with a cache type recorded on the pages (every later mapping
 * uses it) and MM_* Flags. */
PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
			     PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
			     MEMORY_CACHING_TYPE CacheType, ULONG Flags);

/* Free the pages of an MDL from MmAllocatePagesForMdl(Ex), unmapping it
 * first if it is mapped; the MDL itself stays (ExFreePool it). */
VOID MmFreePagesFromMdl(PMDL MemoryDescriptorList);

/* Physically contiguous, cached, nonpaged memory below HighestAcceptableAddress. */
PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress);

/* Physically contiguous memory in [Lowest, Highest] that does not cross a
 * BoundaryAddressMultiple boundary (0 = none), with CacheType. */
PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
					     PHYSICAL_ADDRESS LowestAcceptableAddress,
					     PHYSICAL_ADDRESS HighestAcceptableAddress,
					     PHYSICAL_ADDRESS BoundaryAddressMultiple,
					     MEMORY_CACHING_TYPE CacheType);

/* Free what either contiguous allocator returned. */
VOID MmFreeContiguousMemory(PVOID BaseAddress);

/* mmshim extension: pages currently held by MmAllocatePagesForMdl(Ex) and
 * contiguous allocations. */
SIZE_T MmshimAllocatedPageCount(VOID);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_PAGEALLOC_H */
