// SPDX-License-Identifier: GPL-2.0
/*
 * mmcopy_header_check.c - <ntddk.h>'s MmCopyMemory family and <wdm.h>'s node
 * variants of page allocation, compiled as pedantic ISO C11: the types, the
 * macros, every prototype assigned to a pointer of the type the WDK
 * declares, and a few calls into the core from C.
 */
#include <ntddk.h>
#include <stddef.h>

#include "mmcopy_header_check.h"

/* The WDK's function types, spelled out. */
typedef NTSTATUS (*wdk_MmCopyMemory)(PVOID, MM_COPY_ADDRESS, SIZE_T, ULONG, PSIZE_T);
typedef PVOID (*wdk_MmGetVirtualForPhysical)(PHYSICAL_ADDRESS);
typedef BOOLEAN (*wdk_MmIsNonPagedSystemAddressValid)(PVOID);
typedef PPHYSICAL_MEMORY_RANGE (*wdk_MmGetPhysicalMemoryRanges)(VOID);
typedef PVOID (*wdk_MmAllocateContiguousMemorySpecifyCacheNode)(SIZE_T, PHYSICAL_ADDRESS, PHYSICAL_ADDRESS,
								PHYSICAL_ADDRESS, MEMORY_CACHING_TYPE,
								NODE_REQUIREMENT);
typedef PVOID (*wdk_MmAllocateContiguousNodeMemory)(SIZE_T, PHYSICAL_ADDRESS, PHYSICAL_ADDRESS, PHYSICAL_ADDRESS,
						    ULONG, NODE_REQUIREMENT);
typedef VOID (*wdk_MmFreeContiguousMemorySpecifyCache)(PVOID, SIZE_T, MEMORY_CACHING_TYPE);
typedef PMDL (*wdk_MmAllocateNodePagesForMdlEx)(PHYSICAL_ADDRESS, PHYSICAL_ADDRESS, PHYSICAL_ADDRESS, SIZE_T,
						MEMORY_CACHING_TYPE, ULONG, ULONG);

int mmshim_mmcopy_header_check(struct mmcopy_header_values *v)
{
	int n = 0;
	MM_COPY_ADDRESS src;
	PMMCOPY_ADDRESS psrc = &src;
	PHYSICAL_ADDRESS zero, any, io;
	PPHYSICAL_MEMORY_RANGE ranges;
	SIZE_T done = 1;
	unsigned char buf[4];
	PVOID p;
	wdk_MmCopyMemory f1 = MmCopyMemory;
	wdk_MmGetVirtualForPhysical f2 = MmGetVirtualForPhysical;
	wdk_MmIsNonPagedSystemAddressValid f3 = MmIsNonPagedSystemAddressValid;
	wdk_MmGetPhysicalMemoryRanges f4 = MmGetPhysicalMemoryRanges;
	wdk_MmAllocateContiguousMemorySpecifyCacheNode f5 = MmAllocateContiguousMemorySpecifyCacheNode;
	wdk_MmAllocateContiguousNodeMemory f6 = MmAllocateContiguousNodeMemory;
	wdk_MmFreeContiguousMemorySpecifyCache f7 = MmFreeContiguousMemorySpecifyCache;
	wdk_MmAllocateNodePagesForMdlEx f8 = MmAllocateNodePagesForMdlEx;

	v->sizeof_copy_address = sizeof(MM_COPY_ADDRESS), n++;
	v->sizeof_memory_range = sizeof(PHYSICAL_MEMORY_RANGE), n++;
	v->offsetof_number_of_bytes = offsetof(PHYSICAL_MEMORY_RANGE, NumberOfBytes), n++;
	v->copy_physical = MM_COPY_MEMORY_PHYSICAL, n++;
	v->copy_virtual = MM_COPY_MEMORY_VIRTUAL, n++;
	v->any_node_ok = MM_ANY_NODE_OK, n++;
	v->sizeof_node_requirement = sizeof(NODE_REQUIREMENT), n++;
	v->page_readwrite_nocache = PAGE_READWRITE | PAGE_NOCACHE, n++;
	v->prototypes = (f1 != NULL) + (f2 != NULL) + (f3 != NULL) + (f4 != NULL) + (f5 != NULL) + (f6 != NULL) +
			(f7 != NULL) + (f8 != NULL),
	n++;

	/* The union member of the WDK, anonymous in C11. */
	psrc->VirtualAddress = buf;
	v->copy_status = MmCopyMemory(buf, src, 0, MM_COPY_MEMORY_VIRTUAL, &done) + (long)done, n++;
	v->copy_bad_flags_status = MmCopyMemory(buf, src, sizeof(buf), 0, &done), n++;
	io.QuadPart = (LONGLONG)0xfe000000ULL;
	v->virtual_for_io = MmGetVirtualForPhysical(io) == NULL, n++;
	ranges = MmGetPhysicalMemoryRanges();
	v->ranges_terminated = ranges != NULL && ranges[0].NumberOfBytes.QuadPart != 0;
	if (ranges) {
		size_t i = 0;

		while (ranges[i].BaseAddress.QuadPart || ranges[i].NumberOfBytes.QuadPart)
			i++;
		v->ranges_terminated = v->ranges_terminated && i >= 1;
		ExFreePool(ranges);
	}
	n++;
	zero.QuadPart = 0;
	any.QuadPart = -1;
	p = MmAllocateContiguousNodeMemory(4096, zero, any, zero, PAGE_READWRITE, MM_ANY_NODE_OK);
	v->node_memory_freed = p != NULL && MmshimAllocatedPageCount() == 1;
	MmFreeContiguousMemorySpecifyCache(p, 4096, MmCached);
	v->node_memory_freed = v->node_memory_freed && MmshimAllocatedPageCount() == 0, n++;
	return n;
}
