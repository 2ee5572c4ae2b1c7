// SPDX-License-Identifier: GPL-2.0
/*
 * iospace.c - physical address ranges for MmMapIoSpace(Ex) and the address
 * queries: System RAM or device memory (region_intersects), ioremap*,
 * the cache type of a kernel page-table entry, and whether an address is
 * mapped at all (lookup_address).
 */
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <asm/pgtable.h>
#include <asm/processor.h>
#include "platform.h"
#include "glue.h"
#include "kpte.h"

struct mmshim_iomap {
	struct mmshim_deferred deferred; /* for iounmap in atomic context */
	void __iomem *va;
#ifdef CONFIG_ARM64
	struct list_head node;           /* mmshim_iomaps */
	unsigned long long phys, size;
	unsigned int cache;
#endif
};

#ifdef CONFIG_ARM64
/*
 * arm64 has no PAT: ioremap() keeps no record of the memory types device
 * ranges are mapped with, and would map a range Device-nGnRE that is
 * already mapped Normal-NC. The glue keeps x86's rule for mmshim's own
 * ioremaps: one memory type per device range while a mapping exists (a
 * second alias of another type is refused as a conflict). Entries live
 * from the ioremap until the iounmap is done.
 */
static LIST_HEAD(mmshim_iomaps);
static DEFINE_SPINLOCK(mmshim_iomaps_lock);

/* Insert @m unless a live mapping overlaps it with another type. */
static bool mmshim_iomap_track(struct mmshim_iomap *m)
{
	struct mmshim_iomap *o;
	unsigned long flags;
	bool ok = true;

	spin_lock_irqsave(&mmshim_iomaps_lock, flags);
	list_for_each_entry(o, &mmshim_iomaps, node)
		if (o->cache != m->cache && o->phys < m->phys + m->size && m->phys < o->phys + o->size)
			ok = false;
	if (ok)
		list_add(&m->node, &mmshim_iomaps);
	spin_unlock_irqrestore(&mmshim_iomaps_lock, flags);
	return ok;
}

static void mmshim_iomap_untrack(struct mmshim_iomap *m)
{
	unsigned long flags;

	spin_lock_irqsave(&mmshim_iomaps_lock, flags);
	list_del(&m->node);
	spin_unlock_irqrestore(&mmshim_iomaps_lock, flags);
}
#endif

/**
 * mmshim_plat_phys_kind() - region_intersects() with System RAM.
 * @phys: first byte
 * @size: bytes (> 0)
 *
 * Takes the resource tree's read lock only. Atomic-safe.
 */
enum mmshim_phys_kind mmshim_plat_phys_kind(unsigned long long phys, unsigned long long size)
{
	switch (region_intersects(phys, size, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE)) {
	case REGION_INTERSECTS:
		return MMSHIM_PHYS_RAM;
	case REGION_DISJOINT:
		return MMSHIM_PHYS_DEVICE;
	default:
		return MMSHIM_PHYS_MIXED;
	}
}

/**
 * mmshim_plat_phys_limit() - 2^(physical address bits): x86_phys_bits; on
 * arm64 the system-wide PARange, at most what the kernel supports (kpte.h).
 * Atomic-safe.
 */
unsigned long long mmshim_plat_phys_limit(void)
{
	return 1ULL << mmshim_phys_bits();
}

/**
 * mmshim_plat_kva_cache() - the cache type of the PTE that maps @va.
 *
 * lookup_address() in the kernel page tables, then mmshim_kpte_cache()
 * (kpte.h): on x86 the PAT bits (large-page entries have their PAT bit
 * moved to the 4K position first; UC- counts as uncached), on arm64 the
 * MAIR attribute index. Atomic-safe.
 */
int mmshim_plat_kva_cache(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	BUILD_BUG_ON(MMSHIM_CACHE_WB != 0 || MMSHIM_CACHE_UC != 1 || MMSHIM_CACHE_WC != 2);
	if (!pte || !mmshim_kpte_present(*pte))
		return -1;
	return mmshim_kpte_cache(*pte, level);
}

