// SPDX-License-Identifier: GPL-2.0
/*
 * vapool_test.c - KUnit suite "mmshim_vapool": the atomic-context VA pool
 * gives unmapped pages back at once where the context allows a synchronous
 * TLB flush. A spinlock holder (interrupts on) and a timer_list callback
 * (softirq, a ported DPC) map and unmap scattered MDLs many thousands of
 * times, far more pages than the pool has, and never get NULL; every
 * mapping shows its own MDL's data (a reused address never translates to
 * the previous mapping's frames). With interrupts off no synchronous flush
 * is possible: the pool runs dry after its size, cleanly, and recovers once
 * the flush worker has run (the documented limit).
 */
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/mm.h>
#include "mmshim_kunit.h"

#define VAPOOL_POOL_PAGES 4096 /* src/core/vapool.h */
#define VAPOOL_MDL_PAGES 8

/* Two MDLs over distinct, scattered pages with distinct contents. */
struct vapool_fixture {
	struct page *pages[2][VAPOOL_MDL_PAGES];
	PMDL mdl[2];
	/* results of the loop */
	unsigned int maps, nulls, bad_data;
	int in_softirq;
	struct timer_list timer;
	struct completion done;
	unsigned int rounds;
};

static u8 vapool_byte(int which, int page)
{
	return (u8)(0x10 + which * 0x40 + page);
}

/* Pages allocated in a row are often physically adjacent: a page that
 * would follow its predecessor's frame is held back (freed once the
 * fixture is built) and another one taken, so no two neighbours in an MDL
 * are contiguous and every mapping needs real page-table entries. */
#define VAPOOL_SPARE_PAGES 64

static void vapool_fixture_init(struct kunit *test, struct vapool_fixture *f)
{
	struct page *spare[VAPOOL_SPARE_PAGES];
	int w, p, s, nspare = 0;

	for (w = 0; w < 2; w++) {
		f->mdl[w] = kunit_kzalloc(test, MmSizeOfMdl(NULL, VAPOOL_MDL_PAGES * PAGE_SIZE),
					  GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, f->mdl[w]);
		MmInitializeMdl(f->mdl[w], NULL, VAPOOL_MDL_PAGES * PAGE_SIZE);
		for (p = 0; p < VAPOOL_MDL_PAGES; p++) {
			struct page *pg = alloc_page(GFP_KERNEL);

			while (pg && p > 0 && nspare < VAPOOL_SPARE_PAGES &&
			       (page_to_pfn(pg) == page_to_pfn(f->pages[w][p - 1]) + 1 ||
				page_to_pfn(pg) + 1 == page_to_pfn(f->pages[w][p - 1]))) {
				spare[nspare++] = pg;
				pg = alloc_page(GFP_KERNEL);
			}
			f->pages[w][p] = pg;
			if (!pg)
				break;
			memset(page_address(pg), vapool_byte(w, p), PAGE_SIZE);
			MmGetMdlPfnArray(f->mdl[w])[p] = page_to_pfn(pg);
		}
		if (p < VAPOOL_MDL_PAGES)
			break;
		f->mdl[w]->MdlFlags |= MDL_PAGES_LOCKED;
	}
	for (s = 0; s < nspare; s++)
		__free_page(spare[s]);
	for (w = 0; w < 2; w++)
		for (p = 0; p < VAPOOL_MDL_PAGES; p++) {
			KUNIT_ASSERT_NOT_NULL(test, f->pages[w][p]);
			if (p > 0) {
				KUNIT_ASSERT_NE(test, page_to_pfn(f->pages[w][p]),
						page_to_pfn(f->pages[w][p - 1]) + 1);
				KUNIT_ASSERT_NE(test, page_to_pfn(f->pages[w][p]) + 1,
						page_to_pfn(f->pages[w][p - 1]));
			}
		}
}

static void vapool_fixture_free(struct vapool_fixture *f)
{
	int w, p;

	for (w = 0; w < 2; w++)
		for (p = 0; p < VAPOOL_MDL_PAGES; p++)
			if (f->pages[w][p])
				__free_page(f->pages[w][p]);
}

/* Map, check every page's data, unmap; alternate MDLs. Atomic-safe. */
static void vapool_loop(struct vapool_fixture *f, unsigned int rounds)
{
	unsigned int i;
	int p;

	for (i = 0; i < rounds; i++) {
		int w = i & 1;
		u8 *va = MmMapLockedPagesSpecifyCache(f->mdl[w], KernelMode, MmCached, NULL, FALSE,
						      NormalPagePriority);

		if (!va) {
			f->nulls++;
			continue;
		}
		f->maps++;
		for (p = 0; p < VAPOOL_MDL_PAGES; p++)
			if (va[p * PAGE_SIZE] != vapool_byte(w, p) ||
			    va[p * PAGE_SIZE + PAGE_SIZE - 1] != vapool_byte(w, p))
				f->bad_data++;
		MmUnmapLockedPages(va, f->mdl[w]);
	}
}

