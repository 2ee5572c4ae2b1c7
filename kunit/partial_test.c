// SPDX-License-Identifier: GPL-2.0
/*
 * partial_test.c - KUnit suite "mmshim_partial" (issue 10 items 4, 7, 9):
 * a partial MDL (IoBuildPartialMdl) is only mapped while its source still
 * holds the frames; a partial still mapped (system, reserved, user) when
 * the source is unlocked loses that mapping before the frames go back;
 * IoBuildPartialMdl reads no PFN entry past the source's real storage
 * (KASAN would report it); an MDL embedded in a pool block freed with
 * ExFreePool is released on the spot.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/kthread.h>
#include "mmshim_kunit.h"

#define PTAG 'traP'

static struct mm_struct *partial_test_mm;

static int partial_suite_init(struct kunit_suite *suite)
{
	partial_test_mm = mmshim_user_mm_get();
	return 0;
}

static void partial_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&partial_test_mm);
}

/* Run @stmt and expect one report @p1 among others (a cascade). */
#define EXPECT_REPORT_AMONG(test, p1, stmt)                                                   \
	do {                                                                                  \
		ULONG __n = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, (p1)); \
		stmt;                                                                         \
		KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, (p1)), \
				__n + 1);                                                     \
	} while (0)

static PVOID map_sys(PMDL m)
{
	return MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
}

/* UserMode map in __try; *status gets the raised status. */
static noinline PVOID map_user(PMDL mdl, NTSTATUS *status)
{
	volatile NTSTATUS s = STATUS_SUCCESS;
	PVOID volatile va = NULL;

	__try {
		va = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	*status = s;
	return va;
}

/* A partial MDL (from IoAllocateMdl) of [va, va + len) of @src. */
static PMDL partial_of(struct kunit *test, PMDL src, u8 *va, ULONG len)
{
	PMDL p = IoAllocateMdl(va, len, FALSE, FALSE, NULL);

	KUNIT_ASSERT_NOT_NULL(test, p);
	IoBuildPartialMdl(src, p, va, len);
	KUNIT_ASSERT_TRUE(test, p->MdlFlags & MDL_PARTIAL);
	return p;
}

/*
 * The case: the source is unlocked and its frames are freed and
 * reused; no kind of mapping of the partial reaches them.
 */
static void partial_of_unlocked_source_is_not_mapped(struct kunit *test)
{
	u8 *v = vmalloc(4 * PAGE_SIZE);
	PVOID base = MmAllocateMappingAddress(4 * PAGE_SIZE, PTAG);
	NTSTATUS st;
	PMDL src, part;

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, base);
	src = locked_mdl(test, v, 4 * PAGE_SIZE);
	part = partial_of(test, src, v + PAGE_SIZE, 2 * PAGE_SIZE);
	/* While the source is locked, the partial maps its pages. */
	KUNIT_EXPECT_NOT_NULL(test, map_sys(part));
	MmPrepareMdlForReuse(part);
	EXPECT_NO_REPORT(test, MmUnlockPages(src));
	vfree(v); /* the frames go back to the page allocator */

	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      KUNIT_EXPECT_NULL(test, map_sys(part)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesWithReservedMapping(base, PTAG, part, MmCached)));
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	if (partial_test_mm) {
		mmshim_user_attach(test, partial_test_mm);
		EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
			      KUNIT_EXPECT_NULL(test, map_user(part, &st)));
		KUNIT_EXPECT_EQ(test, st, STATUS_ACCESS_VIOLATION);
		KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
		mmshim_user_detach();
	}
	MmFreeMappingAddress(base, PTAG);
	IoFreeMdl(part);
	IoFreeMdl(src);
}

