// SPDX-License-Identifier: GPL-2.0
/*
 * mmextra_test.c - KUnit suite "mmshim_mmextra": MmAllocateNonCachedMemory
 * (the mapping's and the linear map's page-table entries uncached, read with
 * pte_cache() independently of mmshim), MmFreeNonCachedMemory's checks,
 * MmProtectMdlSystemAddress read back from the page tables (present and
 * write bits of every entry; a read-only or no-access entry is looked at,
 * never written through), unmapping restores the entries so a reused
 * address is writable again, at PASSIVE_LEVEL and under a spinlock (the VA
 * pool), and the paging no-ops.
 */
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include <linux/spinlock.h>
#include <asm/pgtable.h>
#include "mmshim_kunit.h"

#define MX_PAGES 4

/* The kernel page-table entry mapping @va: 1 present, 0 not, -1 none. */
static int mx_present(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	if (!pte || pte_none(*pte))
		return -1;
	return mmshim_kpte_valid(*pte);
}

static int mx_writable(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	return pte && mmshim_kpte_valid(*pte) && pte_write(*pte);
}

static int mx_nx(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	return pte && mmshim_kpte_nx(*pte);
}

static unsigned long mx_pfn(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	return pte ? pte_pfn(*pte) : 0;
}

static struct page *mx_page_of(const void *va)
{
	return is_vmalloc_addr(va) ? vmalloc_to_page(va) : virt_to_page(va);
}

/* MX_PAGES pages, no two neighbours physically adjacent (so a mapping of
 * them needs page-table entries of its own), in an MDL built by hand as a
 * locked one would be, and MmBuildMdlForNonPagedPool's flag left off. */
struct mx_fixture {
	struct page *pages[MX_PAGES];
	PMDL mdl;
};

static void mx_fixture_init(struct kunit *test, struct mx_fixture *f)
{
	struct page *spare[16];
	int p, nspare = 0, s;

	f->mdl = IoAllocateMdl(NULL, MX_PAGES * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, f->mdl);
	for (p = 0; p < MX_PAGES; p++) {
		struct page *pg = alloc_page(GFP_KERNEL | __GFP_ZERO);

		while (pg && p > 0 && nspare < 16 &&
		       (page_to_pfn(pg) == page_to_pfn(f->pages[p - 1]) + 1 ||
			page_to_pfn(pg) + 1 == page_to_pfn(f->pages[p - 1]))) {
			spare[nspare++] = pg;
			pg = alloc_page(GFP_KERNEL | __GFP_ZERO);
		}
		KUNIT_ASSERT_NOT_NULL(test, pg);
		f->pages[p] = pg;
		MmGetMdlPfnArray(f->mdl)[p] = page_to_pfn(pg);
	}
	for (s = 0; s < nspare; s++)
		__free_page(spare[s]);
	for (p = 1; p < MX_PAGES; p++)
		KUNIT_ASSERT_NE(test, page_to_pfn(f->pages[p]), page_to_pfn(f->pages[p - 1]) + 1);
	/* As MmAllocatePagesForMdl describes pages: locked, no StartVa. */
	f->mdl->MdlFlags |= MDL_PAGES_LOCKED;
}

static void mx_fixture_exit(struct mx_fixture *f)
{
	int p;

	f->mdl->MdlFlags &= ~MDL_PAGES_LOCKED;
	IoFreeMdl(f->mdl);
	for (p = 0; p < MX_PAGES; p++)
		__free_page(f->pages[p]);
}

static u8 mx_byte(const struct mx_fixture *f, int page)
{
	return ((u8 *)page_address(f->pages[page]))[17];
}

