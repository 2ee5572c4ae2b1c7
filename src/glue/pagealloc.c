// SPDX-License-Identifier: GPL-2.0
/*
 * pagealloc.c - physical pages for MmAllocatePagesForMdl(Ex) and contiguous
 * memory: alloc_pages_node (split into single pages), __free_page, and the
 * linear map's cache type (x86: set_memory_uc / set_memory_wc /
 * set_memory_wb; arm64: the linear-map entries rewritten, see below).
 */
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/numa.h>
#include <linux/highmem.h>
#include <linux/vmstat.h>
#include <asm/set_memory.h>
#include <asm/tlbflush.h>
#include "platform.h"
#include "glue.h"
#include "kpte.h"

/**
 * mmshim_plat_pages_alloc() - alloc_pages_node() of 2^@order pages.
 * @order: 0..mmshim_plat_pages_max_order()
 * @flags: MMSHIM_PAGES_*
 * @pfn: out, first frame
 * @node: online NUMA node to prefer (or, with MMSHIM_PAGES_THIS_NODE, to
 *        take the pages from only); -1: none
 *
 * Always __GFP_NOWARN and __GFP_NORETRY: a Windows caller gets fewer pages
 * (or none) when memory is short, and the OOM killer is never invoked on its
 * behalf. Blocks above order 0 are split with split_page() so that each
 * page can be freed alone. Sleeps unless MMSHIM_PAGES_ATOMIC or
 * MMSHIM_PAGES_NOWAIT.
 */
int mmshim_plat_pages_alloc(unsigned int order, unsigned int flags, unsigned long long *pfn, int node)
{
	gfp_t gfp = __GFP_NOWARN | __GFP_NORETRY;
	int nid = NUMA_NO_NODE;
	struct page *page;

	if (order > MMSHIM_PAGES_MAX_ORDER)
		return 0;
	/* alloc_pages_node() warns about (and may crash on) an offline node. */
	if (node >= 0 && !mmshim_plat_node_online(node))
		return 0;
	if (flags & MMSHIM_PAGES_ATOMIC)
		gfp |= GFP_ATOMIC;
	else if (flags & MMSHIM_PAGES_NOWAIT)
		gfp |= GFP_NOWAIT;
	else
		gfp |= GFP_KERNEL;
	if (flags & MMSHIM_PAGES_ZERO)
		gfp |= __GFP_ZERO;
	/* Without ZONE_DMA, GFP_DMA means any zone: DMA32 is the closest. */
	if ((flags & MMSHIM_PAGES_DMA) && IS_ENABLED(CONFIG_ZONE_DMA))
		gfp |= GFP_DMA;
	else if (flags & (MMSHIM_PAGES_DMA | MMSHIM_PAGES_DMA32))
		gfp |= GFP_DMA32;
	if (node >= 0)
		nid = node;
	if (flags & MMSHIM_PAGES_THIS_NODE) {
		if (nid == NUMA_NO_NODE)
			nid = numa_node_id();
		gfp |= __GFP_THISNODE;
	}
	page = alloc_pages_node(nid, gfp, order);
	if (!page)
		return 0;
	if (order && !(flags & MMSHIM_PAGES_WHOLE))
		split_page(page, order);
	*pfn = page_to_pfn(page);
	return 1;
}

/** mmshim_plat_page_free() - __free_page(). Atomic-safe. */
void mmshim_plat_page_free(unsigned long long pfn)
{
	__free_page(pfn_to_page(pfn));
}

/** mmshim_plat_pages_max_order() - the largest order mmshim asks for. */
unsigned int mmshim_plat_pages_max_order(void)
{
	return MMSHIM_PAGES_MAX_ORDER;
}

#ifdef CONFIG_ARM64
/*
 * Clean and invalidate the data cache lines of [@start, @end) to the point
 * of coherency (DC CIVAC, by VA; it acts on the lines whatever the memory
 * type of the VA). The line size is CTR_EL0.DminLine, the smallest of the
 * system.
 */
static void mmshim_dcache_clean_inval(unsigned long start, unsigned long end)
{
	unsigned long line = 4UL << ((read_cpuid_cachetype() >> CTR_EL0_DminLine_SHIFT) & 0xf);
	unsigned long addr;

	for (addr = start & ~(line - 1); addr < end; addr += line)
		asm volatile("dc civac, %0" : : "r"(addr) : "memory");
	dsb(sy);
}

