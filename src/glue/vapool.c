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
#include <asm/pgtable.h>
#include <asm/tlbflush.h>
#include "platform.h"
#include "glue.h"

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
