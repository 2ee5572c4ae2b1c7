// SPDX-License-Identifier: GPL-2.0
/*
 * win.c - the Windows half of the fixture: calls routines mmshim does not
 * provide, directly (KeInitializeDpc, ZwCreateFile), through a macro of its
 * own (IoCreateDevice), one that no row of docs/scope.md covers
 * (MmFrobnicateWidget), a lower-case CRT name only the compiler can judge
 * (_wcsnicmp), and a header mmshim does not have. Names in comments and
 * strings (IoDeleteDevice here) are not uses.
 */
#include "fixture.h"
#include <ntstrsafe.h>

#define FIXTURE_TAG 'xitF'
#define FIXTURE_MAKE_DEVICE(Driver, Out) IoCreateDevice((Driver), 0, NULL, 0x22, 0, FALSE, (Out))

static KDPC Dpc;
static PDEVICE_OBJECT Device;
static const char *Note = "KeInsertQueueDpc in a string is not a use";

static VOID DpcRoutine(PKDPC Which, PVOID Context, PVOID Argument1, PVOID Argument2)
{
	UNREFERENCED_PARAMETER(Which);
	UNREFERENCED_PARAMETER(Context);
	UNREFERENCED_PARAMETER(Argument1);
	UNREFERENCED_PARAMETER(Argument2);
}

NTSTATUS FixtureStart(PDRIVER_OBJECT Driver)
{
	OBJECT_ATTRIBUTES Attributes;
	IO_STATUS_BLOCK Iosb;
	PVOID File = NULL;
	NTSTATUS Status;
	PVOID Buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, FIXTURE_TAG); /* provided */

	FixtureLog(Note);
	KeInitializeDpc(&Dpc, DpcRoutine, NULL);
	Status = FIXTURE_MAKE_DEVICE(Driver, &Device);
	if (!NT_SUCCESS(Status))
		return Status;
	Status = ZwCreateFile(&File, 0, &Attributes, &Iosb, NULL, 0, 0, 0, 0, NULL, 0);
	MmFrobnicateWidget(Buffer);
	if (_wcsnicmp(L"a", L"A", 1) == 0)
		FixtureLog("equal");
	ExFreePoolWithTag(Buffer, FIXTURE_TAG);
	return Status;
}
