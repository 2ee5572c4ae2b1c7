// SPDX-License-Identifier: GPL-2.0
/*
 * mmcopy.c - fault-safe reads for MmCopyMemory (copy_from_kernel_nofault,
 * copy_from_user), the System RAM ranges of the resource tree
 * (walk_iomem_res_desc) for MmGetPhysicalMemoryRanges, and NUMA node
 * validity (node_online) for the node variants of page allocation.
 */
#include <linux/mm.h>
#include <linux/uaccess.h>
#include <linux/ioport.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include "platform.h"
#include "glue.h"

/**
 * mmshim_plat_copy_kernel_nofault() - copy_from_kernel_nofault().
 * @dst: destination (kernel memory the caller owns)
 * @src: kernel address to read; an unmapped or non-canonical one fails
 * @size: bytes
 *
 * Page faults are disabled around the read, so a bad @src returns non-zero
 * instead of oopsing. Atomic-safe.
 */
int mmshim_plat_copy_kernel_nofault(void *dst, const void *src, mmshim_size size)
{
	return copy_from_kernel_nofault(dst, src, size) ? 1 : 0;
}

/**
 * mmshim_plat_copy_from_user() - copy_from_user() from the current process.
 * @dst: destination (kernel memory)
 * @src: user address
 * @size: bytes
 *
 * Returns the number of bytes not copied. Faults pages in: may sleep.
 */
mmshim_size mmshim_plat_copy_from_user(void *dst, mmshim_uptr src, mmshim_size size)
{
	might_fault();
	return copy_from_user(dst, (const void __user *)src, size);
}

/**
 * mmshim_plat_copy_from_frame() - read part of RAM frame @pfn.
 * @dst: destination
 * @pfn: a frame with a struct page (pfn_valid)
 * @offset: first byte within the frame
 * @size: bytes; @offset + @size <= PAGE_SIZE
 *
 * Through the frame's linear-map address (x86-64 and arm64 have no
 * highmem), read with copy_from_kernel_nofault() because the linear map may
 * lack the page (DEBUG_PAGEALLOC, secretmem, set_direct_map_invalid).
 * Atomic-safe.
 */
int mmshim_plat_copy_from_frame(void *dst, unsigned long long pfn, mmshim_size offset, mmshim_size size)
{
	if (!pfn_valid(pfn) || offset >= PAGE_SIZE || size > PAGE_SIZE - offset)
		return 1;
	return copy_from_kernel_nofault(dst, (const char *)page_address(pfn_to_page(pfn)) + offset, size) ? 1 : 0;
}

struct mmshim_ram_walk {
	struct mmshim_ram_range *ranges;
	mmshim_size max;
	mmshim_size count;
};

static int mmshim_ram_range_found(struct resource *res, void *arg)
{
	struct mmshim_ram_walk *w = arg;
	unsigned long long first = PFN_UP(res->start), end = PFN_DOWN(res->end + 1);

	if (end <= first)
		return 0; /* less than a whole page */
	if (w->count < w->max) {
		w->ranges[w->count].start_pfn = first;
		w->ranges[w->count].pages = end - first;
	}
	w->count++;
	return 0;
}

/**
 * mmshim_plat_ram_ranges() - the "System RAM" resources, in whole pages.
 * @ranges: out, up to @max ranges (may be NULL when @max is 0)
 * @max: room in @ranges
 *
 * walk_iomem_res_desc() over busy IORESOURCE_SYSTEM_RAM resources (what
 * walk_system_ram_res() does; neither that nor walk_system_ram_range() is
 * exported), in address order, top-level ranges only, exactly the
 * "System RAM" lines of /proc/iomem. Returns how many there are. Takes the
 * resource tree's read lock for each step: atomic-safe.
 */
mmshim_size mmshim_plat_ram_ranges(struct mmshim_ram_range *ranges, mmshim_size max)
{
	struct mmshim_ram_walk w = { .ranges = ranges, .max = max, .count = 0 };

	walk_iomem_res_desc(IORES_DESC_NONE, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY, 0, U64_MAX, &w,
			    mmshim_ram_range_found);
	return w.count;
}

/** mmshim_plat_node_online() - node_online(). Atomic-safe. */
int mmshim_plat_node_online(unsigned int node)
{
	return node < MAX_NUMNODES && node_online(node);
}
