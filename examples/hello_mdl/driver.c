// SPDX-License-Identifier: GPL-2.0
/*
 * driver.c - the Windows half of the example: code as a Windows driver
 * writes it, including only <wdm.h>. It allocates nonpaged pool, describes
 * it with an MDL, builds the PFN array, and shows what it got; then it makes
 * one deliberate mistake so you can see a verifier report.
 */
#include "hello_mdl.h"

#define HELLO_TAG 'lleH' /* bytes "Hell": how /sys/kernel/debug/mmshim/pool shows it */
#define HELLO_BYTES (3 * PAGE_SIZE + 200)
#define HELLO_OFFSET 0x80

static PUCHAR Buffer;
static PMDL Mdl;

static const char *FlagNames(CSHORT Flags, char *Out, ULONG Size)
{
	static const struct { CSHORT Bit; const char *Name; } Names[] = {
		{ MDL_MAPPED_TO_SYSTEM_VA, "MAPPED_TO_SYSTEM_VA" },
		{ MDL_PAGES_LOCKED, "PAGES_LOCKED" },
		{ MDL_SOURCE_IS_NONPAGED_POOL, "SOURCE_IS_NONPAGED_POOL" },
		{ MDL_ALLOCATED_FIXED_SIZE, "ALLOCATED_FIXED_SIZE" },
		{ MDL_IO_SPACE, "IO_SPACE" },
	};
	ULONG Used = 0, i;

	Out[0] = '\0';
	for (i = 0; i < sizeof(Names) / sizeof(Names[0]); i++) {
		const char *s = Names[i].Name;

		if (!(Flags & Names[i].Bit))
			continue;
		if (Used && Used + 3 < Size) {
			Out[Used++] = ' ';
			Out[Used++] = '|';
			Out[Used++] = ' ';
		}
		while (*s && Used + 1 < Size)
			Out[Used++] = *s++;
		Out[Used] = '\0';
	}
	return Out;
}

NTSTATUS HelloMdlStart(VOID)
{
	PPFN_NUMBER Pfns;
	PUCHAR SystemVa;
	ULONG Pages, i;
	SIZE_T Blocks, Bytes;
	char Names[128];

	Buffer = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, HELLO_BYTES, HELLO_TAG);
	if (!Buffer)
		return STATUS_INSUFFICIENT_RESOURCES;
	DbgPrint("ExAllocatePool2(POOL_FLAG_NON_PAGED, %lu bytes, 'Hell') = %px (zeroed: %s)\n",
		 (unsigned long)HELLO_BYTES, Buffer, Buffer[0] == 0 && Buffer[HELLO_BYTES - 1] == 0 ? "yes" : "no");

	Mdl = IoAllocateMdl(Buffer + HELLO_OFFSET, HELLO_BYTES - HELLO_OFFSET, FALSE, FALSE, NULL);
	if (!Mdl) {
		ExFreePoolWithTag(Buffer, HELLO_TAG);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	Pages = (ULONG)ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), MmGetMdlByteCount(Mdl));
	DbgPrint("IoAllocateMdl(buffer + 0x%x, %u bytes) = %px: Size %d, %u pages, MdlFlags 0x%04x (%s)\n",
		 HELLO_OFFSET, MmGetMdlByteCount(Mdl), Mdl, Mdl->Size, Pages,
		 (unsigned)(USHORT)Mdl->MdlFlags, FlagNames(Mdl->MdlFlags, Names, sizeof(Names)));

	MmBuildMdlForNonPagedPool(Mdl);
	DbgPrint("MmBuildMdlForNonPagedPool: MdlFlags 0x%04x (%s)\n", (unsigned)(USHORT)Mdl->MdlFlags,
		 FlagNames(Mdl->MdlFlags, Names, sizeof(Names)));
	DbgPrint("  StartVa %px  ByteOffset 0x%x  ByteCount %u\n", MmGetMdlBaseVa(Mdl),
		 MmGetMdlByteOffset(Mdl), MmGetMdlByteCount(Mdl));
	Pfns = MmGetMdlPfnArray(Mdl);
	for (i = 0; i < Pages; i++)
		DbgPrint("  PFN[%u] = 0x%lx  (physical address 0x%lx)\n", i, (unsigned long)Pfns[i],
			 (unsigned long)Pfns[i] << PAGE_SHIFT);

	/* A nonpaged-pool MDL is mapped already: the macro returns MappedSystemVa. */
	SystemVa = (PUCHAR)MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);
	DbgPrint("  MmGetSystemAddressForMdlSafe = %px (buffer + 0x%lx)\n", SystemVa,
		 (unsigned long)(SystemVa - Buffer));
	SystemVa[0] = 0x5a;
	DbgPrint("  a byte written through the system address is %s in the buffer\n",
		 Buffer[HELLO_OFFSET] == 0x5a ? "visible" : "NOT visible");

	MmshimPoolUsage(&Blocks, &Bytes);
	DbgPrint("pool in use: %lu block(s), %lu bytes; MDLs in use: %lu\n", (unsigned long)Blocks,
		 (unsigned long)Bytes, (unsigned long)MmshimLiveMdlCount());

	DbgPrint("now a deliberate mistake: ExFreePoolWithTag with the wrong tag 'Oops'\n");
	ExFreePoolWithTag(Buffer, 'spoO');
	DbgPrint("mmshim refused it (verifier reports so far: %u); the buffer is still ours: first byte 0x%02x\n",
		 MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_WRONG_TAG), Buffer[HELLO_OFFSET]);
	return STATUS_SUCCESS;
}

VOID HelloMdlUnload(VOID)
{
	SIZE_T Blocks, Bytes;

	IoFreeMdl(Mdl);
	ExFreePoolWithTag(Buffer, HELLO_TAG);
	MmshimPoolUsage(&Blocks, &Bytes);
	DbgPrint("unload: IoFreeMdl and ExFreePoolWithTag done; pool in use: %lu block(s), MDLs: %lu\n",
		 (unsigned long)Blocks, (unsigned long)MmshimLiveMdlCount());
}
