/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lookaside_c_check.c - the pool variants and lookaside lists of
 * <wdm.h> compiled as pedantic C11 (-Werror): every prototype assigned to a
 * pointer of the WDK's function type, the structures' x64 sizes and offsets,
 * the inline routines called, the macros evaluated.
 */
#include <wdm.h>

#include "lookaside_c_check.h"

typedef PVOID (*pool_with_tag_fn)(POOL_TYPE, SIZE_T, ULONG);
typedef PVOID (*pool_priority_fn)(POOL_TYPE, SIZE_T, ULONG, EX_POOL_PRIORITY);
typedef PVOID (*pool3_fn)(POOL_FLAGS, SIZE_T, ULONG, PCPOOL_EXTENDED_PARAMETER, ULONG);
typedef PVOID (*pool_untagged_fn)(POOL_TYPE, SIZE_T);
typedef VOID (*init_npaged_fn)(PNPAGED_LOOKASIDE_LIST, PALLOCATE_FUNCTION, PFREE_FUNCTION, ULONG, SIZE_T,
			       ULONG, USHORT);
typedef VOID (*init_paged_fn)(PPAGED_LOOKASIDE_LIST, PALLOCATE_FUNCTION, PFREE_FUNCTION, ULONG, SIZE_T,
			      ULONG, USHORT);
typedef NTSTATUS (*init_ex_fn)(PLOOKASIDE_LIST_EX, PALLOCATE_FUNCTION_EX, PFREE_FUNCTION_EX, POOL_TYPE,
			       ULONG, SIZE_T, ULONG, USHORT);

static ULONG c_allocs, c_frees;

static PVOID c_allocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	c_allocs++;
	return ExAllocatePoolWithTag(PoolType, NumberOfBytes, Tag);
}

static VOID c_free(PVOID Buffer)
{
	c_frees++;
	ExFreePool(Buffer);
}

