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
#include <linux/log2.h>
#include <linux/mmzone.h>
#include <asm/pgtable.h>
#include "platform.h"
#include "glue.h"
#include "kpte.h"

/*
 * pfn_valid() gives one answer for a whole memory subsection (map.c asks it
 * once per subsection for the same reason).
 */
#if defined(CONFIG_SPARSEMEM) && defined(PAGES_PER_SUBSECTION)
#define MMSHIM_PERM_VALID_SHIFT (ilog2(PAGES_PER_SUBSECTION))
#else
#define MMSHIM_PERM_VALID_SHIFT 0
#endif

/*
 * Read-only in the kernel's own linear map, or not there at all. On x86,
 * set_memory_ro() of kernel or module read-only data changes the linear
 * alias of the same frames too (cpa_process_alias()), so the linear-map
 * entry says whether the kernel itself may write the frame. When the entry
 * is writable, *@lo and *@hi get the linear-map range its leaf maps (one
 * page, or a whole 2 MiB / 1 GiB block): every frame whose linear address
 * lies in it has that same entry, so it needs no walk of its own.
 */
static bool mmshim_linear_read_only(unsigned long long pfn, unsigned long *lo, unsigned long *hi)
{
	unsigned long va = (unsigned long)__va(PFN_PHYS(pfn));
	unsigned int level;
	pte_t *pte = lookup_address(va, &level);

	if (!pte || !mmshim_kpte_present(*pte) || !pte_write(*pte))
		return true;
	*lo = va & page_level_mask(level);
	*hi = *lo + ~page_level_mask(level) + 1;
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
 * Every frame is judged, but the page tables are walked once per linear-map
 * leaf, not once per frame: a frame inside the writable leaf a previous walk
 * found (the linear map is mostly 2 MiB and 1 GiB blocks, so neighbouring
 * and contiguous frames usually are) has that leaf's answer. A frame in a
 * 4 KiB leaf is walked itself, as before. pfn_valid() likewise is asked
 * once per memory subsection. Atomic-safe.
 */
int mmshim_plat_frames_read_only(const unsigned long long *pfns, mmshim_size count)
{
	unsigned long long valid = ~0ULL; /* subsection known to be valid */
	unsigned long lo = 1, hi = 0;     /* writable leaf found last: empty */
	mmshim_size i;

	for (i = 0; i < count; i++) {
		unsigned long long pfn = pfns[i];
		unsigned long va;

		if (pfn >> MMSHIM_PERM_VALID_SHIFT != valid) {
			if (!pfn_valid(pfn))
				continue;
			valid = pfn >> MMSHIM_PERM_VALID_SHIFT;
		}
		if (is_zero_pfn(pfn))
			return 1;
		va = (unsigned long)__va(PFN_PHYS(pfn));
		if (va >= lo && va < hi)
			continue; /* same writable leaf as a frame walked before */
		if (mmshim_linear_read_only(pfn, &lo, &hi))
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
