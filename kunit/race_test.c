// SPDX-License-Identifier: GPL-2.0
/*
 * race_test.c - KUnit suite "mmshim_race": MmUnlockPages on one CPU while
 * another CPU maps the same MDL, with a user-mode mapping
 * (MmMapLockedPagesSpecifyCache(UserMode), in the loading process's address
 * space), a reserved mapping (MmMapLockedPagesWithReservedMapping) or a
 * system mapping. Two kthreads bound to two CPUs meet at a barrier each
 * round, then one maps while the other unlocks after a delay that varies
 * from round to round, so the unlock lands before, during and after the
 * mapping. After each round, with the MDL unlocked, nothing may map its
 * frames any more: the process cannot read through a returned user address,
 * the reservation's entries are empty, no system mapping record is left;
 * and every counter is back where it started at the end.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>
#include "mmshim_kunit.h"

#define RACE_TAG ('caRK')
#define RACE_PAGES 3

enum race_kind { RACE_USER, RACE_RESERVED, RACE_SYSTEM };

struct race {
	enum race_kind kind;
	unsigned int rounds;
	unsigned int window_ns; /* the unlock's delay varies in [0, window) */
	u8 *buf;                /* vmalloc: scattered frames */
	void *reservation;
	struct mm_struct *mm;
	PMDL volatile mdl;      /* this round's, made by the unlocker */
	struct mmshim_meet meet; /* the threads' barrier */
	struct completion done[2];
	/* results, read after both threads finished */
	unsigned int mapped, refused, bad_user, bad_reserved, bad_system;
};

static struct mm_struct *race_test_mm;

static int race_suite_init(struct kunit_suite *suite)
{
	race_test_mm = mmshim_user_mm_get();
	return 0;
}

static void race_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&race_test_mm);
}

/* Both threads: the @n-th meeting (counted from 1). False on timeout. */
static bool race_meet(struct race *r, int n)
{
	return mmshim_meet(&r->meet, n);
}

static void race_delay(unsigned int ns)
{
	if (ns >= 1000)
		udelay(ns / 1000);
	ndelay(ns % 1000);
}

/* The page-table entry at @va, read without touching @va: 0 if none. */
static unsigned long race_pfn_at(void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	if (!pte || level != PG_LEVEL_4K || !mmshim_kpte_present(*pte))
		return 0;
	return pte_pfn(*pte);
}

static noinline PVOID race_map_user(PMDL m)
{
	PVOID volatile va = NULL;

	__try {
		va = MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		va = NULL;
	}
	return va;
}

/* CPU A: maps each round's MDL, then checks what is left once it is unlocked. */
static int race_mapper_fn(void *data)
{
	struct race *r = data;
	unsigned int i;

	if (r->kind == RACE_USER)
		kthread_use_mm(r->mm);
	for (i = 0; i < r->rounds; i++) {
		PMDL m;
		PVOID va = NULL;
		unsigned int p;

		if (!race_meet(r, 3 * i + 1))
			break;
		m = r->mdl;
		if (i % 4 == 3)
			race_delay(r->window_ns / 2); /* now and then the unlock goes first */
		switch (r->kind) {
		case RACE_USER:
			va = race_map_user(m);
			break;
		case RACE_RESERVED:
			va = MmMapLockedPagesWithReservedMapping(r->reservation, RACE_TAG, m, MmCached);
			break;
		case RACE_SYSTEM:
			va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE,
							  NormalPagePriority);
			break;
		}
		if (va)
			r->mapped++;
		else
			r->refused++;
		if (!race_meet(r, 3 * i + 2)) /* the MDL is unlocked now */
			break;
		switch (r->kind) {
		case RACE_USER:
			if (MmshimUserMappingCount() != 0)
				r->bad_user++;
			if (va) {
				u8 byte;
				unsigned long base = (unsigned long)va & PAGE_MASK;

				/* Revoked by the unlock: the process reads nothing. */
				if (!copy_from_user(&byte, va, 1))
					r->bad_user++;
				if (MmshimUserMappingCount())
					MmUnmapLockedPages(va, m);
				vm_munmap(base, RACE_PAGES * PAGE_SIZE);
			}
			break;
		case RACE_RESERVED:
			for (p = 0; p < RACE_PAGES; p++)
				if (race_pfn_at((u8 *)r->reservation + p * PAGE_SIZE))
					r->bad_reserved++;
			if (race_pfn_at(r->reservation))
				MmUnmapReservedMapping(r->reservation, RACE_TAG, m);
			break;
		case RACE_SYSTEM:
			if (MmshimMappedMdlCount() != 0) {
				r->bad_system++;
				MmUnmapLockedPages(m->MappedSystemVa, m);
			}
			break;
		}
		if (!race_meet(r, 3 * i + 3))
			break;
	}
	if (r->kind == RACE_USER)
		kthread_unuse_mm(r->mm);
	return mmshim_thread_done(&r->done[0]);
}

