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
#include "pfn.h"
#include "kpte.h"

/* vm_map_ram's per-CPU blocks serve small mappings fastest. */
#define MMSHIM_VM_MAP_RAM_MAX 16
static_assert(MMSHIM_MAP_STACK_FRAMES == MMSHIM_VM_MAP_RAM_MAX);

enum { MMSHIM_MAPPING_VM_MAP_RAM = 1, MMSHIM_MAPPING_VMAP = 2 };

struct mmshim_mapping {
	struct mmshim_deferred deferred; /* for unmapping in atomic context */
	void *va;
	unsigned int count;
	int kind;
};
static_assert(sizeof(struct mmshim_mapping) <= sizeof(struct mmshim_map_state));
static_assert(__alignof__(struct mmshim_mapping) <= __alignof__(struct mmshim_map_state));

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

/**
 * mmshim_plat_pfn_linear_address() - __va() of frame @pfn, computed only.
 *
 * Nothing is looked up or read, so it is safe for any frame; the address is
 * only meaningful for RAM. Atomic-safe.
 */
mmshim_uptr mmshim_plat_pfn_linear_address(unsigned long long pfn)
{
	return (mmshim_uptr)__va(PFN_PHYS(pfn));
}

/**
 * mmshim_plat_frames_ram() - how many leading frames are RAM with a struct page.
 * @pfns: frames
 * @count: how many
 * @contiguous: out, whether the RAM frames found are consecutive
 *
 * Atomic-safe.
 */
mmshim_size mmshim_plat_frames_ram(const unsigned long long *pfns, mmshim_size count,
				   int *contiguous)
{
	unsigned long long valid = ~0ULL;
	mmshim_size i;
	int consecutive = 1;

	for (i = 0; i < count; i++) {
		unsigned long long pfn = pfns[i];

		if (!mmshim_pfn_valid_cached(pfn, &valid))
			break;
		if (i && pfn != pfns[i - 1] + 1)
			consecutive = 0;
	}
	*contiguous = consecutive;
	return i;
}

/* RAM frames (kpte.h: arm64 keeps uncached RAM Normal memory). */
static pgprot_t mmshim_map_prot(unsigned int cache, int read_only)
{
	pgprot_t prot = read_only ? PAGE_KERNEL_RO : PAGE_KERNEL; /* both NX */

	return mmshim_kprot(prot, cache, true);
}

/**
 * mmshim_plat_map_frames() - map RAM frames at contiguous kernel addresses.
 * @pfns: frames, each RAM with a struct page
 * @count: how many
 * @cache: MMSHIM_CACHE_*
 * @read_only: map without write permission
 * @state: where to keep what mmshim_plat_unmap_frames() undoes
 * @scratch: NULL, or room for @count page pointers (the core's, reused)
 *
 * vm_map_ram() for small cached writable mappings, vmap() otherwise. The
 * mappings are never executable. Returns the page-aligned address or NULL.
 * Mappings of more than 16 pages need a page array: @scratch if given, else
 * one allocated for the call. May sleep.
 */
void *mmshim_plat_map_frames(const unsigned long long *pfns, mmshim_size count,
			     unsigned int cache, int read_only, struct mmshim_map_state *state,
			     void *scratch)
{
	struct mmshim_mapping *m = (struct mmshim_mapping *)state;
	struct page *small[MMSHIM_VM_MAP_RAM_MAX];
	struct page **pages = small;
	mmshim_size i;

	if (!count || count > UINT_MAX)
		return NULL;
	/* Small mappings (the common case) need no array allocation. */
	if (count > ARRAY_SIZE(small)) {
		pages = scratch ? scratch : kvmalloc_array(count, sizeof(*pages), MMSHIM_GFP_NO_OOM);
		if (!pages)
			return NULL;
	}
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
	if (pages != small && pages != scratch)
		kvfree(pages);
	return m->va;
}

static void mmshim_unmap_now(struct mmshim_mapping *m)
{
	if (m->kind == MMSHIM_MAPPING_VM_MAP_RAM)
		vm_unmap_ram(m->va, m->count);
	else
		vunmap(m->va);
}

static void mmshim_deferred_unmap(struct mmshim_deferred *d)
{
	struct mmshim_mapping *m = container_of(d, struct mmshim_mapping, deferred);

	mmshim_unmap_now(m);
	mmshim_core_map_state_done((struct mmshim_map_state *)m);
}

/**
 * mmshim_plat_unmap_frames() - undo mmshim_plat_map_frames().
 * @state: as filled by mmshim_plat_map_frames()
 *
 * vunmap() and vm_unmap_ram() may sleep: in atomic context the unmap joins
 * the ordered teardown queue, ahead of any unpin queued after it, and the
 * core hears of its end through mmshim_core_map_state_done(). Returns 1 if
 * the unmap is done. Atomic-safe.
 */
int mmshim_plat_unmap_frames(struct mmshim_map_state *state)
{
	struct mmshim_mapping *m = (struct mmshim_mapping *)state;

	if (mmshim_plat_may_sleep()) {
		mmshim_unmap_now(m);
		return 1;
	}
	m->deferred.fn = mmshim_deferred_unmap;
	mmshim_defer(&m->deferred);
	return 0;
}