int mmshim_lookaside_c_check(struct lookaside_c_values *v)
{
	static NPAGED_LOOKASIDE_LIST npaged;
	static PAGED_LOOKASIDE_LIST paged;
	static LOOKASIDE_LIST_EX ex;
	POOL_EXTENDED_PARAMETER param;
	pool_with_tag_fn with_tag[4];
	pool_priority_fn priority = ExAllocatePoolWithTagPriority;
	pool3_fn pool3 = ExAllocatePool3;
	pool_untagged_fn untagged = ExAllocatePool;
	init_npaged_fn init_npaged = ExInitializeNPagedLookasideList;
	init_paged_fn init_paged = ExInitializePagedLookasideList;
	init_ex_fn init_ex = ExInitializeLookasideListEx;
	VOID (*del_npaged)(PNPAGED_LOOKASIDE_LIST) = ExDeleteNPagedLookasideList;
	VOID (*del_paged)(PPAGED_LOOKASIDE_LIST) = ExDeletePagedLookasideList;
	VOID (*del_ex)(PLOOKASIDE_LIST_EX) = ExDeleteLookasideListEx;
	VOID (*flush_ex)(PLOOKASIDE_LIST_EX) = ExFlushLookasideListEx;
	PVOID (*alloc_npaged)(PNPAGED_LOOKASIDE_LIST) = ExAllocateFromNPagedLookasideList;
	VOID (*free_npaged)(PNPAGED_LOOKASIDE_LIST, PVOID) = ExFreeToNPagedLookasideList;
	PVOID (*alloc_paged)(PPAGED_LOOKASIDE_LIST) = ExAllocateFromPagedLookasideList;
	VOID (*free_paged)(PPAGED_LOOKASIDE_LIST, PVOID) = ExFreeToPagedLookasideList;
	PVOID (*alloc_ex)(PLOOKASIDE_LIST_EX) = ExAllocateFromLookasideListEx;
	VOID (*free_ex)(PLOOKASIDE_LIST_EX, PVOID) = ExFreeToLookasideListEx;
	PALLOCATE_FUNCTION a = c_allocate;
	PFREE_FUNCTION f = c_free;
	unsigned char *p;
	PVOID e1, e2;
	int n = 0, i;

	with_tag[0] = ExAllocatePoolWithTag;
	with_tag[1] = ExAllocatePoolWithQuotaTag;
	with_tag[2] = ExAllocatePoolZero;
	with_tag[3] = ExAllocatePoolUninitialized;

	v->sizeof_general_lookaside = sizeof(GENERAL_LOOKASIDE), n++;
	v->sizeof_general_lookaside_pool = sizeof(GENERAL_LOOKASIDE_POOL), n++;
	v->sizeof_npaged = sizeof(NPAGED_LOOKASIDE_LIST), n++;
	v->sizeof_paged = sizeof(PAGED_LOOKASIDE_LIST), n++;
	v->sizeof_ex = sizeof(LOOKASIDE_LIST_EX), n++;
	v->sizeof_extended_parameter = sizeof(POOL_EXTENDED_PARAMETER), n++;
	v->offsetof_tag = __builtin_offsetof(NPAGED_LOOKASIDE_LIST, L.Tag), n++;
	v->offsetof_allocate_ex = __builtin_offsetof(LOOKASIDE_LIST_EX, L.AllocateEx), n++;
	v->offsetof_future = __builtin_offsetof(GENERAL_LOOKASIDE, Future), n++;
	v->priority_high = HighPoolPriority, n++;
	v->raise_flag = (unsigned long)POOL_FLAG_RAISE_ON_FAILURE, n++;
	v->zero_allocation = POOL_ZERO_ALLOCATION, n++;
	v->ex_raise = EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, n++;

	p = with_tag[2](NonPagedPoolNx, 64, 0x43686443UL);
	v->zero_allocated = p != NULL, n++;
	v->zero_is_zero = 1;
	for (i = 0; p && i < 64; i++)
		if (p[i])
			v->zero_is_zero = 0;
	n++;
	ExFreePoolWithTag(p, 0x43686443UL);
	p = untagged(PagedPool, 32);
	v->untagged_allocated = p != NULL, n++;
	ExFreePool(p);
	p = priority(NonPagedPool, 32, 0x43686443UL, LowPoolPriority);
	v->priority_allocated = p != NULL, n++;
	ExFreePool(p);
	param.Type = PoolExtendedParameterPriority;
	param.Optional = 0;
	param.Reserved = 0;
	param.Priority = HighPoolPriority;
	p = pool3(POOL_FLAG_NON_PAGED, 32, 0x43686443UL, &param, 1);
	v->pool3_allocated = p != NULL, n++;
	ExFreePool(p);

	init_npaged(&npaged, a, f, 0, 48, 0x4c43644cUL, 0);
	e1 = alloc_npaged(&npaged);
	free_npaged(&npaged, e1);
	e2 = alloc_npaged(&npaged);
	v->npaged_hit = e1 != NULL && e1 == e2 && npaged.L.TotalAllocates == 2 && npaged.L.AllocateMisses == 1, n++;
	free_npaged(&npaged, e2);
	del_npaged(&npaged);
	v->custom_calls = c_allocs == 1 && c_frees == 1, n++;

	init_paged(&paged, NULL, NULL, 0, 24, 0x4c43644cUL, 0);
	e1 = alloc_paged(&paged);
	free_paged(&paged, e1);
	del_paged(&paged);
	v->paged_ok = e1 != NULL && paged.L.TotalFrees == 1, n++;

	v->ex_status = init_ex(&ex, NULL, NULL, NonPagedPoolNx, 0, 100, 0x4c43644cUL, 0), n++;
	e1 = alloc_ex(&ex);
	free_ex(&ex, e1);
	flush_ex(&ex);
	del_ex(&ex);
	v->ex_ok = e1 != NULL && MmshimLookasideListCount() == 0, n++;
	return n;
}
