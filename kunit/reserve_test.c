// SPDX-License-Identifier: GPL-2.0
/*
 * reserve_test.c - KUnit suite "mmshim_reserve": MmAllocateMappingAddress,
 * MmMapLockedPagesWithReservedMapping, MmUnmapReservedMapping and
 * MmFreeMappingAddress on locked kernel memory. Data is checked both ways
 * through the reserved VA; the page tables are read with lookup_address()
 * (the reserved VA itself is never touched while unmapped); every misuse is
 * checked for its report and for the reservation, mapping and MDL left as
 * they were; 1,000 cycles run with every allocation failing; map and unmap
 * run with spinlocks held and on two CPUs at once.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <asm/pgtable.h>
#include "mmshim_kunit.h"

#define RSV_TAG ('vsRK')

/* The frame the kernel page table maps at @va, or 0 if nothing is mapped
 * there. Reads the page table only; never touches @va. */
static unsigned long mapped_pfn(void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	if (!pte || level != PG_LEVEL_4K || !mmshim_kpte_present(*pte))
		return 0;
	return pte_pfn(*pte);
}

static bool range_unmapped(void *base, unsigned int pages)
{
	unsigned int i;

	for (i = 0; i < pages; i++)
		if (mapped_pfn((u8 *)base + i * PAGE_SIZE))
			return false;
	return true;
}

/* Bytes written through one address are read through the other, both ways. */
static bool same_memory(u8 *a, u8 *b, size_t len, u8 salt)
{
	size_t i;

	for (i = 0; i < len; i += 256)
		a[i] = (u8)(i / 256 + salt);
	for (i = 0; i < len; i += 256)
		if (b[i] != (u8)(i / 256 + salt))
			return false;
	b[len - 1] = salt ^ 0x5a;
	return a[len - 1] == (u8)(salt ^ 0x5a);
}

static SIZE_T reservations_before;

static int reserve_test_init(struct kunit *test)
{
	reservations_before = MmshimReservedMappingCount();
	return mmshim_test_init(test);
}

static void reserve_test_exit(struct kunit *test)
{
	KUNIT_EXPECT_EQ_MSG(test, MmshimReservedMappingCount(), reservations_before, "reservations leaked");
	mmshim_test_exit(test);
}

static void reserve_round_trip(struct kunit *test)
{
	u8 *v = vmalloc(8 * PAGE_SIZE);
	PVOID base;
	PMDL m;
	u8 *sys;
	unsigned int level, i;
	pte_t *pte;

	KUNIT_ASSERT_NOT_NULL(test, v);
	base = MmAllocateMappingAddress(8 * PAGE_SIZE, RSV_TAG);
	KUNIT_ASSERT_NOT_NULL(test, base);
	KUNIT_EXPECT_EQ(test, (unsigned long)base & ~PAGE_MASK, 0UL);
	KUNIT_EXPECT_EQ(test, MmshimReservedMappingCount(), reservations_before + 1);
	/* Reserved, page tables present, nothing mapped. */
	KUNIT_EXPECT_TRUE(test, range_unmapped(base, 8));
	pte = lookup_address((unsigned long)base + 7 * PAGE_SIZE, &level);
	KUNIT_EXPECT_NOT_NULL(test, pte);
	KUNIT_EXPECT_EQ(test, level, (unsigned int)PG_LEVEL_4K);

	m = locked_mdl(test, v + 100, 5 * PAGE_SIZE); /* spans 6 pages */
	EXPECT_NO_REPORT(test, sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, m, MmCached));
	KUNIT_ASSERT_NOT_NULL(test, sys);
	KUNIT_EXPECT_PTR_EQ(test, sys, (u8 *)base + 100);
	KUNIT_EXPECT_PTR_EQ(test, m->MappedSystemVa, base); /* no byte offset */
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	for (i = 0; i < 6; i++)
		KUNIT_EXPECT_EQ(test, mapped_pfn((u8 *)base + i * PAGE_SIZE),
				vmalloc_to_pfn(v + i * PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, range_unmapped((u8 *)base + 6 * PAGE_SIZE, 2));
	pte = lookup_address((unsigned long)base, &level);
	KUNIT_ASSERT_NOT_NULL(test, pte);
	KUNIT_EXPECT_TRUE(test, pte_write(*pte));
	KUNIT_EXPECT_TRUE(test, mmshim_kpte_nx(*pte));
	KUNIT_EXPECT_TRUE(test, same_memory(v + 100, sys, 5 * PAGE_SIZE, 1));
	KUNIT_EXPECT_TRUE(test, same_memory(sys, v + 100, 5 * PAGE_SIZE, 2));

	EXPECT_NO_REPORT(test, MmUnmapReservedMapping(base, RSV_TAG, m));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	/* After unmap the range is no longer mapped. */
	KUNIT_EXPECT_TRUE(test, range_unmapped(base, 8));
	EXPECT_NO_REPORT(test, MmFreeMappingAddress(base, RSV_TAG));
	release_mdl(m);
	vfree(v);
}

