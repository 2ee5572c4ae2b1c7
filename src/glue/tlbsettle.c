// SPDX-License-Identifier: GPL-2.0
/*
 * tlbsettle.c - no frame goes back to its owner while a CPU may still hold a
 * TLB entry that mmshim's own page tables gave it.
 *
 * The atomic-context VA pool (vapool.c) and reservations unmapped with
 * interrupts off (reserve.c) clear their PTEs without flushing every CPU:
 * that needs IPIs the context cannot send, so a worker flushes later. Linux
 * does the same for vmap's lazy purge, and covers it with
 * vm_unmap_aliases() wherever it matters (set_memory_*() before a page
 * changes memory type), but that only knows vmap's own areas, not PTEs
 * mmshim wrote. So mmshim orders the release of frames after the flush
 * itself: whoever clears such entries without flushing every CPU calls
 * mmshim_tlb_stale(); whoever is about to give frames back (unpin, free,
 * drop a reference) calls mmshim_tlb_settle() first, which flushes every CPU
 * now if the context can send IPIs, and otherwise says so, and the caller
 * hands the release to the teardown queue (defer.c), whose worker settles
 * first.
 */
#include <linux/atomic.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/smp.h>
#include <asm/tlbflush.h>
#include "glue.h"
#include "kpte.h" /* __flush_tlb_all() on arm64 */
#include "compat.h"

/* Clears made without an every-CPU flush, and how many of them a completed
 * every-CPU flush covers. */
static atomic_long_t mmshim_tlb_dirty = ATOMIC_LONG_INIT(0);
static atomic_long_t mmshim_tlb_clean = ATOMIC_LONG_INIT(0);
static atomic_long_t mmshim_tlb_settles = ATOMIC_LONG_INIT(0);

static void mmshim_tlb_flush_cpu(void *unused)
{
	__flush_tlb_all();
}

/**
 * mmshim_tlb_stale() - entries of mmshim's page tables were just cleared
 * and some CPU may still translate through them. Call after clearing.
 * Atomic-safe.
 */
void mmshim_tlb_stale(void)
{
	smp_mb__before_atomic(); /* the cleared PTEs before the ticket */
	atomic_long_inc(&mmshim_tlb_dirty);
}

/**
 * mmshim_tlb_settle() - make sure no CPU holds a stale mmshim translation.
 *
 * Returns true when none can (nothing stale, or every CPU flushed now);
 * false when some may and this context cannot send IPIs (interrupts off,
 * interrupt context): the caller must not release frames now. Atomic-safe.
 */
bool mmshim_tlb_settle(void)
{
	long want = atomic_long_read_acquire(&mmshim_tlb_dirty);
	long clean = atomic_long_read(&mmshim_tlb_clean);

	if (clean >= want)
		return true;
	if (!in_task() || irqs_disabled())
		return false;
	on_each_cpu(mmshim_tlb_flush_cpu, NULL, 1);
	atomic_long_inc(&mmshim_tlb_settles);
	while (clean < want && !atomic_long_try_cmpxchg(&mmshim_tlb_clean, &clean, want))
		;
	return true;
}

/** mmshim_tlb_settle_count() - every-CPU flushes mmshim_tlb_settle() made. */
unsigned long mmshim_tlb_settle_count(void)
{
	return atomic_long_read(&mmshim_tlb_settles);
}
