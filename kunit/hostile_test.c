// SPDX-License-Identifier: GPL-2.0
/*
 * hostile_test.c - KUnit suite "mmshim_hostile": every exported routine fed
 * the MDLs and arguments a careless or malicious driver produces.
 *
 * Table-driven: each row is one named case = a setup (an MDL locked, mapped,
 * reserved, a pool block, ...), optionally a tampering of the MDL after the
 * setup (ByteCount, ByteOffset, StartVa, Size, MdlFlags, Next,
 * MappedSystemVa, Process, PFN entries), one bad call (optionally with a
 * spin lock held, bottom halves or interrupts off, or preemption off), and
 * the expected outcome: exactly one verifier report with a given code and
 * parameter 1 (or none), and a return value, NTSTATUS or raised exception.
 * After the call the runner undoes whatever the call made, restores the
 * tampered fields, tears the setup down with the right calls (which must be
 * silent), and checks that nothing leaked: pool blocks and bytes, MDLs,
 * locked MDLs, system/user/reserved/I/O-space mappings, allocated pages,
 * and the reference count of every frame the case used. Every failure
 * message starts with the case's name.
 *
 * Known holes other engineers fix in parallel (partial MDLs of unlocked
 * sources, IoBuildPartialMdl past the source's storage, page-allocation
 * capacity, read-lock permissions, unlock-vs-map races, SEH in interrupts,
 * VA-pool exhaustion) have no rows here.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/kthread.h>
#include <linux/spinlock.h>
#include <linux/bottom_half.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <linux/io.h>
#include <asm/processor.h>
#include "mmshim_kunit.h"
#include <mmshim/physical.h>

#define TAG 'tsoH'
#define OTHER_TAG 'xsoH'
#define VPAGES 4 /* vmalloc scratch pages; the page after them is a guard page */

/* Setups. */
enum {
	S_NONE,
	S_ALLOC,     /* IoAllocateMdl(v, 2 pages), not locked */
	S_VLOCK,     /* IoAllocateMdl(v + 100, 3 pages - 100), locked KernelMode write */
	S_VLOCKW,    /* IoAllocateMdl(v, 2 pages), locked: whole pages */
	S_KLOCK,     /* IoAllocateMdl(k + 64, 128) in one linear-map page, locked */
	S_VMAP,      /* S_VLOCK + system mapping (a record) */
	S_KMAP,      /* S_KLOCK + system mapping (the linear map, no record) */
	S_POOL,      /* IoAllocateMdl(v, 2 pages) + MmBuildMdlForNonPagedPool */
	S_PARTIAL,   /* S_VLOCK as source, mdl = partial MDL of its second page */
	S_RES,       /* S_VLOCK + a 4-page reservation */
	S_RESMAP,    /* S_RES, the MDL mapped in it */
	S_HAND,      /* hand-built MDL (driver storage) over 2 vmalloc frames, MDL_PAGES_LOCKED by hand */
	S_HANDMAP,   /* S_HAND + system mapping */
	S_HANDRES,   /* S_HAND mapped in a reservation */
	S_HANDALLOC, /* IoAllocateMdl MDL with frames and MDL_PAGES_LOCKED by hand, mapped */
	S_UMAP,      /* S_VLOCKW + a user mapping in the borrowed process */
	S_ULOCK,     /* 2 pages of user memory locked UserMode write */
	S_POOLBLK,   /* ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG) */
	S_PAGEDBLK,  /* ExAllocatePoolWithTag(PagedPool, 64, TAG) */
	S_POOLMDL,   /* MDL at the start of a pool block (MmSizeOfMdl + MmInitializeMdl), locked */
	S_IO,        /* MmMapIoSpace of a RAM page, cached (a record) */
	S_CONTIG,    /* MmAllocateContiguousMemory(1 page) */
	S_PAGES,     /* MmAllocatePagesForMdl(2 pages) */
	S_STACKMDL,  /* IoAllocateMdl over a stack buffer, not locked */
	S_GUARDMDL,  /* IoAllocateMdl over the vmalloc guard page, not locked */
	S_USERVAMDL, /* IoAllocateMdl over a user address, not locked */
	S_RESONLY,   /* a 4-page reservation, nothing else */
	S_USERBUF,   /* 2 pages of user memory (no MDL) */
	S_UALLOC,    /* IoAllocateMdl over 2 pages of user memory, not locked */
};

/* Tampering of c->mdl after the setup (undone before teardown). */
enum {
	T_NONE,
	T_BC0,          /* ByteCount = 0 */
	T_BCMAX,        /* ByteCount = 0xFFFFFFFF */
	T_BCCAP,        /* ByteCount: one page more than the PFN array holds */
	T_BCSHRINK,     /* ByteCount = 1 */
	T_BCPAGE1,      /* ByteCount = PAGE_SIZE + 1 (a partial last page) */
	T_BOPAGE,       /* ByteOffset = PAGE_SIZE */
	T_BOMAX,        /* ByteOffset = 0xFFFFFFFF */
	T_BO8,          /* ByteOffset = 8 */
	T_SVODD,        /* StartVa not page aligned */
	T_SVTOP,        /* StartVa = last page of the address space (range wraps) */
	T_SVNULL,       /* StartVa = NULL */
	T_SVUSER,       /* StartVa = a user address */
	T_SVNONCANON,   /* StartVa = a non-canonical address */
	T_SVBOUNDARY,   /* StartVa = the last user page: the range crosses into kernel space */
	T_SIZE0,        /* Size = 0 */
	T_SIZENEG,      /* Size = -1 */
	T_SIZEHDR,      /* Size = sizeof(MDL): no PFN entries */
	T_FL_LOCKED_CLR, /* MDL_PAGES_LOCKED cleared */
	T_FL_LOCKED_SET, /* MDL_PAGES_LOCKED set */
	T_FL_MAPPED_SET, /* MDL_MAPPED_TO_SYSTEM_VA set */
	T_FL_MAPPED_CLR, /* MDL_MAPPED_TO_SYSTEM_VA cleared */
	T_FL_POOL_SET,  /* MDL_SOURCE_IS_NONPAGED_POOL set */
	T_FL_PARTIAL_SET, /* MDL_PARTIAL set */
	T_FL_PARTIAL_CLR, /* MDL_PARTIAL cleared */
	T_FL_IO_SET,    /* MDL_IO_SPACE set on RAM */
	T_FL_ALL,       /* MdlFlags = 0xFFFF */
	T_FL_ZERO,      /* MdlFlags = 0 */
	T_FL_CANFAIL,   /* MDL_MAPPING_CAN_FAIL set */
	T_NEXT_BOGUS,   /* Next = a garbage pointer */
	T_NEXT_SELF,    /* Next = the MDL itself */
	T_MSVA_NULL,    /* MappedSystemVa = NULL */
	T_MSVA_BOGUS,   /* MappedSystemVa = garbage */
	T_MSVA_OTHER,   /* MappedSystemVa = another kernel address */
	T_PROC_BOGUS,   /* Process = garbage */
	T_PFN_RAM,      /* PFN[last] = another RAM frame */
	T_PFN_RAM_ALL,  /* every PFN = another RAM frame */
	T_PFN_DUP,      /* PFN[last] = PFN[0] */
	T_PFN_DEV,      /* PFN[last] = a device frame (RAM and device mixed) */
	T_PFN_DEV_ALL,  /* every PFN a device frame (contiguous) */
	T_PFN_HUGE,     /* PFN[last] = 2^50 */
	T_PFN_HUGE_ALL, /* every PFN beyond the CPU's physical address range */
	T_PFN_MAX_ALL,  /* every PFN = ~0 */
	T_PFN_WRAP_ALL, /* PFN << PAGE_SHIFT wraps to a RAM address */
	T_PFN_LIMIT_ALL, /* first PFN at the CPU's physical limit */
};