/* MDLs of 1 page up to exactly the reserved size, partial MDLs, one page
 * too many; the same reservation throughout. */
static void reserve_cycles_with_different_mdls(struct kunit *test)
{
	const unsigned int reserved = 8;
	u8 *v = vmalloc(10 * PAGE_SIZE);
	PMDL src, part, too_big;
	PVOID base;
	unsigned int n, ok = 0;
	u8 *sys;

	KUNIT_ASSERT_NOT_NULL(test, v);
	base = MmAllocateMappingAddress(reserved * PAGE_SIZE - 10, RSV_TAG); /* 8 pages */
	KUNIT_ASSERT_NOT_NULL(test, base);
	for (n = 1; n <= reserved; n++) {
		PMDL m = locked_mdl(test, v + (n - 1) * 16, n * PAGE_SIZE - (n - 1) * 16);

		sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, m, MmCached);
		if (sys == (u8 *)base + (n - 1) * 16 &&
		    mapped_pfn((u8 *)base + (n - 1) * PAGE_SIZE) == vmalloc_to_pfn(v + (n - 1) * PAGE_SIZE) &&
		    (n == reserved || !mapped_pfn((u8 *)base + n * PAGE_SIZE)) &&
		    same_memory(v + (n - 1) * 16, sys, n * PAGE_SIZE - (n - 1) * 16, n))
			ok++;
		MmUnmapReservedMapping(base, RSV_TAG, m);
		KUNIT_EXPECT_TRUE(test, range_unmapped(base, reserved));
		release_mdl(m);
	}
	KUNIT_EXPECT_EQ(test, ok, reserved);

	/* One page too many: NULL, reported, nothing mapped, MDL untouched. */
	too_big = locked_mdl(test, v + 1, reserved * PAGE_SIZE); /* 9 pages */
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE,
		      sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, too_big, MmCached));
	KUNIT_EXPECT_NULL(test, sys);
	KUNIT_EXPECT_FALSE(test, too_big->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	KUNIT_EXPECT_TRUE(test, range_unmapped(base, reserved));

	/* Partial MDLs of the locked one, the documented pattern. */
	src = locked_mdl(test, v, 10 * PAGE_SIZE);
	part = IoAllocateMdl(v, 10 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	for (n = 0; n < 3; n++) {
		u8 *at = v + n * 3 * PAGE_SIZE + 40;

		IoBuildPartialMdl(src, part, at, 2 * PAGE_SIZE);
		sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, part, MmCached);
		KUNIT_ASSERT_NOT_NULL(test, sys);
		KUNIT_EXPECT_PTR_EQ(test, sys, (u8 *)base + 40);
		KUNIT_EXPECT_TRUE(test, part->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED);
		KUNIT_EXPECT_TRUE(test, same_memory(at, sys, 2 * PAGE_SIZE, 0x30 + n));
		EXPECT_NO_REPORT(test, MmUnmapReservedMapping(base, RSV_TAG, part));
		KUNIT_EXPECT_FALSE(test, part->MdlFlags & (MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA));
		MmPrepareMdlForReuse(part);
	}
	/* An unaligned MappingAddress inside the first page (Windows 8+). */
	sys = MmMapLockedPagesWithReservedMapping((u8 *)base + 0x321, RSV_TAG, too_big, MmCached);
	KUNIT_EXPECT_NULL(test, sys); /* still too big */
	IoBuildPartialMdl(src, part, v + 8, 100);
	sys = MmMapLockedPagesWithReservedMapping((u8 *)base + 0x321, RSV_TAG, part, MmCached);
	KUNIT_EXPECT_PTR_EQ(test, sys, (u8 *)base + 8);
	EXPECT_NO_REPORT(test, MmUnmapReservedMapping((u8 *)base + 0x321, RSV_TAG, part));
	IoFreeMdl(part);
	release_mdl(src);
	release_mdl(too_big);
	MmFreeMappingAddress(base, RSV_TAG);
	vfree(v);
}

