// SPDX-License-Identifier: GPL-2.0
/*
 * map.c - kernel virtual mappings of page frames for the core's system
 * mappings (MmMapLockedPagesSpecifyCache): the linear map, vm_map_ram and
 * vmap.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/numa.h>
#include <asm/pgtable.h>
#include "platform.h"
#include "glue.h"

/* vm_map_ram's per-CPU blocks serve small mappings fastest. */
#define MMSHIM_VM_MAP_RAM_MAX 16

enum { MMSHIM_MAPPING_VM_MAP_RAM = 1, MMSHIM_MAPPING_VMAP = 2 };

struct mmshim_mapping {
	struct mmshim_deferred deferred; /* for unmapping in atomic context */
	void *va;
	unsigned int count;
	int kind;
};

/**
 * mmshim_plat_pfn_to_linear() - the linear-map address of RAM frame @pfn.
 *
 * NULL for frames that are not RAM with a struct page. Atomic-safe.
 */
void *mmshim_plat_pfn_to_linear(unsigned long long pfn)
{
	if (!mmshim_plat_pfn_is_ram(pfn))
		return NULL;
	return page_address(pfn_to_page(pfn));
}

static pgprot_t mmshim_map_prot(unsigned int cache, int read_only)
{
	pgprot_t prot = read_only ? PAGE_KERNEL_RO : PAGE_KERNEL; /* both NX */

	if (cache == MMSHIM_CACHE_UC)
		prot = pgprot_noncached(prot);
	else if (cache == MMSHIM_CACHE_WC)
		prot = pgprot_writecombine(prot);
	return prot;
}

/**
 * mmshim_plat_map_frames() - map RAM frames at contiguous kernel addresses.
 * @pfns: frames, each RAM with a struct page
 * @count: how many
 * @cache: MMSHIM_CACHE_*
 * @read_only: map without write permission
 * @handle: out, for mmshim_plat_unmap_frames()
 *
 * vm_map_ram() for small cached writable mappings, vmap() otherwise. The
 * mappings are never executable. Returns the page-aligned address or NULL.
 * May sleep.
 */
void *mmshim_plat_map_frames(const unsigned long long *pfns, mmshim_size count,
			     unsigned int cache, int read_only, void **handle)
{
	struct page *small[MMSHIM_VM_MAP_RAM_MAX];
	struct mmshim_mapping *m;
	struct page **pages = small;
	mmshim_size i;

	if (!count || count > UINT_MAX)
		return NULL;
	m = kmalloc(sizeof(*m), GFP_KERNEL | __GFP_NOWARN);
	/* Small mappings (the common case) need no array allocation. */
	if (count > ARRAY_SIZE(small))
		pages = kvmalloc_array(count, sizeof(*pages), GFP_KERNEL | __GFP_NOWARN);
	if (!m || !pages)
		goto fail;
	for (i = 0; i < count; i++)
		pages[i] = pfn_to_page(pfns[i]);
	m->count = count;
	if (cache == MMSHIM_CACHE_WB && !read_only && count <= MMSHIM_VM_MAP_RAM_MAX) {
		m->kind = MMSHIM_MAPPING_VM_MAP_RAM;
		m->va = vm_map_ram(pages, count, NUMA_NO_NODE);
	} else {
		m->kind = MMSHIM_MAPPING_VMAP;
		m->va = vmap(pages, count, VM_MAP, mmshim_map_prot(cache, read_only));
	}
	if (!m->va)
		goto fail;
	if (pages != small)
		kvfree(pages);
	*handle = m;
	return m->va;
fail:
	if (pages != small)
		kvfree(pages);
	kfree(m);
	return NULL;
}

static void mmshim_unmap_now(struct mmshim_mapping *m)
{
	if (m->kind == MMSHIM_MAPPING_VM_MAP_RAM)
		vm_unmap_ram(m->va, m->count);
	else
		vunmap(m->va);
	kfree(m);
}

static void mmshim_deferred_unmap(struct mmshim_deferred *d)
{
	mmshim_unmap_now(container_of(d, struct mmshim_mapping, deferred));
}

/**
 * mmshim_plat_unmap_frames() - undo mmshim_plat_map_frames().
 * @handle: from mmshim_plat_map_frames()
 *
 * vunmap() and vm_unmap_ram() may sleep: in atomic context the unmap joins
 * the ordered teardown queue, ahead of any unpin queued after it.
 * Atomic-safe.
 */
void mmshim_plat_unmap_frames(void *handle)
{
	struct mmshim_mapping *m = handle;

	if (mmshim_plat_may_sleep()) {
		mmshim_unmap_now(m);
		return;
	}
	m->deferred.fn = mmshim_deferred_unmap;
	mmshim_defer(&m->deferred);
}