/* Re-locking the source does not revive a partial built before. */
static void partial_relocked_source_needs_a_rebuild(struct kunit *test)
{
	u8 *v = vmalloc(2 * PAGE_SIZE);
	PMDL src, part;

	KUNIT_ASSERT_NOT_NULL(test, v);
	src = locked_mdl(test, v, 2 * PAGE_SIZE);
	part = partial_of(test, src, v, PAGE_SIZE);
	MmUnlockPages(src);
	MmProbeAndLockPages(src, KernelMode, IoWriteAccess);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      KUNIT_EXPECT_NULL(test, map_sys(part)));
	IoBuildPartialMdl(src, part, v, PAGE_SIZE);
	KUNIT_EXPECT_NOT_NULL(test, map_sys(part));
	MmPrepareMdlForReuse(part);
	IoFreeMdl(part);
	release_mdl(src);
	vfree(v);
}

/* Still mapped when the source is unlocked: unmapped first, reported. */
static void partial_mappings_are_revoked_at_unlock(struct kunit *test)
{
	u8 *v = vmalloc(4 * PAGE_SIZE);
	PVOID base = MmAllocateMappingAddress(4 * PAGE_SIZE, PTAG);
	PMDL src, part;
	u8 *sys;

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, base);
	/* System mapping: read-only, so a real mapping (vmalloc frames may
	 * happen to be contiguous, and the linear map has nothing to revoke). */
	src = locked_mdl(test, v, 4 * PAGE_SIZE);
	part = partial_of(test, src, v + PAGE_SIZE, 2 * PAGE_SIZE);
	sys = MmMapLockedPagesSpecifyCache(part, KernelMode, MmCached, NULL, FALSE,
					   NormalPagePriority | MdlMappingNoWrite);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	v[PAGE_SIZE + 5] = 0x5a;
	KUNIT_EXPECT_EQ(test, sys[5], 0x5a);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 1UL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE,
		      MmUnlockPages(src));
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	KUNIT_EXPECT_FALSE(test, part->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);

	/* Reserved mapping. */
	MmProbeAndLockPages(src, KernelMode, IoWriteAccess);
	IoBuildPartialMdl(src, part, v + PAGE_SIZE, 2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, MmMapLockedPagesWithReservedMapping(base, PTAG, part, MmCached));
	/* The partial's report, then the reservation's own. */
	EXPECT_REPORT_AMONG(test, MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE,
			    EXPECT_REPORT_AMONG(test, MMSHIM_VRF_MDL_IN_RESERVATION, MmUnlockPages(src)));
	/* The reservation is empty again: it can be freed. */
	EXPECT_NO_REPORT(test, MmFreeMappingAddress(base, PTAG));
	IoFreeMdl(part);
	IoFreeMdl(src);
	vfree(v);
}

/* A user mapping of a partial holds page references and is revoked. */
static void partial_user_mapping_is_revoked_at_unlock(struct kunit *test)
{
	struct page *pg;
	NTSTATUS st;
	PMDL src, part;
	u8 *kva, *uva;
	u8 c = 0;

	if (!partial_test_mm) {
		kunit_skip(test, "the test module was not loaded by a user process");
		return;
	}
	pg = alloc_pages(GFP_KERNEL | __GFP_ZERO | __GFP_COMP, 1);
	KUNIT_ASSERT_NOT_NULL(test, pg);
	kva = page_address(pg);
	kva[PAGE_SIZE + 3] = 0x42;
	src = locked_mdl(test, kva, 2 * PAGE_SIZE);
	part = partial_of(test, src, kva + PAGE_SIZE, PAGE_SIZE);
	mmshim_user_attach(test, partial_test_mm);
	uva = map_user(part, &st);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_NOT_NULL(test, uva);
	KUNIT_EXPECT_EQ(test, copy_from_user(&c, uva + 3, 1), 0UL);
	KUNIT_EXPECT_EQ(test, c, 0x42);
	/* The partial's report, then the live user mapping's own. */
	EXPECT_REPORT_AMONG(test, MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE,
			    EXPECT_REPORT_AMONG(test, MMSHIM_VRF_USER_MAPPING_LIVE, MmUnlockPages(src)));
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	/* The process can no longer reach the pages. */
	KUNIT_EXPECT_NE(test, copy_from_user(&c, uva + 3, 1), 0UL);
	vm_munmap((unsigned long)uva, PAGE_SIZE);
	mmshim_user_detach();
	IoFreeMdl(part);
	IoFreeMdl(src);
	__free_pages(pg, 1);
}

