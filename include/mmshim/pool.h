/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/pool.h - the pool: ExAllocatePool2, ExAllocatePool3,
 * ExAllocatePoolWithTag and its priority, quota, zeroing and untagged
 * variants, ExFreePoolWithTag, ExFreePool.
 *
 * Linux kernel memory is never paged out, so "paged" pool is served from the
 * same allocator as nonpaged pool; the IRQL rule for paged pool is still
 * enforced (see docs/pool.md). All pool memory is non-executable.
 */
#ifndef MMSHIM_POOL_H
#define MMSHIM_POOL_H

#include <mmshim/types.h>

/* In C++ the enum has int as its fixed underlying type, as MSVC gives every
 * enum: a type with modifier bits OR-ed in (PagedPool | POOL_ZERO_ALLOCATION)
 * is then a valid POOL_TYPE value, as Windows code assumes. */
typedef enum _POOL_TYPE
#ifdef __cplusplus
	: int
#endif
{
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
/* A failed allocation raises STATUS_INSUFFICIENT_RESOURCES (mmshim/seh.h). */
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL

/* Modifier bits OR-ed into a POOL_TYPE (ExAllocatePoolWithTag and friends). */
#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8   /* ExAllocatePoolWithQuotaTag only */
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16  /* raise instead of returning NULL */
#define POOL_COLD_ALLOCATION 256             /* a hint; ignored */
#define POOL_NX_ALLOCATION 512               /* = NonPagedPoolNx */
#define POOL_ZERO_ALLOCATION 1024            /* zero the block */

/* Memory allocation alignment guaranteed by the pool (x64: 16 bytes). */
#define MEMORY_ALLOCATION_ALIGNMENT 16
#define SYSTEM_CACHE_ALIGNMENT_SIZE 64

typedef enum _EX_POOL_PRIORITY {
	LowPoolPriority,
	LowPoolPrioritySpecialPoolOverrun = 8,
	LowPoolPrioritySpecialPoolUnderrun = 9,
	NormalPoolPriority = 16,
	NormalPoolPrioritySpecialPoolOverrun = 24,
	NormalPoolPrioritySpecialPoolUnderrun = 25,
	HighPoolPriority = 32,
	HighPoolPrioritySpecialPoolOverrun = 40,
	HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

/* ExAllocatePool3's extended parameters. */
typedef enum POOL_EXTENDED_PARAMETER_TYPE {
	PoolExtendedParameterInvalidType = 0,
	PoolExtendedParameterPriority,
	PoolExtendedParameterSecurePool,
	PoolExtendedParameterNumaNode,
	PoolExtendedParameterMax
} POOL_EXTENDED_PARAMETER_TYPE, *PPOOL_EXTENDED_PARAMETER_TYPE;

#define POOL_EXTENDED_PARAMETER_TYPE_BITS 8
#define POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS 1
#define POOL_EXTENDED_PARAMETER_RESERVED_BITS \
	(64 - POOL_EXTENDED_PARAMETER_TYPE_BITS - POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS)

typedef ULONG POOL_NODE_REQUIREMENT;

/* Secure pool is refused by mmshim: the structure is only named. */
struct _POOL_EXTENDED_PARAMS_SECURE_POOL;

typedef struct _POOL_EXTENDED_PARAMETER {
	__extension__ struct {
		ULONG64 Type : POOL_EXTENDED_PARAMETER_TYPE_BITS;
		ULONG64 Optional : POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS;
		ULONG64 Reserved : POOL_EXTENDED_PARAMETER_RESERVED_BITS;
	};
	__extension__ union {
		ULONG64 Reserved2;
		PVOID Reserved3;
		EX_POOL_PRIORITY Priority;
		struct _POOL_EXTENDED_PARAMS_SECURE_POOL *SecurePoolParams;
		POOL_NODE_REQUIREMENT PreferredNode;
	};
} POOL_EXTENDED_PARAMETER, *PPOOL_EXTENDED_PARAMETER;
typedef const POOL_EXTENDED_PARAMETER *PCPOOL_EXTENDED_PARAMETER;

MMSHIM_STATIC_ASSERT(sizeof(POOL_EXTENDED_PARAMETER) == 16, "WDK x64 POOL_EXTENDED_PARAMETER size");
MMSHIM_STATIC_ASSERT(sizeof(EX_POOL_PRIORITY) == 4, "EX_POOL_PRIORITY is an int-sized enum");

MMSHIM_EXTERN_C_BEGIN

PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
		      PCPOOL_EXTENDED_PARAMETER ExtendedParameters, ULONG ExtendedParametersCount);
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
				    EX_POOL_PRIORITY Priority);
PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/* Obsolete: tag 'enoN' ("None"), as Windows uses. */
PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID ExFreePool(PVOID P);

MMSHIM_EXTERN_C_END

/* Inline in the WDK too: ExAllocatePoolWithTag with POOL_ZERO_ALLOCATION, or
 * without it (the block is not zeroed). */
static inline PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return ExAllocatePoolWithTag((POOL_TYPE)(PoolType | POOL_ZERO_ALLOCATION), NumberOfBytes, Tag);
}

static inline PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

#endif /* MMSHIM_POOL_H */
