/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/mdl.h - the memory descriptor list (MDL), binary-exact with the
 * Windows x64 layout, its flags and enumerations, the header macros Windows
 * drivers inline, and the MDL routines mmshim implements.
 *
 * The macros are spelled as in the Windows headers, so ported code that
 * pokes at MDL fields behaves as it did on Windows. Routines that mmshim does
 * not implement yet are deliberately not declared: a port that calls one
 * fails to compile instead of calling a silent placeholder.
 */
#ifndef MMSHIM_MDL_H
#define MMSHIM_MDL_H

#include <mmshim/types.h>

typedef struct _MDL {
	struct _MDL *Next;
	CSHORT Size;
	CSHORT MdlFlags;
	struct _EPROCESS *Process;
	PVOID MappedSystemVa;
	PVOID StartVa;
	ULONG ByteCount;
	ULONG ByteOffset;
} MDL, *PMDL;

typedef MDL *PMDLX;

MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, Next) == 0, "MDL.Next at 0");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, Size) == 8, "MDL.Size at 8");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, MdlFlags) == 10, "MDL.MdlFlags at 10");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, Process) == 16, "MDL.Process at 16");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, MappedSystemVa) == 24, "MDL.MappedSystemVa at 24");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, StartVa) == 32, "MDL.StartVa at 32");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, ByteCount) == 40, "MDL.ByteCount at 40");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(MDL, ByteOffset) == 44, "MDL.ByteOffset at 44");
MMSHIM_STATIC_ASSERT(sizeof(MDL) == 48, "the x64 MDL header is 48 bytes");
MMSHIM_STATIC_ASSERT(sizeof(PFN_NUMBER) == 8, "PFN array entries are 8 bytes");

/* MdlFlags */
#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000

#define MDL_MAPPING_FLAGS                                                        \
	(MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | \
	 MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_PARENT_MAPPED_SYSTEM_VA | MDL_IO_SPACE)

typedef enum _MEMORY_CACHING_TYPE_ORIG { MmFrameBufferCached = 2 } MEMORY_CACHING_TYPE_ORIG;

typedef enum _MEMORY_CACHING_TYPE {
	MmNotMapped = -1,
	MmNonCached = 0,
	MmCached = 1,
	MmWriteCombined = MmFrameBufferCached,
	MmHardwareCoherentCached = 3,
	MmNonCachedUnordered = 4,
	MmUSWCCached = 5,
	MmMaximumCacheType = 6
} MEMORY_CACHING_TYPE;

typedef enum _MM_PAGE_PRIORITY {
	LowPagePriority = 0,
	NormalPagePriority = 16,
	HighPagePriority = 32
} MM_PAGE_PRIORITY;

/* Bits OR-ed into an MM_PAGE_PRIORITY argument (Windows 8 and later). */
#define MdlMappingNoWrite 0x80000000
#define MdlMappingNoExecute 0x40000000
#define MdlMappingWithGuardPtes 0x20000000

typedef enum _LOCK_OPERATION {
	IoReadAccess = 0,
	IoWriteAccess = 1,
	IoModifyAccess = 2
} LOCK_OPERATION;

/* ---- Header macros, as Windows defines them ---------------------------- */

/*
 * PAGE_ALIGN: Windows rounds DOWN to the page start, Linux's PAGE_ALIGN rounds
 * UP. Ported code means the Windows one, so it replaces Linux's here. Include
 * <wdm.h> after your Linux headers (see docs/porting.md).
 */
#ifdef PAGE_ALIGN
#undef PAGE_ALIGN
#endif
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))

#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))

#define BYTES_TO_PAGES(Size) \
	(((Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))

#define ROUND_TO_PAGES(Size) \
	(((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))

#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
	((BYTE_OFFSET(Va) + ((SIZE_T)(Size)) + (PAGE_SIZE - 1)) >> PAGE_SHIFT)

#define MmGetMdlVirtualAddress(Mdl) \
	((PVOID)((PCHAR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))

#define MmInitializeMdl(_MemoryDescriptorList, _BaseVa, _Length)                            \
	{                                                                                   \
		(_MemoryDescriptorList)->Next = (PMDL)NULL;                                 \
		(_MemoryDescriptorList)->Size =                                             \
			(CSHORT)(sizeof(MDL) +                                              \
				 (sizeof(PFN_NUMBER) *                                      \
				  ADDRESS_AND_SIZE_TO_SPAN_PAGES((_BaseVa), (_Length)))); \
		(_MemoryDescriptorList)->MdlFlags = 0;                                      \
		(_MemoryDescriptorList)->StartVa = (PVOID)PAGE_ALIGN((_BaseVa));            \
		(_MemoryDescriptorList)->ByteOffset = BYTE_OFFSET((_BaseVa));               \
		(_MemoryDescriptorList)->ByteCount = (ULONG)(_Length);                      \
	}

/*
 * MmGetSystemAddressForMdlSafe and MmPrepareMdlForReuse expand to calls of
 * MmMapLockedPagesSpecifyCache / MmUnmapLockedPages, which mmshim declares
 * once it implements them (mmshim/map.h). Until then code that uses these
 * macros does not compile, rather than silently misbehaving.
 */
#define MmGetSystemAddressForMdlSafe(MDL, PRIORITY)                                   \
	(((MDL)->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL)) ? \
		 ((MDL)->MappedSystemVa) :                                             \
		 (MmMapLockedPagesSpecifyCache((MDL), KernelMode, MmCached, NULL, FALSE, \
					       (PRIORITY))))

#define MmPrepareMdlForReuse(MDL)                                        \
	if (((MDL)->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED) != 0) {      \
		MmUnmapLockedPages((MDL)->MappedSystemVa, (MDL));         \
	} else if (((MDL)->MdlFlags & MDL_PARTIAL) == 0) {               \
		/* Windows asserts !(MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) */ \
	}

/* ---- Routines ------------------------------------------------------------ */

/* Largest IoAllocateMdl length (Windows 7 and later): 4 GiB minus one page. */
#define MMSHIM_MAX_MDL_LENGTH (0xFFFFFFFFUL - PAGE_SIZE + 1)

MMSHIM_EXTERN_C_BEGIN

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
		   BOOLEAN ChargeQuota, PIRP Irp);
VOID IoFreeMdl(PMDL Mdl);
SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length);
VOID MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_MDL_H */
