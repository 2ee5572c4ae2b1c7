// SPDX-License-Identifier: GPL-2.0
/*
 * reserve_cache_test.c - KUnit suite "mmshim_reserve_cache": reserved
 * mappings take the memory type of the pages they map, as system mappings
 * do. Pages from MmAllocatePagesForMdlEx(MmNonCached / MmWriteCombined) are
 * mapped uncached / write-combined whatever CacheType the map call passes
 * (a cached alias of uncached RAM breaks x86 PAT), write-back pages stay
 * write-back; the type is read from the reserved VA's page-table entry with
 * pte_cache() (iospace_test.c), independently of mmshim.
 */
#include <linux/mm.h>
#include <linux/vmalloc.h>
#include "mmshim_kunit.h"

#define RC_TAG ('cRsK')

static void reserve_cache_follows_the_pages(struct kunit *test)
{
	static const MEMORY_CACHING_TYPE types[] = { MmNonCached, MmWriteCombined, MmCached };
	static const int want[] = { 1, 2, 0 };
	static const MEMORY_CACHING_TYPE asked[] = { MmCached, MmNonCached, MmWriteCombined };
	PVOID base = MmAllocateMappingAddress(4 * PAGE_SIZE, RC_TAG);
	unsigned int t, a, i;

	KUNIT_ASSERT_NOT_NULL(test, base);
	for (t = 0; t < ARRAY_SIZE(types); t++) {
		PMDL m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 4 * PAGE_SIZE, types[t], 0);

		KUNIT_ASSERT_NOT_NULL(test, m);
		for (a = 0; a < ARRAY_SIZE(asked); a++) {
			u8 *va;

			EXPECT_NO_REPORT(test, va = MmMapLockedPagesWithReservedMapping(base, RC_TAG, m, asked[a]));
			KUNIT_ASSERT_PTR_EQ(test, (void *)va, base);
			for (i = 0; i < 4; i++)
				KUNIT_EXPECT_EQ_MSG(test, pte_cache(va + i * PAGE_SIZE), want[t],
						    "pages of type %d mapped with CacheType %d", types[t], asked[a]);
			va[PAGE_SIZE + 7] = (u8)(0x40 + a);
			KUNIT_EXPECT_EQ(test,
					((u8 *)page_address(pfn_to_page(MmGetMdlPfnArray(m)[1])))[7],
					(u8)(0x40 + a));
			EXPECT_NO_REPORT(test, MmUnmapReservedMapping(base, RC_TAG, m));
		}
		MmFreePagesFromMdl(m);
		ExFreePool(m);
	}
	/* Ordinary locked (vmalloc) pages: write-back, whatever is asked. */
	{
		u8 *buf = vmalloc(2 * PAGE_SIZE);
		PMDL m;
		u8 *va;

		KUNIT_ASSERT_NOT_NULL(test, buf);
		m = locked_mdl(test, buf, 2 * PAGE_SIZE);
		va = MmMapLockedPagesWithReservedMapping(base, RC_TAG, m, MmNonCached);
		KUNIT_ASSERT_PTR_EQ(test, (void *)va, base);
		KUNIT_EXPECT_EQ(test, pte_cache(va), 0);
		KUNIT_EXPECT_EQ(test, pte_cache(va + PAGE_SIZE), 0);
		MmUnmapReservedMapping(base, RC_TAG, m);
		/* An invalid CacheType is refused, nothing mapped. */
		EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
			      KUNIT_EXPECT_NULL(test, MmMapLockedPagesWithReservedMapping(
							      base, RC_TAG, m, MmMaximumCacheType)));
		KUNIT_EXPECT_EQ(test, pte_cache(va), -1);
		release_mdl(m);
		vfree(buf);
	}
	MmFreeMappingAddress(base, RC_TAG);
}

static struct kunit_case reserve_cache_cases[] = {
	KUNIT_CASE(reserve_cache_follows_the_pages),
	{}
};

static struct kunit_suite reserve_cache_suite = {
	.name = "mmshim_reserve_cache",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = reserve_cache_cases,
};
kunit_test_suite(reserve_cache_suite);