static void noncached_memory_is_uncached_everywhere(struct kunit *test)
{
	const SIZE_T bytes = 5 * PAGE_SIZE - 3;
	SIZE_T before = MmshimAllocatedPageCount();
	u8 *va;
	int i;

	EXPECT_NO_REPORT(test, va = MmAllocateNonCachedMemory(bytes));
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_EQ(test, (unsigned long)va & (PAGE_SIZE - 1), 0UL);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), before + 5);
	for (i = 0; i < 5; i++) {
		struct page *pg = mx_page_of(va + i * PAGE_SIZE);

		KUNIT_EXPECT_EQ_MSG(test, pte_cache(va + i * PAGE_SIZE), 1, "page %d of the mapping", i);
		KUNIT_EXPECT_EQ_MSG(test, pte_cache(page_address(pg)), 1, "linear alias of page %d", i);
#ifdef CONFIG_ARM64
		/* Uncached RAM is Normal non-cacheable in both (never Device,
		 * never a cacheable linear alias). */
		KUNIT_EXPECT_EQ(test, pte_attr(va + i * PAGE_SIZE), MT_NORMAL_NC);
		KUNIT_EXPECT_EQ(test, pte_attr(page_address(pg)), MT_NORMAL_NC);
#endif
		KUNIT_EXPECT_EQ(test, va[i * PAGE_SIZE + 5], 0); /* zeroed */
		va[i * PAGE_SIZE + 5] = (u8)(0x60 + i);
		KUNIT_EXPECT_EQ(test, ((u8 *)page_address(pg))[5], (u8)(0x60 + i));
	}
	/* A wrong size or address: reported, nothing freed, still uncached. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NONCACHED_SIZE_MISMATCH,
		      MmFreeNonCachedMemory(va, 5 * PAGE_SIZE));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NONCACHED_NOT_ALLOCATED,
		      MmFreeNonCachedMemory(va + PAGE_SIZE, bytes));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), before + 5);
	KUNIT_EXPECT_EQ(test, pte_cache(va + 4 * PAGE_SIZE), 1);
	KUNIT_EXPECT_EQ(test, va[4 * PAGE_SIZE + 5], (u8)0x64);
	EXPECT_NO_REPORT(test, MmFreeNonCachedMemory(va, bytes));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), before);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NONCACHED_NOT_ALLOCATED,
		      MmFreeNonCachedMemory(va, bytes));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      KUNIT_EXPECT_NULL(test, MmAllocateNonCachedMemory(0)));
}

/* Under a spinlock: refused (set_memory_uc sleeps), reported. */
static void noncached_memory_needs_passive_level(struct kunit *test)
{
	static DEFINE_SPINLOCK(lock);
	void *va = (void *)1;

	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, {
		spin_lock(&lock);
		va = MmAllocateNonCachedMemory(PAGE_SIZE);
		spin_unlock(&lock);
	});
	KUNIT_EXPECT_NULL(test, va);
}

static void mx_expect_entries(struct kunit *test, const u8 *va, int present, int writable)
{
	int i;

	for (i = 0; i < MX_PAGES; i++) {
		KUNIT_EXPECT_EQ_MSG(test, mx_present(va + i * PAGE_SIZE), present, "page %d", i);
		KUNIT_EXPECT_EQ_MSG(test, mx_writable(va + i * PAGE_SIZE), writable, "page %d", i);
		KUNIT_EXPECT_TRUE_MSG(test, mx_nx(va + i * PAGE_SIZE), "page %d executable", i);
	}
}

