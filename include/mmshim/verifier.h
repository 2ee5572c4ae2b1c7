/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/verifier.h - how mmshim reports misuse, and how to query it.
 *
 * Where Windows would bug-check, mmshim refuses the operation, leaves memory
 * as it was and writes a verifier report to the kernel log: the Windows
 * bug-check code and its four parameters, the routine, and the caller. Calls
 * that Windows fails with a return value (NULL, an error status) and that are
 * almost always a driver bug are reported the same way with the pseudo code
 * MMSHIM_CALL_FAILED. Counters are in /sys/kernel/debug/mmshim/verifier.
 *
 * Everything named Mmshim* here is an mmshim extension, not a Windows API.
 */
#ifndef MMSHIM_VERIFIER_H
#define MMSHIM_VERIFIER_H

#include <mmshim/types.h>

/* Bug-check codes mmshim reports. */
#define MMSHIM_CALL_FAILED 0x00000000 /* not a bug check: the call failed */
#define KMODE_EXCEPTION_NOT_HANDLED 0x0000001E
#define NO_MORE_SYSTEM_PTES 0x0000003F
#define BAD_POOL_CALLER 0x000000C2
#define DRIVER_VERIFIER_DETECTED_VIOLATION 0x000000C4
#define SYSTEM_PTE_MISUSE 0x000000DA
#define INVALID_MDL_RANGE 0x0000012E

/* BAD_POOL_CALLER (0xC2) parameter 1, as Windows defines them. */
#define MMSHIM_POOL_ZERO_BYTES 0x00
#define MMSHIM_POOL_DOUBLE_FREE 0x07
#define MMSHIM_POOL_BAD_IRQL_ALLOC 0x08
#define MMSHIM_POOL_BAD_IRQL_FREE 0x09
#define MMSHIM_POOL_WRONG_TAG 0x0A
#define MMSHIM_POOL_FREE_USER_ADDRESS 0x40
#define MMSHIM_POOL_NOT_IN_POOL 0x42
#define MMSHIM_POOL_MUST_SUCCEED 0x9A
#define MMSHIM_POOL_TAG_ZERO 0x9B

/* DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) parameter 1. 0x62 is Windows'
 * (pool not freed at unload); the 0x4D53xxxx values ("MS") are mmshim's own,
 * for misuse that Windows catches only as memory corruption. */
#define MMSHIM_VRF_POOL_LEAKED_AT_UNLOAD 0x62
#define MMSHIM_VRF_NULL_ARGUMENT 0x4D530001
#define MMSHIM_VRF_MDL_NOT_ALLOCATED 0x4D530002
#define MMSHIM_VRF_MDL_TOO_SMALL 0x4D530003
#define MMSHIM_VRF_MDL_CORRUPT 0x4D530004
#define MMSHIM_VRF_NOT_NONPAGED_MEMORY 0x4D530005
#define MMSHIM_VRF_STACK_BUFFER 0x4D530006
#define MMSHIM_VRF_MDL_LEAKED_AT_UNLOAD 0x4D530007
#define MMSHIM_VRF_BAD_ALIGNMENT_ARGUMENT 0x4D530008
#define MMSHIM_VRF_IRQL_TOO_HIGH 0x4D530009
#define MMSHIM_VRF_MDL_ALREADY_LOCKED 0x4D53000A
#define MMSHIM_VRF_MDL_NOT_LOCKED 0x4D53000B
#define MMSHIM_VRF_MDL_FREED_LOCKED 0x4D53000C
#define MMSHIM_VRF_MDL_WRONG_KIND 0x4D53000D
#define MMSHIM_VRF_LOCKS_LEAKED_AT_UNLOAD 0x4D53000E
#define MMSHIM_VRF_BAD_ARGUMENT 0x4D53000F
#define MMSHIM_VRF_MDL_ALREADY_MAPPED 0x4D530010
#define MMSHIM_VRF_MDL_NOT_MAPPED 0x4D530011
#define MMSHIM_VRF_WRONG_MAPPED_ADDRESS 0x4D530012
#define MMSHIM_VRF_MDL_FREED_MAPPED 0x4D530013
#define MMSHIM_VRF_MAPPINGS_LEAKED_AT_UNLOAD 0x4D530014
#define MMSHIM_VRF_MDL_MAPPING_ABANDONED 0x4D530015
#define MMSHIM_VRF_MDL_FREED_IN_USE 0x4D530016 /* ExFreePool of an MDL mmshim still holds things for */
/* MMSHIM_VRF_MDL_FREED_IN_USE parameter 3: what the MDL still held. */
#define MMSHIM_FREED_MDL_LOCKED 0x01      /* locked by MmProbeAndLockPages */
#define MMSHIM_FREED_MDL_PAGES 0x02       /* pages from MmAllocatePagesForMdl(Ex) */
#define MMSHIM_FREED_MDL_MAPPED 0x04      /* a system mapping (not through the linear map) */
#define MMSHIM_FREED_MDL_USER_MAPPED 0x08 /* a user-mode mapping */
#define MMSHIM_FREED_MDL_RESERVED 0x10    /* mapped in a reservation */
#define MMSHIM_FREED_MDL_PARTIAL 0x20     /* a partial MDL built by IoBuildPartialMdl (a mapped one only) */
/* Reserved mappings (docs/reserve.md). */
#define MMSHIM_VRF_RESERVATIONS_LEAKED_AT_UNLOAD 0x4D530040
#define MMSHIM_VRF_MDL_IN_RESERVATION 0x4D530041

