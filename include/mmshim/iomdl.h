/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/iomdl.h - MDLs that describe device memory by physical address:
 * MM_PHYSICAL_ADDRESS_LIST and MmAllocateMdlForIoSpace (wdm.h, Windows 8+).
 * See docs/iospace.md.
 */
#ifndef MMSHIM_IOMDL_H
#define MMSHIM_IOMDL_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

typedef struct _MM_PHYSICAL_ADDRESS_LIST {
	PHYSICAL_ADDRESS PhysicalAddress;
	SIZE_T NumberOfBytes;
} MM_PHYSICAL_ADDRESS_LIST, *PMM_PHYSICAL_ADDRESS_LIST;

MMSHIM_STATIC_ASSERT(sizeof(MM_PHYSICAL_ADDRESS_LIST) == 16, "MM_PHYSICAL_ADDRESS_LIST is 16 bytes on x64");

MMSHIM_EXTERN_C_BEGIN

/*
 * Allocate an MDL describing NumberOfEntries page-aligned, page-multiple
 * ranges of device memory (never System RAM), in list order; total below
 * 4 GiB. The MDL has MDL_IO_SPACE | MDL_PAGES_LOCKED, no system mapping:
 * map it with MmMapLockedPagesSpecifyCache, free it with IoFreeMdl.
 * STATUS_INVALID_PARAMETER_1 for a bad range, STATUS_INSUFFICIENT_RESOURCES
 * without memory. IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS MmAllocateMdlForIoSpace(PMM_PHYSICAL_ADDRESS_LIST PhysicalAddressList, SIZE_T NumberOfEntries,
				 PMDL *NewMdl);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_IOMDL_H */
