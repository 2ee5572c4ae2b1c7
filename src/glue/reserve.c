// SPDX-License-Identifier: GPL-2.0
/*
 * reserve.c - kernel VA reserved by MmAllocateMappingAddress, with its page
 * tables, so that MmMapLockedPagesWithReservedMapping writes PTEs and never
 * allocates. The core decides what is mapped where; this file writes and
 * clears page-table entries and flushes TLBs.
 *
 * Reserving: get_vm_area() and apply_to_page_range() are not exported to
 * modules, so the range is made by vmap()ing one read-only dummy page over
 * and over, which makes vmalloc build every page table of the range. The
 * PTE pointers are looked up once with lookup_address() and kept, then
 * every entry is cleared: an unmapped reservation holds no translation, so a
 * stray access faults instead of silently reading some page (Windows faults
 * too). Releasing is vunmap(), which accepts the empty entries.
 *
 * TLB flushing (docs/reserve.md has the reasoning):
 *  - map: set_pte() into empty entries that no TLB holds. Nothing to flush.
 *  - unmap: clear the entries, then
 *    * from a task with interrupts enabled (passive level, or a spinlock
 *      held with preemption off, Windows' DISPATCH_LEVEL): every CPU,
 *      synchronously. On arm64 the cleared pages only, with broadcast TLBIs
 *      (flush_tlb_kernel_range(), inline: no IPI). On x86
 *      on_each_cpu(__flush_tlb_all): flush_tlb_kernel_range() is not
 *      exported, and with page-table isolation a CPU may hold the entries
 *      under other PCIDs, which a single INVLPG would not drop. (An IPI
 *      that INVLPGs each page instead measured no faster: the IPI round
 *      trip is the cost.)
 *    * with interrupts disabled or in interrupt context: on arm64 the same
 *      broadcast flush, which needs no IPI. On x86, waiting for other
 *      CPUs could deadlock (smp_call_function warns), so: flush this CPU
 *      now, let a worker flush all CPUs, and record a ticket. The next map
 *      of the reservation finishes that flush first: synchronously if it
 *      can, else it flushes its own CPU and counts the early reuse
 *      (see mmshim_plat_reserve_stats()).
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/smp.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/workqueue.h>
#include <linux/atomic.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include "platform.h"
#include "glue.h"
#include "kpte.h"
#include "compat.h"

struct mmshim_reservation {
	void *base;
	unsigned long pages;
	long flush_ticket; /* all CPUs must have flushed past this; 0 = none */
	pte_t *ptes[];
};

static struct page *mmshim_reserve_dummy;
static DEFINE_MUTEX(mmshim_reserve_dummy_lock);
static unsigned long mmshim_reserve_live;

/* Flush tickets: requested is bumped by every deferred unmap, done is set by
 * the worker to the value it read before flushing every CPU. */
static atomic_long_t mmshim_reserve_flush_requested = ATOMIC_LONG_INIT(0);
static atomic_long_t mmshim_reserve_flush_done = ATOMIC_LONG_INIT(0);
static atomic_long_t mmshim_reserve_sync_flushes = ATOMIC_LONG_INIT(0);
static atomic_long_t mmshim_reserve_deferred_flushes = ATOMIC_LONG_INIT(0);
static atomic_long_t mmshim_reserve_early_reuses = ATOMIC_LONG_INIT(0);

static void mmshim_reserve_flush_cpu(void *unused)
{
	__flush_tlb_all();
}

/* IPIs with a wait are allowed only from a task with interrupts enabled. */
static bool mmshim_reserve_can_ipi(void)
{
	return in_task() && !irqs_disabled();
}

static void mmshim_reserve_flush_all_cpus(void)
{
	on_each_cpu(mmshim_reserve_flush_cpu, NULL, 1);
	atomic_long_inc(&mmshim_reserve_sync_flushes);
}

/*
 * Every CPU's translations of the first @pages entries of @r, just cleared,
 * synchronously. Where the hardware broadcasts TLB invalidations (arm64,
 * kpte.h) just those pages, with no IPI, in any context; else every CPU's
 * whole TLB (the context must be able to send IPIs).
 */
static void mmshim_reserve_flush_entries(struct mmshim_reservation *r, unsigned long pages)
{
#if MMSHIM_KFLUSH_BROADCAST
	unsigned long start = (unsigned long)r->base;

	mmshim_kflush_range_all(start, start + pages * PAGE_SIZE);
	atomic_long_inc(&mmshim_reserve_sync_flushes);
#else
	mmshim_reserve_flush_all_cpus();
#endif
}

static void mmshim_reserve_flush_fn(struct work_struct *work)
{
	long ticket = atomic_long_read(&mmshim_reserve_flush_requested);

	on_each_cpu(mmshim_reserve_flush_cpu, NULL, 1);
	atomic_long_set(&mmshim_reserve_flush_done, ticket);
}
static DECLARE_WORK(mmshim_reserve_flush_work, mmshim_reserve_flush_fn);

/**
 * mmshim_plat_reserve_create() - reserve @pages pages of kernel VA whose page
 * tables exist and whose entries are all empty; the base goes to *@base.
 * Returns the handle, or NULL. Sleeps.
 */