/* CPU B: locks each round's MDL, unlocks it after a varying delay, frees it. */
static int race_unlocker_fn(void *data)
{
	struct race *r = data;
	unsigned int i;

	for (i = 0; i < r->rounds; i++) {
		PMDL m = mmshim_meet_locked_mdl(&r->meet, r->buf, RACE_PAGES * PAGE_SIZE);

		if (!m)
			break;
		r->mdl = m;
		if (!race_meet(r, 3 * i + 1)) {
			release_mdl(m);
			break;
		}
		race_delay((i * 7919U) % r->window_ns);
		MmUnlockPages(m);
		if (!race_meet(r, 3 * i + 2) || !race_meet(r, 3 * i + 3)) {
			IoFreeMdl(m);
			break;
		}
		IoFreeMdl(m);
	}
	return mmshim_thread_done(&r->done[1]);
}

static void race_run(struct kunit *test, enum race_kind kind, unsigned int rounds, unsigned int window_ns)
{
	struct race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	SIZE_T locked = MmshimLockedMdlCount(), mapped = MmshimMappedMdlCount();
	SIZE_T user = MmshimUserMappingCount(), reserved = MmshimReservedMappingCount();
	int (*const fn[2])(void *) = { race_mapper_fn, race_unlocker_fn };
	void *arg[2];
	struct completion *done[2];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	if (kind == RACE_USER && !race_test_mm)
		kunit_skip(test, "the test module was not loaded by a user process");
	r->kind = kind;
	r->rounds = rounds;
	r->window_ns = window_ns;
	r->mm = race_test_mm;
	r->buf = vmalloc(RACE_PAGES * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, r->buf);
	memset(r->buf, 0x5c, RACE_PAGES * PAGE_SIZE);
	if (kind == RACE_RESERVED) {
		r->reservation = MmAllocateMappingAddress(RACE_PAGES * PAGE_SIZE, RACE_TAG);
		KUNIT_ASSERT_NOT_NULL(test, r->reservation);
	}
	arg[0] = arg[1] = r;
	done[0] = &r->done[0];
	done[1] = &r->done[1];
	mmshim_run_on_two_cpus(test, fn, arg, done, "mmshim_race");
	kunit_info(test, "%u rounds: %u mapped before the unlock, %u refused or abandoned\n", rounds,
		   r->mapped, r->refused);
	KUNIT_EXPECT_EQ(test, r->meet.timeouts, 0U);
	KUNIT_EXPECT_FALSE(test, r->meet.abort);
	KUNIT_EXPECT_EQ(test, r->mapped + r->refused, rounds);
	KUNIT_EXPECT_EQ_MSG(test, r->bad_user, 0U, "user mappings outlived the unlock");
	KUNIT_EXPECT_EQ_MSG(test, r->bad_reserved, 0U, "reservation entries outlived the unlock");
	KUNIT_EXPECT_EQ_MSG(test, r->bad_system, 0U, "system mappings outlived the unlock");
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), locked);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), mapped);
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), user);
	if (kind == RACE_RESERVED) {
		for (i = 0; i < RACE_PAGES; i++)
			KUNIT_EXPECT_EQ(test, race_pfn_at((u8 *)r->reservation + i * PAGE_SIZE), 0UL);
		EXPECT_NO_REPORT(test, MmFreeMappingAddress(r->reservation, RACE_TAG));
	}
	KUNIT_EXPECT_EQ(test, MmshimReservedMappingCount(), reserved);
	/* The buffer was never damaged through a stray mapping. */
	for (i = 0; i < RACE_PAGES * PAGE_SIZE; i += 512)
		KUNIT_EXPECT_EQ(test, r->buf[i], (u8)0x5c);
	vfree(r->buf);
}

static void race_unlock_vs_user_map(struct kunit *test)
{
	race_run(test, RACE_USER, 300, 200000);
}

static void race_unlock_vs_reserved_map(struct kunit *test)
{
	race_run(test, RACE_RESERVED, 1000, 20000);
}

static void race_unlock_vs_system_map(struct kunit *test)
{
	race_run(test, RACE_SYSTEM, 1000, 30000);
}

/*
 * Pages mapped through the atomic VA pool and freed with interrupts off: the
 * VA pool's entries were cleared without flushing other CPUs (no IPIs with
 * interrupts off), so the pages must not go back to the allocator until
 * every CPU has flushed; they are freed by the teardown worker, after its
 * flush. The test holds a reference of its own on each frame, so it sees
 * mmshim's reference go without the frame being reused meanwhile.
 */
