// SPDX-License-Identifier: GPL-2.0
/*
 * perm.c - what the core needs to keep mappings no more permissive than
 * the frames' owners: which frames are read-only for everyone (the shared
 * zero page, kernel read-only data), and a process identity that cannot be
 * reused while mmshim holds it. docs/security.md has the reasoning.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <asm/pgtable.h>
#include "platform.h"
#include "glue.h"
#include "pfn.h"
#include "kpte.h"

/*
 * What the last page-table walk of mmshim_plat_frames_read_only() found:
 * a writable leaf (one page, or a whole 2 MiB / 1 GiB block) whose frames
 * need no look of their own, and, when the leaf was a 4 KiB entry, the
 * page table holding it, whose other entries map the rest of that 2 MiB
 * of the linear map: a frame there is judged by reading its entry, with no
 * walk from the top.
 */
struct mmshim_leaf_cache {
	unsigned long lo, hi;         /* writable leaf: [lo, hi) */
	unsigned long tbl_lo, tbl_hi; /* range the page table maps */
	pte_t *tbl;                   /* its first entry, or NULL */
};

/*
 * Read-only in the kernel's own linear map, or not there at all. On x86,
 * set_memory_ro() of kernel or module read-only data changes the linear
 * alias of the same frames too (cpa_process_alias()), so the linear-map
 * entry says whether the kernel itself may write the frame.
 */
static bool mmshim_linear_read_only(unsigned long va, struct mmshim_leaf_cache *c)
{
	unsigned int level;
	pte_t *pte;

	if (c->tbl && va >= c->tbl_lo && va < c->tbl_hi) {
		pte_t entry = ptep_get(c->tbl + pte_index(va));

		return !mmshim_kpte_present(entry) || !pte_write(entry);
	}
	pte = lookup_address(va, &level);
	if (!pte || !mmshim_kpte_present(*pte) || !pte_write(*pte))
		return true;
	c->lo = va & page_level_mask(level);
	c->hi = c->lo + ~page_level_mask(level) + 1;
	if (level == PG_LEVEL_4K) {
		c->tbl = pte - pte_index(va);
		c->tbl_lo = va & PMD_MASK;
		c->tbl_hi = c->tbl_lo + PMD_SIZE;
	}
	return false;
}

/**
 * mmshim_plat_frames_read_only() - does any RAM frame of @pfns have to
 * stay read-only in every mapping mmshim makes?
 * @pfns: frames
 * @count: how many
 *
 * The shared zero page, and frames whose linear-map entry is read-only or
 * absent (kernel text and rodata, a module's .rodata, frames the kernel
 * unmapped from the linear map). Device frames (no struct page) are not
 * looked at. The huge zero page is not recognised here (not exported to
 * modules): it is only ever pinned read-only, which the lock record marks.
 *
 * Every frame is judged by its own linear-map entry, but the page tables
 * are walked from the top once per writable 2 MiB / 1 GiB block, or once
 * per page table where the linear map is split into 4 KiB entries (as it
 * is around anything set_memory_*() touched): the other frames of that
 * block or table are read from what the walk found. pfn_valid() likewise
 * is asked once per memory subsection. Atomic-safe.
 */
int mmshim_plat_frames_read_only(const unsigned long long *pfns, mmshim_size count)
{
	unsigned long long valid = ~0ULL; /* subsection known to be valid */
	struct mmshim_leaf_cache c = { .lo = 1, .hi = 0, .tbl = NULL };
	mmshim_size i;

	for (i = 0; i < count; i++) {
		unsigned long long pfn = pfns[i];
		unsigned long va;

		if (!mmshim_pfn_valid_cached(pfn, &valid))
			continue;
		if (is_zero_pfn(pfn))
			return 1;
		va = (unsigned long)__va(PFN_PHYS(pfn));
		if (va >= c.lo && va < c.hi)
			continue; /* same writable leaf as a frame walked before */
		if (mmshim_linear_read_only(va, &c))
			return 1;
	}
	return 0;
}

/**
 * mmshim_plat_process_hold() - current->mm with mmgrab(), or NULL.
 *
 * mmgrab() keeps the mm_struct allocated (not the address space), so no
 * other process can get the same address while the core compares with it.
 * Atomic-safe.
 */
void *mmshim_plat_process_hold(void)
{
	struct mm_struct *mm = current->mm;

	if (mm)
		mmgrab(mm);
	return mm;
}

/**
 * mmshim_plat_process_release() - mmdrop() what mmshim_plat_process_hold() took.
 *
 * If the process has exited this is the last reference and frees its page
 * tables: call it where the caller may sleep (the core defers it to the
 * unpin worker otherwise).
 */
void mmshim_plat_process_release(void *process)
{
	if (process)
		mmdrop(process);
}