static void protect_changes_the_page_tables(struct kunit *test)
{
	struct mx_fixture f;
	u8 *va, *base;
	int round, i;

	mx_fixture_init(test, &f);
	EXPECT_NO_REPORT(test, va = MmGetSystemAddressForMdlSafe(f.mdl, NormalPagePriority));
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(va)); /* a mapping of its own */
	mx_expect_entries(test, va, 1, 1);

	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(f.mdl, PAGE_READONLY),
					       STATUS_SUCCESS));
	mx_expect_entries(test, va, 1, 0);
	KUNIT_EXPECT_EQ(test, va[PAGE_SIZE + 17], 0); /* still readable */
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(f.mdl, PAGE_NOACCESS),
					       STATUS_SUCCESS));
	mx_expect_entries(test, va, 0, 0);
	/* The entries still name the MDL's frames. */
	for (i = 0; i < MX_PAGES; i++)
		KUNIT_EXPECT_EQ(test, mx_pfn(va + i * PAGE_SIZE), page_to_pfn(f.pages[i]));
	/* PAGE_EXECUTE*: refused, nothing changes. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_EXECUTE,
		      KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(f.mdl, PAGE_EXECUTE_READWRITE),
				      STATUS_INVALID_PAGE_PROTECTION));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_INVALID,
		      KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(f.mdl, PAGE_READWRITE | PAGE_NOCACHE),
				      STATUS_INVALID_PAGE_PROTECTION));
	mx_expect_entries(test, va, 0, 0);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(f.mdl, PAGE_READWRITE),
					       STATUS_SUCCESS));
	mx_expect_entries(test, va, 1, 1);
	va[2 * PAGE_SIZE + 17] = 0x5a;
	KUNIT_EXPECT_EQ(test, mx_byte(&f, 2), (u8)0x5a);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_EXECUTE,
		      KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(f.mdl, PAGE_EXECUTE),
				      STATUS_INVALID_PAGE_PROTECTION));
	mx_expect_entries(test, va, 1, 1);

	/* Left read-only (or inaccessible) at unmap: the entries are torn down,
	 * and every later mapping, at a reused address or not, is writable. */
	base = va;
	for (round = 0; round < 64; round++) {
		EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test,
						       MmProtectMdlSystemAddress(f.mdl, (round & 1) ?
											PAGE_NOACCESS :
											PAGE_READONLY),
						       STATUS_SUCCESS));
		MmUnmapLockedPages(va, f.mdl);
		va = MmGetSystemAddressForMdlSafe(f.mdl, NormalPagePriority);
		KUNIT_ASSERT_NOT_NULL(test, va);
		mx_expect_entries(test, va, 1, 1);
		va[3 * PAGE_SIZE + 17] = (u8)round;
		KUNIT_EXPECT_EQ(test, mx_byte(&f, 3), (u8)round);
	}
	kunit_info(test, "first address %px, last %px", base, va);
	MmUnmapLockedPages(va, f.mdl);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	mx_fixture_exit(&f);
}

/* Under a spinlock the mapping comes from the VA pool: protected the same
 * way, TLBs flushed synchronously, and pool pages come back writable. */
static void protect_under_a_spinlock(struct kunit *test)
{
	static DEFINE_SPINLOCK(lock);
	struct mx_fixture f;
	int round, present_ro = 0, writable_ro = 1, present_na = 1, writable_again = 1;
	NTSTATUS st1 = 0, st2 = 0;
	u8 *va;

	mx_fixture_init(test, &f);
	for (round = 0; round < 32; round++) {
		spin_lock(&lock);
		va = MmGetSystemAddressForMdlSafe(f.mdl, NormalPagePriority);
		if (va) {
			writable_again &= mx_writable(va) && mx_writable(va + 3 * PAGE_SIZE);
			st1 |= MmProtectMdlSystemAddress(f.mdl, PAGE_READONLY);
			present_ro = mx_present(va);
			writable_ro &= mx_writable(va + PAGE_SIZE);
			st2 |= MmProtectMdlSystemAddress(f.mdl, PAGE_NOACCESS);
			present_na &= mx_present(va + 2 * PAGE_SIZE);
			MmUnmapLockedPages(va, f.mdl);
		}
		spin_unlock(&lock);
		KUNIT_ASSERT_NOT_NULL(test, va);
	}
	KUNIT_EXPECT_EQ(test, st1, STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, st2, STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, present_ro, 1);
	KUNIT_EXPECT_EQ(test, writable_ro, 0);
	KUNIT_EXPECT_EQ(test, present_na, 0);
	KUNIT_EXPECT_EQ(test, writable_again, 1);
	mx_fixture_exit(&f);
}

