// SPDX-License-Identifier: GPL-2.0
/*
 * lookaside_test.c - KUnit suite "mmshim_lookaside": lookaside lists
 * (NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST, LOOKASIDE_LIST_EX) used with
 * a spinlock held, in a timer callback (softirq, where a ported DPC runs),
 * from two CPUs at once, with custom allocate/free routines, deleted with
 * entries outstanding, used after delete; and the pool variants:
 * ExAllocatePoolZero really zeroes, ExAllocatePool2's
 * POOL_FLAG_RAISE_ON_FAILURE and a raising lookaside list caught by
 * __try/__except under fault injection.
 */
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/completion.h>
#include <linux/kthread.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include "mmshim_kunit.h"

#define LTAG 'tsiL'
#define LSIZE 200

static void lookaside_counters_and_cache(struct kunit *test)
{
	struct mmshim_usage *before = test->priv;
	NPAGED_LOOKASIDE_LIST *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	SIZE_T blocks;
	void *e[6], *hit;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_EXPECT_EQ(test, (unsigned long)sizeof(*l), 128UL);
	EXPECT_NO_REPORT(test, ExInitializeNPagedLookasideList(l, NULL, NULL, 0, LSIZE, LTAG, 0));
	KUNIT_EXPECT_EQ(test, l->L.Depth, 4);
	KUNIT_EXPECT_EQ(test, l->L.Size, (ULONG)LSIZE);
	for (i = 0; i < 6; i++) {
		e[i] = ExAllocateFromNPagedLookasideList(l);
		KUNIT_ASSERT_NOT_NULL(test, e[i]);
		memset(e[i], i, LSIZE);
	}
	KUNIT_EXPECT_EQ(test, l->L.TotalAllocates, 6U);
	KUNIT_EXPECT_EQ(test, l->L.AllocateMisses, 6U);
	for (i = 0; i < 6; i++)
		EXPECT_NO_REPORT(test, ExFreeToNPagedLookasideList(l, e[i]));
	KUNIT_EXPECT_EQ(test, l->L.TotalFrees, 6U);
	KUNIT_EXPECT_EQ(test, l->L.FreeMisses, 2U);
	MmshimPoolUsage(&blocks, NULL);
	KUNIT_EXPECT_EQ(test, blocks, before->blocks + 4); /* the cache: pool blocks with the tag */
	hit = ExAllocateFromNPagedLookasideList(l);
	KUNIT_EXPECT_PTR_EQ(test, hit, e[3]);
	KUNIT_EXPECT_EQ(test, l->L.AllocateMisses, 6U);
	ExFreeToNPagedLookasideList(l, hit);
	EXPECT_NO_REPORT(test, ExDeleteNPagedLookasideList(l));
	MmshimPoolUsage(&blocks, NULL);
	KUNIT_EXPECT_EQ(test, blocks, before->blocks);
}

static DEFINE_SPINLOCK(lookaside_test_lock);

/* DISPATCH_LEVEL: nothing asserted under the lock, results checked after. */
static void lookaside_under_spinlock(struct kunit *test)
{
	NPAGED_LOOKASIDE_LIST *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	LOOKASIDE_LIST_EX *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	MMSHIM_VERIFIER_REPORT r0 = {}, r1 = {};
	void *e[16], *f[16];
	unsigned long flags;
	NTSTATUS st;
	int i, got = 0;

	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_ASSERT_NOT_NULL(test, x);
	MmshimVerifierLastReport(&r0);
	spin_lock_irqsave(&lookaside_test_lock, flags);
	ExInitializeNPagedLookasideList(l, NULL, NULL, POOL_NX_ALLOCATION, 64, LTAG, 0);
	st = ExInitializeLookasideListEx(x, NULL, NULL, NonPagedPoolNx, 0, 96, LTAG, 0);
	for (i = 0; i < 16; i++) {
		e[i] = ExAllocateFromNPagedLookasideList(l);
		f[i] = ExAllocateFromLookasideListEx(x);
		got += (e[i] != NULL) + (f[i] != NULL);
	}
	for (i = 0; i < 16; i++) {
		if (e[i])
			ExFreeToNPagedLookasideList(l, e[i]);
		if (f[i])
			ExFreeToLookasideListEx(x, f[i]);
	}
	ExFlushLookasideListEx(x);
	ExDeleteLookasideListEx(x);
	ExDeleteNPagedLookasideList(l);
	spin_unlock_irqrestore(&lookaside_test_lock, flags);
	MmshimVerifierLastReport(&r1);

	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, got, 32);
	KUNIT_EXPECT_EQ(test, r1.Sequence, r0.Sequence);
	KUNIT_EXPECT_EQ(test, MmshimLookasideListCount(), (SIZE_T)0);
}