/* Every misuse Windows bug-checks on: reported with its subcode, refused,
 * and the reservation, the mapping and the pages left intact. */
static void reserve_misuse_is_refused(struct kunit *test)
{
	u8 *v = vmalloc(6 * PAGE_SIZE);
	PVOID base, other;
	PMDL m, one, three, five_src, unlocked;
	const ULONG wrong = 'gnrW';
	u8 *sys;

	KUNIT_ASSERT_NOT_NULL(test, v);
	base = MmAllocateMappingAddress(4 * PAGE_SIZE, RSV_TAG | 1);
	other = MmAllocateMappingAddress(PAGE_SIZE, 'rhtO');
	KUNIT_ASSERT_NOT_NULL(test, base);
	KUNIT_ASSERT_NOT_NULL(test, other);
	m = locked_mdl(test, v, 2 * PAGE_SIZE);
	one = locked_mdl(test, v, PAGE_SIZE);
	three = locked_mdl(test, v, 3 * PAGE_SIZE);
	five_src = locked_mdl(test, v + 1, 4 * PAGE_SIZE); /* 5 pages */

	/* Allocation: tag 0, zero bytes. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmAllocateMappingAddress(PAGE_SIZE, 0)));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_ZERO_MAPPINGS,
		      KUNIT_EXPECT_NULL(test, MmAllocateMappingAddress(0, RSV_TAG)));

	/* Empty reservation. */
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_MAP_NOT_OWNED,
		      sys = MmMapLockedPagesWithReservedMapping(base, wrong, m, MmCached));
	KUNIT_EXPECT_NULL(test, sys);
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_MAP_INVALID_RANGE,
		      sys = MmMapLockedPagesWithReservedMapping(v, RSV_TAG, m, MmCached));
	KUNIT_EXPECT_NULL(test, sys);
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_EMPTY, MmUnmapReservedMapping(base, RSV_TAG, m));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_NOT_OWNED, MmUnmapReservedMapping(base, wrong, m));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_NOT_OWNED, MmFreeMappingAddress(base, wrong));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_NOT_OWNED, MmFreeMappingAddress(v, RSV_TAG));
	unlocked = IoAllocateMdl(v, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, unlocked);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
		      sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, unlocked, MmCached));
	KUNIT_EXPECT_NULL(test, sys);
	IoFreeMdl(unlocked);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, NULL, MmCached));
	KUNIT_EXPECT_TRUE(test, range_unmapped(base, 4));
	KUNIT_EXPECT_EQ(test, MmshimReservedMappingCount(), reservations_before + 2);

	/* Mapped reservation (tag bit 0 is ignored: RSV_TAG | 1 reserved it). */
	sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, m, MmCached);
	KUNIT_ASSERT_PTR_EQ(test, sys, (u8 *)base);
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_MAP_NOT_UNMAPPED,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesWithReservedMapping(base, RSV_TAG, one, MmCached)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_MAPPED,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesWithReservedMapping(other, 'rhtO', m, MmCached)));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_STILL_MAPPED, MmFreeMappingAddress(base, RSV_TAG));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_NOT_OWNED, MmUnmapReservedMapping(base, wrong, m));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_TOO_MANY,
		      MmUnmapReservedMapping(base, RSV_TAG, five_src));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_NOT_MAPPED, MmUnmapReservedMapping(base, RSV_TAG, three));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_PARTIAL, MmUnmapReservedMapping(base, RSV_TAG, one));
	/* No damage: still mapped, same frames, data flows, flags kept. */
	KUNIT_EXPECT_EQ(test, mapped_pfn(base), vmalloc_to_pfn(v));
	KUNIT_EXPECT_EQ(test, mapped_pfn((u8 *)base + PAGE_SIZE), vmalloc_to_pfn(v + PAGE_SIZE));
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	KUNIT_EXPECT_TRUE(test, same_memory(v, sys, 2 * PAGE_SIZE, 9));

	EXPECT_NO_REPORT(test, MmUnmapReservedMapping(base, RSV_TAG | 1, m));
	KUNIT_EXPECT_TRUE(test, range_unmapped(base, 4));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_EMPTY, MmUnmapReservedMapping(base, RSV_TAG, m));

	/* Unlocking an MDL still mapped in a reservation: reported, unmapped. */
	sys = MmMapLockedPagesWithReservedMapping(other, 'rhtO', one, MmCached);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_IN_RESERVATION, MmUnlockPages(one));
	KUNIT_EXPECT_TRUE(test, range_unmapped(other, 1));
	IoFreeMdl(one);

	/* At APC_LEVEL only: not with a spinlock held. */
	preempt_disable();
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      MmFreeMappingAddress(other, 'rhtO'));
	preempt_enable();

	EXPECT_NO_REPORT(test, MmFreeMappingAddress(base, RSV_TAG));
	EXPECT_REPORT(test, SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_NOT_OWNED, MmFreeMappingAddress(base, RSV_TAG));
	EXPECT_NO_REPORT(test, MmFreeMappingAddress(other, 'rhtO'));
	release_mdl(m);
	release_mdl(three);
	release_mdl(five_src);
	vfree(v);
}

