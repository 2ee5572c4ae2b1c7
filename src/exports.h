/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exports.h - the one table of routines mmshim exports to drivers (symbol
 * namespace MMSHIM). src/glue/exports.c turns each entry into an
 * EXPORT_SYMBOL_NS_GPL; anything else that needs the list uses it too.
 * Every entry is declared in include/ and defined in src/core/.
 */
#ifndef MMSHIM_EXPORTS_H
#define MMSHIM_EXPORTS_H

#define MMSHIM_EXPORTED_ROUTINES(X)       \
	/* MDLs (src/core/mdl.cpp) */     \
	X(IoAllocateMdl)                  \
	X(IoFreeMdl)                      \
	X(MmSizeOfMdl)                    \
	X(MmBuildMdlForNonPagedPool)      \
	/* locking (src/core/lock.cpp) */ \
	X(MmProbeAndLockPages)            \
	X(MmUnlockPages)                  \
	X(MmshimProbeAndLockPages)        \
	X(MmshimLockedMdlCount)           \
	/* system mappings (src/core/map.cpp) */ \
	X(MmMapLockedPagesSpecifyCache)   \
	X(MmMapLockedPages)               \
	X(MmUnmapLockedPages)             \
	X(IoBuildPartialMdl)              \
	X(MmshimMappedMdlCount)           \
	X(MmshimAtomicMapFreePages)       \
	/* pool (src/core/pool.cpp) */    \
	X(ExAllocatePool2)                \
	X(ExAllocatePoolWithTag)          \
	X(ExFreePoolWithTag)              \
	X(ExFreePool)                     \
	/* exceptions (src/core/seh.cpp, src/glue/seh_x86_64.S) */ \
	X(MmshimSehSave)                  \
	X(MmshimSehPush)                  \
	X(MmshimSehPop)                   \
	X(MmshimSehFilter)                \
	X(ExRaiseStatus)                  \
	/* user buffers (src/core/probe.cpp) */ \
	X(ProbeForRead)                   \
	X(ProbeForWrite)                  \
	/* mmshim extensions (verifier) */ \
	X(MmshimVerifierReportCount)      \
	X(MmshimVerifierLastReport)       \
	X(MmshimPoolUsage)                \
	X(MmshimLiveMdlCount)             \
	/* reserved mappings (src/core/reserve.cpp) */ \
	X(MmAllocateMappingAddress)       \
	X(MmFreeMappingAddress)           \
	X(MmMapLockedPagesWithReservedMapping) \
	X(MmUnmapReservedMapping)         \
	X(MmshimReservedMappingCount)     \
	X(MmshimReservedMappingFlushes) \
	/* user-mode mappings (src/core/usermap.cpp) */ \
	X(MmshimUserMappingCount) \
	/* I/O space (src/core/iospace.cpp) */ \
	X(MmMapIoSpace)                   \
	X(MmMapIoSpaceEx)                 \
	X(MmUnmapIoSpace)                 \
	X(MmGetPhysicalAddress)           \
	X(MmIsAddressValid)               \
	X(MmshimIoSpaceMappingCount)      \
	/* page allocation (src/core/pages_alloc.cpp) */ \
	X(MmAllocatePagesForMdl)          \
	X(MmAllocatePagesForMdlEx)        \
	X(MmFreePagesFromMdl)             \
	X(MmAllocateContiguousMemory)     \
	X(MmAllocateContiguousMemorySpecifyCache) \
	X(MmFreeContiguousMemory)         \
	X(MmshimAllocatedPageCount)       \
	/* I/O-space MDLs and video mappings (src/core/iospace.cpp, issue 11) */ \
	X(MmAllocateMdlForIoSpace)        \
	X(MmMapVideoDisplay)              \
	X(MmUnmapVideoDisplay)            \
	/* routines by name (src/core/routines.cpp) */ \
	X(RtlInitUnicodeString)           \
	X(MmGetSystemRoutineAddress)

#endif /* MMSHIM_EXPORTS_H */
