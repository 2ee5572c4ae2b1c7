/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/pagenode.h - the NUMA-node and cache-type variants of page and
 * contiguous allocation: MmAllocateContiguousMemorySpecifyCacheNode,
 * MmAllocateContiguousNodeMemory, MmFreeContiguousMemorySpecifyCache,
 * MmAllocateNodePagesForMdlEx. See docs/pagealloc.md.
 */
#ifndef MMSHIM_PAGENODE_H
#define MMSHIM_PAGENODE_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>
#include <mmshim/iospace.h> /* PAGE_READWRITE, PAGE_NOCACHE, PAGE_WRITECOMBINE ... */

typedef ULONG NODE_REQUIREMENT;
#define MM_ANY_NODE_OK 0x80000000

MMSHIM_EXTERN_C_BEGIN

/* MmAllocateContiguousMemorySpecifyCache, preferring memory of NUMA node
 * PreferredNode (other nodes when it has none; any node for MM_ANY_NODE_OK
 * or a node that does not exist). */
PVOID MmAllocateContiguousMemorySpecifyCacheNode(SIZE_T NumberOfBytes,
						 PHYSICAL_ADDRESS LowestAcceptableAddress,
						 PHYSICAL_ADDRESS HighestAcceptableAddress,
						 PHYSICAL_ADDRESS BoundaryAddressMultiple,
						 MEMORY_CACHING_TYPE CacheType, NODE_REQUIREMENT PreferredNode);

/* As above, the cache type given as Protect: PAGE_READWRITE, optionally with
 * PAGE_NOCACHE or PAGE_WRITECOMBINE. PAGE_EXECUTE_READWRITE is refused
 * (mmshim memory is never executable). */
PVOID MmAllocateContiguousNodeMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
				     PHYSICAL_ADDRESS HighestAcceptableAddress,
				     PHYSICAL_ADDRESS BoundaryAddressMultiple, ULONG Protect,
				     NODE_REQUIREMENT PreferredNode);

/* Free contiguous memory; NumberOfBytes and CacheType must be those of the
 * allocation (otherwise nothing is freed and a report is written). */
VOID MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
					MEMORY_CACHING_TYPE CacheType);

/* MmAllocatePagesForMdlEx from NUMA node IdealNode first (only from it with
 * MM_ALLOCATE_FROM_LOCAL_NODE_ONLY). */
PMDL MmAllocateNodePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
				 PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
				 MEMORY_CACHING_TYPE CacheType, ULONG IdealNode, ULONG Flags);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_PAGENODE_H */
