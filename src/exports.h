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
	/* IRQL, spin locks, delays, ASSERT, DbgPrint (src/core/irql.cpp) */ \
	X(KeGetCurrentIrql)               \
	X(KfRaiseIrql)                    \
	X(KeLowerIrql)                    \
	X(KeRaiseIrqlToDpcLevel)          \
	X(KeAcquireSpinLockRaiseToDpc)    \
	X(KeReleaseSpinLock)              \
	X(KeAcquireSpinLockAtDpcLevel)    \
	X(KeReleaseSpinLockFromDpcLevel)  \
	X(KeTryToAcquireSpinLockAtDpcLevel) \
	X(KeTestSpinLock)                 \
	X(KeAcquireInStackQueuedSpinLock) \
	X(KeReleaseInStackQueuedSpinLock) \
	X(KeAcquireInStackQueuedSpinLockAtDpcLevel) \
	X(KeReleaseInStackQueuedSpinLockFromDpcLevel) \
	X(KeStallExecutionProcessor)      \
	X(KeDelayExecutionThread)         \
	X(RtlAssert)                      \
	X(MmshimPagedCodeViolation)       \
	X(DbgPrint)                       \
	X(DbgPrintEx)                     \
	/* base vocabulary (src/core/vocab.cpp) */ \
	X(RtlCompareMemory)               \
	X(MmHighestUserAddress)           \
	X(MmSystemRangeStart)             \
	X(MmUserProbeAddress)             \
	X(IoGetCurrentProcess)            \
	X(PsGetCurrentProcessId)          \
	X(PsGetCurrentThreadId)           \
	X(ExGetPreviousMode)              \
	X(MmProbeAndLockProcessPages)     \
	X(MmSecureVirtualMemory)          \
	X(MmUnsecureVirtualMemory)        \
	X(MmshimSecuredRangeCount)        \
	/* pool variants and lookaside lists (src/core/pool.cpp, src/core/lookaside.cpp) */ \
	X(ExAllocatePool3)                \
	X(ExAllocatePoolWithTagPriority)  \
	X(ExAllocatePoolWithQuotaTag)     \
	X(ExAllocatePool)                 \
	X(ExInitializeNPagedLookasideList) \
	X(ExDeleteNPagedLookasideList)    \
	X(ExInitializePagedLookasideList) \
	X(ExDeletePagedLookasideList)     \
	X(ExAllocateFromPagedLookasideList) \
	X(ExFreeToPagedLookasideList)     \
	X(ExInitializeLookasideListEx)    \
	X(ExDeleteLookasideListEx)        \
	X(ExFlushLookasideListEx)         \
	X(MmshimLookasideAllocate)        \
	X(MmshimLookasideFree)            \
	X(MmshimLookasideListCount)       \
	/* non-cached memory, MDL protection, paging no-ops (src/core/mmextra.cpp) */ \
	X(MmAllocateNonCachedMemory)      \
	X(MmFreeNonCachedMemory)          \
	X(MmProtectMdlSystemAddress)      \
	X(MmAdvanceMdl)                   \
	X(MmLockPagableDataSection)       \
	X(MmLockPagableSectionByHandle)   \
	X(MmUnlockPagableImageSection)    \
	X(MmPageEntireDriver)             \
	X(MmResetDriverPaging)            \
	X(MmQuerySystemSize)              \
	X(MmIsThisAnNtAsSystem)           \
	X(MmIsDriverVerifyingByAddress)   \
	/* MmCopyMemory and physical memory queries (src/core/mmcopy.cpp) */ \
	X(MmCopyMemory)                   \
	X(MmGetVirtualForPhysical)        \
	X(MmIsNonPagedSystemAddressValid) \
	X(MmGetPhysicalMemoryRanges)      \
	/* node and cache variants of page allocation (src/core/pages_alloc.cpp) */ \
	X(MmAllocateContiguousMemorySpecifyCacheNode) \
	X(MmAllocateContiguousNodeMemory) \
	X(MmFreeContiguousMemorySpecifyCache) \
	X(MmAllocateNodePagesForMdlEx)    \
	/* I/O-space MDLs and video mappings (src/core/iospace.cpp, issue 11) */ \
	X(MmAllocateMdlForIoSpace)        \
	X(MmMapVideoDisplay)              \
	X(MmUnmapVideoDisplay)            \
	/* routines by name (src/core/routines.cpp) */ \
	X(RtlInitUnicodeString)           \
	X(MmGetSystemRoutineAddress)      \
	/* DMA adapters (src/core/dma.cpp; MmshimDeviceObject is exported by src/glue/dma.c) */ \
	X(IoGetDmaAdapter)                \
	X(MmshimDmaUsage)                 \
	X(MmshimDmaPacketUsage)

#endif /* MMSHIM_EXPORTS_H */