/*
 * Item 7: the source's fields claim more pages than its storage holds.
 * Before the fix IoBuildPartialMdl read past the pool block (KASAN
 * slab-out-of-bounds); now it refuses.
 */
static void partial_source_storage_bounds_the_copy(struct kunit *test)
{
	u8 *buf = kmalloc(8 * PAGE_SIZE, GFP_KERNEL);
	SIZE_T size;
	PMDL src, part;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	size = MmSizeOfMdl(buf, 2 * PAGE_SIZE);
	src = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, PTAG);
	KUNIT_ASSERT_NOT_NULL(test, src);
	MmInitializeMdl(src, buf, 2 * PAGE_SIZE);
	MmProbeAndLockPages(src, KernelMode, IoWriteAccess);
	KUNIT_ASSERT_TRUE(test, src->MdlFlags & MDL_PAGES_LOCKED);
	src->ByteCount = 8 * PAGE_SIZE;
	src->Size = (CSHORT)(sizeof(MDL) + 8 * sizeof(PFN_NUMBER));
	part = IoAllocateMdl(buf, 8 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_TOO_SMALL,
		      IoBuildPartialMdl(src, part, buf + 5 * PAGE_SIZE, 3 * PAGE_SIZE));
	KUNIT_EXPECT_FALSE(test, part->MdlFlags & MDL_PARTIAL);
	/* Mapping the rewritten source reads no entry past its block either. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesSpecifyCache(src, KernelMode, MmCached, NULL,
									    FALSE, NormalPagePriority |
									    MdlMappingNoWrite)));
	src->ByteCount = 2 * PAGE_SIZE;
	IoFreeMdl(part);
	MmUnlockPages(src);
	ExFreePool(src);
	kfree(buf);
}

struct embedding {
	u64 head[3]; /* the MDL at offset 24 */
	MDL mdl;
	PFN_NUMBER pfns[4];
	u64 tail;
};

/* Item 9: an MDL inside a driver's context structure, freed with it. */
static void partial_embedded_mdl_freed_with_its_block(struct kunit *test)
{
	u8 *v = vmalloc(3 * PAGE_SIZE);
	SIZE_T locked = MmshimLockedMdlCount(), mapped = MmshimMappedMdlCount();
	struct embedding *ctx;
	int round;

	KUNIT_ASSERT_NOT_NULL(test, v);
	for (round = 0; round < 2; round++) {
		ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(*ctx), PTAG);
		KUNIT_ASSERT_NOT_NULL(test, ctx);
		MmInitializeMdl(&ctx->mdl, v, 3 * PAGE_SIZE);
		MmProbeAndLockPages(&ctx->mdl, KernelMode, IoWriteAccess);
		KUNIT_ASSERT_TRUE(test, ctx->mdl.MdlFlags & MDL_PAGES_LOCKED);
		KUNIT_ASSERT_NOT_NULL(test, map_sys(&ctx->mdl));
		EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE,
			      ExFreePool(ctx));
		/* Unlocked, unmapped, the page references dropped: nothing left
		 * for the next MDL at that address (round 2 may well get it). */
		KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), locked);
		KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), mapped);
	}
	vfree(v);
}

static struct kunit_case partial_cases[] = {
	KUNIT_CASE(partial_of_unlocked_source_is_not_mapped),
	KUNIT_CASE(partial_relocked_source_needs_a_rebuild),
	KUNIT_CASE(partial_mappings_are_revoked_at_unlock),
	KUNIT_CASE(partial_user_mapping_is_revoked_at_unlock),
	KUNIT_CASE(partial_source_storage_bounds_the_copy),
	KUNIT_CASE(partial_embedded_mdl_freed_with_its_block),
	{}
};

static struct kunit_suite partial_suite = {
	.name = "mmshim_partial",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	MMSHIM_SUITE_HOOKS(partial_suite)
	.test_cases = partial_cases,
};
mmshim_kunit_suite_with_hooks(partial_suite);
