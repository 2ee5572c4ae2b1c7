/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/pool.h - the nonpaged pool: ExAllocatePool2, ExAllocatePoolWithTag,
 * ExFreePoolWithTag, ExFreePool.
 *
 * Linux kernel memory is never paged out, so "paged" pool is served from the
 * same allocator as nonpaged pool; the IRQL rule for paged pool is still
 * enforced (see docs/pool.md). All pool memory is non-executable.
 */
#ifndef MMSHIM_POOL_H
#define MMSHIM_POOL_H

#include <mmshim/types.h>

typedef enum _POOL_TYPE {
	NonPagedPool = 0,
	NonPagedPoolExecute = NonPagedPool,
	PagedPool = 1,
	NonPagedPoolMustSucceed = 2,
	DontUseThisType = 3,
	NonPagedPoolCacheAligned = 4,
	PagedPoolCacheAligned = 5,
	NonPagedPoolCacheAlignedMustS = 6,
	MaxPoolType = 7,
	NonPagedPoolBase = 0,
	NonPagedPoolBaseMustSucceed = NonPagedPoolBase + 2,
	NonPagedPoolBaseCacheAligned = NonPagedPoolBase + 4,
	NonPagedPoolBaseCacheAlignedMustS = NonPagedPoolBase + 6,
	NonPagedPoolSession = 32,
	PagedPoolSession = NonPagedPoolSession + 1,
	NonPagedPoolMustSucceedSession = PagedPoolSession + 1,
	DontUseThisTypeSession = NonPagedPoolMustSucceedSession + 1,
	NonPagedPoolCacheAlignedSession = DontUseThisTypeSession + 1,
	PagedPoolCacheAlignedSession = NonPagedPoolCacheAlignedSession + 1,
	NonPagedPoolCacheAlignedMustSSession = PagedPoolCacheAlignedSession + 1,
	NonPagedPoolNx = 512,
	NonPagedPoolNxCacheAligned = NonPagedPoolNx + 4,
	NonPagedPoolSessionNx = NonPagedPoolNx + 32
} POOL_TYPE;

typedef ULONG64 POOL_FLAGS;

/* Required flags (low 32 bits): the allocation fails if one can't be met. */
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
/* Optional flags (high 32 bits): ignored when they can't be met. */
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ULL
/*
 * POOL_FLAG_RAISE_ON_FAILURE (0x20) is not defined: mmshim has no exception
 * emulation yet, so an allocation that asks for it is refused.
 */

/* Memory allocation alignment guaranteed by the pool (x64: 16 bytes). */
#define MEMORY_ALLOCATION_ALIGNMENT 16
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64

MMSHIM_EXTERN_C_BEGIN

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID ExFreePool(PVOID P);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_POOL_H */