static void protect_refuses_what_it_cannot_change(struct kunit *test)
{
	struct mx_fixture f;
	struct page *two;
	PMDL m;
	u8 *va;

	mx_fixture_init(test, &f);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_NOT_MAPPED,
		      KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(f.mdl, PAGE_READONLY),
				      STATUS_NOT_MAPPED_VIEW));
	mx_fixture_exit(&f);

	/* Physically contiguous RAM is mapped through the linear map. */
	two = alloc_pages(GFP_KERNEL | __GFP_ZERO, 1);
	KUNIT_ASSERT_NOT_NULL(test, two);
	m = locked_mdl(test, page_address(two), 2 * PAGE_SIZE);
	va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	KUNIT_ASSERT_PTR_EQ(test, (void *)va, page_address(two));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_LINEAR_MAP,
		      KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(m, PAGE_READONLY),
				      STATUS_NOT_SUPPORTED));
	KUNIT_EXPECT_TRUE(test, mx_writable(va)); /* the linear map is untouched */
	MmUnmapLockedPages(va, m);
	/* Mapped with MdlMappingNoWrite it has a mapping of its own. */
	va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoWrite);
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_TRUE(test, is_vmalloc_addr(va));
	KUNIT_EXPECT_FALSE(test, mx_writable(va));
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(m, PAGE_READWRITE),
					       STATUS_SUCCESS));
	KUNIT_EXPECT_TRUE(test, mx_writable(va));
	KUNIT_EXPECT_TRUE(test, mx_writable(va + PAGE_SIZE));
	va[PAGE_SIZE + 1] = 0x77;
	KUNIT_EXPECT_EQ(test, ((u8 *)page_address(two))[PAGE_SIZE + 1], (u8)0x77);
	MmUnmapLockedPages(va, m);
	release_mdl(m);
	/* The linear map of the pages is still writable. */
	KUNIT_EXPECT_TRUE(test, mx_writable(page_address(two)));
	__free_pages(two, 1);

	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(NULL, PAGE_READONLY),
				      STATUS_INVALID_PARAMETER_1));
}

/* The zero page's frame (read-only for everyone) is mapped read-only and
 * stays so. */
static void protect_keeps_owner_read_only_frames(struct kunit *test)
{
	PMDL m = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, NULL);
	u8 *va;

	KUNIT_ASSERT_NOT_NULL(test, m);
	MmGetMdlPfnArray(m)[0] = page_to_pfn(ZERO_PAGE(0));
	m->MdlFlags |= MDL_PAGES_LOCKED;
	va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, va);
	KUNIT_EXPECT_FALSE(test, mx_writable(va));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_OWNER_READ_ONLY,
		      KUNIT_EXPECT_EQ(test, MmProtectMdlSystemAddress(m, PAGE_READWRITE),
				      STATUS_INVALID_PAGE_PROTECTION));
	KUNIT_EXPECT_FALSE(test, mx_writable(va));
	KUNIT_EXPECT_EQ(test, mx_present(va), 1);
	MmUnmapLockedPages(va, m);
	m->MdlFlags &= ~MDL_PAGES_LOCKED;
	IoFreeMdl(m);
}

/* MmAdvanceMdl on a locked, mapped vmalloc buffer: the PFN array, the
 * virtual address and MappedSystemVa all move to the same byte. */
