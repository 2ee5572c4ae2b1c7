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
 * KernelMode: map the MDL's pages (locked, or a partial MDL of a locked
 * one) into system space; returns the address of the MDL's first byte
 * (including ByteOffset) and sets MappedSystemVa and MDL_MAPPED_TO_SYSTEM_VA,
 * or NULL.
 * UserMode (IRQL <= APC_LEVEL): map them (or a nonpaged-pool MDL's) into the
 * current process, at RequestedAddress if non-NULL; returns the user address
 * of the first byte; the MDL is not changed. Raises on failure
 * (STATUS_INVALID_ADDRESS, STATUS_CONFLICTING_ADDRESSES,
 * STATUS_INSUFFICIENT_RESOURCES, STATUS_PROCESS_IS_TERMINATING): call it in
 * __try. See docs/usermap.md for what mmshim refuses (partial kernel pages).
 * Priority may carry MdlMappingNoWrite (read-only mapping); mappings are
 * never executable.
 */
PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
				   MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
				   ULONG BugCheckOnFailure, ULONG Priority);

/* Obsolete form: MmCached, BugCheckOnFailure TRUE, HighPagePriority. */
PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode);

/* Remove a mapping made by MmMapLockedPages(SpecifyCache). A user mapping
 * only from the process that owns it (elsewhere: a verifier report and no
 * change); one its process already dropped (munmap, exit) is accepted. */
VOID MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);

/* Describe part of SourceMdl's range with TargetMdl (PFNs copied). */
VOID IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length);

/* mmshim extension: MDLs currently mapped into system space by mmshim with
 * page-table resources (a linear-map address, for physically contiguous RAM,
 * holds none and is not counted). */
SIZE_T MmshimMappedMdlCount(VOID);
/* mmshim extension: free pages of the VA pool used for mappings made with a
 * spinlock held (pages unmapped recently return after a TLB flush). */
SIZE_T MmshimAtomicMapFreePages(VOID);
/* mmshim extension: user-mode mappings mmshim still tracks (made and not yet
 * unmapped with MmUnmapLockedPages, unlocked or freed). */
SIZE_T MmshimUserMappingCount(VOID);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_MAP_H */