/* Let the flush worker catch up so every test starts with a clean pool. */
static void vapool_settle(struct kunit *test)
{
	int i;

	for (i = 0; i < 1000 && MmshimAtomicMapFreePages() != VAPOOL_POOL_PAGES; i++)
		msleep(10);
	KUNIT_ASSERT_EQ(test, MmshimAtomicMapFreePages(), (SIZE_T)VAPOOL_POOL_PAGES);
}

static DEFINE_SPINLOCK(vapool_test_lock);

/* A spinlock holder (DISPATCH_LEVEL, interrupts on): 20,000 mappings of
 * 8 pages, 39 times the pool. */
static void vapool_spinlock_loop_never_runs_dry(struct kunit *test)
{
	struct vapool_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	const unsigned int rounds = 20000;

	KUNIT_ASSERT_NOT_NULL(test, f);
	vapool_fixture_init(test, f);
	vapool_settle(test);
	spin_lock(&vapool_test_lock);
	vapool_loop(f, rounds);
	spin_unlock(&vapool_test_lock);
	KUNIT_EXPECT_EQ(test, f->nulls, 0U);
	KUNIT_EXPECT_EQ(test, f->maps, rounds);
	KUNIT_EXPECT_EQ(test, f->bad_data, 0U);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	vapool_settle(test);
	vapool_fixture_free(f);
}

static void vapool_timer_fn(struct timer_list *t)
{
	struct vapool_fixture *f = timer_container_of(f, t, timer);

	f->in_softirq = in_serving_softirq() ? 1 : 0; /* a mask, not a bool */
	vapool_loop(f, f->rounds);
	complete(&f->done);
}

/* A timer_list callback (softirq, a ported DPC completing many requests):
 * 10,000 mappings of 8 pages, 19 times the pool, in one callback. */
static void vapool_softirq_loop_never_runs_dry(struct kunit *test)
{
	struct vapool_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	vapool_fixture_init(test, f);
	vapool_settle(test);
	f->rounds = 10000;
	init_completion(&f->done);
	timer_setup(&f->timer, vapool_timer_fn, 0);
	mod_timer(&f->timer, jiffies + 1);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&f->done, 120 * HZ), 0UL);
	timer_delete_sync(&f->timer);
	KUNIT_EXPECT_EQ(test, f->in_softirq, 1);
	KUNIT_EXPECT_EQ(test, f->nulls, 0U);
	KUNIT_EXPECT_EQ(test, f->maps, f->rounds);
	KUNIT_EXPECT_EQ(test, f->bad_data, 0U);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	vapool_settle(test);
	vapool_fixture_free(f);
}

/* Interrupts off: no synchronous flush. The pool serves its size, then
 * NULL (no report without BugCheckOnFailure), and recovers after the
 * worker has flushed. */
static void vapool_interrupts_off_limit(struct kunit *test)
{
	struct vapool_fixture *f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	const unsigned int fit = VAPOOL_POOL_PAGES / VAPOOL_MDL_PAGES;
	unsigned long flags;

	KUNIT_ASSERT_NOT_NULL(test, f);
	vapool_fixture_init(test, f);
	vapool_settle(test);
	EXPECT_NO_REPORT(test, {
		spin_lock_irqsave(&vapool_test_lock, flags);
		vapool_loop(f, fit + 10);
		spin_unlock_irqrestore(&vapool_test_lock, flags);
	});
	KUNIT_EXPECT_EQ(test, f->maps, fit);
	KUNIT_EXPECT_EQ(test, f->nulls, 10U);
	KUNIT_EXPECT_EQ(test, f->bad_data, 0U);
	vapool_settle(test);
	f->maps = f->nulls = 0;
	spin_lock_irqsave(&vapool_test_lock, flags);
	vapool_loop(f, 4);
	spin_unlock_irqrestore(&vapool_test_lock, flags);
	KUNIT_EXPECT_EQ(test, f->maps, 4U);
	vapool_settle(test);
	vapool_fixture_free(f);
}

static struct kunit_case vapool_cases[] = {
	KUNIT_CASE(vapool_spinlock_loop_never_runs_dry),
	KUNIT_CASE(vapool_softirq_loop_never_runs_dry),
	KUNIT_CASE(vapool_interrupts_off_limit),
	{}
};

static struct kunit_suite vapool_suite = {
	.name = "mmshim_vapool",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = vapool_cases,
};
kunit_test_suite(vapool_suite);
