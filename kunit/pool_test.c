// SPDX-License-Identifier: GPL-2.0
/*
 * pool_test.c - KUnit suite "mmshim_pool": ExAllocatePool2,
 * ExAllocatePoolWithTag, ExFreePoolWithTag and ExFreePool, including wrong
 * tags, double and wild frees, and calls with a spinlock held.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include "mmshim_kunit.h"

#define TAG 'tseT'
#define OTHER_TAG 'rhtO'

static void pool2_nonpaged_zeroed(struct kunit *test)
{
	struct mmshim_usage *before = test->priv;
	SIZE_T blocks, bytes;
	u8 *p;

	EXPECT_NO_REPORT(test, p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 1000, TAG));
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (unsigned long)p % MEMORY_ALLOCATION_ALIGNMENT, 0UL);
	KUNIT_EXPECT_TRUE(test, all_zero(p, 1000));
	memset(p, 0xab, 1000);
	MmshimPoolUsage(&blocks, &bytes);
	KUNIT_EXPECT_EQ(test, blocks, before->blocks + 1);
	KUNIT_EXPECT_EQ(test, bytes, before->bytes + 1000);
	EXPECT_NO_REPORT(test, ExFreePoolWithTag(p, TAG));
}

static void pool2_flags(struct kunit *test)
{
	u8 *p;

	p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, 100, TAG);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (unsigned long)p % SYSTEM_CACHE_ALIGNMENT_SIZE, 0UL);
	KUNIT_EXPECT_TRUE(test, all_zero(p, 100));
	ExFreePoolWithTag(p, TAG);

	p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 100, TAG);
	KUNIT_ASSERT_NOT_NULL(test, p);
	ExFreePoolWithTag(p, TAG);

	p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, 100, TAG);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, all_zero(p, 100));
	ExFreePool(p);

	/* Unknown optional (high) bits are ignored, as on Windows. */
	p = ExAllocatePool2(POOL_FLAG_NON_PAGED | (1ULL << 40) | POOL_FLAG_SPECIAL_POOL, 10, TAG);
	KUNIT_ASSERT_NOT_NULL(test, p);
	ExFreePool(p);
}

static void pool2_bad_flags(struct kunit *test)
{
	static const POOL_FLAGS invalid[] = {
		0, POOL_FLAG_UNINITIALIZED, POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED,
		POOL_FLAG_NON_PAGED | 0x10 /* reserved required bit */,
		POOL_FLAG_PAGED | 0x400,
	};
	static const POOL_FLAGS unsupported[] = {
		POOL_FLAG_NON_PAGED_EXECUTE,
		POOL_FLAG_PAGED | POOL_FLAG_SESSION,
	};
	unsigned int i;
	PVOID p;

	for (i = 0; i < ARRAY_SIZE(invalid); i++) {
		EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
			      p = ExAllocatePool2(invalid[i], 64, TAG));
		KUNIT_EXPECT_NULL_MSG(test, p, "flags 0x%llx", invalid[i]);
	}
	for (i = 0; i < ARRAY_SIZE(unsupported); i++) {
		EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
			      p = ExAllocatePool2(unsupported[i], 64, TAG));
		KUNIT_EXPECT_NULL_MSG(test, p, "flags 0x%llx", unsupported[i]);
	}
}

static void pool_tag_and_size_rules(struct kunit *test)
{
	PVOID p;

	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_TAG_ZERO,
		      p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 0));
	KUNIT_EXPECT_NULL(test, p);
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_TAG_ZERO,
		      p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 0));
	KUNIT_EXPECT_NULL(test, p);
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_ZERO_BYTES,
		      p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, TAG));
	KUNIT_EXPECT_NULL(test, p);
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_ZERO_BYTES,
		      p = ExAllocatePoolWithTag(PagedPool, 0, TAG));
	KUNIT_EXPECT_NULL(test, p);
	/* Impossible sizes fail quietly with NULL, as on Windows. */
	EXPECT_NO_REPORT(test, p = ExAllocatePool2(POOL_FLAG_NON_PAGED, ~(SIZE_T)0, TAG));
	KUNIT_EXPECT_NULL(test, p);
	EXPECT_NO_REPORT(test, p = ExAllocatePool2(POOL_FLAG_NON_PAGED, ~(SIZE_T)0 - 40, TAG));
	KUNIT_EXPECT_NULL(test, p);
	EXPECT_NO_REPORT(test, p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 1ULL << 40, TAG));
	KUNIT_EXPECT_NULL(test, p);
}