static void race_atomic_free_waits_for_tlb_flush(struct kunit *test)
{
	PMDL m = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), 2 * PAGE_SIZE);
	struct page *pages[2];
	unsigned long flags, deadline;
	const u8 *va;
	u8 seen;
	int i, held = 0;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, MmGetMdlByteCount(m), (ULONG)(2 * PAGE_SIZE));
	for (i = 0; i < 2; i++) {
		pages[i] = pfn_to_page(MmGetMdlPfnArray(m)[i]);
		get_page(pages[i]);
	}
	local_irq_save(flags);
	/* Read-only: never the linear map, so in atomic context the VA pool. */
	va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE,
					  NormalPagePriority | MdlMappingNoWrite);
	seen = va ? va[PAGE_SIZE] : 0xff;
	MmFreePagesFromMdl(m); /* unmaps (VA pool), then releases the pages */
	for (i = 0; i < 2; i++)
		held += page_count(pages[i]) > 1;
	local_irq_restore(flags);
	KUNIT_EXPECT_NOT_NULL(test, va);
	KUNIT_EXPECT_EQ(test, seen, 0); /* MmAllocatePagesForMdl zeroes */
	KUNIT_EXPECT_EQ_MSG(test, held, 2, "pages freed before other CPUs flushed their TLBs");
	/* The worker flushes, then frees. */
	deadline = jiffies + 10 * HZ;
	while ((page_count(pages[0]) > 1 || page_count(pages[1]) > 1) && time_before(jiffies, deadline))
		msleep(5);
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, page_count(pages[i]), 1);
		put_page(pages[i]);
	}
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
	ExFreePool(m);
}

/*
 * The process removes mmshim's user mapping itself and maps something else
 * at the same address; the driver's MmUnmapLockedPages afterwards must leave
 * the process's new mapping alone (only mmshim's own VMA is ever removed).
 */
static void race_unmap_leaves_a_replacement_alone(struct kunit *test)
{
	u8 *buf = vmalloc(2 * PAGE_SIZE);
	unsigned long base, again;
	struct vm_area_struct *vma;
	bool anon = false;
	u8 byte = 0;
	PVOID va;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	if (!race_test_mm) {
		vfree(buf);
		kunit_skip(test, "the test module was not loaded by a user process");
	}
	m = locked_mdl(test, buf, 2 * PAGE_SIZE);
	mmshim_user_attach(test, race_test_mm);
	va = race_map_user(m);
	KUNIT_EXPECT_NOT_NULL(test, va);
	if (va) {
		base = (unsigned long)va & PAGE_MASK;
		KUNIT_EXPECT_EQ(test, vm_munmap(base, 2 * PAGE_SIZE), 0);
		again = vm_mmap(NULL, base, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, 0);
		KUNIT_EXPECT_EQ(test, again, base);
		byte = 0x77;
		KUNIT_EXPECT_EQ(test, copy_to_user((void __user *)base, &byte, 1), 0UL);
		EXPECT_NO_REPORT(test, MmUnmapLockedPages(va, m));
		mmap_read_lock(current->mm);
		vma = vma_lookup(current->mm, base);
		anon = vma && vma_is_anonymous(vma);
		mmap_read_unlock(current->mm);
		KUNIT_EXPECT_TRUE_MSG(test, anon, "the process's own mapping was removed");
		byte = 0;
		KUNIT_EXPECT_EQ(test, copy_from_user(&byte, (void __user *)base, 1), 0UL);
		KUNIT_EXPECT_EQ(test, byte, 0x77);
		vm_munmap(base, 2 * PAGE_SIZE);
	}
	mmshim_user_detach();
	KUNIT_EXPECT_EQ(test, MmshimUserMappingCount(), 0UL);
	release_mdl(m);
	vfree(buf);
}

/*
 * Issue 14: lock records and mapping records are recycled through spare
 * slots taken and filled with atomic exchanges (no lock), and an MDL's
 * capacity is found through a slot table without the MDL lock. Two CPUs
 * each lock, map, check and unmap, and unlock their own MDL (and allocate
 * and free one now and then) as fast as they can, some rounds with a spin
 * lock held (the VA pool, the unpin worker): every round must see exactly
 * its own frames through its own mapping, and nothing may be left over.
 */
#define SPARE_PAGES 5

struct spare_race {
	u8 *buf[2];             /* vmalloc: scattered frames, one buffer per CPU */
	unsigned int rounds;
	atomic_t running;
	struct completion done[2];
	unsigned int bad[2], rounds_done[2];
};

