/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/mmcopy.h - ntddk.h's physical-memory queries: MmCopyMemory (with
 * MM_COPY_ADDRESS), MmGetVirtualForPhysical, MmIsNonPagedSystemAddressValid
 * and MmGetPhysicalMemoryRanges. See docs/mmcopy.md.
 */
#ifndef MMSHIM_MMCOPY_H
#define MMSHIM_MMCOPY_H

#include <mmshim/types.h>

/* MmCopyMemory Flags: exactly one of them. */
#define MM_COPY_MEMORY_PHYSICAL 0x1
#define MM_COPY_MEMORY_VIRTUAL 0x2

typedef struct _MM_COPY_ADDRESS {
	union {
		PVOID VirtualAddress;
		PHYSICAL_ADDRESS PhysicalAddress;
	};
} MM_COPY_ADDRESS, *PMMCOPY_ADDRESS;

typedef struct _PHYSICAL_MEMORY_RANGE {
	PHYSICAL_ADDRESS BaseAddress;
	LARGE_INTEGER NumberOfBytes;
} PHYSICAL_MEMORY_RANGE, *PPHYSICAL_MEMORY_RANGE;

MMSHIM_STATIC_ASSERT(sizeof(MM_COPY_ADDRESS) == 8, "MM_COPY_ADDRESS is 8 bytes");
MMSHIM_STATIC_ASSERT(sizeof(PHYSICAL_MEMORY_RANGE) == 16, "PHYSICAL_MEMORY_RANGE is 16 bytes");

MMSHIM_EXTERN_C_BEGIN

/*
 * Copy NumberOfBytes from SourceAddress (a kernel or current-process user
 * virtual address, or a physical address of RAM) to TargetAddress without
 * ever faulting on the source: STATUS_SUCCESS if every byte was copied;
 * otherwise an error (STATUS_ACCESS_VIOLATION: unreadable source;
 * STATUS_INVALID_ADDRESS: device memory / I/O space, never read) and
 * *NumberOfBytesTransferred says how many leading bytes were copied.
 * IRQL <= APC_LEVEL.
 */
NTSTATUS MmCopyMemory(PVOID TargetAddress, MM_COPY_ADDRESS SourceAddress, SIZE_T NumberOfBytes,
		      ULONG Flags, PSIZE_T NumberOfBytesTransferred);

/* The linear-map (system) address of a physical address in RAM; NULL for
 * anything else. */
PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress);

/* Obsolete: TRUE if VirtualAddress is a mapped kernel address (all kernel
 * memory is nonpaged on Linux), as MmIsAddressValid. */
BOOLEAN MmIsNonPagedSystemAddressValid(PVOID VirtualAddress);

/* The machine's RAM as an array of ranges, ending with an entry whose
 * BaseAddress and NumberOfBytes are 0; free it with ExFreePool. NULL if
 * memory is short. */
PPHYSICAL_MEMORY_RANGE MmGetPhysicalMemoryRanges(VOID);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_MMCOPY_H */