/* Calls. */
enum {
	C_MAPK, C_MAPK_RO, C_MAPK_NC, C_MAPK_BADCACHE, C_MAPK_NEGCACHE, C_MAPK_BADMODE, C_MAPK_BUGCHECK,
	C_MAPOLD, C_MAPK_NULL,
	C_MAPU, C_MAPU_RO, C_MAPU_REQ_KERNEL, C_MAPU_REQ_ODD, C_MAPU_REQ_TOP, C_MAPU_REQ_WRAP, C_MAPU_BADCACHE,
	C_MAPU_NULL,
	C_MAPRES, C_MAPRES_WRONGTAG, C_MAPRES_NOTRES, C_MAPRES_NULLADDR, C_MAPRES_BEYOND, C_MAPRES_BADCACHE,
	C_MAPRES_NULL, C_MAPRES_OTHER,
	C_UNMAPK, C_UNMAPK_WRONG, C_UNMAPK_NULLVA, C_UNMAPK_USER, C_UNMAPK_OTHERMDL, C_UNMAPK_TWICE,
	C_UNMAPK_BASE, C_UNMAPK_NULLMDL, C_UNMAPK_MID,
	C_UNMAPU, C_UNMAPU_WRONG, C_UNMAPU_OTHERMDL, C_UNMAPU_TWICE, C_UNMAPU_KERNELVA,
	C_UNMAPRES, C_UNMAPRES_WRONGTAG, C_UNMAPRES_NOTRES, C_UNMAPRES_TWICE, C_UNMAPRES_BIG, C_UNMAPRES_SMALL,
	C_UNMAPRES_NULL, C_UNMAPRES_HUGE,
	C_UNLOCK, C_UNLOCK_TWICE, C_UNLOCK_NULL, C_UNLOCK_OTHER,
	C_FREE, C_FREE_TWICE, C_FREE_ODD, C_FREE_INTERIOR, C_FREE_USERPTR, C_FREE_NULL, C_FREE_POOLPTR,
	C_FREE_KPAGE,
	C_LOCK, C_LOCK_READ, C_LOCK_UK, C_LOCK_UK_RAISE, C_LOCK_BADMODE, C_LOCK_BADOP, C_LOCK_NULL,
	C_LOCK_RAISE_NULL, C_LOCK_USER,
	C_PART_BEFORE, C_PART_PAST, C_PART_LONG, C_PART_MAXLEN, C_PART_WRAPVA, C_PART_NULLTGT,
	C_PART_NULLSRC, C_PART_SMALLTGT, C_PART_SYSVA, C_PART_MAPPEDTGT, C_PART_FIRST,
	C_UNMAPK_MDLVA, C_UNLOCK_INTERIOR, C_MAPU_NOTRY,
	C_BUILDNP, C_BUILDNP_NULL,
	C_FREEPAGES, C_FREEPAGES_NULL, C_FREEPAGES_TWICE,
	C_PFREE, C_PFREE_TWICE, C_PFREE_WRONGTAG, C_PFREE_TAG0, C_PFREE_IN16, C_PFREE_ODD8,
	C_PFREE_KPAGE, C_PFREE_VMALLOC, C_PFREE_STACK, C_PFREE_USER, C_PFREE_NULL, C_PFREE_MDL,
	C_PFREE_RES, C_PFREE_CONTIG, C_PFREE_TAGGED_TWICE, C_PFREE_HIGHBIT,
	C_PALLOC2, C_PALLOC2_0, C_PALLOC2_HUGE, C_PALLOC2_MAX, C_PALLOCWT, C_PALLOCWT_0, C_PALLOCWT_TAG0,
	C_PALLOCWT_MAX,
	C_RALLOC, C_RALLOC_TAG0, C_RALLOC_HUGE, C_RALLOC_MAX,
	C_RFREE, C_RFREE_WRONGTAG, C_RFREE_NOTRES, C_RFREE_NULL, C_RFREE_INTERIOR, C_RFREE_TWICE,
	C_IOMAP, C_IOMAP_EX, C_IOUNMAP, C_IOUNMAP_SIZE, C_IOUNMAP_ZERO, C_IOUNMAP_WRONG, C_IOUNMAP_TWICE,
	C_IOUNMAP_ODD, C_IOUNMAP_NULL,
	C_GETPHYS, C_ISVALID,
	C_CFREE, C_CFREE_TWICE, C_CFREE_NULL, C_CFREE_INTERIOR, C_CFREE_POOL,
	C_CALLOC, C_PAGESEX,
	C_PROBE_R, C_PROBE_W,
	C_ROUTINE_NULL, C_ROUTINE_BOGUS, C_RTLINIT_NULL,
};

/* Outcomes. */
enum {
	O_NONE,   /* a VOID routine: only the report (and leaks) are checked */
	O_NULL,   /* returns NULL */
	O_VALID,  /* returns non-NULL */
	O_STATUS, /* returns NTSTATUS .val */
	O_RAISE,  /* raises .val inside __try */
	O_FALSE,  /* returns FALSE / 0 */
};

/* Contexts for the call. */
enum { X_PASSIVE, X_SPIN, X_BH, X_IRQOFF, X_PREEMPT };

#define NOREPORT 0xFFFFFFFFu
#define P1_MDL ((ULONG_PTR)-2) /* parameter 1 is the MDL's address */

struct hcase {
	const char *name;
	u8 setup, tamper, call, ctx, out;
	ULONG code;     /* expected bug-check code, or NOREPORT */
	ULONG_PTR p1;   /* its parameter 1, P1_MDL, or MMSHIM_ANY_PARAMETER */
	long val;       /* NTSTATUS for O_STATUS/O_RAISE */
	long arg;       /* an argument of the call (flags, type, size, variant) */
};

#define CASE(n, s, t, c, x, o, code, p1, v) { n, s, t, c, x, o, code, p1, v, v }
#define CASEA(n, s, t, c, x, o, code, p1, v, a) { n, s, t, c, x, o, code, p1, v, a }
/* A report of DRIVER_VERIFIER_DETECTED_VIOLATION with mmshim's parameter 1. */
#define VRF(p) DRIVER_VERIFIER_DETECTED_VIOLATION, p
#define FAILED(p) MMSHIM_CALL_FAILED, p
#define PTE(p) SYSTEM_PTE_MISUSE, p
#define POOL(p) BAD_POOL_CALLER, p
#define NONE NOREPORT, 0
#define RANGE INVALID_MDL_RANGE, P1_MDL /* parameter 1 is the source MDL */

/* Scratch memory shared by the cases of one test. */
struct hmem {
	u8 *v;                /* vmalloc, VPAGES pages */
	struct page *kp;      /* one page of the linear map */
	u8 *k;
	unsigned long user;   /* user memory (user test only), 4 pages */
	struct page *frames[VPAGES + 1];
};

struct hctx {
	struct kunit *test;
	const struct hcase *row;
	struct hmem *mem;
	PMDL mdl, src, other, small;
	bool mdl_allocated; /* mdl from IoAllocateMdl (else driver storage) */
	bool locked, hand_locked, src_locked;
	PVOID sys;          /* system mapping */
	PVOID uva;          /* user mapping */
	PVOID res;          /* reservation */
	bool res_mapped;
	PVOID pool, paged, io, contig;
	PMDL pages_mdl;
	void *store;        /* driver storage of a hand-built or pool MDL */
	u8 *stack;          /* a buffer on run_case's stack */
	/* tamper */
	bool tampered;
	MDL saved;
	PFN_NUMBER saved_pfn[4];
	unsigned int npfn;
	/* outcome */
	PVOID ret;
	NTSTATUS status, raised;
	bool ret_bool;
	bool freed_twice_target;
};

struct hcounts {
	SIZE_T blocks, bytes, mdls, locked, mapped, user, reserved, io, pages;
};

static unsigned int hostile_cases_run;
static struct mm_struct *hostile_mm;
static DEFINE_SPINLOCK(hostile_lock);

static void counts(struct hcounts *h)
{
	MmshimPoolUsage(&h->blocks, &h->bytes);
	h->mdls = MmshimLiveMdlCount();
	h->locked = MmshimLockedMdlCount();
	h->mapped = MmshimMappedMdlCount();
	h->user = MmshimUserMappingCount();
	h->reserved = MmshimReservedMappingCount();
	h->io = MmshimIoSpaceMappingCount();
	h->pages = MmshimAllocatedPageCount();
}

static ULONG seq_now(void)
{
	MMSHIM_VERIFIER_REPORT r = {};

	MmshimVerifierLastReport(&r);
	return r.Sequence;
}

/* A frame that is not RAM: a page well inside the CPU's physical range
 * where qemu's q35/pc machines put nothing (above the 64-bit PCI window);
 * on arm64's virt machine, far above its high PCIe and RAM regions. */
static PFN_NUMBER device_pfn(void)
{
	return ((1ULL << mmshim_phys_bits()) >> PAGE_SHIFT) - 64;
}

static PFN_NUMBER limit_pfn(void)
{
	return (1ULL << mmshim_phys_bits()) >> PAGE_SHIFT;
}

/* ---- calls that raise ------------------------------------------------ */

