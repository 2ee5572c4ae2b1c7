// SPDX-License-Identifier: GPL-2.0
/*
 * edu.c - the Windows half of the example's device part: what a Windows
 * driver does at start-device time with the memory resource PnP handed it.
 * It looks MmMapIoSpaceEx up by name (falling back to MmMapIoSpace, the
 * pattern of the WDK's PLX9x5x, pcidrv and serial samples), maps the
 * registers uncached, reads the identification register and has the device
 * compute a factorial. Here the device is qemu's "edu" test device.
 */
#include "hello_mdl.h"

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01

typedef PVOID (*PMM_MAP_IO_SPACE_EX)(PHYSICAL_ADDRESS PhysicalAddress, SIZE_T NumberOfBytes, ULONG Protect);

static volatile ULONG *Registers;
static SIZE_T RegistersLength;

static ULONG ReadRegister(ULONG Offset)
{
	return READ_REGISTER_ULONG(&Registers[Offset / sizeof(ULONG)]);
}

static VOID WriteRegister(ULONG Offset, ULONG Value)
{
	WRITE_REGISTER_ULONG(&Registers[Offset / sizeof(ULONG)], Value);
}

NTSTATUS HelloEduStart(PHYSICAL_ADDRESS Bar0, SIZE_T Length)
{
	UNICODE_STRING Name;
	PMM_MAP_IO_SPACE_EX MapIoSpaceEx;
	ULONG Id, n, Spins;

	RtlInitUnicodeString(&Name, L"MmMapIoSpaceEx");
	MapIoSpaceEx = (PMM_MAP_IO_SPACE_EX)MmGetSystemRoutineAddress(&Name);
	DbgPrint("edu: MmGetSystemRoutineAddress(\"MmMapIoSpaceEx\") = %px\n", MapIoSpaceEx);
	if (MapIoSpaceEx)
		Registers = (volatile ULONG *)MapIoSpaceEx(Bar0, Length, PAGE_READWRITE | PAGE_NOCACHE);
	else
		Registers = (volatile ULONG *)MmMapIoSpace(Bar0, Length, MmNonCached);
	if (!Registers)
		return STATUS_INSUFFICIENT_RESOURCES;
	RegistersLength = Length;
	DbgPrint("edu: MmMapIoSpaceEx(BAR0 0x%llx, %lu bytes, PAGE_READWRITE | PAGE_NOCACHE) = %px\n",
		 (unsigned long long)Bar0.QuadPart, (unsigned long)Length, Registers);

	Id = ReadRegister(EDU_ID);
	DbgPrint("edu: identification register 0x%08x (version %u.%u)\n", Id, Id >> 24, (Id >> 16) & 0xff);
	WriteRegister(EDU_LIVENESS, 0x12345678);
	DbgPrint("edu: liveness check: wrote 0x12345678, read back 0x%08x\n", ReadRegister(EDU_LIVENESS));

	n = 10;
	WriteRegister(EDU_FACTORIAL, n);
	/* The device computes in a thread of its own: poll until it is done
	 * (a bounded spin; under emulation one read takes a microsecond or so). */
	for (Spins = 0; (ReadRegister(EDU_STATUS) & EDU_STATUS_COMPUTING) && Spins < 50000000; Spins++)
		;
	DbgPrint("edu: the device computed %u! = %u\n", n, ReadRegister(EDU_FACTORIAL));
	return STATUS_SUCCESS;
}

VOID HelloEduStop(VOID)
{
	if (!Registers)
		return;
	MmUnmapIoSpace((PVOID)Registers, RegistersLength);
	Registers = NULL;
	DbgPrint("edu: MmUnmapIoSpace done; I/O mappings left: %lu\n", (unsigned long)MmshimIoSpaceMappingCount());
}