static void pool_large_blocks(struct kunit *test)
{
	/* Above the kmalloc limit: served by vmalloc, still virtually contiguous. */
	SIZE_T n = 8 << 20;
	u8 *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, n, TAG);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, all_zero(p, n));
	p[0] = 1;
	p[n - 1] = 2;
	ExFreePoolWithTag(p, TAG);
}

static void pool_with_tag_types(struct kunit *test)
{
	static const POOL_TYPE ok[] = {
		NonPagedPool, NonPagedPoolNx, PagedPool,
		NonPagedPoolCacheAligned, PagedPoolCacheAligned, NonPagedPoolNxCacheAligned,
	};
	static const POOL_TYPE bad[] = {
		DontUseThisType, MaxPoolType, (POOL_TYPE)(NonPagedPoolNx | PagedPool), (POOL_TYPE)8,
	};
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		EXPECT_NO_REPORT(test, p = ExAllocatePoolWithTag(ok[i], 200, TAG));
		KUNIT_ASSERT_NOT_NULL_MSG(test, p, "pool type %d", ok[i]);
		if (ok[i] & 4)
			KUNIT_EXPECT_EQ(test, (unsigned long)p % SYSTEM_CACHE_ALIGNMENT_SIZE, 0UL);
		memset(p, 0x11, 200);
		ExFreePoolWithTag(p, TAG);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
			      p = ExAllocatePoolWithTag(bad[i], 200, TAG));
		KUNIT_EXPECT_NULL(test, p);
	}
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      p = ExAllocatePoolWithTag(NonPagedPoolSession, 200, TAG));
	KUNIT_EXPECT_NULL(test, p);
	/* Must-succeed pool is gone from Windows: bug check 0xC2/0x9A. */
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_MUST_SUCCEED,
		      p = ExAllocatePoolWithTag(NonPagedPoolMustSucceed, 200, TAG));
	KUNIT_EXPECT_NULL(test, p);
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_MUST_SUCCEED,
		      p = ExAllocatePoolWithTag(NonPagedPoolCacheAlignedMustS, 200, TAG));
	KUNIT_EXPECT_NULL(test, p);
}

/* Blocks of a page or more are page aligned, as on Windows. */
static void pool_page_alignment(struct kunit *test)
{
	static const SIZE_T sizes[] = { PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE + 100, 5 << 20 };
	unsigned int i;
	u8 *p;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		p = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizes[i], TAG);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_EQ_MSG(test, (unsigned long)p % PAGE_SIZE, 0UL, "size %lu", sizes[i]);
		p[sizes[i] - 1] = 1;
		ExFreePoolWithTag(p, TAG);
	}
	p = ExAllocatePoolWithTag(PagedPool, 2 * PAGE_SIZE, TAG);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, (unsigned long)p % PAGE_SIZE, 0UL);
	ExFreePool(p);
}

static void pool_wrong_tag(struct kunit *test)
{
	MMSHIM_VERIFIER_REPORT r;
	SIZE_T blocks, bytes;
	u8 *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, TAG);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, p);
	memset(p, 0x3c, 128);
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_WRONG_TAG, ExFreePoolWithTag(p, OTHER_TAG));
	KUNIT_ASSERT_TRUE(test, MmshimVerifierLastReport(&r));
	KUNIT_EXPECT_EQ(test, r.BugCheckCode, (ULONG)BAD_POOL_CALLER);
	KUNIT_EXPECT_EQ(test, r.Parameters[1], (ULONG_PTR)p);
	KUNIT_EXPECT_EQ(test, r.Parameters[2], (ULONG_PTR)TAG);
	KUNIT_EXPECT_EQ(test, r.Parameters[3], (ULONG_PTR)OTHER_TAG);
	KUNIT_EXPECT_STREQ(test, r.Routine, "ExFreePoolWithTag");
	KUNIT_EXPECT_NOT_NULL(test, r.Caller);
	/* Refused: still allocated, contents intact, still accounted. */
	for (i = 0; i < 128; i++)
		KUNIT_EXPECT_EQ(test, p[i], 0x3c);
	MmshimPoolUsage(&blocks, &bytes);
	KUNIT_EXPECT_EQ(test, blocks, ((struct mmshim_usage *)test->priv)->blocks + 1);
	EXPECT_NO_REPORT(test, ExFreePoolWithTag(p, TAG));
}