#ifdef CONFIG_FAULT_INJECTION
/* Forward progress: with every slab and page allocation of this thread
 * failing, 1,000 map/unmap cycles on an existing reservation all succeed. */
static void reserve_forward_progress_when_allocations_fail(struct kunit *test)
{
	u8 *v = vmalloc(16 * PAGE_SIZE);
	PVOID base = MmAllocateMappingAddress(16 * PAGE_SIZE, RSV_TAG);
	unsigned int i, ok = 0, data_ok = 0;
	void *probe_alloc, *probe_page;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, base);
	m = locked_mdl(test, v + 8, 16 * PAGE_SIZE - 8);

	current->make_it_fail = 1;
	/* The injection is really on: allocations fail. */
	probe_alloc = kmalloc(32, GFP_KERNEL);
	probe_page = (void *)__get_free_page(GFP_KERNEL);
	for (i = 0; i < 1000; i++) {
		u8 *sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, m, MmCached);

		if (sys == (u8 *)base + 8) {
			ok++;
			sys[i] = (u8)i;
			data_ok += v[8 + i] == (u8)i;
		}
		MmUnmapReservedMapping(base, RSV_TAG, m);
	}
	current->make_it_fail = 0;

	KUNIT_EXPECT_NULL(test, probe_alloc);
	KUNIT_EXPECT_EQ(test, (unsigned long)probe_page, 0UL);
	kfree(probe_alloc);
	if (probe_page)
		free_page((unsigned long)probe_page);
	KUNIT_EXPECT_EQ(test, ok, 1000U);
	KUNIT_EXPECT_EQ(test, data_ok, 1000U);
	KUNIT_EXPECT_TRUE(test, range_unmapped(base, 16));
	release_mdl(m);
	MmFreeMappingAddress(base, RSV_TAG);
	vfree(v);
}
#else
static void reserve_forward_progress_when_allocations_fail(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}
#endif

static DEFINE_SPINLOCK(reserve_test_lock);

/* A spinlock held: Windows' DISPATCH_LEVEL. With interrupts on every unmap
 * flushes every CPU before it returns; with interrupts off it flushes this
 * CPU and leaves the others to a worker (x86), or flushes every CPU with
 * broadcast invalidations as with interrupts on (arm64). */