static void advance_mdl_moves_everything_together(struct kunit *test)
{
	u8 *buf = vmalloc(3 * PAGE_SIZE);
	PMDL m;
	u8 *va;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < 3 * PAGE_SIZE; i++)
		buf[i] = (u8)(i * 7 + i / PAGE_SIZE);
	m = locked_mdl(test, buf + 0x40, 3 * PAGE_SIZE - 0x80);
	EXPECT_NO_REPORT(test, va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority));
	KUNIT_ASSERT_NOT_NULL(test, va);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmAdvanceMdl(m, 0x20), STATUS_SUCCESS));
	KUNIT_EXPECT_PTR_EQ(test, MmGetMdlVirtualAddress(m), (PVOID)(buf + 0x60));
	KUNIT_EXPECT_EQ(test, *(u8 *)m->MappedSystemVa, buf[0x60]);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmAdvanceMdl(m, PAGE_SIZE + 5), STATUS_SUCCESS));
	KUNIT_EXPECT_PTR_EQ(test, MmGetMdlVirtualAddress(m), (PVOID)(buf + PAGE_SIZE + 0x65));
	KUNIT_EXPECT_PTR_EQ(test, m->StartVa, (PVOID)(buf + PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, m->ByteOffset, 0x65U);
	KUNIT_EXPECT_EQ(test, m->ByteCount, (ULONG)(3 * PAGE_SIZE - 0x80 - 0x25 - PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, (unsigned long)MmGetMdlPfnArray(m)[0], vmalloc_to_pfn(buf + PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, (unsigned long)MmGetMdlPfnArray(m)[1], vmalloc_to_pfn(buf + 2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, *(u8 *)m->MappedSystemVa, buf[PAGE_SIZE + 0x65]);
	KUNIT_EXPECT_EQ(test, MmAdvanceMdl(m, m->ByteCount), STATUS_INVALID_PARAMETER_2);
	/* Unmapped with the moved MappedSystemVa, unlocked: no report, nothing left. */
	EXPECT_NO_REPORT(test, MmUnmapLockedPages(m->MappedSystemVa, m));
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	EXPECT_NO_REPORT(test, release_mdl(m));
	vfree(buf);
}

static void mx_function(void)
{
}

static void paging_routines_are_no_ops(struct kunit *test)
{
	static int data;
	PVOID h;
	unsigned long long mib = (unsigned long long)totalram_pages() >> (20 - PAGE_SHIFT);
	MM_SYSTEMSIZE want = mib < 128 ? MmSmallSystem : mib < 512 ? MmMediumSystem : MmLargeSystem;

	EXPECT_NO_REPORT(test, h = MmLockPagableCodeSection((PVOID)mx_function));
	KUNIT_EXPECT_PTR_EQ(test, h, (PVOID)mx_function);
	EXPECT_NO_REPORT(test, {
		MmLockPagableSectionByHandle(h);
		MmUnlockPagableImageSection(h);
		MmUnlockPagableImageSection(h);
	});
	EXPECT_NO_REPORT(test, h = MmLockPagableDataSection(&data));
	KUNIT_EXPECT_PTR_EQ(test, h, (PVOID)&data);
	MmUnlockPagableImageSection(h);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_PTR_EQ(test, MmPageEntireDriver((PVOID)mx_function),
						   (PVOID)mx_function));
	EXPECT_NO_REPORT(test, MmResetDriverPaging((PVOID)mx_function));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGING_BAD_HANDLE,
		      KUNIT_EXPECT_NULL(test, MmLockPagableDataSection(NULL)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGING_BAD_HANDLE,
		      MmUnlockPagableImageSection(NULL));

	KUNIT_EXPECT_EQ(test, MmQuerySystemSize(), want);
	kunit_info(test, "%llu MiB of RAM: MmQuerySystemSize %d", mib, (int)MmQuerySystemSize());
	KUNIT_EXPECT_EQ(test, MmIsThisAnNtAsSystem(), (BOOLEAN)FALSE);
	KUNIT_EXPECT_EQ(test, MmIsDriverVerifyingByAddress((PVOID)mx_function), 1U);
	KUNIT_EXPECT_EQ(test, MmIsDriverVerifyingByAddress(NULL), 0U);
	KUNIT_EXPECT_EQ(test, (unsigned long)COMPUTE_PAGES_SPANNED((PVOID)0x1ff0, 0x20), 2UL);
	KUNIT_EXPECT_PTR_EQ(test, (void *)MmGetProcedureAddress((PVOID)mx_function), (void *)mx_function);
}

static struct kunit_case mmextra_cases[] = {
	KUNIT_CASE(noncached_memory_is_uncached_everywhere),
	KUNIT_CASE(noncached_memory_needs_passive_level),
	KUNIT_CASE(protect_changes_the_page_tables),
	KUNIT_CASE(protect_under_a_spinlock),
	KUNIT_CASE(protect_refuses_what_it_cannot_change),
	KUNIT_CASE(protect_keeps_owner_read_only_frames),
	KUNIT_CASE(advance_mdl_moves_everything_together),
	KUNIT_CASE(paging_routines_are_no_ops),
	{}
};

static struct kunit_suite mmextra_suite = {
	.name = "mmshim_mmextra",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = mmextra_cases,
};
kunit_test_suite(mmextra_suite);