static void pool_bad_frees(struct kunit *test)
{
	u8 *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
	void *foreign = kmalloc(128, GFP_KERNEL);
	char *v = vmalloc(PAGE_SIZE);

	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_ASSERT_NOT_NULL(test, foreign);
	KUNIT_ASSERT_NOT_NULL(test, v);
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePoolWithTag(p + 16, TAG));
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(p + 1));
	ExFreePoolWithTag(p, TAG);
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_DOUBLE_FREE, ExFreePoolWithTag(p, TAG));
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_DOUBLE_FREE, ExFreePool(p));
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(foreign));
	/* The page start of a vmalloc area: the header would be in the guard page. */
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(v));
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(NULL));
	EXPECT_REPORT(test, BAD_POOL_CALLER, MMSHIM_POOL_FREE_USER_ADDRESS,
		      ExFreePoolWithTag((PVOID)0x7fff0000UL, TAG));
	kfree(foreign);
	vfree(v);
}

static DEFINE_SPINLOCK(pool_test_lock);

/*
 * DISPATCH_LEVEL: nonpaged pool works with a spinlock held; paged does not.
 * Nothing is asserted under the lock (a failing KUnit expectation allocates);
 * counts are taken inside and checked after.
 */
static void pool_atomic_context(struct kunit *test)
{
	ULONG bad_alloc = MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_ALLOC);
	ULONG bad_free = MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_FREE);
	ULONG all = MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_ANY_PARAMETER);
	unsigned long flags;
	u8 *small, *paged, *big, *paged_outside;

	big = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8 << 20, TAG); /* vmalloc-backed */
	paged_outside = ExAllocatePool2(POOL_FLAG_PAGED, 64, TAG);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_TRUE(test, is_vmalloc_addr(big));
	KUNIT_ASSERT_NOT_NULL(test, paged_outside);

	spin_lock_irqsave(&pool_test_lock, flags);
	small = ExAllocatePool2(POOL_FLAG_NON_PAGED, 512, TAG);
	paged = ExAllocatePool2(POOL_FLAG_PAGED, 64, TAG);
	ExFreePoolWithTag(big, TAG); /* vfree may sleep: mmshim defers it */
	if (small)
		ExFreePoolWithTag(small, TAG);
	ExFreePoolWithTag(paged_outside, TAG); /* refused: paged pool at DISPATCH */
	spin_unlock_irqrestore(&pool_test_lock, flags);

	KUNIT_EXPECT_NOT_NULL(test, small);
	KUNIT_EXPECT_NULL(test, paged);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_ALLOC),
			bad_alloc + 1);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_FREE),
			bad_free + 1);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_ANY_PARAMETER),
			all + 2);
	/* The refused paged free left the block allocated: free it properly. */
	EXPECT_NO_REPORT(test, ExFreePoolWithTag(paged_outside, TAG));
}

static struct kunit_case pool_cases[] = {
	KUNIT_CASE(pool2_nonpaged_zeroed),
	KUNIT_CASE(pool2_flags),
	KUNIT_CASE(pool2_bad_flags),
	KUNIT_CASE(pool_tag_and_size_rules),
	KUNIT_CASE(pool_large_blocks),
	KUNIT_CASE(pool_with_tag_types),
	KUNIT_CASE(pool_page_alignment),
	KUNIT_CASE(pool_wrong_tag),
	KUNIT_CASE(pool_bad_frees),
	KUNIT_CASE(pool_atomic_context),
	{}
};

static struct kunit_suite pool_suite = {
	.name = "mmshim_pool",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = pool_cases,
};
kunit_test_suite(pool_suite);