void *mmshim_plat_reserve_create(mmshim_size pages, mmshim_uptr *base)
{
	struct mmshim_reservation *r;
	struct page **dummies;
	unsigned long i;
	unsigned int level;

	mutex_lock(&mmshim_reserve_dummy_lock);
	if (!mmshim_reserve_dummy)
		mmshim_reserve_dummy = alloc_page(MMSHIM_GFP_NO_OOM | __GFP_ZERO);
	if (mmshim_reserve_dummy)
		mmshim_reserve_live++;
	mutex_unlock(&mmshim_reserve_dummy_lock);
	if (!mmshim_reserve_dummy)
		return NULL;

	r = kvzalloc(struct_size(r, ptes, pages), MMSHIM_GFP_NO_OOM);
	dummies = kvmalloc_array(pages, sizeof(*dummies), MMSHIM_GFP_NO_OOM);
	if (!r || !dummies)
		goto fail;
	for (i = 0; i < pages; i++)
		dummies[i] = mmshim_reserve_dummy;
	r->base = vmap(dummies, pages, VM_MAP, PAGE_KERNEL_RO);
	kvfree(dummies);
	dummies = NULL;
	if (!r->base)
		goto fail;
	for (i = 0; i < pages; i++) {
		pte_t *pte = lookup_address((unsigned long)r->base + i * PAGE_SIZE, &level);

		if (!pte || level != PG_LEVEL_4K)
			goto fail_unmap;
		r->ptes[i] = pte;
	}
	for (i = 0; i < pages; i++)
		set_pte(r->ptes[i], __pte(0));
	/* The dummy's translations may be cached anywhere: gone before use. */
	mmshim_reserve_flush_all_cpus();
	r->pages = pages;
	*base = (mmshim_uptr)r->base;
	return r;
fail_unmap:
	vunmap(r->base);
fail:
	kvfree(dummies);
	kvfree(r);
	mmshim_plat_reserve_destroy(NULL);
	return NULL;
}

/**
 * mmshim_plat_reserve_destroy() - release a reservation (all entries empty);
 * NULL only drops the dummy page reference of a failed create. Sleeps.
 */
void mmshim_plat_reserve_destroy(void *handle)
{
	struct mmshim_reservation *r = handle;

	if (r) {
		/* A deferred flush may still be queued for this range. */
		flush_work(&mmshim_reserve_flush_work);
		vunmap(r->base);
		kvfree(r);
	}
	mutex_lock(&mmshim_reserve_dummy_lock);
	if (--mmshim_reserve_live == 0) {
		__free_page(mmshim_reserve_dummy);
		mmshim_reserve_dummy = NULL;
	}
	mutex_unlock(&mmshim_reserve_dummy_lock);
}

/**
 * mmshim_plat_reserve_map() - write PTEs for @count RAM frames from the first
 * page of the reservation: NX, memory type @cache (MMSHIM_CACHE_*, the
 * frames' own type, chosen by the core), read-only if @read_only (frames no
 * mapping may write) else RW. A flush the last unmap deferred is finished
 * first. Allocates nothing. Atomic-safe.
 */
void mmshim_plat_reserve_map(void *handle, const unsigned long long *pfns, mmshim_size count,
			     unsigned int cache, int read_only)
{
	struct mmshim_reservation *r = handle;
	pgprot_t prot = read_only ? PAGE_KERNEL_RO : PAGE_KERNEL;
	mmshim_size i;

	prot = mmshim_kprot(prot, cache, count && pfn_valid(pfns[0]));

	if (r->flush_ticket &&
	    atomic_long_read(&mmshim_reserve_flush_done) < r->flush_ticket) {
		if (mmshim_reserve_can_ipi()) {
			mmshim_reserve_flush_all_cpus();
		} else {
			/* Other CPUs flush when the worker runs. */
			preempt_disable();
			__flush_tlb_all();
			preempt_enable();
			atomic_long_inc(&mmshim_reserve_early_reuses);
		}
	}
	r->flush_ticket = 0;
	for (i = 0; i < count; i++)
		set_pte(r->ptes[i], pfn_pte(pfns[i], prot));
}

/**
 * mmshim_plat_reserve_unmap() - clear the first @count entries and flush
 * TLBs: every CPU synchronously when the context allows IPIs, else this CPU
 * now and the others from a worker (see the top of this file). Allocates
 * nothing. Atomic-safe.
 */
void mmshim_plat_reserve_unmap(void *handle, mmshim_size count)
{
	struct mmshim_reservation *r = handle;
	mmshim_size i;

	for (i = 0; i < count; i++)
		set_pte(r->ptes[i], __pte(0));
	/* Broadcast invalidations need no IPI: every CPU, in any context. */
	if (MMSHIM_KFLUSH_BROADCAST || mmshim_reserve_can_ipi()) {
		mmshim_reserve_flush_entries(r, count);
		r->flush_ticket = 0;
		return;
	}
	preempt_disable();
	__flush_tlb_all();
	preempt_enable();
	mmshim_tlb_stale(); /* the frames wait for a flush (tlbsettle.c) */
	r->flush_ticket = atomic_long_inc_return(&mmshim_reserve_flush_requested);
	atomic_long_inc(&mmshim_reserve_deferred_flushes);
	schedule_work(&mmshim_reserve_flush_work);
}

/** mmshim_plat_reserve_stats() - flush counters since load. Atomic-safe. */
void mmshim_plat_reserve_stats(unsigned long *sync, unsigned long *deferred, unsigned long *early)
{
	*sync = atomic_long_read(&mmshim_reserve_sync_flushes);
	*deferred = atomic_long_read(&mmshim_reserve_deferred_flushes);
	*early = atomic_long_read(&mmshim_reserve_early_reuses);
}
