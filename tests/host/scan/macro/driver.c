// SPDX-License-Identifier: GPL-2.0
/*
 * driver.c - a fixture for the mmshim-scan tests: provided routines used
 * only through the driver's own macros, and a stand-in the driver defines
 * under #ifndef in case the headers lack it (they do not). Everything is provided: the
 * scan exits 0.
 */
#include <wdm.h>

#define FIXTURE_TAG 'orcM'
#define FIXTURE_ALLOC(Bytes) ExAllocatePool2(POOL_FLAG_NON_PAGED, (Bytes), FIXTURE_TAG)
#define FIXTURE_FREE(Pointer) ExFreePoolWithTag((Pointer), FIXTURE_TAG)

#define FIXTURE_DESCRIBE(Mdl, Va, Length) MmInitializeMdl((Mdl), (Va), (Length))

/* A stand-in for a name the headers provide: the scan lists it as provided. */
#ifndef STATUS_SUCCESS
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#endif

PVOID FixtureAlloc(SIZE_T Bytes)
{
	return FIXTURE_ALLOC(Bytes);
}

VOID FixtureFree(PVOID Pointer)
{
	FIXTURE_FREE(Pointer);
}

NTSTATUS FixtureDescribe(PMDL Mdl, PVOID Va, SIZE_T Length)
{
	FIXTURE_DESCRIBE(Mdl, Va, Length);
	return STATUS_SUCCESS;
}