static noinline NTSTATUS try_lock(PMDL m, KPROCESSOR_MODE mode, LOCK_OPERATION op)
{
	volatile NTSTATUS s = STATUS_SUCCESS;

	__try {
		MmProbeAndLockPages(m, mode, op);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	return s;
}

static noinline PVOID try_map_user(PMDL m, MEMORY_CACHING_TYPE cache, PVOID req, ULONG prio, NTSTATUS *raised)
{
	volatile NTSTATUS s = STATUS_SUCCESS;
	PVOID volatile va = NULL;

	__try {
		va = MmMapLockedPagesSpecifyCache(m, UserMode, cache, req, FALSE, prio);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	*raised = s;
	return va;
}

static noinline NTSTATUS try_probe(bool write, PVOID addr, SIZE_T len, ULONG align)
{
	volatile NTSTATUS s = STATUS_SUCCESS;

	__try {
		if (write)
			ProbeForWrite(addr, len, align);
		else
			ProbeForRead(addr, len, align);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	return s;
}

/* ---- setup and teardown ------------------------------------------------ */

static PMDL hand_mdl(struct hctx *c, unsigned int pages)
{
	PMDL m;
	unsigned int i;

	c->store = kzalloc(sizeof(MDL) + 4 * sizeof(PFN_NUMBER), GFP_KERNEL);
	if (!c->store)
		return NULL;
	m = c->store;
	MmInitializeMdl(m, NULL, pages * PAGE_SIZE);
	for (i = 0; i < pages; i++)
		MmGetMdlPfnArray(m)[i] = vmalloc_to_pfn(c->mem->v + i * PAGE_SIZE);
	m->MdlFlags |= MDL_PAGES_LOCKED;
	c->hand_locked = true;
	return m;
}

static PMDL alloc_locked(struct hctx *c, void *va, ULONG len)
{
	PMDL m = IoAllocateMdl(va, len, FALSE, FALSE, NULL);
	unsigned int i;

	if (!m)
		return NULL;
	/* PFN entries past the locked range (that a ByteCount or ByteOffset
	 * tampered within the array's capacity exposes) hold a known RAM
	 * frame, not whatever the MDL cache left there. */
	for (i = 0; i < 4; i++)
		MmGetMdlPfnArray(m)[i] = page_to_pfn(c->mem->kp);
	if (MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess) != STATUS_SUCCESS) {
		IoFreeMdl(m);
		return NULL;
	}
	return m;
}

static bool setup(struct hctx *c)
{
	struct hmem *mem = c->mem;
	u8 *v = mem->v;
	unsigned int i;

	c->other = IoAllocateMdl(v, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!c->other)
		return false;
	switch (c->row->setup) {
	case S_NONE:
		return true;
	case S_ALLOC:
		c->mdl = IoAllocateMdl(v, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = true;
		return c->mdl;
	case S_VLOCK:
	case S_VMAP:
	case S_RES:
	case S_RESMAP:
		c->mdl = alloc_locked(c, v + 100, 3 * PAGE_SIZE - 100);
		c->mdl_allocated = c->locked = c->mdl;
		if (!c->mdl)
			return false;
		if (c->row->setup == S_VMAP) {
			c->sys = MmMapLockedPagesSpecifyCache(c->mdl, KernelMode, MmCached, NULL, FALSE,
							      NormalPagePriority);
			return c->sys;
		}
		if (c->row->setup == S_RES || c->row->setup == S_RESMAP) {
			c->res = MmAllocateMappingAddress(4 * PAGE_SIZE, TAG);
			if (!c->res)
				return false;
		}
		if (c->row->setup == S_RESMAP) {
			c->res_mapped = MmMapLockedPagesWithReservedMapping(c->res, TAG, c->mdl, MmCached);
			return c->res_mapped;
		}
		return true;
	case S_VLOCKW:
	case S_UMAP:
		c->mdl = alloc_locked(c, v, 2 * PAGE_SIZE);
		c->mdl_allocated = c->locked = c->mdl;
		if (!c->mdl)
			return false;
		if (c->row->setup == S_UMAP) {
			NTSTATUS s;

			c->uva = try_map_user(c->mdl, MmCached, NULL, NormalPagePriority, &s);
			return c->uva && s == STATUS_SUCCESS;
		}
		return true;
	case S_KLOCK:
	case S_KMAP:
		c->mdl = alloc_locked(c, mem->k + 64, 128);
		c->mdl_allocated = c->locked = c->mdl;
		if (!c->mdl)
			return false;
		if (c->row->setup == S_KMAP) {
			c->sys = MmMapLockedPagesSpecifyCache(c->mdl, KernelMode, MmCached, NULL, FALSE,
							      NormalPagePriority);
			return c->sys == (PVOID)(mem->k + 64);
		}
		return true;
	case S_POOL:
		c->mdl = IoAllocateMdl(v, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		if (!c->mdl)
			return false;
		MmBuildMdlForNonPagedPool(c->mdl);
		return c->mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL;
	case S_PARTIAL:
		c->src = alloc_locked(c, v + 100, 3 * PAGE_SIZE - 100);
		c->src_locked = c->src;
		if (!c->src)
			return false;
		c->mdl = IoAllocateMdl(v, PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		if (!c->mdl)
			return false;
		IoBuildPartialMdl(c->src, c->mdl, v + PAGE_SIZE, PAGE_SIZE);
		return c->mdl->MdlFlags & MDL_PARTIAL;
	case S_HAND:
	case S_HANDMAP:
	case S_HANDRES:
		c->mdl = hand_mdl(c, 2);
		if (!c->mdl)
			return false;
		if (c->row->setup == S_HANDMAP) {
			c->sys = MmMapLockedPagesSpecifyCache(c->mdl, KernelMode, MmCached, NULL, FALSE,
							      NormalPagePriority);
			return c->sys;
		}
		if (c->row->setup == S_HANDRES) {
			c->res = MmAllocateMappingAddress(4 * PAGE_SIZE, TAG);
			if (!c->res)
				return false;
			c->res_mapped = MmMapLockedPagesWithReservedMapping(c->res, TAG, c->mdl, MmCached);
			return c->res_mapped;
		}
		return true;
	case S_HANDALLOC:
		c->mdl = IoAllocateMdl(NULL, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		if (!c->mdl)
			return false;
		for (i = 0; i < 2; i++)
			MmGetMdlPfnArray(c->mdl)[i] = vmalloc_to_pfn(v + i * PAGE_SIZE);
		c->mdl->MdlFlags |= MDL_PAGES_LOCKED;
		c->hand_locked = true;
		c->sys = MmMapLockedPagesSpecifyCache(c->mdl, KernelMode, MmCached, NULL, FALSE,
						      NormalPagePriority);
		return c->sys;
	case S_ULOCK:
		if (!mem->user)
			return false;
		c->mdl = IoAllocateMdl((PVOID)mem->user, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		if (!c->mdl)
			return false;
		c->locked = MmshimProbeAndLockPages(c->mdl, UserMode, IoWriteAccess) == STATUS_SUCCESS;
		return c->locked;
	case S_POOLBLK:
		c->pool = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
		return c->pool;
	case S_PAGEDBLK:
		c->paged = ExAllocatePoolWithTag(PagedPool, 64, TAG);
		return c->paged;
	case S_POOLMDL:
		c->pool = ExAllocatePoolWithTag(NonPagedPoolNx, MmSizeOfMdl(v, 2 * PAGE_SIZE), TAG);
		if (!c->pool)
			return false;
		c->mdl = c->pool;
		MmInitializeMdl(c->mdl, v, 2 * PAGE_SIZE);
		c->locked = MmshimProbeAndLockPages(c->mdl, KernelMode, IoWriteAccess) == STATUS_SUCCESS;
		return c->locked;
	case S_IO:
		c->io = MmMapIoSpace(pa(page_to_phys(mem->kp)), PAGE_SIZE, MmCached);
		return c->io;
	case S_CONTIG:
		c->contig = MmAllocateContiguousMemory(PAGE_SIZE, pa(~0ULL >> 1));
		return c->contig;
	case S_PAGES:
		c->pages_mdl = MmAllocatePagesForMdl(pa(0), pa(~0ULL >> 1), pa(0), 2 * PAGE_SIZE);
		c->mdl = c->pages_mdl;
		return c->mdl && c->mdl->ByteCount == 2 * PAGE_SIZE;
	case S_STACKMDL:
		c->mdl = IoAllocateMdl(c->stack, 64, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		return c->mdl;
	case S_GUARDMDL:
		c->mdl = IoAllocateMdl(v + VPAGES * PAGE_SIZE, PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		return c->mdl;
	case S_USERVAMDL:
		c->mdl = IoAllocateMdl((PVOID)0x10000, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		return c->mdl;
	case S_RESONLY:
		c->res = MmAllocateMappingAddress(4 * PAGE_SIZE, TAG);
		return c->res;
	case S_USERBUF:
		return mem->user;
	case S_UALLOC:
		if (!mem->user)
			return false;
		c->mdl = IoAllocateMdl((PVOID)mem->user, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
		c->mdl_allocated = c->mdl;
		return c->mdl;
	}
	return false;
}

/* Undo everything that is left, with the calls a driver would make. */
static void teardown(struct hctx *c)
{
	if (c->uva)
		MmUnmapLockedPages(c->uva, c->mdl);
	if (c->res_mapped)
		MmUnmapReservedMapping(c->res, TAG, c->mdl);
	if (c->res)
		MmFreeMappingAddress(c->res, TAG);
	if (c->sys)
		MmUnmapLockedPages(c->sys, c->mdl);
	if (c->locked)
		MmUnlockPages(c->mdl);
	if (c->mdl && c->mdl_allocated)
		IoFreeMdl(c->mdl);
	if (c->src_locked)
		MmUnlockPages(c->src);
	if (c->src)
		IoFreeMdl(c->src);
	if (c->pages_mdl) {
		MmFreePagesFromMdl(c->pages_mdl);
		ExFreePool(c->pages_mdl);
	}
	if (c->pool)
		ExFreePoolWithTag(c->pool, TAG);
	if (c->paged)
		ExFreePoolWithTag(c->paged, TAG);
	if (c->io)
		MmUnmapIoSpace(c->io, PAGE_SIZE);
	if (c->contig)
		MmFreeContiguousMemory(c->contig);
	if (c->other)
		IoFreeMdl(c->other);
	kfree(c->store);
}

/* ---- tampering ----------------------------------------------------------- */

static void save(struct hctx *c)
{
	PMDL m = c->mdl;
	unsigned int i;

	if (!m)
		return;
	c->saved = *m;
	/* Every MDL of the setups has storage for at least 2 PFN entries, and
	 * the rows that touch PFN entries only use MDLs spanning >= 1 page. */
	c->npfn = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(m), m->ByteCount);
	if (c->npfn > 4)
		c->npfn = 4;
	for (i = 0; i < c->npfn; i++)
		c->saved_pfn[i] = MmGetMdlPfnArray(m)[i];
}

static void restore(struct hctx *c)
{
	PMDL m = c->mdl;
	CSHORT flags;
	unsigned int i;

	if (!c->tampered || !m)
		return;
	/* Fields as before; the state flags as mmshim left the MDL. */
	flags = c->saved.MdlFlags & ~(MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA |
				      MDL_PARTIAL_HAS_BEEN_MAPPED);
	if (c->locked || c->hand_locked)
		flags |= MDL_PAGES_LOCKED;
	if (c->sys || c->res_mapped)
		flags |= (c->saved.MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED));
	else if (c->saved.MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL)
		flags |= MDL_MAPPED_TO_SYSTEM_VA & c->saved.MdlFlags;
	*m = c->saved;
	m->MdlFlags = flags;
	for (i = 0; i < c->npfn; i++)
		MmGetMdlPfnArray(m)[i] = c->saved_pfn[i];
}

static void tamper(struct hctx *c)
{
	PMDL m = c->mdl;
	PFN_NUMBER *pfn;
	unsigned int last, i;

	if (c->row->tamper == T_NONE || !m)
		return;
	c->tampered = true;
	pfn = MmGetMdlPfnArray(m);
	last = c->npfn ? c->npfn - 1 : 0;
	switch (c->row->tamper) {
	case T_BC0: m->ByteCount = 0; break;
	case T_BCMAX: m->ByteCount = 0xFFFFFFFF; break;
	case T_BCCAP: m->ByteCount = 24 * PAGE_SIZE; break; /* IoAllocateMdl holds 23, hand-built 4 */
	case T_BCSHRINK: m->ByteCount = 1; break;
	case T_BCPAGE1: m->ByteCount = PAGE_SIZE + 1; break;
	case T_BOPAGE: m->ByteOffset = PAGE_SIZE; break;
	case T_BOMAX: m->ByteOffset = 0xFFFFFFFF; break;
	case T_BO8: m->ByteOffset = 8; break;
	case T_SVODD: m->StartVa = (PCHAR)m->StartVa + 1; break;
	case T_SVTOP: m->StartVa = (PVOID)(~0UL & PAGE_MASK); break;
	case T_SVNULL: m->StartVa = NULL; break;
	case T_SVUSER: m->StartVa = (PVOID)0x7f0000000000UL; break;
	case T_SVNONCANON: m->StartVa = (PVOID)0x8000000000000000UL; break;
	case T_SVBOUNDARY: m->StartVa = (PVOID)(TASK_SIZE_MAX - PAGE_SIZE); break;
	case T_SIZE0: m->Size = 0; break;
	case T_SIZENEG: m->Size = -1; break;
	case T_SIZEHDR: m->Size = sizeof(MDL); break;
	case T_FL_LOCKED_CLR: m->MdlFlags &= ~MDL_PAGES_LOCKED; break;
	case T_FL_LOCKED_SET: m->MdlFlags |= MDL_PAGES_LOCKED; break;
	case T_FL_MAPPED_SET: m->MdlFlags |= MDL_MAPPED_TO_SYSTEM_VA; break;
	case T_FL_MAPPED_CLR: m->MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA; break;
	case T_FL_POOL_SET: m->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL; break;
	case T_FL_PARTIAL_SET: m->MdlFlags |= MDL_PARTIAL; break;
	case T_FL_PARTIAL_CLR: m->MdlFlags &= ~MDL_PARTIAL; break;
	case T_FL_IO_SET: m->MdlFlags |= MDL_IO_SPACE; break;
	case T_FL_ALL: m->MdlFlags = (CSHORT)0xFFFF; break;
	case T_FL_ZERO: m->MdlFlags = 0; break;
	case T_FL_CANFAIL: m->MdlFlags |= MDL_MAPPING_CAN_FAIL; break;
	case T_NEXT_BOGUS: m->Next = (PMDL)0xdead000000000100UL; break;
	case T_NEXT_SELF: m->Next = m; break;
	case T_MSVA_NULL: m->MappedSystemVa = NULL; break;
	case T_MSVA_BOGUS: m->MappedSystemVa = (PVOID)0xdead000000000200UL; break;
	case T_MSVA_OTHER: m->MappedSystemVa = c->mem->k; break;
	case T_PROC_BOGUS: m->Process = (struct _EPROCESS *)0xdead000000000300UL; break;
	case T_PFN_RAM: pfn[last] = page_to_pfn(c->mem->kp); break;
	case T_PFN_RAM_ALL:
		for (i = 0; i < c->npfn; i++)
			pfn[i] = page_to_pfn(c->mem->kp);
		break;
	case T_PFN_DUP: pfn[last] = pfn[0]; break;
	case T_PFN_DEV: pfn[last] = device_pfn(); break;
	case T_PFN_DEV_ALL:
		for (i = 0; i < c->npfn; i++)
			pfn[i] = device_pfn() + i;
		break;
	case T_PFN_HUGE: pfn[last] = 1ULL << 50; break;
	case T_PFN_HUGE_ALL:
		for (i = 0; i < c->npfn; i++)
			pfn[i] = (1ULL << 50) + i;
		break;
	case T_PFN_MAX_ALL:
		for (i = 0; i < c->npfn; i++)
			pfn[i] = ~0ULL;
		break;
	case T_PFN_WRAP_ALL:
		/* (pfn << PAGE_SHIFT) overflows 64 bits onto the scratch page */
		for (i = 0; i < c->npfn; i++)
			pfn[i] = (1ULL << (64 - PAGE_SHIFT)) + page_to_pfn(c->mem->kp) + i;
		break;
	case T_PFN_LIMIT_ALL:
		for (i = 0; i < c->npfn; i++)
			pfn[i] = limit_pfn() + i;
		break;
	}
}

/* ---- the call -------------------------------------------------------------- */

static void do_call(struct hctx *c)
{
	const struct hcase *r = c->row;
	PMDL m = c->mdl;
	struct hmem *mem = c->mem;
	PVOID mdl_va = m ? MmGetMdlVirtualAddress(m) : NULL;
	u8 local[32];

	switch (r->call) {
	/* system mappings */
	case C_MAPK:
		c->ret = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
		break;
	case C_MAPK_RO:
		c->ret = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE,
						      NormalPagePriority | MdlMappingNoWrite);
		break;
	case C_MAPK_NC:
		c->ret = MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, NULL, FALSE, NormalPagePriority);
		break;
	case C_MAPK_BADCACHE:
		c->ret = MmMapLockedPagesSpecifyCache(m, KernelMode, MmMaximumCacheType, NULL, FALSE, 0);
		break;
	case C_MAPK_NEGCACHE:
		c->ret = MmMapLockedPagesSpecifyCache(m, KernelMode, (MEMORY_CACHING_TYPE)-7, NULL, FALSE, 0);
		break;
	case C_MAPK_BADMODE:
		c->ret = MmMapLockedPagesSpecifyCache(m, (KPROCESSOR_MODE)r->arg, MmCached, NULL, FALSE, 0);
		break;
	case C_MAPK_BUGCHECK:
		c->ret = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, TRUE, NormalPagePriority);
		break;
	case C_MAPOLD:
		c->ret = MmMapLockedPages(m, KernelMode);
		break;
	case C_MAPK_NULL:
		c->ret = MmMapLockedPagesSpecifyCache(NULL, KernelMode, MmCached, NULL, FALSE, 0);
		break;
	/* user mappings */
	case C_MAPU:
		c->ret = try_map_user(m, MmCached, NULL, NormalPagePriority, &c->raised);
		break;
	case C_MAPU_RO:
		c->ret = try_map_user(m, MmCached, NULL, NormalPagePriority | MdlMappingNoWrite, &c->raised);
		break;
	case C_MAPU_REQ_KERNEL:
		c->ret = try_map_user(m, MmCached, mem->v, NormalPagePriority, &c->raised);
		break;
	case C_MAPU_REQ_ODD:
		c->ret = try_map_user(m, MmCached, (PVOID)0x10000001UL, NormalPagePriority, &c->raised);
		break;
	case C_MAPU_REQ_TOP:
		c->ret = try_map_user(m, MmCached, (PVOID)(TASK_SIZE_MAX - PAGE_SIZE), NormalPagePriority,
				      &c->raised);
		break;
	case C_MAPU_REQ_WRAP:
		c->ret = try_map_user(m, MmCached, (PVOID)(-PAGE_SIZE), NormalPagePriority, &c->raised);
		break;
	case C_MAPU_BADCACHE:
		c->ret = try_map_user(m, (MEMORY_CACHING_TYPE)99, NULL, NormalPagePriority, &c->raised);
		break;
	case C_MAPU_NULL:
		c->ret = try_map_user(NULL, MmCached, NULL, NormalPagePriority, &c->raised);
		break;
	/* reserved mappings */
	case C_MAPRES:
		c->ret = MmMapLockedPagesWithReservedMapping(c->res, TAG, m, MmCached);
		break;
	case C_MAPRES_WRONGTAG:
		c->ret = MmMapLockedPagesWithReservedMapping(c->res, OTHER_TAG, m, MmCached);
		break;
	case C_MAPRES_NOTRES:
		c->ret = MmMapLockedPagesWithReservedMapping(mem->v, TAG, m, MmCached);
		break;
	case C_MAPRES_NULLADDR:
		c->ret = MmMapLockedPagesWithReservedMapping(NULL, TAG, m, MmCached);
		break;
	case C_MAPRES_BEYOND:
		c->ret = MmMapLockedPagesWithReservedMapping((PCHAR)c->res + 4 * PAGE_SIZE, TAG, m, MmCached);
		break;
	case C_MAPRES_BADCACHE:
		c->ret = MmMapLockedPagesWithReservedMapping(c->res, TAG, m, MmMaximumCacheType);
		break;
	case C_MAPRES_NULL:
		c->ret = MmMapLockedPagesWithReservedMapping(c->res, TAG, NULL, MmCached);
		break;
	case C_MAPRES_OTHER: /* a second, hand-locked MDL into the occupied reservation */
		c->other->MdlFlags |= MDL_PAGES_LOCKED;
		MmGetMdlPfnArray(c->other)[0] = vmalloc_to_pfn(mem->v);
		MmGetMdlPfnArray(c->other)[1] = vmalloc_to_pfn(mem->v + PAGE_SIZE);
		c->ret = MmMapLockedPagesWithReservedMapping(c->res, TAG, c->other, MmCached);
		c->other->MdlFlags &= ~MDL_PAGES_LOCKED;
		break;
	/* system unmaps */
	case C_UNMAPK:
		MmUnmapLockedPages(c->sys, m);
		break;
	case C_UNMAPK_WRONG:
		MmUnmapLockedPages((PCHAR)c->sys + PAGE_SIZE, m);
		break;
	case C_UNMAPK_MID:
		MmUnmapLockedPages((PCHAR)c->sys + 1, m);
		break;
	case C_UNMAPK_NULLVA:
		MmUnmapLockedPages(NULL, m);
		break;
	case C_UNMAPK_USER:
		MmUnmapLockedPages((PVOID)0x10000, m);
		break;
	case C_UNMAPK_OTHERMDL:
		MmUnmapLockedPages(c->sys, c->other);
		break;
	case C_UNMAPK_TWICE:
		MmUnmapLockedPages(c->sys, m);
		MmUnmapLockedPages(c->sys, m);
		break;
	case C_UNMAPK_BASE:
		MmUnmapLockedPages((PVOID)((ULONG_PTR)c->sys & PAGE_MASK), m);
		break;
	case C_UNMAPK_NULLMDL:
		MmUnmapLockedPages(c->sys, NULL);
		break;
	/* user unmaps */
	case C_UNMAPU:
		MmUnmapLockedPages(c->uva, m);
		break;
	case C_UNMAPU_WRONG:
		MmUnmapLockedPages((PCHAR)c->uva + PAGE_SIZE, m);
		break;
	case C_UNMAPU_OTHERMDL:
		MmUnmapLockedPages(c->uva, c->other);
		break;
	case C_UNMAPU_TWICE:
		MmUnmapLockedPages(c->uva, m);
		MmUnmapLockedPages(c->uva, m);
		break;
	case C_UNMAPU_KERNELVA:
		MmUnmapLockedPages(mem->v, m);
		break;
	/* reserved unmaps */
	case C_UNMAPRES:
		MmUnmapReservedMapping(c->res, TAG, m);
		break;
	case C_UNMAPRES_WRONGTAG:
		MmUnmapReservedMapping(c->res, OTHER_TAG, m);
		break;
	case C_UNMAPRES_NOTRES:
		MmUnmapReservedMapping(mem->v, TAG, m);
		break;
	case C_UNMAPRES_TWICE:
		MmUnmapReservedMapping(c->res, TAG, m);
		MmUnmapReservedMapping(c->res, TAG, m);
		break;
	case C_UNMAPRES_BIG: /* an MDL spanning more pages than are mapped (4 <= reserved) */
		c->other->ByteCount = 4 * PAGE_SIZE;
		MmUnmapReservedMapping(c->res, TAG, c->other);
		c->other->ByteCount = 2 * PAGE_SIZE;
		break;
	case C_UNMAPRES_HUGE: /* an MDL spanning more pages than are reserved */
		c->other->ByteCount = 8 * PAGE_SIZE;
		MmUnmapReservedMapping(c->res, TAG, c->other);
		c->other->ByteCount = 2 * PAGE_SIZE;
		break;
	case C_UNMAPRES_SMALL: /* an MDL spanning fewer pages than are mapped */
		c->other->ByteCount = PAGE_SIZE;
		MmUnmapReservedMapping(c->res, TAG, c->other);
		c->other->ByteCount = 2 * PAGE_SIZE;
		break;
	case C_UNMAPRES_NULL:
		MmUnmapReservedMapping(c->res, TAG, NULL);
		break;
	/* unlock */
	case C_UNLOCK:
		MmUnlockPages(m);
		break;
	case C_UNLOCK_TWICE:
		MmUnlockPages(m);
		MmUnlockPages(m);
		break;
	case C_UNLOCK_NULL:
		MmUnlockPages(NULL);
		break;
	case C_UNLOCK_OTHER:
		MmUnlockPages(c->other);
		break;
	/* IoFreeMdl */
	case C_FREE:
		IoFreeMdl(m);
		break;
	case C_FREE_TWICE:
		IoFreeMdl(m);
		IoFreeMdl(m);
		break;
	case C_FREE_ODD:
		IoFreeMdl((PMDL)((PCHAR)m + 1));
		break;
	case C_FREE_INTERIOR:
		IoFreeMdl((PMDL)((PCHAR)m + 16));
		break;
	case C_FREE_USERPTR:
		IoFreeMdl((PMDL)0x10000);
		break;
	case C_FREE_NULL:
		IoFreeMdl(NULL);
		break;
	case C_FREE_POOLPTR:
		IoFreeMdl(c->pool);
		break;
	case C_FREE_KPAGE:
		IoFreeMdl((PMDL)(mem->k + 512));
		break;
	/* lock */
	case C_LOCK:
		c->status = MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess);
		break;
	case C_LOCK_READ:
		c->status = MmshimProbeAndLockPages(m, KernelMode, IoReadAccess);
		break;
	case C_LOCK_UK:
		c->status = MmshimProbeAndLockPages(m, UserMode, IoReadAccess);
		break;
	case C_LOCK_UK_RAISE:
		c->raised = try_lock(m, UserMode, IoWriteAccess);
		break;
	case C_LOCK_BADMODE:
		c->status = MmshimProbeAndLockPages(m, (KPROCESSOR_MODE)r->arg, IoReadAccess);
		break;
	case C_LOCK_BADOP:
		c->status = MmshimProbeAndLockPages(m, KernelMode, (LOCK_OPERATION)r->arg);
		break;
	case C_LOCK_NULL:
		c->status = MmshimProbeAndLockPages(NULL, KernelMode, IoReadAccess);
		break;
	case C_LOCK_RAISE_NULL: /* refused and reported: nothing is raised */
		c->raised = try_lock(NULL, KernelMode, IoReadAccess);
		break;
	case C_LOCK_USER:
		c->status = MmshimProbeAndLockPages(m, UserMode, IoWriteAccess);
		break;
	/* IoBuildPartialMdl with c->mdl as the source */
	case C_PART_BEFORE:
		IoBuildPartialMdl(m, c->other, (PCHAR)mdl_va - 1, 10);
		break;
	case C_PART_PAST:
		IoBuildPartialMdl(m, c->other, (PCHAR)mdl_va + m->ByteCount, 1);
		break;
	case C_PART_LONG:
		IoBuildPartialMdl(m, c->other, mdl_va, m->ByteCount + 1);
		break;
	case C_PART_MAXLEN:
		IoBuildPartialMdl(m, c->other, (PCHAR)mdl_va + 1, 0xFFFFFFFF);
		break;
	case C_PART_WRAPVA:
		IoBuildPartialMdl(m, c->other, (PVOID)-1L, 1);
		break;
	case C_PART_NULLTGT:
		IoBuildPartialMdl(m, NULL, mdl_va, 1);
		break;
	case C_PART_NULLSRC:
		IoBuildPartialMdl(NULL, c->other, mem->v, 1);
		break;
	case C_PART_SMALLTGT: {
		/* driver storage with room for one PFN entry */
		c->small = kzalloc(sizeof(MDL) + sizeof(PFN_NUMBER), GFP_KERNEL);
		if (!c->small)
			break;
		MmInitializeMdl(c->small, NULL, PAGE_SIZE);
		IoBuildPartialMdl(m, c->small, mdl_va, 2 * PAGE_SIZE);
		kfree(c->small);
		c->small = NULL;
		break;
	}
	case C_PART_FIRST:
		IoBuildPartialMdl(m, c->other, mdl_va, 10);
		break;
	case C_UNMAPK_MDLVA:
		MmUnmapLockedPages(mdl_va, m);
		break;
	case C_UNLOCK_INTERIOR:
		MmUnlockPages((PMDL)((PCHAR)m + 16));
		break;
	case C_MAPU_NOTRY: /* refused before anything could raise */
		c->ret = MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
		break;
	case C_PART_SYSVA:
		IoBuildPartialMdl(m, c->other, c->sys, 10);
		break;
	case C_PART_MAPPEDTGT: /* target still mapped itself (c->mdl of S_KMAP), source c->other */
		c->other->MdlFlags |= MDL_PAGES_LOCKED;
		IoBuildPartialMdl(c->other, m, mem->v, 10);
		c->other->MdlFlags &= ~MDL_PAGES_LOCKED;
		break;
	/* nonpaged pool */
	case C_BUILDNP:
		MmBuildMdlForNonPagedPool(m);
		break;
	case C_BUILDNP_NULL:
		MmBuildMdlForNonPagedPool(NULL);
		break;
	/* page allocation */
	case C_FREEPAGES:
		MmFreePagesFromMdl(m);
		break;
	case C_FREEPAGES_NULL:
		MmFreePagesFromMdl(NULL);
		break;
	case C_FREEPAGES_TWICE:
		MmFreePagesFromMdl(m);
		MmFreePagesFromMdl(m);
		break;
	/* pool */
	case C_PFREE:
		ExFreePool(c->pool ? c->pool : c->paged);
		break;
	case C_PFREE_TWICE:
		ExFreePool(c->pool);
		ExFreePool(c->pool);
		break;
	case C_PFREE_TAGGED_TWICE:
		ExFreePoolWithTag(c->pool, TAG);
		ExFreePoolWithTag(c->pool, TAG);
		break;
	case C_PFREE_WRONGTAG:
		ExFreePoolWithTag(c->pool, OTHER_TAG);
		break;
	case C_PFREE_HIGHBIT: /* the tag with its top bit set is still another tag */
		ExFreePoolWithTag(c->pool, TAG | 0x80000000u);
		break;
	case C_PFREE_TAG0: /* tag 0: not checked */
		ExFreePoolWithTag(c->pool, 0);
		break;
	case C_PFREE_IN16:
		ExFreePool((PCHAR)c->pool + 16);
		break;
	case C_PFREE_ODD8:
		ExFreePool((PCHAR)c->pool + 8);
		break;
	case C_PFREE_KPAGE:
		ExFreePool(mem->k);
		break;
	case C_PFREE_VMALLOC:
		ExFreePool(mem->v);
		break;
	case C_PFREE_STACK:
		ExFreePool(local);
		break;
	case C_PFREE_USER:
		ExFreePool((PVOID)0x10000);
		break;
	case C_PFREE_NULL:
		ExFreePool(NULL);
		break;
	case C_PFREE_MDL:
		ExFreePool(m);
		break;
	case C_PFREE_RES:
		ExFreePool(c->res);
		break;
	case C_PFREE_CONTIG:
		ExFreePool(c->contig);
		break;
	case C_PALLOC2:
		c->ret = ExAllocatePool2((POOL_FLAGS)r->arg, 64, TAG);
		break;
	case C_PALLOC2_0:
		c->ret = ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, TAG);
		break;
	case C_PALLOC2_HUGE:
		c->ret = ExAllocatePool2(POOL_FLAG_NON_PAGED, 1ULL << 42, TAG);
		break;
	case C_PALLOC2_MAX:
		c->ret = ExAllocatePool2(POOL_FLAG_NON_PAGED, ~(SIZE_T)0 - 8, TAG);
		break;
	case C_PALLOCWT:
		c->ret = ExAllocatePoolWithTag((POOL_TYPE)r->arg, 64, TAG);
		break;
	case C_PALLOCWT_0:
		c->ret = ExAllocatePoolWithTag(NonPagedPoolNx, 0, TAG);
		break;
	case C_PALLOCWT_TAG0:
		c->ret = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 0);
		break;
	case C_PALLOCWT_MAX:
		c->ret = ExAllocatePoolWithTag(NonPagedPoolNx, ~(SIZE_T)0, TAG);
		break;
	/* reservations */
	case C_RALLOC:
		c->ret = MmAllocateMappingAddress(r->arg, TAG);
		break;
	case C_RALLOC_TAG0:
		c->ret = MmAllocateMappingAddress(PAGE_SIZE, 0);
		break;
	case C_RALLOC_HUGE:
		c->ret = MmAllocateMappingAddress(1ULL << 33, TAG);
		break;
	case C_RALLOC_MAX:
		c->ret = MmAllocateMappingAddress(~(SIZE_T)0, TAG);
		break;
	case C_RFREE:
		MmFreeMappingAddress(c->res, TAG);
		break;
	case C_RFREE_WRONGTAG:
		MmFreeMappingAddress(c->res, OTHER_TAG);
		break;
	case C_RFREE_NOTRES:
		MmFreeMappingAddress(mem->v, TAG);
		break;
	case C_RFREE_NULL:
		MmFreeMappingAddress(NULL, TAG);
		break;
	case C_RFREE_INTERIOR:
		MmFreeMappingAddress((PCHAR)c->res + PAGE_SIZE, TAG);
		break;
	case C_RFREE_TWICE:
		MmFreeMappingAddress(c->res, TAG);
		MmFreeMappingAddress(c->res, TAG);
		break;
	/* I/O space; r->arg selects the physical address and size */
	case C_IOMAP:
		switch (r->arg) {
		case 0: c->ret = MmMapIoSpace(pa(page_to_phys(mem->kp)), 0, MmCached); break;
		case 1: c->ret = MmMapIoSpace(pa(-4096LL), PAGE_SIZE, MmNonCached); break;
		case 2: c->ret = MmMapIoSpace(pa(page_to_phys(mem->kp)), ~(SIZE_T)0, MmNonCached); break;
		case 3: c->ret = MmMapIoSpace(pa(limit_pfn() << PAGE_SHIFT), PAGE_SIZE, MmNonCached); break;
		case 4: c->ret = MmMapIoSpace(pa((limit_pfn() << PAGE_SHIFT) - 16), 32, MmNonCached); break;
		case 5: c->ret = MmMapIoSpace(pa(page_to_phys(mem->kp)), PAGE_SIZE, MmMaximumCacheType); break;
		case 6: c->ret = MmMapIoSpace(pa(page_to_phys(mem->kp)), PAGE_SIZE, MmNonCached); break;
		case 7: c->ret = MmMapIoSpace(pa(page_to_phys(mem->kp)), PAGE_SIZE, MmWriteCombined); break;
		case 8: c->ret = MmMapIoSpace(pa(device_pfn() << PAGE_SHIFT), PAGE_SIZE, MmNonCached); break;
		case 9: c->ret = MmMapIoSpace(pa(1ULL << 62), PAGE_SIZE, MmNonCached); break;
		}
		break;
	case C_IOMAP_EX:
		c->ret = MmMapIoSpaceEx(pa(page_to_phys(mem->kp)), PAGE_SIZE, (ULONG)r->arg);
		break;
	case C_IOUNMAP:
		MmUnmapIoSpace(c->io, PAGE_SIZE);
		break;
	case C_IOUNMAP_SIZE:
		MmUnmapIoSpace(c->io, 2 * PAGE_SIZE);
		break;
	case C_IOUNMAP_ZERO:
		MmUnmapIoSpace(c->io, 0);
		break;
	case C_IOUNMAP_WRONG:
		MmUnmapIoSpace(mem->v, PAGE_SIZE);
		break;
	case C_IOUNMAP_TWICE:
		MmUnmapIoSpace(c->io, PAGE_SIZE);
		MmUnmapIoSpace(c->io, PAGE_SIZE);
		break;
	case C_IOUNMAP_ODD:
		MmUnmapIoSpace((PCHAR)c->io + 8, PAGE_SIZE - 8);
		break;
	case C_IOUNMAP_NULL:
		MmUnmapIoSpace(NULL, PAGE_SIZE);
		break;
	case C_GETPHYS:
		switch (r->arg) {
		case 0: c->ret = (PVOID)MmGetPhysicalAddress((PVOID)0x10000).QuadPart; break;
		case 1: c->ret = (PVOID)MmGetPhysicalAddress(mem->v + VPAGES * PAGE_SIZE).QuadPart; break;
		case 2: c->ret = (PVOID)MmGetPhysicalAddress(NULL).QuadPart; break;
		case 3: c->ret = (PVOID)MmGetPhysicalAddress((PVOID)0x8000000000000000UL).QuadPart; break;
		}
		break;
	case C_ISVALID:
		switch (r->arg) {
		case 0: c->ret_bool = MmIsAddressValid(NULL); break;
		case 1: c->ret_bool = MmIsAddressValid(mem->v + VPAGES * PAGE_SIZE); break;
		case 2: c->ret_bool = MmIsAddressValid((PVOID)0x8000000000000000UL); break;
		}
		break;
	/* contiguous memory and page allocation */
	case C_CFREE:
		MmFreeContiguousMemory(c->contig);
		break;
	case C_CFREE_TWICE:
		MmFreeContiguousMemory(c->contig);
		MmFreeContiguousMemory(c->contig);
		break;
	case C_CFREE_NULL:
		MmFreeContiguousMemory(NULL);
		break;
	case C_CFREE_INTERIOR:
		MmFreeContiguousMemory((PCHAR)c->contig + 64);
		break;
	case C_CFREE_POOL:
		MmFreeContiguousMemory(mem->k);
		break;
	case C_CALLOC:
		switch (r->arg) {
		case 0: c->ret = MmAllocateContiguousMemorySpecifyCache(0, pa(0), pa(~0ULL >> 1), pa(0), MmCached); break;
		case 1: c->ret = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(1 << 30), pa(1 << 20), pa(0), MmCached); break;
		case 2: c->ret = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(~0ULL >> 1), pa(12345), MmCached); break;
		case 3: c->ret = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(~0ULL >> 1), pa(0), (MEMORY_CACHING_TYPE)42); break;
		case 4: c->ret = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(~0ULL >> 1), pa(0), MmNonCached); break;
		case 5: c->ret = MmAllocateContiguousMemory(0, pa(~0ULL >> 1)); break;
		}
		break;
	case C_PAGESEX:
		switch (r->arg) {
		case 0: c->ret = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL >> 1), pa(0), PAGE_SIZE, MmCached, 0x80000000u); break;
		case 1: c->ret = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL >> 1), pa(0), PAGE_SIZE, (MEMORY_CACHING_TYPE)-3, 0); break;
		case 2: c->ret = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL >> 1), pa(0), 0, MmCached, 0); break;
		case 3: c->ret = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL >> 1), pa(100), PAGE_SIZE, MmCached, 0); break;
		case 4: c->ret = MmAllocatePagesForMdlEx(pa(1 << 30), pa(1 << 20), pa(0), PAGE_SIZE, MmCached, 0); break;
		case 5: c->ret = MmAllocatePagesForMdlEx(pa(0), pa(100), pa(0), PAGE_SIZE, MmCached, 0); break;
		case 6: c->ret = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL >> 1), pa(0), PAGE_SIZE, MmNonCached, 0); break;
		}
		break;
	/* user buffers */
	case C_PROBE_R:
	case C_PROBE_W: {
		bool w = r->call == C_PROBE_W;

		switch (r->arg) {
		case 0: c->raised = try_probe(w, mem->v, 16, 1); break;
		case 1: c->raised = try_probe(w, (PVOID)(mem->user + 1), 16, 4); break;
		case 2: c->raised = try_probe(w, (PVOID)mem->user, ~(SIZE_T)0, 1); break;
		case 3: c->raised = try_probe(w, (PVOID)(TASK_SIZE_MAX - 8), 16, 1); break;
		case 4: c->raised = try_probe(w, (PVOID)mem->user, 16, 3); break;
		case 5: c->raised = try_probe(w, NULL, 0, 1); break;
		case 6: c->raised = try_probe(w, (PVOID)-1L, 1, 1); break;
		case 7: c->raised = try_probe(w, (PVOID)0x1000, 16, 1); break;
		case 8: c->raised = try_probe(w, (PVOID)mem->user, 2 * PAGE_SIZE, 8); break;
		}
		break;
	}
	case C_ROUTINE_NULL:
		c->ret = MmGetSystemRoutineAddress(NULL);
		break;
	case C_ROUTINE_BOGUS: {
		static const WCHAR name[] = { 'M', 'm', 'N', 'o', 'p', 'e', 0 };
		UNICODE_STRING s;

		RtlInitUnicodeString(&s, name);
		c->ret = MmGetSystemRoutineAddress(&s);
		break;
	}
	case C_RTLINIT_NULL:
		RtlInitUnicodeString(NULL, NULL);
		break;
	}
}