/* SYSTEM_PTE_MISUSE (0xDA) parameter 1 for reserved mappings, with the
 * values Windows uses. */
#define MMSHIM_PTE_ZERO_MAPPINGS 0x100       /* MmAllocateMappingAddress of 0 bytes */
#define MMSHIM_PTE_FREE_NOT_OWNED 0x101      /* free: wrong tag or not a reservation */
#define MMSHIM_PTE_FREE_STILL_MAPPED 0x103   /* free while an MDL is mapped in it */
#define MMSHIM_PTE_MAP_NOT_OWNED 0x104       /* map: wrong tag */
#define MMSHIM_PTE_MAP_INVALID_RANGE 0x105   /* map: address is not a reservation */
#define MMSHIM_PTE_MAP_NOT_UNMAPPED 0x107    /* map into a reservation already mapped */
#define MMSHIM_PTE_UNMAP_NOT_OWNED 0x108     /* unmap: wrong tag or not a reservation */
#define MMSHIM_PTE_UNMAP_EMPTY 0x109         /* unmap of a reservation with nothing mapped */
#define MMSHIM_PTE_UNMAP_TOO_MANY 0x10A      /* unmap: MDL spans more pages than reserved */
#define MMSHIM_PTE_UNMAP_NOT_MAPPED 0x10B    /* unmap: MDL spans more pages than mapped */
#define MMSHIM_PTE_UNMAP_PARTIAL 0x10C       /* unmap: MDL spans fewer pages than mapped */
/* user-mode mappings (mmshim/map.h, docs/usermap.md) */
#define MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS 0x4D530020
#define MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE 0x4D530021
#define MMSHIM_VRF_USER_MAPPING_LIVE 0x4D530022
#define MMSHIM_VRF_USER_MAPPINGS_LEAKED_AT_UNLOAD 0x4D530023
/* I/O space and page allocation (mmshim/iospace.h, mmshim/pagealloc.h) */
#define MMSHIM_VRF_IO_NOT_MAPPED 0x4D530050         /* MmUnmapIoSpace of an address mmshim did not map */
#define MMSHIM_VRF_IO_SIZE_MISMATCH 0x4D530051      /* MmUnmapIoSpace with another size than mapped */
#define MMSHIM_VRF_PAGES_NOT_ALLOCATED 0x4D530052   /* MmFreePagesFromMdl of an MDL it did not make */
#define MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED 0x4D530053 /* MmFreeContiguousMemory of a foreign address */
#define MMSHIM_VRF_PAGES_LEAKED_AT_UNLOAD 0x4D530054
#define MMSHIM_VRF_IO_LEAKED_AT_UNLOAD 0x4D530055
/* Permissions (docs/security.md) */
#define MMSHIM_VRF_USER_MAPPING_READ_ONLY 0x4D530060 /* mapped read-only: the owner cannot write the frames */

/* MMSHIM_CALL_FAILED parameter 1: why the call failed. */
#define MMSHIM_FAIL_ZERO_LENGTH 0x01
#define MMSHIM_FAIL_LENGTH_TOO_LARGE 0x02
#define MMSHIM_FAIL_RANGE_WRAPS 0x03
#define MMSHIM_FAIL_INVALID_FLAGS 0x04
#define MMSHIM_FAIL_UNSUPPORTED 0x05
#define MMSHIM_FAIL_CACHE_CONFLICT 0x50 /* would alias memory with another cache type (x86 PAT) */
#define MMSHIM_FAIL_BAD_ADDRESS 0x51    /* physical range beyond the CPU's, or RAM and device mixed */
#define MMSHIM_FAIL_IRQL 0x52           /* needs a context that can sleep in mmshim */
#define MMSHIM_FAIL_NOT_ALIGNED 0x53    /* a size or address must be a page multiple */