/* A paged list used with a spinlock held is refused and reported. */
static void lookaside_paged_at_dispatch(struct kunit *test)
{
	PAGED_LOOKASIDE_LIST *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	ULONG irql0 = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH);
	unsigned long flags;
	void *e, *bad;

	KUNIT_ASSERT_NOT_NULL(test, l);
	ExInitializePagedLookasideList(l, NULL, NULL, 0, 48, LTAG, 0);
	e = ExAllocateFromPagedLookasideList(l);
	KUNIT_ASSERT_NOT_NULL(test, e);
	spin_lock_irqsave(&lookaside_test_lock, flags);
	bad = ExAllocateFromPagedLookasideList(l);
	ExFreeToPagedLookasideList(l, e);
	spin_unlock_irqrestore(&lookaside_test_lock, flags);
	KUNIT_EXPECT_NULL(test, bad);
	KUNIT_EXPECT_EQ(test,
			MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH),
			irql0 + 2);
	EXPECT_NO_REPORT(test, ExFreeToPagedLookasideList(l, e));
	EXPECT_NO_REPORT(test, ExDeletePagedLookasideList(l));
}

struct soft_ctx {
	struct timer_list timer;
	struct completion done;
	NPAGED_LOOKASIDE_LIST *list;
	int in_softirq, allocated, freed;
	ULONG reports_before, reports_after;
};

static void lookaside_timer_fn(struct timer_list *t)
{
	struct soft_ctx *c = timer_container_of(c, t, timer);
	MMSHIM_VERIFIER_REPORT r = {};
	void *e[8];
	int i;

	MmshimVerifierLastReport(&r);
	c->reports_before = r.Sequence;
	c->in_softirq = in_softirq();
	for (i = 0; i < 8; i++) {
		e[i] = ExAllocateFromNPagedLookasideList(c->list);
		c->allocated += e[i] != NULL;
	}
	for (i = 0; i < 8; i++) {
		if (e[i]) {
			ExFreeToNPagedLookasideList(c->list, e[i]);
			c->freed++;
		}
	}
	MmshimVerifierLastReport(&r);
	c->reports_after = r.Sequence;
	complete(&c->done);
}

static void lookaside_in_softirq(struct kunit *test)
{
	struct soft_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->list = kunit_kzalloc(test, sizeof(*c->list), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->list);
	ExInitializeNPagedLookasideList(c->list, NULL, NULL, 0, 128, LTAG, 0);
	init_completion(&c->done);
	timer_setup(&c->timer, lookaside_timer_fn, 0);
	mod_timer(&c->timer, jiffies + 1);
	wait_for_completion(&c->done);
	timer_delete_sync(&c->timer);
	KUNIT_EXPECT_TRUE(test, c->in_softirq);
	KUNIT_EXPECT_EQ(test, c->allocated, 8);
	KUNIT_EXPECT_EQ(test, c->freed, 8);
	KUNIT_EXPECT_EQ(test, c->reports_after, c->reports_before);
	KUNIT_EXPECT_EQ(test, c->list->L.TotalAllocates, 8U);
	KUNIT_EXPECT_EQ(test, c->list->L.TotalFrees, 8U);
	EXPECT_NO_REPORT(test, ExDeleteNPagedLookasideList(c->list));
}

#define TWO_CPU_ROUNDS 20000

struct cpu_ctx {
	LOOKASIDE_LIST_EX *list;
	struct completion done[2];
	atomic_t arrived;
	int failed[2], corrupt[2];
};

