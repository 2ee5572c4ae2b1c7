/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/map.h - system-space mappings of locked MDLs and partial MDLs:
 * MmMapLockedPagesSpecifyCache, MmMapLockedPages, MmUnmapLockedPages,
 * IoBuildPartialMdl. With these declared, MmGetSystemAddressForMdlSafe and
 * MmPrepareMdlForReuse (mmshim/mdl.h) work.
 */
#ifndef MMSHIM_MAP_H
#define MMSHIM_MAP_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

MMSHIM_EXTERN_C_BEGIN

/*
 * Map the MDL's pages (locked, or a partial MDL of a locked one) into
 * system space; returns the address of the MDL's first byte (including
 * ByteOffset) and sets MappedSystemVa and MDL_MAPPED_TO_SYSTEM_VA, or NULL.
 * KernelMode only in this version. Priority may carry MdlMappingNoWrite
 * (read-only mapping); mappings are never executable.
 */
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
				   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
				   ULONG BugCheckOnFailure, ULONG Priority);

/* Obsolete form: MmCached, BugCheckOnFailure TRUE, HighPagePriority. */
PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode);

/* Remove a mapping made by MmMapLockedPages(SpecifyCache). */
VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);

/* Describe part of SourceMdl's range with TargetMdl (PFNs copied). */
VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length);

/* mmshim extension: MDLs currently mapped into system space by mmshim. */
SIZE_T MmshimMappedMdlCount(VOID);
/* mmshim extension: free pages of the VA pool used for mappings made with a
 * spinlock held (pages unmapped recently return after a TLB flush). */
SIZE_T MmshimAtomicMapFreePages(VOID);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_MAP_H */