static void reserve_with_spinlock_held(struct kunit *test)
{
	u8 *v = vmalloc(4 * PAGE_SIZE);
	u8 *w = vmalloc(4 * PAGE_SIZE);
	PVOID base = MmAllocateMappingAddress(4 * PAGE_SIZE, RSV_TAG);
	SIZE_T sync0, deferred0, early0, sync1, deferred1, early1;
	unsigned int i, ok = 0, unmapped_ok = 0;
	unsigned long flags;
	PMDL a, b;

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, base);
	a = locked_mdl(test, v, 4 * PAGE_SIZE);
	b = locked_mdl(test, w + 3, 3 * PAGE_SIZE);
	memset(v, 0xaa, 4 * PAGE_SIZE);
	memset(w, 0xbb, 4 * PAGE_SIZE);

	MmshimReservedMappingFlushes(&sync0, &deferred0, &early0);
	spin_lock(&reserve_test_lock);
	for (i = 0; i < 100; i++) {
		PMDL m = (i & 1) ? b : a;
		u8 want = (i & 1) ? 0xbb : 0xaa;
		u8 *sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, m, MmCached);

		/* Alternating MDLs: a stale translation would show the other. */
		if (sys && sys[0] == want && sys[2 * PAGE_SIZE] == want)
			ok++;
		MmUnmapReservedMapping(base, RSV_TAG, m);
		unmapped_ok += range_unmapped(base, 4);
	}
	spin_unlock(&reserve_test_lock);
	MmshimReservedMappingFlushes(&sync1, &deferred1, &early1);
	KUNIT_EXPECT_EQ(test, ok, 100U);
	KUNIT_EXPECT_EQ(test, unmapped_ok, 100U);
	KUNIT_EXPECT_EQ(test, sync1 - sync0, (SIZE_T)100);
	KUNIT_EXPECT_EQ(test, deferred1 - deferred0, (SIZE_T)0);

	ok = 0;
	unmapped_ok = 0;
	spin_lock_irqsave(&reserve_test_lock, flags);
	for (i = 0; i < 100; i++) {
		PMDL m = (i & 1) ? b : a;
		u8 want = (i & 1) ? 0xbb : 0xaa;
		u8 *sys = MmMapLockedPagesWithReservedMapping(base, RSV_TAG, m, MmCached);

		if (sys && sys[0] == want && sys[2 * PAGE_SIZE] == want)
			ok++;
		MmUnmapReservedMapping(base, RSV_TAG, m);
		unmapped_ok += range_unmapped(base, 4);
	}
	spin_unlock_irqrestore(&reserve_test_lock, flags);
	MmshimReservedMappingFlushes(&sync0, &deferred0, &early0);
	KUNIT_EXPECT_EQ(test, ok, 100U);
	KUNIT_EXPECT_EQ(test, unmapped_ok, 100U);
#ifdef CONFIG_ARM64
	/* Broadcast TLB invalidations need no IPI: every unmap flushed every
	 * CPU before it returned, interrupts off or not. */
	KUNIT_EXPECT_EQ(test, sync0 - sync1, (SIZE_T)100);
	KUNIT_EXPECT_EQ(test, deferred0 - deferred1, (SIZE_T)0);
#else
	KUNIT_EXPECT_EQ(test, deferred0 - deferred1, (SIZE_T)100);
#endif

	/* Back in a task with interrupts on, the next map finishes any flush
	 * still pending; the data is right either way. */
	KUNIT_EXPECT_PTR_EQ(test, MmMapLockedPagesWithReservedMapping(base, RSV_TAG, b, MmCached),
			    (PVOID)((u8 *)base + 3));
	KUNIT_EXPECT_EQ(test, ((u8 *)base)[3], 0xbb);
	MmUnmapReservedMapping(base, RSV_TAG, b);
	release_mdl(a);
	release_mdl(b);
	MmFreeMappingAddress(base, RSV_TAG);
	vfree(v);
	vfree(w);
}

struct reserve_worker {
	struct completion done;
	spinlock_t lock;
	PVOID base;
	PMDL mdl;
	u8 *buf;
	unsigned int cpu, ok, wrong_cpu;
};

static int reserve_worker_fn(void *data)
{
	struct reserve_worker *w = data;
	unsigned int i;

	for (i = 0; i < 300; i++) {
		u8 *sys;

		spin_lock(&w->lock);
		sys = MmMapLockedPagesWithReservedMapping(w->base, RSV_TAG, w->mdl, MmCached);
		if (sys) {
			sys[i % PAGE_SIZE] = (u8)(i + w->cpu);
			sys[PAGE_SIZE + 7] = (u8)i;
			if (w->buf[i % PAGE_SIZE] == (u8)(i + w->cpu) && w->buf[PAGE_SIZE + 7] == (u8)i)
				w->ok++;
			MmUnmapReservedMapping(w->base, RSV_TAG, w->mdl);
		}
		if (smp_processor_id() != w->cpu)
			w->wrong_cpu++;
		spin_unlock(&w->lock);
		if (!(i % 32))
			cond_resched();
	}
	return mmshim_thread_done(&w->done);
}

