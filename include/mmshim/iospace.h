/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/iospace.h - device memory (and RAM) mapped by physical address:
 * MmMapIoSpace, MmMapIoSpaceEx, MmUnmapIoSpace, and the page-protection
 * constants MmMapIoSpaceEx takes.
 *
 * Device memory is mapped with ioremap / ioremap_wc / ioremap_cache; RAM,
 * which ioremap refuses, only cached through the linear map, or with the
 * cache type recorded for pages from MmAllocatePagesForMdlEx. A request
 * that would alias memory with a conflicting cache type returns NULL with a
 * verifier report. Mappings are never executable. See docs/iospace.md.
 */
#ifndef MMSHIM_IOSPACE_H
#define MMSHIM_IOSPACE_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

/* Page protections (winnt.h values). Linux's PAGE_READONLY (a pgprot) is
 * replaced, as PAGE_ALIGN is: include <wdm.h> after Linux headers. */
#ifndef PAGE_NOACCESS
#undef PAGE_READONLY
#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04
#define PAGE_WRITECOPY 0x08
#define PAGE_EXECUTE 0x10
#define PAGE_EXECUTE_READ 0x20
#define PAGE_EXECUTE_READWRITE 0x40
#define PAGE_EXECUTE_WRITECOPY 0x80
#define PAGE_GUARD 0x100
#define PAGE_NOCACHE 0x200
#define PAGE_WRITECOMBINE 0x400
#endif

MMSHIM_EXTERN_C_BEGIN

/*
 * Map NumberOfBytes of physical memory at PhysicalAddress into system space
 * with CacheType; returns the address of PhysicalAddress itself (its offset
 * within the page is kept), or NULL. Device memory may sleep (ioremap): call
 * it at PASSIVE/APC level; cached RAM works at any level.
 */
PVOID MmMapIoSpace(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes,
		   MEMORY_CACHING_TYPE CacheType);

/*
 * As MmMapIoSpace, with a page protection: PAGE_READWRITE or PAGE_READONLY,
 * optionally with PAGE_NOCACHE or PAGE_WRITECOMBINE (neither = cached).
 * The PAGE_EXECUTE* protections are refused (mmshim maps nothing executable).
 */
PVOID MmMapIoSpaceEx(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect);

/* Unmap what MmMapIoSpace(Ex) returned, with the same NumberOfBytes. */
VOID MmUnmapIoSpace(PVOID BaseAddress, SIZE_T NumberOfBytes);

/* mmshim extension: live MmMapIoSpace(Ex) mappings. */
SIZE_T MmshimIoSpaceMappingCount(VOID);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_IOSPACE_H */