/**
 * mmshim_plat_ioremap() - ioremap / ioremap_wc / ioremap_cache.
 * @phys: page-aligned device address (no System RAM in the range)
 * @size: page multiple
 * @cache: MMSHIM_CACHE_*
 * @read_only: ignored: x86 cannot ioremap read-only from a module
 *             (ioremap_prot takes only a cache mode; set_memory_ro is not
 *             exported), see docs/iospace.md; nor can arm64 (its
 *             ioremap_prot() refuses anything but the kernel's own types)
 * @conflict: out, set if PAT gave another cache type than asked
 * @handle: out, for mmshim_plat_iounmap()
 *
 * arm64: ioremap() is Device-nGnRE, ioremap_wc() Normal-NC, ioremap_cache()
 * Normal write-back; there is no memtype tracking in Linux, so the glue
 * refuses an alias of another type of a range it has mapped itself
 * (mmshim_iomaps above), and the check below confirms the attribute.
 *
 * PAT's memtype tracking may hand out a compatible but different type when
 * the range is already mapped differently (ioremap asked UC- over WC, for
 * one); mmshim then unmaps and reports a conflict rather than return a
 * mapping with a type the driver did not ask for. May sleep.
 */
void *mmshim_plat_ioremap(unsigned long long phys, mmshim_size size, unsigned int cache,
			  int read_only, int *conflict, void **handle)
{
	struct mmshim_iomap *m;
	int got;

	*conflict = 0;
	m = kmalloc(sizeof(*m), MMSHIM_GFP_NO_OOM);
	if (!m)
		return NULL;
#ifdef CONFIG_ARM64
	m->phys = phys;
	m->size = size;
	m->cache = cache;
	if (!mmshim_iomap_track(m)) {
		kfree(m);
		*conflict = 1;
		return NULL;
	}
#endif
	if (cache == MMSHIM_CACHE_WC)
		m->va = ioremap_wc(phys, size);
	else if (cache == MMSHIM_CACHE_WB)
		m->va = ioremap_cache(phys, size);
	else
		m->va = ioremap(phys, size);
	if (!m->va || (got = mmshim_plat_kva_cache((__force void *)m->va)) != (int)cache) {
		if (m->va)
			iounmap(m->va);
#ifdef CONFIG_ARM64
		mmshim_iomap_untrack(m);
#endif
		*conflict = m->va != NULL;
		kfree(m);
		return NULL;
	}
	*handle = m;
	return (__force void *)m->va;
}

static void mmshim_iounmap_now(struct mmshim_iomap *m)
{
	iounmap(m->va);
#ifdef CONFIG_ARM64
	mmshim_iomap_untrack(m);
#endif
	kfree(m);
}

static void mmshim_deferred_iounmap(struct mmshim_deferred *d)
{
	mmshim_iounmap_now(container_of(d, struct mmshim_iomap, deferred));
}

/**
 * mmshim_plat_iounmap() - undo mmshim_plat_ioremap().
 * @handle: from mmshim_plat_ioremap()
 *
 * iounmap() may sleep: in atomic context it joins the teardown queue.
 * Atomic-safe.
 */
void mmshim_plat_iounmap(void *handle)
{
	struct mmshim_iomap *m = handle;

	if (mmshim_plat_may_sleep()) {
		mmshim_iounmap_now(m);
		return;
	}
	m->deferred.fn = mmshim_deferred_iounmap;
	mmshim_defer(&m->deferred);
}

/**
 * mmshim_plat_kva_readable() - is kernel address @va mapped (present PTE)?
 *
 * Non-canonical and user addresses are not. Never touches @va.
 * Atomic-safe.
 */
int mmshim_plat_kva_readable(const void *va)
{
	unsigned long addr = (unsigned long)va;
	unsigned int level;
	pte_t *pte;

#ifdef CONFIG_X86
	if (addr < TASK_SIZE_MAX || !__is_canonical_address(addr, boot_cpu_data.x86_virt_bits))
		return 0;
#else
	/* arm64: kernel addresses are the TTBR1 half, from PAGE_OFFSET up. */
	if (addr < PAGE_OFFSET)
		return 0;
#endif
	pte = lookup_address(addr, &level);
	return pte && mmshim_kpte_present(*pte);
}