/**
 * mmshim_plat_pages_set_cache() - the memory type of frames' linear-map entries.
 * @pfn: first frame (RAM with a struct page, allocated by mmshim)
 * @count: frames
 * @cache: MMSHIM_CACHE_*
 *
 * arm64 has no set_memory_uc/wc (and no PAT): the linear map's own entries
 * are rewritten, so that the frames never have two memory types at once
 * (a Normal-NC or Device alias of Normal write-back memory is a mismatched
 * attribute, which loses coherency). UC and WC both become Normal-NC (RAM
 * must stay Normal memory; kpte.h), UC marked MMSHIM_PTE_NONCACHED_RAM.
 * Changing the memory type of a live entry needs break-before-make: the
 * lines are cleaned to memory, the entries made invalid, the TLBs of every
 * CPU invalidated (flush_tlb_kernel_range: broadcast TLBI), the new entries
 * written, and the lines the old type may have let the CPU prefetch
 * meanwhile discarded. Nobody but mmshim can touch the frames meanwhile
 * (just allocated, or being freed). Needs the linear map at page
 * granularity (rodata=full, which Debian's kernel uses by default, or
 * DEBUG_PAGEALLOC): -EOPNOTSUPP with block mappings, nothing changed.
 * Atomic-safe (x86's may sleep).
 */
int mmshim_plat_pages_set_cache(unsigned long long pfn, mmshim_size count, unsigned int cache)
{
	unsigned long start = (unsigned long)page_address(pfn_to_page(pfn));
	unsigned long end = start + count * PAGE_SIZE;
	/* Write-back is the linear map's own MT_NORMAL_TAGGED (map_mem()). */
	pgprot_t prot = cache == MMSHIM_CACHE_WB ? pgprot_tagged(PAGE_KERNEL) :
			mmshim_kprot(PAGE_KERNEL, cache, true);
	pteval_t attr = pgprot_val(prot) & (PTE_ATTRINDX_MASK | MMSHIM_PTE_NONCACHED_RAM);
	unsigned long addr;
	unsigned int level;

	if (count > INT_MAX)
		return -EINVAL;
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		pte_t *pte = lookup_address(addr, &level);

		if (!pte || level != PG_LEVEL_4K || !mmshim_kpte_present(*pte))
			return -EOPNOTSUPP;
	}
	mmshim_dcache_clean_inval(start, end);
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		pte_t *pte = lookup_address(addr, &level);

		set_pte(pte, __pte(pte_val(*pte) & ~PTE_VALID));
	}
	flush_tlb_kernel_range(start, end);
	for (addr = start; addr < end; addr += PAGE_SIZE) {
		pte_t *pte = lookup_address(addr, &level);
		pteval_t val = pte_val(*pte) & ~(PTE_ATTRINDX_MASK | MMSHIM_PTE_NONCACHED_RAM);

		set_pte(pte, __pte(val | attr | PTE_VALID));
	}
	mmshim_dcache_clean_inval(start, end);
	return 0;
}
#else
/**
 * mmshim_plat_pages_set_cache() - set_memory_uc/wc/wb on the linear map.
 * @pfn: first frame (RAM with a struct page, allocated by mmshim)
 * @count: frames
 * @cache: MMSHIM_CACHE_*
 *
 * set_memory_uc/wc also reserve the memory type in PAT's tracking, which is
 * what makes a later conflicting alias fail; set_memory_wb releases it.
 * May sleep (page-table splits allocate).
 */
int mmshim_plat_pages_set_cache(unsigned long long pfn, mmshim_size count, unsigned int cache)
{
	unsigned long addr = (unsigned long)page_address(pfn_to_page(pfn));

	if (count > INT_MAX)
		return -EINVAL;
	if (cache == MMSHIM_CACHE_UC)
		return set_memory_uc(addr, count);
	if (cache == MMSHIM_CACHE_WC)
		return set_memory_wc(addr, count);
	return set_memory_wb(addr, count);
}
#endif

struct mmshim_release {
	struct mmshim_deferred deferred; /* overlays the start of the core's block */
	const unsigned long long *pfns;
	mmshim_size count;
	unsigned int cache;
};