static int lookaside_cpu_fn(void *arg, int me)
{
	struct cpu_ctx *c = arg;
	void *held[4];
	int i, k;

	atomic_inc(&c->arrived);
	while (atomic_read(&c->arrived) < 2)
		cpu_relax();
	for (i = 0; i < TWO_CPU_ROUNDS; i++) {
		for (k = 0; k < 4; k++) {
			held[k] = ExAllocateFromLookasideListEx(c->list);
			if (!held[k])
				c->failed[me]++;
			else
				memset(held[k], me + 1, 64);
		}
		for (k = 0; k < 4; k++) {
			if (!held[k])
				continue;
			/* Nobody else may have been given the same entry. */
			if (((u8 *)held[k])[0] != me + 1 || ((u8 *)held[k])[63] != me + 1)
				c->corrupt[me]++;
			ExFreeToLookasideListEx(c->list, held[k]);
		}
		if ((i & 255) == 0)
			cond_resched();
	}
	return mmshim_thread_done(&c->done[me]);
}

static int lookaside_cpu0(void *arg) { return lookaside_cpu_fn(arg, 0); }
static int lookaside_cpu1(void *arg) { return lookaside_cpu_fn(arg, 1); }

static void lookaside_two_cpus(struct kunit *test)
{
	struct cpu_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	int (*const fn[2])(void *) = { lookaside_cpu0, lookaside_cpu1 };
	void *arg[2];
	struct completion *done[2];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	c->list = kunit_kzalloc(test, sizeof(*c->list), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->list);
	KUNIT_ASSERT_EQ(test, ExInitializeLookasideListEx(c->list, NULL, NULL, NonPagedPoolNx, 0, 64, LTAG, 0),
			STATUS_SUCCESS);
	atomic_set(&c->arrived, 0);
	for (i = 0; i < 2; i++) {
		arg[i] = c;
		done[i] = &c->done[i];
	}
	mmshim_run_on_two_cpus(test, fn, arg, done, "mmshim_la");
	kunit_info(test, "%u allocations, %u misses, depth %u\n", c->list->L.TotalAllocates,
		   c->list->L.AllocateMisses, c->list->L.Depth);
	KUNIT_EXPECT_EQ(test, c->failed[0] + c->failed[1], 0);
	KUNIT_EXPECT_EQ(test, c->corrupt[0] + c->corrupt[1], 0);
	KUNIT_EXPECT_EQ(test, c->list->L.TotalAllocates, 2U * 4 * TWO_CPU_ROUNDS);
	KUNIT_EXPECT_EQ(test, c->list->L.TotalFrees, 2U * 4 * TWO_CPU_ROUNDS);
	/* The cache serves almost everything (without it every allocation
	 * misses; with two CPUs racing, the depth retuning lets ~1% through
	 * under a loaded host). */
	KUNIT_EXPECT_LT(test, c->list->L.AllocateMisses, c->list->L.TotalAllocates / 20);
	EXPECT_NO_REPORT(test, ExDeleteLookasideListEx(c->list)); /* nothing outstanding */
}

static int custom_allocs, custom_frees;
static PLOOKASIDE_LIST_EX custom_list_seen;

static PVOID custom_allocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	custom_allocs++;
	return ExAllocatePoolWithTag(PoolType, NumberOfBytes, 'tsuC');
}

static VOID custom_free(PVOID Buffer)
{
	custom_frees++;
	ExFreePoolWithTag(Buffer, 'tsuC');
}

static PVOID custom_allocate_ex(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
				PLOOKASIDE_LIST_EX Lookaside)
{
	custom_list_seen = Lookaside;
	return custom_allocate(PoolType, NumberOfBytes, Tag);
}

static VOID custom_free_ex(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside)
{
	custom_list_seen = Lookaside;
	custom_free(Buffer);
}

