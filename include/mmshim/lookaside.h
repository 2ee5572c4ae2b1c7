/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/lookaside.h - lookaside lists: NPAGED_LOOKASIDE_LIST,
 * PAGED_LOOKASIDE_LIST and LOOKASIDE_LIST_EX with the WDK's x64 layouts.
 *
 * The structures have Windows' sizes and field offsets, and the counters a
 * driver may read (TotalAllocates, AllocateMisses, TotalFrees, FreeMisses,
 * Depth ...) are kept up to date. The cache of free entries itself is not in
 * ListHead: mmshim keeps it, with the list's state, in a record of its own,
 * under a lock, so a list is usable at DISPATCH_LEVEL (spinlock held, in a
 * softirq or with interrupts off) and misuse (an uninitialised or deleted
 * list, a double free, a free to the wrong list, entries still allocated at
 * delete) is reported instead of corrupting memory. See docs/pool.md.
 */
#ifndef MMSHIM_LOOKASIDE_H
#define MMSHIM_LOOKASIDE_H

#include <mmshim/types.h>
#include <mmshim/pool.h>

/* List linkage types (also defined by the WDK's wdm.h). */
#ifndef MMSHIM_LIST_ENTRY_DEFINED
#define MMSHIM_LIST_ENTRY_DEFINED
typedef struct _LIST_ENTRY {
	struct _LIST_ENTRY *Flink;
	struct _LIST_ENTRY *Blink;
} LIST_ENTRY, *PLIST_ENTRY;

typedef struct _SINGLE_LIST_ENTRY {
	struct _SINGLE_LIST_ENTRY *Next;
} SINGLE_LIST_ENTRY, *PSINGLE_LIST_ENTRY;
#endif

#ifndef MMSHIM_SLIST_DEFINED
#define MMSHIM_SLIST_DEFINED
/* x64 interlocked singly linked list header and entry (16-byte aligned). */
typedef struct __attribute__((aligned(16))) _SLIST_ENTRY {
	struct _SLIST_ENTRY *Next;
} SLIST_ENTRY, *PSLIST_ENTRY;

typedef union __attribute__((aligned(16))) _SLIST_HEADER {
	__extension__ struct {
		ULONGLONG Alignment;
		ULONGLONG Region;
	};
	struct {
		ULONGLONG Depth : 16;
		ULONGLONG Sequence : 48;
		ULONGLONG Reserved : 4;
		ULONGLONG NextEntry : 60;
	} HeaderX64;
} SLIST_HEADER, *PSLIST_HEADER;
#endif

struct _LOOKASIDE_LIST_EX;
typedef struct _LOOKASIDE_LIST_EX *PLOOKASIDE_LIST_EX;

