// SPDX-License-Identifier: GPL-2.0
/*
 * vapool.c - a range of kernel virtual addresses whose page tables exist
 * from load time, for mappings made where Linux cannot allocate or sleep
 * (a Windows caller at DISPATCH_LEVEL). The core decides which pages of the
 * range are free; this file only writes page-table entries and flushes TLBs.
 *
 * The range is reserved by vmap()ing one read-only dummy page over and over
 * (get_vm_area() and init_mm are not exported to modules); the PTE pointers
 * are looked up once, then every entry is cleared. Mapping writes PTEs;
 * unmapping clears them, and the core does not reuse those pages until a
 * worker has flushed every CPU's TLB.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/smp.h>
#include <linux/workqueue.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/irqflags.h>
#include <linux/sched/clock.h>
#include <linux/rcupdate.h>
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include "platform.h"
#include "glue.h"
#include "compat.h"
#include "kpte.h"

static struct page *mmshim_vapool_dummy;
static void *mmshim_vapool_base;
static pte_t **mmshim_vapool_ptes;
static unsigned long mmshim_vapool_pages;

static void mmshim_flush_this_cpu(void *unused)
{
	__flush_tlb_all();
}

static void mmshim_flush_all_cpus(void)
{
	on_each_cpu(mmshim_flush_this_cpu, NULL, 1);
}

static void mmshim_vapool_flush_fn(struct work_struct *work)
{
	mmshim_core_vapool_flush_begin();
	mmshim_flush_all_cpus();
	mmshim_core_vapool_flush_end();
}
static DECLARE_WORK(mmshim_vapool_flush_work, mmshim_vapool_flush_fn);

/*
 * Synchronous flush from atomic context. on_each_cpu() may not be used
 * there (smp_call_function_many() warns outside task context: a softirq
 * could have interrupted this CPU between another caller's llist_add and its
 * IPI), so each other CPU gets its own asynchronous call_single_data, and
 * the caller waits, bounded, until each has flushed after the request: the
 * handler reads the request generation *before* flushing and records it
 * after, so a recorded generation >= ours proves a flush that began after
 * our page-table entries were cleared.
 */
static DEFINE_PER_CPU(call_single_data_t, mmshim_flush_csd);
static DEFINE_PER_CPU(unsigned long, mmshim_flushed_gen);
static atomic_long_t mmshim_flush_gen = ATOMIC_LONG_INIT(0);
static bool mmshim_flush_csd_ready;

/* Longest wait for the other CPUs (normally microseconds): a CPU that keeps
 * interrupts off for longer makes the flush fail instead of hanging. */
#define MMSHIM_SYNC_FLUSH_TIMEOUT_NS (500 * NSEC_PER_MSEC)

static void mmshim_flush_ipi(void *unused)
{
	unsigned long gen = atomic_long_read(&mmshim_flush_gen);

	smp_mb(); /* the generation is read before the flush */
	__flush_tlb_all();
	smp_store_release(this_cpu_ptr(&mmshim_flushed_gen), gen);
}

static void mmshim_flush_csd_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		INIT_CSD(per_cpu_ptr(&mmshim_flush_csd, cpu), mmshim_flush_ipi, NULL);
	mmshim_flush_csd_ready = true;
}

/* Module unload: no request may still be queued or running on any CPU. */
static void mmshim_flush_csd_quiesce(void)
{
	int cpu;

	if (!mmshim_flush_csd_ready)
		return;
	for_each_possible_cpu(cpu)
		while (READ_ONCE(per_cpu_ptr(&mmshim_flush_csd, cpu)->node.u_flags) & CSD_FLAG_LOCK)
			cpu_relax();
	/* A handler runs with interrupts off, after its csd is unlocked. */
	synchronize_rcu();
	mmshim_flush_csd_ready = false;
}

/**
 * mmshim_plat_vapool_flush_now() - flush every CPU's TLB before returning.
 *
 * Allowed with a spinlock held and in softirq, as long as interrupts are on
 * (this CPU must keep answering other CPUs' IPIs while it waits for theirs);
 * refused (-EAGAIN) with interrupts off, in hard IRQ and in NMI. Waits at
 * most MMSHIM_SYNC_FLUSH_TIMEOUT_NS (-ETIMEDOUT). The caller must hold no lock
 * another CPU may spin on with interrupts off. Atomic-safe.
 *
 * Return: 0 once every online CPU has flushed after the call began.
 */
