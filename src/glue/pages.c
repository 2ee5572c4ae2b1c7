// SPDX-License-Identifier: GPL-2.0
/*
 * pages.c - page pinning and references behind MmProbeAndLockPages and
 * MmUnlockPages.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/sched.h>
#include <linux/overflow.h>
#include <asm/pgtable.h>
#include "platform.h"
#include "glue.h"

struct mmshim_pin {
	struct mmshim_deferred deferred;
	unsigned long npages;
	int dirty;
	struct page *pages[];
};

/**
 * mmshim_plat_pin_user() - pin_user_pages_fast() over a user range.
 * @start: page-aligned user address in the current process
 * @npages: pages to pin
 * @write: FOLL_WRITE (breaks COW; fails on read-only mappings)
 * @pfns: out, the pinned frames
 * @error: out, negative errno on failure
 *
 * All or nothing: a hole or a protection failure part way unpins what was
 * pinned. May sleep.
 */
void *mmshim_plat_pin_user(mmshim_uptr start, mmshim_size npages, int write,
			   unsigned long long *pfns, int *error)
{
	struct mmshim_pin *pin;
	unsigned long done = 0, i;
	size_t bytes = struct_size(pin, pages, npages);

	if (bytes == SIZE_MAX || !current->mm) {
		*error = -EFAULT;
		return NULL;
	}
	pin = kvmalloc(bytes, GFP_KERNEL | __GFP_NOWARN);
	if (!pin) {
		*error = -ENOMEM;
		return NULL;
	}
	while (done < npages) {
		int chunk = min_t(unsigned long, npages - done, 1UL << 16);
		int n = pin_user_pages_fast(start + done * PAGE_SIZE, chunk,
					    write ? FOLL_WRITE : 0, pin->pages + done);

		if (n <= 0) {
			unpin_user_pages(pin->pages, done);
			kvfree(pin);
			*error = n ? n : -EFAULT;
			return NULL;
		}
		done += n;
	}
	for (i = 0; i < npages; i++)
		pfns[i] = page_to_pfn(pin->pages[i]);
	pin->npages = npages;
	return pin;
}

static void mmshim_unpin_now(struct mmshim_pin *pin)
{
	unpin_user_pages_dirty_lock(pin->pages, pin->npages, pin->dirty);
	kvfree(pin);
}

static void mmshim_deferred_unpin(struct mmshim_deferred *d)
{
	mmshim_unpin_now(container_of(d, struct mmshim_pin, deferred));
}

/**
 * mmshim_plat_unpin_user() - unpin_user_pages_dirty_lock() and free.
 * @handle: from mmshim_plat_pin_user()
 * @dirty: mark the pages dirty first
 *
 * Dirtying takes the page lock, which sleeps; in atomic context the pin is
 * queued for a worker instead (the pages stay pinned a little longer).
 * Atomic-safe.
 */
void mmshim_plat_unpin_user(void *handle, int dirty)
{
	struct mmshim_pin *pin = handle;

	pin->dirty = dirty;
	if (mmshim_plat_may_sleep()) {
		mmshim_unpin_now(pin);
		return;
	}
	pin->deferred.fn = mmshim_deferred_unpin;
	mmshim_defer(&pin->deferred);
}

/**
 * mmshim_plat_get_page() - get_page_unless_zero() if @pfn has a struct page.
 *
 * Kernel memory from alloc_pages() without __GFP_COMP (kernel stacks, for
 * one) has tail pages with a zero count that must not be referenced.
 * Atomic-safe.
 */
int mmshim_plat_get_page(unsigned long long pfn)
{
	return pfn_valid(pfn) && get_page_unless_zero(pfn_to_page(pfn));
}

/** mmshim_plat_put_page() - put_page() if @pfn has a struct page. Atomic-safe. */
void mmshim_plat_put_page(unsigned long long pfn)
{
	if (pfn_valid(pfn))
		put_page(pfn_to_page(pfn));
}

/** mmshim_plat_kva_writable() - lookup_address() and pte_write(). Atomic-safe. */
int mmshim_plat_kva_writable(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	return pte && pte_present(*pte) && pte_write(*pte);
}

/** mmshim_plat_current_process() - current->mm. Atomic-safe. */
void *mmshim_plat_current_process(void)
{
	return current->mm;
}