/* Wildcard for MmshimVerifierReportCount's Parameter1. */
#define MMSHIM_ANY_PARAMETER (~(ULONG_PTR)0)

typedef struct _MMSHIM_VERIFIER_REPORT {
	ULONG BugCheckCode;
	ULONG Sequence; /* 1 for the first report since load */
	ULONG_PTR Parameters[4];
	const char *Routine;
	PVOID Caller;
} MMSHIM_VERIFIER_REPORT, *PMMSHIM_VERIFIER_REPORT;

MMSHIM_EXTERN_C_BEGIN

/* Reports since load with this code and parameter 1 (or any parameter 1). */
ULONG MmshimVerifierReportCount(ULONG BugCheckCode, ULONG_PTR Parameter1);
/* Copies the latest report; FALSE if there has been none. */
BOOLEAN MmshimVerifierLastReport(PMMSHIM_VERIFIER_REPORT Report);
/* Live pool blocks and their bytes, and live MDLs from IoAllocateMdl. */
VOID MmshimPoolUsage(PSIZE_T Blocks, PSIZE_T Bytes);
SIZE_T MmshimLiveMdlCount(VOID);

MMSHIM_EXTERN_C_END

/* Partial MDLs and the lifetime of their source's frames (docs/map.md). */
#define MMSHIM_VRF_PARTIAL_SOURCE_RELEASED 0x4D530068 /* mapping a partial MDL whose source no longer holds its frames */
#define MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE 0x4D530069 /* a partial MDL is still mapped when its source is unlocked or freed */
#define MMSHIM_VRF_PARTIAL_SOURCE_TOO_SMALL 0x4D53006A /* IoBuildPartialMdl: the source's PFN storage does not hold the range */

/* Base vocabulary: process identity and secured user ranges (docs/base.md). */
#define MMSHIM_VRF_FOREIGN_PROCESS 0x4D530080 /* MmProbeAndLockProcessPages: user range of a process that is not the current one */
#define MMSHIM_VRF_SECURE_HANDLE_UNKNOWN 0x4D530081 /* MmUnsecureVirtualMemory of a handle mmshim did not return (or already released) */
#define MMSHIM_VRF_SECURED_LEAKED_AT_UNLOAD 0x4D530082 /* secured ranges still held at mmshim unload */
/* Lookaside lists (mmshim/lookaside.h, docs/pool.md). */
#define MMSHIM_VRF_LOOKASIDE_OUTSTANDING 0x4D530090     /* deleted with entries still allocated */
#define MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED 0x4D530091 /* list never initialised, or deleted */
#define MMSHIM_VRF_LOOKASIDE_DOUBLE_FREE 0x4D530092     /* entry is already in the list's cache */
#define MMSHIM_VRF_LOOKASIDE_WRONG_LIST 0x4D530093      /* entry belongs to another list */
#define MMSHIM_VRF_LOOKASIDE_REINITIALIZED 0x4D530094   /* initialised again without a delete */
#define MMSHIM_VRF_LOOKASIDE_LEAKED_AT_UNLOAD 0x4D530095 /* lists never deleted */
#define MMSHIM_VRF_LOOKASIDE_BAD_ENTRY 0x4D530096       /* NULL, or not a live pool block of the list */
#define MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER 0x4D530097   /* initialisation refused: size, flags, pool type */
/* MmCopyMemory, node and cache variants of allocation (docs/mmcopy.md,
 * docs/pagealloc.md). */
#define MMSHIM_VRF_CONTIGUOUS_FREE_MISMATCH 0x4D5300C0 /* MmFreeContiguousMemorySpecifyCache: size or cache type not the allocation's */
#define MMSHIM_FAIL_NO_SUCH_NODE 0x4D5300C1 /* MMSHIM_CALL_FAILED reason: MM_ALLOCATE_FROM_LOCAL_NODE_ONLY with a node that is not online */
/* I/O-space MDLs (MmAllocateMdlForIoSpace, docs/iospace.md): a reason under
 * MMSHIM_CALL_FAILED. */
#define MMSHIM_FAIL_RAM_AS_IO_SPACE 0x4D5300A0 /* a range is System RAM (or part of it) */

#endif /* MMSHIM_VERIFIER_H */
