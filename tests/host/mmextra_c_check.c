/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmextra_c_check.c - mmshim/mmextra.h compiled as plain C11 with -pedantic
 * -Werror (see CMakeLists.txt): every prototype assigned to a pointer of the
 * WDK's function type, every macro evaluated, and the routines called from C
 * (checked by MmExtraCHeader in mmextra_test.cpp).
 */
#include <wdm.h>
#include <ntddk.h>

/* The WDK's function types (wdm.h), spelled out. */
typedef PVOID (*wdk_alloc_noncached)(SIZE_T NumberOfBytes);
typedef VOID (*wdk_free_noncached)(PVOID BaseAddress, SIZE_T NumberOfBytes);
typedef NTSTATUS (*wdk_protect_mdl)(PMDL MemoryDescriptorList, ULONG NewProtect);
typedef NTSTATUS (*wdk_advance_mdl)(PMDL Mdl, ULONG NumberOfBytes);
typedef PVOID (*wdk_lock_pagable)(PVOID AddressWithinSection);
typedef VOID (*wdk_by_handle)(PVOID ImageSectionHandle);
typedef VOID (*wdk_reset_paging)(PVOID AddressWithinSection);
typedef MM_SYSTEMSIZE (*wdk_query_size)(VOID);
typedef BOOLEAN (*wdk_ntas)(VOID);
typedef LOGICAL (*wdk_verifying)(PVOID AddressWithinSection);

int mmshim_mmextra_c_check(unsigned long *values, int max);

int mmshim_mmextra_c_check(unsigned long *values, int max)
{
	static const wdk_alloc_noncached alloc = MmAllocateNonCachedMemory;
	static const wdk_free_noncached free_ = MmFreeNonCachedMemory;
	static const wdk_protect_mdl protect = MmProtectMdlSystemAddress;
	static const wdk_advance_mdl advance = MmAdvanceMdl;
	static const wdk_lock_pagable lock_data = MmLockPagableDataSection;
	static const wdk_lock_pagable page_entire = MmPageEntireDriver;
	static const wdk_by_handle by_handle = MmLockPagableSectionByHandle;
	static const wdk_by_handle unlock = MmUnlockPagableImageSection;
	static const wdk_reset_paging reset = MmResetDriverPaging;
	static const wdk_query_size query = MmQuerySystemSize;
	static const wdk_ntas ntas = MmIsThisAnNtAsSystem;
	static const wdk_verifying verifying = MmIsDriverVerifyingByAddress;
	static int data;
	MDL mdl[1 + 2];
	PVOID h, p;
	int n = 0;

	if (max < 14)
		return -1;
	values[n++] = COMPUTE_PAGES_SPANNED((PVOID)0x1ff0, 0x20);            /* 2 */
	values[n++] = (unsigned long)(ULONG_PTR)MmGetProcedureAddress((PVOID)0x1234); /* 0x1234 */
	h = MmLockPagableCodeSection((PVOID)&data);
	values[n++] = h == (PVOID)&data;                                     /* 1 */
	by_handle(h);
	unlock(h);
	values[n++] = lock_data((PVOID)&data) == (PVOID)&data;               /* 1 */
	values[n++] = page_entire((PVOID)&data) == (PVOID)&data;             /* 1 */
	reset((PVOID)&data);
	values[n++] = (unsigned long)query();                                /* the host's size */
	values[n++] = ntas();                                                /* 0 */
	values[n++] = verifying((PVOID)&data);                               /* 1 */
	p = alloc(4096);
	values[n++] = p != NULL;                                             /* 1 */
	free_(p, 4096);
	/* Not mapped: STATUS_NOT_MAPPED_VIEW (and a report). */
	MmInitializeMdl(&mdl[0], (PVOID)0xffff888000001000UL, 0x1000);
	values[n++] = (unsigned long)(ULONG)protect(&mdl[0], PAGE_READONLY); /* 0xC0000019 */
	values[n++] = (unsigned long)(ULONG)advance(&mdl[0], 0x1000);     /* 0xC00000F0 */
	values[n++] = (unsigned long)(ULONG)advance(&mdl[0], 0x10) + mdl[0].ByteCount; /* 0xFF0 */
	/* A mapped MDL's address, without mapping anything (the flag says so). */
	mdl[0].MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
	mdl[0].MappedSystemVa = (PVOID)0x5000;
	values[n++] = (unsigned long)(ULONG_PTR)MmGetSystemAddressForMdl(&mdl[0]); /* 0x5000 */
	values[n++] = (unsigned long)(ULONG)STATUS_INVALID_PAGE_PROTECTION;  /* 0xC0000045 */
	return n;
}