struct spare_arg {
	struct spare_race *r;
	unsigned int id;
};

static bool spare_round(u8 *buf, unsigned int id, unsigned int i, PMDL *mp)
{
	static DEFINE_SPINLOCK(spare_lock);
	const bool atomic = (i % 5) == 4;
	const u8 mark = (u8)(id * 0x40 + (i & 0x3f));
	unsigned long flags = 0;
	bool ok = true;
	PMDL m = *mp;
	unsigned int p;
	u8 *va;

	if (!m || (i % 16) == 15) { /* a new MDL now and then: new slot, new record */
		if (m)
			IoFreeMdl(m);
		m = *mp = IoAllocateMdl(buf, SPARE_PAGES * PAGE_SIZE, FALSE, FALSE, NULL);
		if (!m)
			return false;
	}
	for (p = 0; p < SPARE_PAGES; p++)
		buf[p * PAGE_SIZE] = mark + p;
	if (MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess) != STATUS_SUCCESS)
		return false;
	for (p = 0; p < SPARE_PAGES; p++)
		if (MmGetMdlPfnArray(m)[p] != vmalloc_to_pfn(buf + p * PAGE_SIZE))
			ok = false;
	if (atomic)
		spin_lock_irqsave(&spare_lock, flags);
	va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
	if (!va) {
		ok = false;
	} else {
		for (p = 0; p < SPARE_PAGES; p++)
			if (va[p * PAGE_SIZE] != (u8)(mark + p))
				ok = false;
		va[1] = mark; /* written through the mapping: seen in the buffer */
		MmUnmapLockedPages(va, m);
	}
	MmUnlockPages(m);
	if (atomic)
		spin_unlock_irqrestore(&spare_lock, flags);
	return ok && buf[1] == mark && !(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA));
}

static int spare_race_fn(void *data)
{
	struct spare_arg *a = data;
	struct spare_race *r = a->r;
	PMDL m = NULL;
	unsigned int i;

	atomic_inc(&r->running);
	while (atomic_read(&r->running) < 2)
		cpu_relax();
	for (i = 0; i < r->rounds; i++) {
		if (!spare_round(r->buf[a->id], a->id, i, &m))
			r->bad[a->id]++;
		r->rounds_done[a->id]++;
		if (!(i & 63))
			cond_resched();
	}
	if (m)
		IoFreeMdl(m);
	return mmshim_thread_done(&r->done[a->id]);
}

static void race_spare_records_two_cpus(struct kunit *test)
{
	struct spare_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct spare_arg args[2];
	SIZE_T locked = MmshimLockedMdlCount(), mapped = MmshimMappedMdlCount();
	MMSHIM_VERIFIER_REPORT rep;
	ULONG seq0 = MmshimVerifierLastReport(&rep) ? rep.Sequence : 0;
	int (*const fn[2])(void *) = { spare_race_fn, spare_race_fn };
	void *const arg[2] = { &args[0], &args[1] };
	struct completion *done[2];
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	r->rounds = 400;
	atomic_set(&r->running, 0);
	for (i = 0; i < 2; i++) {
		r->buf[i] = vmalloc(SPARE_PAGES * PAGE_SIZE);
		KUNIT_ASSERT_NOT_NULL(test, r->buf[i]);
		args[i].r = r;
		args[i].id = i;
	}
	done[0] = &r->done[0];
	done[1] = &r->done[1];
	mmshim_run_on_two_cpus(test, fn, arg, done, "mmshim_spare");
	for (i = 0; i < 2; i++) {
		KUNIT_EXPECT_EQ(test, r->rounds_done[i], r->rounds);
		KUNIT_EXPECT_EQ_MSG(test, r->bad[i], 0U, "CPU %u saw frames or a mapping not its own", i);
		vfree(r->buf[i]);
	}
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), locked);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), mapped);
	KUNIT_EXPECT_EQ(test, MmshimVerifierLastReport(&rep) ? rep.Sequence : 0U, seq0); /* no report */
}

static struct kunit_case race_cases[] = {
	KUNIT_CASE(race_unlock_vs_user_map),
	KUNIT_CASE(race_unlock_vs_reserved_map),
	KUNIT_CASE(race_unlock_vs_system_map),
	KUNIT_CASE(race_atomic_free_waits_for_tlb_flush),
	KUNIT_CASE(race_unmap_leaves_a_replacement_alone),
	KUNIT_CASE(race_spare_records_two_cpus),
	{}
};

static struct kunit_suite race_suite = {
	.name = "mmshim_race",
	MMSHIM_SUITE_HOOKS(race_suite)
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = race_cases,
};
mmshim_kunit_suite_with_hooks(race_suite);
