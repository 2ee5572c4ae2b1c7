/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/video.h - ntddk.h's MmMapVideoDisplay and MmUnmapVideoDisplay:
 * MmMapIoSpace and MmUnmapIoSpace under their video names (same records,
 * same checks; docs/iospace.md). IRQL <= APC_LEVEL.
 */
#ifndef MMSHIM_VIDEO_H
#define MMSHIM_VIDEO_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

MMSHIM_EXTERN_C_BEGIN

/* Map a frame buffer or other device range with CacheType (MmWriteCombined
 * is the usual one); returns the address of PhysicalAddress or NULL. */
PVOID MmMapVideoDisplay(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
			MEMORY_CACHING_TYPE CacheType);

/* Unmap what MmMapVideoDisplay returned, with the same NumberOfBytes. */
VOID MmUnmapVideoDisplay(PVOID BaseAddress, SIZE_T NumberOfBytes);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_VIDEO_H */
