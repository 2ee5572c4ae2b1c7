/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/mmextra.h - the remaining memory-manager routines of wdm.h that
 * ported driver code calls: non-cached memory (MmAllocateNonCachedMemory,
 * MmFreeNonCachedMemory), page protection of a system mapping
 * (MmProtectMdlSystemAddress), MmAdvanceMdl, the obsolete MmGetSystemAddressForMdl and the
 * remaining MDL macros, and the paging routines, which are documented no-ops
 * because a Linux module is never paged (MmLockPagableDataSection and
 * friends, MmQuerySystemSize, MmIsThisAnNtAsSystem,
 * MmIsDriverVerifyingByAddress). See docs/mmextra.md.
 */
#ifndef MMSHIM_MMEXTRA_H
#define MMSHIM_MMEXTRA_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>
#include <mmshim/map.h>
#include <mmshim/iospace.h> /* PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE, PAGE_EXECUTE* */

/* ---- macros, as the WDK defines them -------------------------------------- */

#define COMPUTE_PAGES_SPANNED(Va, Size) ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)

/* Obsolete: MmGetSystemAddressForMdlSafe without a priority, and a failed
 * mapping is a bug check on Windows (a verifier report and NULL here). */
#define MmGetSystemAddressForMdl(MDL)                                                  \
	(((MDL)->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) ? \
		 ((MDL)->MappedSystemVa) :                                              \
		 (MmMapLockedPages((MDL), KernelMode)))

/* A function's address is its entry point on x64. */
#define MmGetProcedureAddress(Address) (Address)

/* The code variant is the data variant, as in the WDK. */
#define MmLockPagableCodeSection(Address) MmLockPagableDataSection(Address)

typedef enum _MM_SYSTEM_SIZE { MmSmallSystem, MmMediumSystem, MmLargeSystem } MM_SYSTEMSIZE;

/* DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) parameter 1 for these routines
 * (mmshim's own codes, see docs/verifier.md). */
#define MMSHIM_VRF_NONCACHED_NOT_ALLOCATED 0x4D5300B0 /* MmFreeNonCachedMemory of a foreign address */
#define MMSHIM_VRF_NONCACHED_SIZE_MISMATCH 0x4D5300B1 /* MmFreeNonCachedMemory with another size */
#define MMSHIM_VRF_NONCACHED_LEAKED_AT_UNLOAD 0x4D5300B2
#define MMSHIM_VRF_PROTECT_EXECUTE 0x4D5300B3      /* PAGE_EXECUTE*: mmshim maps nothing executable */
#define MMSHIM_VRF_PROTECT_INVALID 0x4D5300B4      /* NewProtect not a single valid protection */
#define MMSHIM_VRF_PROTECT_NOT_MAPPED 0x4D5300B5   /* no system mapping of the MDL made by mmshim */
#define MMSHIM_VRF_PROTECT_LINEAR_MAP 0x4D5300B6   /* mapped through the linear map: not changeable */
#define MMSHIM_VRF_PROTECT_OWNER_READ_ONLY 0x4D5300B7 /* write access to frames their owner cannot write */
#define MMSHIM_VRF_PAGING_BAD_HANDLE 0x4D5300B8    /* NULL section handle or address */
#define MMSHIM_VRF_ADVANCE_UNSUPPORTED 0x4D5300B9 /* MmAdvanceMdl of an MDL in a reservation */

MMSHIM_EXTERN_C_BEGIN

/* ---- non-cached memory ------------------------------------------------------ */

/*
 * NumberOfBytes (rounded up to pages) of zeroed, nonpaged memory mapped
 * uncached into system space, virtually but not necessarily physically
 * contiguous; NULL on failure. Call where sleeping is allowed (PASSIVE or
 * APC level).
 */
PVOID MmAllocateNonCachedMemory(SIZE_T NumberOfBytes);

/* Free it, with the NumberOfBytes it was allocated with. A wrong size or an
 * address not from MmAllocateNonCachedMemory is reported and nothing is
 * freed. */
VOID MmFreeNonCachedMemory(PVOID BaseAddress, SIZE_T NumberOfBytes);

/* ---- protection of a system mapping ----------------------------------------- */

/*
 * Set the page protection of the system mapping that
 * MmMapLockedPagesSpecifyCache made for the MDL: PAGE_NOACCESS,
 * PAGE_READONLY or PAGE_READWRITE. STATUS_INVALID_PAGE_PROTECTION for
 * anything else, including PAGE_EXECUTE* (mmshim mappings are never
 * executable); STATUS_NOT_MAPPED_VIEW if the MDL has no such mapping;
 * STATUS_NOT_SUPPORTED if it is mapped through the kernel's linear map
 * (physically contiguous RAM), a nonpaged-pool MDL or a reserved mapping.
 * PAGE_READWRITE on frames their owner cannot write (a read-only lock, the
 * zero page) is STATUS_INVALID_PAGE_PROTECTION too. Every refusal is a
 * verifier report. The mapping gets its original protection back when it is
 * unmapped. IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS MmProtectMdlSystemAddress(PMDL MemoryDescriptorList, ULONG NewProtect);

/* ---- MmAdvanceMdl ------------------------------------------------------------ */

/*
 * Move the start of the MDL's range NumberOfBytes further: ByteCount
 * shrinks, StartVa/ByteOffset and (if mapped) MappedSystemVa move, and the
 * PFN entries of whole pages passed leave the front of the PFN array.
 * STATUS_INVALID_PARAMETER_2 if NumberOfBytes >= ByteCount (nothing
 * changes). Deviation: pages passed stay locked (and mapped) until
 * MmUnlockPages (MmUnmapLockedPages with the new MappedSystemVa works);
 * Windows unlocks them at once. STATUS_NOT_SUPPORTED for an MDL mapped in a
 * reservation. IRQL <= DISPATCH_LEVEL.
 */
NTSTATUS MmAdvanceMdl(PMDL Mdl, ULONG NumberOfBytes);

/* ---- paging (no-ops: module memory is never paged) ------------------------- */

/* A handle for the section holding AddressWithinSection (the address
 * itself); nothing is locked because nothing is ever paged out. */
PVOID MmLockPagableDataSection(PVOID AddressWithinSection);
/* Accepts a handle from MmLockPagableDataSection/CodeSection. */
VOID MmLockPagableSectionByHandle(PVOID ImageSectionHandle);
VOID MmUnlockPagableImageSection(PVOID ImageSectionHandle);
/* Returns a handle as MmLockPagableDataSection does; the driver stays resident. */
PVOID MmPageEntireDriver(PVOID AddressWithinSection);
VOID MmResetDriverPaging(PVOID AddressWithinSection);

/* From the RAM Linux manages: below 128 MiB small, below 512 MiB medium,
 * else large. */
MM_SYSTEMSIZE MmQuerySystemSize(VOID);
/* FALSE: a Linux host is not a Windows Server product. */
BOOLEAN MmIsThisAnNtAsSystem(VOID);
/* TRUE for any non-NULL address: mmshim's verifier checks every call of
 * every driver, always. */
LOGICAL MmIsDriverVerifyingByAddress(PVOID AddressWithinSection);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_MMEXTRA_H */