static void call_in_context(struct hctx *c)
{
	unsigned long flags;

	switch (c->row->ctx) {
	case X_PASSIVE:
		do_call(c);
		break;
	case X_SPIN:
		spin_lock_irqsave(&hostile_lock, flags);
		do_call(c);
		spin_unlock_irqrestore(&hostile_lock, flags);
		break;
	case X_BH:
		local_bh_disable();
		do_call(c);
		local_bh_enable();
		break;
	case X_IRQOFF:
		local_irq_save(flags);
		do_call(c);
		local_irq_restore(flags);
		break;
	case X_PREEMPT:
		preempt_disable();
		do_call(c);
		preempt_enable();
		break;
	}
}

/* What the call made, or consumed, becomes part of the state teardown sees. */
static void account(struct hctx *c, const struct hcounts *before, ULONG reports)
{
	const struct hcase *r = c->row;
	struct hcounts now;

	counts(&now);
	switch (r->call) {
	case C_MAPK: case C_MAPK_RO: case C_MAPK_NC: case C_MAPK_BADCACHE: case C_MAPK_NEGCACHE:
	case C_MAPK_BADMODE: case C_MAPK_BUGCHECK: case C_MAPOLD:
		if (c->ret && c->mdl) {
			/* undone with the MDL as it was mapped */
			MmUnmapLockedPages(c->ret, c->mdl);
			c->ret = (PVOID)1;
		}
		break;
	case C_MAPU: case C_MAPU_RO: case C_MAPU_NOTRY: case C_MAPU_REQ_KERNEL: case C_MAPU_REQ_ODD: case C_MAPU_REQ_TOP:
	case C_MAPU_REQ_WRAP: case C_MAPU_BADCACHE:
		if (c->ret && c->mdl) {
			MmUnmapLockedPages(c->ret, c->mdl);
			c->ret = (PVOID)1;
		}
		break;
	case C_MAPRES: case C_MAPRES_WRONGTAG: case C_MAPRES_NOTRES: case C_MAPRES_NULLADDR:
	case C_MAPRES_BEYOND: case C_MAPRES_BADCACHE:
		if (c->ret && c->mdl) {
			MmUnmapReservedMapping(c->res, TAG, c->mdl);
			c->ret = (PVOID)1;
		}
		break;
	case C_UNMAPK: case C_UNMAPK_WRONG: case C_UNMAPK_MID: case C_UNMAPK_NULLVA: case C_UNMAPK_USER:
	case C_UNMAPK_OTHERMDL: case C_UNMAPK_TWICE: case C_UNMAPK_BASE: case C_UNMAPK_NULLMDL:
	case C_UNMAPK_MDLVA:
		/* a refused unmap is reported; the second of two is */
		if (c->sys && (!reports || r->call == C_UNMAPK_TWICE))
			c->sys = NULL;
		break;
	case C_UNMAPU: case C_UNMAPU_WRONG: case C_UNMAPU_OTHERMDL: case C_UNMAPU_TWICE:
	case C_UNMAPU_KERNELVA:
		if (now.user < before->user)
			c->uva = NULL;
		break;
	case C_UNMAPRES: case C_UNMAPRES_WRONGTAG: case C_UNMAPRES_NOTRES: case C_UNMAPRES_TWICE:
	case C_UNMAPRES_BIG: case C_UNMAPRES_SMALL: case C_UNMAPRES_NULL: case C_UNMAPRES_HUGE:
		if (c->res_mapped && (!reports || r->call == C_UNMAPRES_TWICE))
			c->res_mapped = false;
		break;
	case C_UNLOCK: case C_UNLOCK_TWICE:
		if (now.locked < before->locked) {
			/* unlocking drops every mapping of the MDL first */
			c->locked = false;
			c->sys = NULL;
			c->uva = NULL;
			c->res_mapped = false;
		}
		break;
	case C_FREE: case C_FREE_TWICE:
		if (now.mdls < before->mdls) {
			c->mdl = NULL;
			c->sys = NULL;
			c->res_mapped = false;
		}
		break;
	case C_LOCK: case C_LOCK_READ: case C_LOCK_UK: case C_LOCK_UK_RAISE: case C_LOCK_BADMODE:
	case C_LOCK_BADOP: case C_LOCK_USER:
		if (now.locked > before->locked && c->mdl && !c->locked) {
			/* locked unexpectedly: undone with the MDL as locked */
			MmUnlockPages(c->mdl);
		}
		break;
	case C_FREEPAGES: case C_FREEPAGES_TWICE:
		if (now.pages < before->pages && c->pages_mdl) {
			ExFreePool(c->pages_mdl);
			c->pages_mdl = NULL;
			c->mdl = NULL;
		}
		break;
	case C_PFREE: case C_PFREE_TWICE: case C_PFREE_WRONGTAG: case C_PFREE_TAG0: case C_PFREE_IN16:
	case C_PFREE_ODD8: case C_PFREE_TAGGED_TWICE: case C_PFREE_HIGHBIT: case C_PFREE_MDL:
		if (now.blocks < before->blocks) {
			if (c->row->setup == S_POOLMDL) {
				c->locked = false; /* released with the block */
				c->mdl = NULL;
			}
			c->pool = NULL;
			c->paged = NULL;
		}
		break;
	case C_PALLOC2: case C_PALLOC2_0: case C_PALLOC2_HUGE: case C_PALLOC2_MAX: case C_PALLOCWT:
	case C_PALLOCWT_0: case C_PALLOCWT_TAG0: case C_PALLOCWT_MAX:
		if (c->ret) {
			ExFreePool(c->ret);
			c->ret = (PVOID)1;
		}
		break;
	case C_RALLOC: case C_RALLOC_TAG0: case C_RALLOC_HUGE: case C_RALLOC_MAX:
		if (c->ret) {
			MmFreeMappingAddress(c->ret, TAG);
			c->ret = (PVOID)1;
		}
		break;
	case C_RFREE: case C_RFREE_WRONGTAG: case C_RFREE_NOTRES: case C_RFREE_NULL: case C_RFREE_INTERIOR:
	case C_RFREE_TWICE:
		if (now.reserved < before->reserved)
			c->res = NULL;
		break;
	case C_IOMAP: case C_IOMAP_EX:
		if (c->ret) {
			MmUnmapIoSpace(c->ret, r->call == C_IOMAP && r->arg == 4 ? 32 : PAGE_SIZE);
			c->ret = (PVOID)1;
		}
		break;
	case C_IOUNMAP: case C_IOUNMAP_SIZE: case C_IOUNMAP_ZERO: case C_IOUNMAP_WRONG:
	case C_IOUNMAP_TWICE: case C_IOUNMAP_ODD: case C_IOUNMAP_NULL:
		if (now.io < before->io)
			c->io = NULL;
		break;
	case C_CFREE: case C_CFREE_TWICE: case C_CFREE_NULL: case C_CFREE_INTERIOR: case C_CFREE_POOL:
		if (now.pages < before->pages)
			c->contig = NULL;
		break;
	case C_CALLOC:
		if (c->ret) {
			MmFreeContiguousMemory(c->ret);
			c->ret = (PVOID)1;
		}
		break;
	case C_PAGESEX:
		if (c->ret) {
			MmFreePagesFromMdl(c->ret);
			ExFreePool(c->ret);
			c->ret = (PVOID)1;
		}
		break;
	}
}