int mmshim_plat_vapool_flush_now(void)
{
	unsigned long gen;
	u64 deadline;
	int cpu, this_cpu, rc = 0;
	bool waiting;

	if (!mmshim_flush_csd_ready || irqs_disabled() || in_hardirq() || in_nmi())
		return -EAGAIN;
	preempt_disable();
	this_cpu = smp_processor_id();
	gen = atomic_long_inc_return(&mmshim_flush_gen); /* after the PTE clears */
	for_each_online_cpu(cpu) {
		/* -EBUSY: an earlier request has not started yet; it reads the
		 * generation when it runs, so it serves this one too. */
		if (cpu != this_cpu)
			smp_call_function_single_async(cpu, per_cpu_ptr(&mmshim_flush_csd, cpu));
	}
	__flush_tlb_all();
	deadline = local_clock() + MMSHIM_SYNC_FLUSH_TIMEOUT_NS;
	do {
		waiting = false;
		for_each_online_cpu(cpu)
			if (cpu != this_cpu &&
			    (long)(smp_load_acquire(per_cpu_ptr(&mmshim_flushed_gen, cpu)) - gen) < 0)
				waiting = true;
		if (!waiting)
			break;
		if (local_clock() > deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		cpu_relax();
	} while (1);
	preempt_enable();
	return rc;
}

/**
 * mmshim_plat_vapool_create() - reserve @pages pages of kernel VA with page
 * tables in place and every entry empty. Returns the base, or NULL. Sleeps.
 */
void *mmshim_plat_vapool_create(mmshim_size pages)
{
	struct page **dummies;
	unsigned long i;
	unsigned int level;

	mmshim_vapool_dummy = alloc_page(GFP_KERNEL | __GFP_ZERO);
	dummies = kvmalloc_array(pages, sizeof(*dummies), GFP_KERNEL);
	mmshim_vapool_ptes = kvmalloc_array(pages, sizeof(*mmshim_vapool_ptes), GFP_KERNEL);
	if (!mmshim_vapool_dummy || !dummies || !mmshim_vapool_ptes)
		goto fail;
	for (i = 0; i < pages; i++)
		dummies[i] = mmshim_vapool_dummy;
	mmshim_vapool_base = vmap(dummies, pages, VM_MAP, PAGE_KERNEL_RO);
	kvfree(dummies);
	dummies = NULL;
	if (!mmshim_vapool_base)
		goto fail;
	for (i = 0; i < pages; i++) {
		pte_t *pte = lookup_address((unsigned long)mmshim_vapool_base + i * PAGE_SIZE, &level);

		if (!pte || level != PG_LEVEL_4K)
			goto fail_unmap;
		mmshim_vapool_ptes[i] = pte;
	}
	for (i = 0; i < pages; i++)
		set_pte(mmshim_vapool_ptes[i], __pte(0));
	mmshim_flush_all_cpus();
	mmshim_vapool_pages = pages;
	mmshim_flush_csd_init();
	return mmshim_vapool_base;
fail_unmap:
	vunmap(mmshim_vapool_base);
	mmshim_vapool_base = NULL;
fail:
	kvfree(dummies);
	kvfree(mmshim_vapool_ptes);
	mmshim_vapool_ptes = NULL;
	if (mmshim_vapool_dummy)
		__free_page(mmshim_vapool_dummy);
	mmshim_vapool_dummy = NULL;
	return NULL;
}

/** mmshim_plat_vapool_destroy() - release the range (all entries empty). Sleeps. */
void mmshim_plat_vapool_destroy(void)
{
	if (!mmshim_vapool_base)
		return;
	flush_work(&mmshim_vapool_flush_work);
	mmshim_flush_csd_quiesce();
	vunmap(mmshim_vapool_base);
	kvfree(mmshim_vapool_ptes);
	__free_page(mmshim_vapool_dummy);
	mmshim_vapool_base = NULL;
	mmshim_vapool_ptes = NULL;
	mmshim_vapool_dummy = NULL;
	mmshim_vapool_pages = 0;
}

/**
 * mmshim_plat_vapool_map() - write PTEs for @count RAM frames at pool page
 * @index (whose entries are empty and not cached by any TLB): cached,
 * never executable, read-only if @read_only. Atomic-safe, allocates nothing.
 */
void mmshim_plat_vapool_map(mmshim_size index, const unsigned long long *pfns,
			    mmshim_size count, int read_only)
{
	pgprot_t prot = read_only ? PAGE_KERNEL_RO : PAGE_KERNEL;
	mmshim_size i;

	for (i = 0; i < count; i++)
		set_pte(mmshim_vapool_ptes[index + i], pfn_pte(pfns[i], prot));
}

/**
 * mmshim_plat_vapool_unmap() - clear @count PTEs at pool page @index. Other
 * CPUs may still hold the translations until the next flush. Atomic-safe.
 */
void mmshim_plat_vapool_unmap(mmshim_size index, mmshim_size count)
{
	mmshim_size i;

	for (i = 0; i < count; i++)
		set_pte(mmshim_vapool_ptes[index + i], __pte(0));
	mmshim_tlb_stale(); /* the frames wait for a flush (tlbsettle.c) */
}

/** mmshim_plat_vapool_request_flush() - schedule_work() of the flush. Atomic-safe. */
void mmshim_plat_vapool_request_flush(void)
{
	schedule_work(&mmshim_vapool_flush_work);
}