/* Two CPUs, each mapping into its own reservation at the same time. */
static void reserve_two_cpus_concurrently(struct kunit *test)
{
	struct reserve_worker *w = kunit_kcalloc(test, 2, sizeof(*w), GFP_KERNEL);
	int (*const fn[2])(void *) = { reserve_worker_fn, reserve_worker_fn };
	void *arg[2];
	struct completion *done[2];
	unsigned int i, cpu;

	KUNIT_ASSERT_NOT_NULL(test, w);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < 2; i++) {
		spin_lock_init(&w[i].lock);
		w[i].cpu = cpu;
		w[i].buf = vmalloc(2 * PAGE_SIZE);
		KUNIT_ASSERT_NOT_NULL(test, w[i].buf);
		w[i].base = MmAllocateMappingAddress(2 * PAGE_SIZE, RSV_TAG);
		KUNIT_ASSERT_NOT_NULL(test, w[i].base);
		w[i].mdl = locked_mdl(test, w[i].buf, 2 * PAGE_SIZE);
		arg[i] = &w[i];
		done[i] = &w[i].done;
		cpu = cpumask_next(cpu, cpu_online_mask);
	}
	mmshim_run_on_two_cpus(test, fn, arg, done, "mmshim_rsv");
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, w[i].ok, 300U);
		KUNIT_EXPECT_EQ(test, w[i].wrong_cpu, 0U);
		KUNIT_EXPECT_TRUE(test, range_unmapped(w[i].base, 2));
		release_mdl(w[i].mdl);
		MmFreeMappingAddress(w[i].base, RSV_TAG);
		vfree(w[i].buf);
	}
}

struct reserve_peek {
	const u8 *va;
	u8 seen[2];
};

/* On the other CPU, in its IPI: reads through (and so caches) the mapping. */
static void reserve_peek_fn(void *data)
{
	struct reserve_peek *p = data;

	p->seen[0] = READ_ONCE(p->va[0]);
	p->seen[1] = READ_ONCE(p->va[PAGE_SIZE + 5]);
}

/*
 * The unmap drops every CPU's translation, not only the caller's: another
 * CPU reads through the reservation (caching the translation), the MDL is
 * unmapped and another one mapped at the same address, and that CPU must
 * read the new MDL's bytes, not the old frames' (qemu's TLB, like a real
 * one, keeps a translation until it is flushed).
 */
static void reserve_other_cpu_sees_no_stale_frame(struct kunit *test)
{
	u8 *v = vmalloc(2 * PAGE_SIZE);
	u8 *w = vmalloc(2 * PAGE_SIZE);
	PVOID base = MmAllocateMappingAddress(2 * PAGE_SIZE, RSV_TAG);
	struct reserve_peek peek = { .va = base };
	unsigned int i, fresh = 0, mapped = 0;
	int cpu, other;
	PMDL m[2];

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, base);
	memset(v, 0x5a, 2 * PAGE_SIZE);
	memset(w, 0xa5, 2 * PAGE_SIZE);
	m[0] = locked_mdl(test, v, 2 * PAGE_SIZE);
	m[1] = locked_mdl(test, w, 2 * PAGE_SIZE);
	cpu = get_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	if (other < nr_cpu_ids) {
		for (i = 0; i < 200; i++) {
			u8 want = (i & 1) ? 0xa5 : 0x5a;

			if (!MmMapLockedPagesWithReservedMapping(base, RSV_TAG, m[i & 1], MmCached))
				continue;
			mapped++;
			peek.seen[0] = peek.seen[1] = 0;
			smp_call_function_single(other, reserve_peek_fn, &peek, 1);
			if (peek.seen[0] == want && peek.seen[1] == want)
				fresh++;
			MmUnmapReservedMapping(base, RSV_TAG, m[i & 1]);
		}
	}
	put_cpu();
	release_mdl(m[0]);
	release_mdl(m[1]);
	MmFreeMappingAddress(base, RSV_TAG);
	vfree(v);
	vfree(w);
	if (other >= nr_cpu_ids)
		kunit_skip(test, "needs two CPUs");
	KUNIT_EXPECT_EQ(test, mapped, 200U);
	KUNIT_EXPECT_EQ(test, fresh, 200U);
}

static struct kunit_case reserve_cases[] = {
	KUNIT_CASE(reserve_round_trip),
	KUNIT_CASE(reserve_cycles_with_different_mdls),
	KUNIT_CASE(reserve_misuse_is_refused),
	KUNIT_CASE(reserve_forward_progress_when_allocations_fail),
	KUNIT_CASE(reserve_with_spinlock_held),
	KUNIT_CASE(reserve_two_cpus_concurrently),
	KUNIT_CASE(reserve_other_cpu_sees_no_stale_frame),
	{}
};

static struct kunit_suite reserve_suite = {
	.name = "mmshim_reserve",
	.init = reserve_test_init,
	.exit = reserve_test_exit,
	.test_cases = reserve_cases,
};
kunit_test_suite(reserve_suite);