static void lookaside_custom_routines(struct kunit *test)
{
	NPAGED_LOOKASIDE_LIST *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	LOOKASIDE_LIST_EX *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	void *e[5], *p;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_ASSERT_NOT_NULL(test, x);
	custom_allocs = custom_frees = 0;
	ExInitializeNPagedLookasideList(l, custom_allocate, custom_free, 0, 80, LTAG, 4);
	for (i = 0; i < 5; i++)
		e[i] = ExAllocateFromNPagedLookasideList(l);
	KUNIT_EXPECT_EQ(test, custom_allocs, 5);
	for (i = 0; i < 5; i++)
		ExFreeToNPagedLookasideList(l, e[i]);
	KUNIT_EXPECT_EQ(test, custom_frees, 1);
	EXPECT_NO_REPORT(test, ExDeleteNPagedLookasideList(l));
	KUNIT_EXPECT_EQ(test, custom_frees, 5);

	KUNIT_ASSERT_EQ(test, ExInitializeLookasideListEx(x, custom_allocate_ex, custom_free_ex, PagedPool, 0,
							  40, LTAG, 0), STATUS_SUCCESS);
	p = ExAllocateFromLookasideListEx(x);
	KUNIT_EXPECT_NOT_NULL(test, p);
	KUNIT_EXPECT_PTR_EQ(test, custom_list_seen, x);
	ExFreeToLookasideListEx(x, p);
	custom_list_seen = NULL;
	ExFlushLookasideListEx(x);
	KUNIT_EXPECT_PTR_EQ(test, custom_list_seen, x);
	KUNIT_EXPECT_EQ(test, custom_frees, 6);
	ExDeleteLookasideListEx(x);
}

static void lookaside_misuse_reported(struct kunit *test)
{
	NPAGED_LOOKASIDE_LIST *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	NPAGED_LOOKASIDE_LIST *other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	MMSHIM_VERIFIER_REPORT r = {};
	void *a, *b, *p;

	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_ASSERT_NOT_NULL(test, other);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      p = ExAllocateFromNPagedLookasideList(l));
	KUNIT_EXPECT_NULL(test, p);
	ExInitializeNPagedLookasideList(l, NULL, NULL, 0, 64, LTAG, 0);
	ExInitializeNPagedLookasideList(other, NULL, NULL, 0, 32, LTAG, 0);
	a = ExAllocateFromNPagedLookasideList(l);
	b = ExAllocateFromNPagedLookasideList(l);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	ExFreeToNPagedLookasideList(l, a);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_DOUBLE_FREE,
		      ExFreeToNPagedLookasideList(l, a));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_WRONG_LIST,
		      ExFreeToNPagedLookasideList(other, b));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_OUTSTANDING,
		      ExDeleteNPagedLookasideList(l));
	KUNIT_ASSERT_TRUE(test, MmshimVerifierLastReport(&r));
	KUNIT_EXPECT_EQ(test, r.Parameters[1], (ULONG_PTR)l);
	KUNIT_EXPECT_EQ(test, r.Parameters[2], (ULONG_PTR)1);
	KUNIT_EXPECT_EQ(test, r.Parameters[3], (ULONG_PTR)LTAG);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      ExDeleteNPagedLookasideList(l));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      ExFreeToNPagedLookasideList(l, b));
	/* The outstanding entry is still the driver's pool block. */
	EXPECT_NO_REPORT(test, ExFreePoolWithTag(b, LTAG));
	ExDeleteNPagedLookasideList(other);
}

static void pool_zero_really_zeroes(struct kunit *test)
{
	u8 *p;
	int round;

	for (round = 0; round < 8; round++) {
		/* Dirty a block of the same size first: the slab hands it out again. */
		p = ExAllocatePoolUninitialized(NonPagedPoolNx, 300, LTAG);
		KUNIT_ASSERT_NOT_NULL(test, p);
		memset(p, 0xa5, 300);
		ExFreePoolWithTag(p, LTAG);
		p = ExAllocatePoolZero(NonPagedPoolNx, 300, LTAG);
		KUNIT_ASSERT_NOT_NULL(test, p);
		KUNIT_EXPECT_TRUE(test, all_zero(p, 300));
		ExFreePoolWithTag(p, LTAG);
	}
	p = ExAllocatePoolZero(PagedPool, 3 * PAGE_SIZE, LTAG);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, all_zero(p, 3 * PAGE_SIZE));
	ExFreePool(p);
}