/* Allocate and free routines a driver may supply (NULL: the pool). */
typedef PVOID NTAPI ALLOCATE_FUNCTION(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef VOID NTAPI FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
typedef PVOID NTAPI ALLOCATE_FUNCTION_EX(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
					 PLOOKASIDE_LIST_EX Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
typedef VOID NTAPI FREE_FUNCTION_EX(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

/* The common layout (x64: 96 bytes). ListHead is mmshim's: do not touch it. */
#define MMSHIM_GENERAL_LOOKASIDE_LAYOUT          \
	__extension__ union {                    \
		SLIST_HEADER ListHead;           \
		SINGLE_LIST_ENTRY SingleListHead; \
	};                                       \
	USHORT Depth;                            \
	USHORT MaximumDepth;                     \
	ULONG TotalAllocates;                    \
	__extension__ union {                    \
		ULONG AllocateMisses;            \
		ULONG AllocateHits;              \
	};                                       \
	ULONG TotalFrees;                        \
	__extension__ union {                    \
		ULONG FreeMisses;                \
		ULONG FreeHits;                  \
	};                                       \
	POOL_TYPE Type;                          \
	ULONG Tag;                               \
	ULONG Size;                              \
	__extension__ union {                    \
		PALLOCATE_FUNCTION_EX AllocateEx; \
		PALLOCATE_FUNCTION Allocate;     \
	};                                       \
	__extension__ union {                    \
		PFREE_FUNCTION_EX FreeEx;        \
		PFREE_FUNCTION Free;             \
	};                                       \
	LIST_ENTRY ListEntry;                    \
	ULONG LastTotalAllocates;                \
	__extension__ union {                    \
		ULONG LastAllocateMisses;        \
		ULONG LastAllocateHits;          \
	};                                       \
	ULONG Future[2];

/* Cache-aligned (x64: 128 bytes). */
typedef struct __attribute__((aligned(64))) _GENERAL_LOOKASIDE {
	MMSHIM_GENERAL_LOOKASIDE_LAYOUT
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

typedef struct _GENERAL_LOOKASIDE_POOL {
	MMSHIM_GENERAL_LOOKASIDE_LAYOUT
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

typedef struct __attribute__((aligned(64))) _NPAGED_LOOKASIDE_LIST {
	GENERAL_LOOKASIDE L;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

typedef struct __attribute__((aligned(64))) _PAGED_LOOKASIDE_LIST {
	GENERAL_LOOKASIDE L;
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

typedef struct _LOOKASIDE_LIST_EX {
	GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX;

/* Smallest entry: room for the link (RTL_SIZEOF_THROUGH_FIELD(SLIST_ENTRY, Next)). */
#define LOOKASIDE_MINIMUM_BLOCK_SIZE 8

/* ExInitializeLookasideListEx Flags (mutually exclusive). */
#define EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL 0x00000001
#define EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE 0x00000002

/* Windows x64 sizes and offsets (checked against the WDK's layout). */
MMSHIM_STATIC_ASSERT(sizeof(SLIST_HEADER) == 16, "SLIST_HEADER is 16 bytes on x64");
MMSHIM_STATIC_ASSERT(sizeof(LIST_ENTRY) == 16, "LIST_ENTRY is 16 bytes on x64");
MMSHIM_STATIC_ASSERT(sizeof(GENERAL_LOOKASIDE_POOL) == 0x60, "GENERAL_LOOKASIDE_POOL is 0x60 bytes");
MMSHIM_STATIC_ASSERT(sizeof(GENERAL_LOOKASIDE) == 0x80, "GENERAL_LOOKASIDE is 0x80 bytes");
MMSHIM_STATIC_ASSERT(sizeof(NPAGED_LOOKASIDE_LIST) == 0x80, "NPAGED_LOOKASIDE_LIST is 0x80 bytes");
MMSHIM_STATIC_ASSERT(sizeof(PAGED_LOOKASIDE_LIST) == 0x80, "PAGED_LOOKASIDE_LIST is 0x80 bytes");
MMSHIM_STATIC_ASSERT(sizeof(LOOKASIDE_LIST_EX) == 0x60, "LOOKASIDE_LIST_EX is 0x60 bytes");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, Depth) == 0x10, "Depth at 0x10");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, MaximumDepth) == 0x12, "MaximumDepth at 0x12");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, TotalAllocates) == 0x14, "TotalAllocates at 0x14");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, AllocateMisses) == 0x18, "AllocateMisses at 0x18");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, TotalFrees) == 0x1c, "TotalFrees at 0x1c");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, FreeMisses) == 0x20, "FreeMisses at 0x20");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, Type) == 0x24, "Type at 0x24");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, Tag) == 0x28, "Tag at 0x28");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, Size) == 0x2c, "Size at 0x2c");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, Allocate) == 0x30, "Allocate at 0x30");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, Free) == 0x38, "Free at 0x38");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, ListEntry) == 0x40, "ListEntry at 0x40");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, LastTotalAllocates) == 0x50,
		     "LastTotalAllocates at 0x50");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, LastAllocateMisses) == 0x54,
		     "LastAllocateMisses at 0x54");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE, Future) == 0x58, "Future at 0x58");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE_POOL, Future) == 0x58, "pool Future at 0x58");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(GENERAL_LOOKASIDE_POOL, AllocateEx) == 0x30, "AllocateEx at 0x30");

MMSHIM_EXTERN_C_BEGIN

VOID ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
				     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
				     USHORT Depth);
VOID ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
VOID ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
				    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
				    USHORT Depth);
VOID ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
VOID ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);

NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
				     PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags,
				     SIZE_T Size, ULONG Tag, USHORT Depth);
VOID ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
VOID ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);

/* Runtime behind the inline routines below; not for direct use. */
PVOID MmshimLookasideAllocate(PVOID Lookaside);
VOID MmshimLookasideFree(PVOID Lookaside, PVOID Entry);
/* mmshim extension: lookaside lists initialised and not yet deleted. */
SIZE_T MmshimLookasideListCount(VOID);

MMSHIM_EXTERN_C_END

/*
 * Inline in the WDK on x64, so inline here too: they call mmshim, which keeps
 * the cache (and names the driver's call site in reports).
 */
static inline PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
	return MmshimLookasideAllocate(Lookaside);
}

static inline VOID ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
	MmshimLookasideFree(Lookaside, Entry);
}

static inline PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
	return MmshimLookasideAllocate(Lookaside);
}

static inline VOID ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry)
{
	MmshimLookasideFree(Lookaside, Entry);
}

#endif /* MMSHIM_LOOKASIDE_H */