/* ---- the runner ------------------------------------------------------------- */

static void refcounts(struct hmem *mem, int *refs)
{
	unsigned int i;

	for (i = 0; i <= VPAGES; i++)
		refs[i] = mem->frames[i] ? page_ref_count(mem->frames[i]) : 0;
}

static void run_case(struct kunit *test, struct hmem *mem, const struct hcase *r)
{
	struct hctx *c = kzalloc(sizeof(*c), GFP_KERNEL);
	struct hcounts before, after, pre_call;
	MMSHIM_VERIFIER_REPORT last = {};
	int refs_before[VPAGES + 1], refs_after[VPAGES + 1];
	u8 stack_buf[64];
	ULONG seq0, seq1, seq2, call_reports = 0;
	ULONG_PTR want_p1;
	unsigned int i;

	hostile_cases_run++;
	if (!c) {
		KUNIT_FAIL(test, "%s: no memory for the case", r->name);
		return;
	}
	c->test = test;
	c->row = r;
	c->mem = mem;
	c->stack = stack_buf;
	refcounts(mem, refs_before);
	counts(&before);
	seq0 = seq_now();
	if (!setup(c)) {
		KUNIT_FAIL(test, "%s: setup %u failed", r->name, r->setup);
		goto cleanup;
	}
	KUNIT_EXPECT_EQ_MSG(test, seq_now(), seq0, "%s: the setup was reported", r->name);
	save(c);
	tamper(c);
	want_p1 = r->p1 == P1_MDL ? (ULONG_PTR)c->mdl : r->p1;
	counts(&pre_call);
	seq1 = seq_now();
	call_in_context(c);
	seq2 = seq_now();
	call_reports = seq2 - seq1;
	MmshimVerifierLastReport(&last);

	/* the report */
	if (r->code == NOREPORT) {
		KUNIT_EXPECT_EQ_MSG(test, seq2, seq1, "%s: unexpected report 0x%x (0x%lx) from %s", r->name,
				    last.BugCheckCode, (unsigned long)last.Parameters[0],
				    last.Routine ? last.Routine : "?");
	} else {
		KUNIT_EXPECT_EQ_MSG(test, seq2, seq1 + 1, "%s: expected exactly one report 0x%x (0x%lx)",
				    r->name, r->code, (unsigned long)want_p1);
		if (seq2 != seq1) {
			KUNIT_EXPECT_EQ_MSG(test, last.BugCheckCode, r->code, "%s: wrong bug-check code (%s)",
					    r->name, last.Routine ? last.Routine : "?");
			if (want_p1 != MMSHIM_ANY_PARAMETER)
				KUNIT_EXPECT_EQ_MSG(test, (unsigned long)last.Parameters[0],
						    (unsigned long)want_p1, "%s: wrong parameter 1 (%s)", r->name,
						    last.Routine ? last.Routine : "?");
		}
	}
	/* the outcome */
	switch (r->out) {
	case O_NULL:
		KUNIT_EXPECT_PTR_EQ_MSG(test, c->ret, NULL, "%s: expected NULL", r->name);
		break;
	case O_VALID:
		KUNIT_EXPECT_PTR_NE_MSG(test, c->ret, NULL, "%s: expected an address", r->name);
		break;
	case O_STATUS:
		KUNIT_EXPECT_EQ_MSG(test, (long)c->status, r->val, "%s: wrong NTSTATUS", r->name);
		break;
	case O_FALSE:
		KUNIT_EXPECT_FALSE_MSG(test, c->ret_bool, "%s: expected FALSE", r->name);
		KUNIT_EXPECT_PTR_EQ_MSG(test, c->ret, NULL, "%s: expected 0", r->name);
		break;
	}
	if (r->out == O_RAISE)
		KUNIT_EXPECT_EQ_MSG(test, (long)c->raised, r->val, "%s: wrong exception raised", r->name);
	else
		KUNIT_EXPECT_EQ_MSG(test, (long)c->raised, 0L, "%s: unexpected exception", r->name);

	/* undo what the call made, restore the MDL, tear down: all silent */
	seq1 = seq_now();
	account(c, &pre_call, call_reports);
	restore(c);
cleanup:
	teardown(c);
	seq2 = seq_now();
	if (seq2 != seq1) {
		MmshimVerifierLastReport(&last);
		KUNIT_EXPECT_EQ_MSG(test, seq2, seq1, "%s: cleanup was reported: 0x%x (0x%lx) from %s", r->name,
				    last.BugCheckCode, (unsigned long)last.Parameters[0],
				    last.Routine ? last.Routine : "?");
	}
	/* nothing leaked */
	counts(&after);
	KUNIT_EXPECT_EQ_MSG(test, after.blocks, before.blocks, "%s: pool blocks leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.bytes, before.bytes, "%s: pool bytes leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.mdls, before.mdls, "%s: MDLs leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.locked, before.locked, "%s: locks leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.mapped, before.mapped, "%s: system mappings leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.user, before.user, "%s: user mappings leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.reserved, before.reserved, "%s: reservations leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.io, before.io, "%s: I/O-space mappings leaked", r->name);
	KUNIT_EXPECT_EQ_MSG(test, after.pages, before.pages, "%s: allocated pages leaked", r->name);
	refcounts(mem, refs_after);
	for (i = 0; i <= VPAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, refs_after[i], refs_before[i], "%s: page reference of frame %u",
				    r->name, i);
	kfree(c);
}

static bool hmem_init(struct kunit *test, struct hmem *mem, bool user)
{
	unsigned int i;

	memset(mem, 0, sizeof(*mem));
	mem->v = vmalloc(VPAGES * PAGE_SIZE);
	mem->kp = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!mem->v || !mem->kp) {
		vfree(mem->v);
		if (mem->kp)
			__free_page(mem->kp);
		KUNIT_FAIL(test, "no scratch memory");
		return false;
	}
	mem->k = page_address(mem->kp);
	for (i = 0; i < VPAGES; i++)
		mem->frames[i] = vmalloc_to_page(mem->v + i * PAGE_SIZE);
	mem->frames[VPAGES] = mem->kp;
	if (user) {
		unsigned long a = vm_mmap(NULL, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
					  MAP_ANONYMOUS | MAP_PRIVATE, 0);

		mem->user = IS_ERR_VALUE(a) ? 0 : a;
	}
	return true;
}