static void pool_variants(struct kunit *test)
{
	POOL_EXTENDED_PARAMETER x = {};
	void *p;

	EXPECT_NO_REPORT(test, p = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 128, LTAG, LowPoolPriority));
	KUNIT_EXPECT_NOT_NULL(test, p);
	ExFreePool(p);
	EXPECT_NO_REPORT(test, p = ExAllocatePoolWithTagPriority(PagedPool, 128, LTAG, HighPoolPriority));
	KUNIT_EXPECT_NOT_NULL(test, p);
	ExFreePool(p);
	p = ExAllocatePool(NonPagedPool, 64);
	KUNIT_EXPECT_NOT_NULL(test, p);
	EXPECT_NO_REPORT(test, ExFreePoolWithTag(p, 'enoN'));
	p = ExAllocatePoolWithQuotaTag(PagedPool, 64, LTAG);
	KUNIT_EXPECT_NOT_NULL(test, p);
	ExFreePool(p);
	x.Type = PoolExtendedParameterPriority;
	x.Priority = LowPoolPriority;
	EXPECT_NO_REPORT(test, p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, LTAG, &x, 1));
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_TRUE(test, all_zero(p, 64));
	ExFreePool(p);
	x.Type = PoolExtendedParameterSecurePool;
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, LTAG, &x, 1));
	KUNIT_EXPECT_NULL(test, p);
}

#ifdef CONFIG_FAULT_INJECTION
static void fail_allocations(bool on)
{
	current->make_it_fail = on;
}

static noinline NTSTATUS raise_pool2(volatile int *after)
{
	volatile NTSTATUS code = STATUS_SUCCESS;

	__try {
		fail_allocations(true);
		(void)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 512, LTAG);
		*after = 1;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		code = GetExceptionCode();
	}
	fail_allocations(false);
	return code;
}

static noinline NTSTATUS raise_lookaside(NPAGED_LOOKASIDE_LIST *l, volatile int *after)
{
	volatile NTSTATUS code = STATUS_SUCCESS;

	__try {
		fail_allocations(true);
		(void)ExAllocateFromNPagedLookasideList(l);
		*after = 1;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		code = GetExceptionCode();
	}
	fail_allocations(false);
	return code;
}

static void raise_on_failure_caught(struct kunit *test)
{
	NPAGED_LOOKASIDE_LIST *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	LOOKASIDE_LIST_EX *x = kunit_kzalloc(test, sizeof(*x), GFP_KERNEL);
	volatile int after = 0;
	void *p;

	KUNIT_ASSERT_NOT_NULL(test, l);
	KUNIT_ASSERT_NOT_NULL(test, x);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, raise_pool2(&after), STATUS_INSUFFICIENT_RESOURCES));
	KUNIT_EXPECT_EQ(test, after, 0);

	ExInitializeNPagedLookasideList(l, NULL, NULL, POOL_RAISE_IF_ALLOCATION_FAILURE, 256, LTAG, 0);
	after = 0;
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, raise_lookaside(l, &after), STATUS_INSUFFICIENT_RESOURCES));
	KUNIT_EXPECT_EQ(test, after, 0);
	KUNIT_EXPECT_EQ(test, l->L.AllocateMisses, 1U);
	ExDeleteNPagedLookasideList(l);

	/* FAIL_NO_RAISE: NULL, no exception. */
	KUNIT_ASSERT_EQ(test, ExInitializeLookasideListEx(x, NULL, NULL, NonPagedPoolNx,
							  EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE, 256, LTAG, 0),
			STATUS_SUCCESS);
	fail_allocations(true);
	p = ExAllocateFromLookasideListEx(x);
	fail_allocations(false);
	KUNIT_EXPECT_NULL(test, p);
	ExDeleteLookasideListEx(x);
}
#else
static void raise_on_failure_caught(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}
#endif

static struct kunit_case lookaside_cases[] = {
	KUNIT_CASE(lookaside_counters_and_cache),
	KUNIT_CASE(lookaside_under_spinlock),
	KUNIT_CASE(lookaside_paged_at_dispatch),
	KUNIT_CASE(lookaside_in_softirq),
	KUNIT_CASE(lookaside_two_cpus),
	KUNIT_CASE(lookaside_custom_routines),
	KUNIT_CASE(lookaside_misuse_reported),
	KUNIT_CASE(pool_zero_really_zeroes),
	KUNIT_CASE(pool_variants),
	KUNIT_CASE(raise_on_failure_caught),
	{}
};

static struct kunit_suite lookaside_suite = {
	.name = "mmshim_lookaside",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = lookaside_cases,
};
kunit_test_suite(lookaside_suite);