static void mmshim_release_now(void *block, const unsigned long long *pfns, mmshim_size count,
			       unsigned int cache)
{
	mmshim_size i = 0;

	while (i < count) {
		mmshim_size run = 1;

		if (cache != MMSHIM_CACHE_WB) {
			while (i + run < count && pfns[i + run] == pfns[i] + run)
				run++;
			/* Freed pages must be write-back again before reuse. */
			WARN_ON_ONCE(mmshim_plat_pages_set_cache(pfns[i], run, MMSHIM_CACHE_WB));
		}
		for (; run; run--, i++)
			__free_page(pfn_to_page(pfns[i]));
	}
	mmshim_plat_free(block);
}

static void mmshim_deferred_release(struct mmshim_deferred *d)
{
	struct mmshim_release *r = container_of(d, struct mmshim_release, deferred);

	mmshim_release_now(r, r->pfns, r->count, r->cache);
}

/**
 * mmshim_plat_pages_release() - free an allocation's pages and its record.
 * @block: the core's record (mmshim_plat_alloc), freed last
 * @pfns: the frames, inside @block past MMSHIM_PAGES_RELEASE_SCRATCH
 * @count: frames
 * @cache: the linear map's cache type for them now
 *
 * Write-back pages are freed at once, in any context, unless a CPU may still
 * translate to them through mmshim's page tables and this context cannot
 * flush every CPU (tlbsettle.c). Uncached or write-combined pages need
 * set_memory_wb(), which sleeps. Either way, the release goes to the
 * teardown queue, its list node and arguments written over the start of
 * @block. Atomic-safe.
 */
void mmshim_plat_pages_release(void *block, const unsigned long long *pfns, mmshim_size count,
			       unsigned int cache)
{
	struct mmshim_release *r = block;

	BUILD_BUG_ON(sizeof(struct mmshim_release) > MMSHIM_PAGES_RELEASE_SCRATCH);
	/* Not while a CPU may still translate to the pages (tlbsettle.c). */
	if ((cache == MMSHIM_CACHE_WB || mmshim_plat_may_sleep()) && mmshim_tlb_settle()) {
		mmshim_release_now(block, pfns, count, cache);
		return;
	}
	r->deferred.fn = mmshim_deferred_release;
	r->pfns = pfns;
	r->count = count;
	r->cache = cache;
	mmshim_defer(&r->deferred);
}

/** mmshim_plat_numa_node() - numa_node_id(). Atomic-safe. */
int mmshim_plat_numa_node(void)
{
	return numa_node_id();
}

/**
 * mmshim_plat_pages_split() - split_page() of a block allocated with
 * MMSHIM_PAGES_WHOLE, so that each page is freed on its own. Atomic-safe.
 */
void mmshim_plat_pages_split(unsigned long long pfn, unsigned int order)
{
	if (order)
		split_page(pfn_to_page(pfn), order);
}

/** mmshim_plat_pages_free_whole() - __free_pages() of an unsplit block. Atomic-safe. */
void mmshim_plat_pages_free_whole(unsigned long long pfn, unsigned int order)
{
	__free_pages(pfn_to_page(pfn), order);
}

/** mmshim_plat_page_zero() - clear_highpage(). Atomic-safe. */
void mmshim_plat_page_zero(unsigned long long pfn)
{
	clear_highpage(pfn_to_page(pfn));
}

/**
 * mmshim_plat_pages_spare() - free pages mmshim may still take for drivers.
 *
 * NR_FREE_PAGES minus a floor left to the rest of the system: 1/32 of RAM,
 * at least 4 MiB, far above the zones' watermarks (tens of MiB against a few
 * on a machine of a few GiB), so taking pages for a driver never pushes
 * anyone else into reclaim, let alone towards the OOM killer. Pages on
 * 6.12's per-CPU lists are not in NR_FREE_PAGES: the answer errs low.
 * Atomic-safe (one atomic read).
 */
mmshim_size mmshim_plat_pages_spare(void)
{
	unsigned long floor = max(totalram_pages() / 32, 1024UL);
	unsigned long free = global_zone_page_state(NR_FREE_PAGES);

	return free > floor ? free - floor : 0;
}