static void hmem_exit(struct hmem *mem)
{
	if (mem->user)
		vm_munmap(mem->user, 4 * PAGE_SIZE);
	vfree(mem->v);
	__free_page(mem->kp);
}

static void run_table(struct kunit *test, const struct hcase *rows, size_t n, bool user)
{
	struct hmem mem;
	size_t i;

	if (user && !mmshim_user_attach(test, hostile_mm))
		return;
	if (hmem_init(test, &mem, user)) {
		for (i = 0; i < n; i++)
			run_case(test, &mem, &rows[i]);
		hmem_exit(&mem);
	}
	if (user)
		mmshim_user_detach();
}

#include "hostile_cases.h"

static void hostile_mdl_fields(struct kunit *test)
{
	run_table(test, mdl_rows, ARRAY_SIZE(mdl_rows), false);
}

static void hostile_releases(struct kunit *test)
{
	run_table(test, release_rows, ARRAY_SIZE(release_rows), false);
}

static void hostile_arguments(struct kunit *test)
{
	run_table(test, argument_rows, ARRAY_SIZE(argument_rows), false);
}

static void hostile_context(struct kunit *test)
{
	run_table(test, context_rows, ARRAY_SIZE(context_rows), false);
}

static void hostile_user(struct kunit *test)
{
	run_table(test, user_rows, ARRAY_SIZE(user_rows), true);
}

/* Runs last: how many cases ran. */
static void hostile_count(struct kunit *test)
{
	kunit_info(test, "hostile: %u cases\n", hostile_cases_run);
	KUNIT_EXPECT_GE(test, hostile_cases_run, 200U);
}

static int hostile_suite_init(struct kunit_suite *suite)
{
	hostile_cases_run = 0;
	hostile_mm = mmshim_user_mm_get();
	return 0;
}

static void hostile_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&hostile_mm);
}

static struct kunit_case hostile_cases[] = {
	KUNIT_CASE(hostile_mdl_fields),
	KUNIT_CASE(hostile_releases),
	KUNIT_CASE(hostile_arguments),
	KUNIT_CASE(hostile_context),
	KUNIT_CASE(hostile_user),
	KUNIT_CASE(hostile_count),
	{}
};

static struct kunit_suite hostile_suite = {
	.name = "mmshim_hostile",
	MMSHIM_SUITE_HOOKS(hostile_suite)
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = hostile_cases,
};
mmshim_kunit_suite_with_hooks(hostile_suite);
