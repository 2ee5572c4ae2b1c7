/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pfn.h - "is this frame RAM with a struct page?" (pfn_valid(), the answer
 * mmshim_plat_pfn_is_ram() gives) asked over many frames at once, for the
 * glue files that check whole PFN arrays (map.c, perm.c, dma.c).
 */
#ifndef MMSHIM_PFN_H
#define MMSHIM_PFN_H

#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/mmzone.h>

/*
 * pfn_valid() gives the same answer for every frame of a memory subsection
 * (sparsemem tracks validity per subsection; flat memory is one range), so
 * a loop over frames asks it once per subsection: *@valid is the subsection
 * found valid last (start with ~0ULL). Atomic-safe.
 */
#if defined(CONFIG_SPARSEMEM) && defined(PAGES_PER_SUBSECTION)
#define MMSHIM_VALID_SHIFT (ilog2(PAGES_PER_SUBSECTION))
#else
#define MMSHIM_VALID_SHIFT 0
#endif

static inline bool mmshim_pfn_valid_cached(unsigned long long pfn, unsigned long long *valid)
{
	if (pfn >> MMSHIM_VALID_SHIFT == *valid)
		return true;
	if (!pfn_valid(pfn))
		return false;
	*valid = pfn >> MMSHIM_VALID_SHIFT;
	return true;
}

#endif
