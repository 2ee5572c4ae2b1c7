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
#include "kpte.h"

struct mmshim_pin {
	struct mmshim_deferred deferred;
	unsigned long npages;
	int dirty;
	struct page *pages[];
};

/** mmshim_plat_pin_size() - bytes of pin storage for @npages, 0 on overflow. */
mmshim_size mmshim_plat_pin_size(mmshim_size npages)
{
	struct mmshim_pin *pin;
	size_t bytes = struct_size(pin, pages, npages);

	return bytes == SIZE_MAX ? 0 : bytes;
}

static int mmshim_pin_user_flags(struct mmshim_pin *pin, mmshim_uptr start, mmshim_size npages,
				 unsigned int gup_flags)
{
	unsigned long done = 0;

	while (done < npages) {
		int chunk = min_t(unsigned long, npages - done, 1UL << 16);
		int n = pin_user_pages_fast(start + done * PAGE_SIZE, chunk, gup_flags,
					    pin->pages + done);

		if (n <= 0) {
			unpin_user_pages(pin->pages, done);
			return n ? n : -EFAULT;
		}
		done += n;
	}
	pin->npages = npages;
	return 0;
}

/**
 * mmshim_plat_pin_user() - pin_user_pages_fast() over a user range.
 * @storage: mmshim_plat_pin_size(@npages) bytes from the core
 * @start: page-aligned user address in the current process
 * @npages: pages to pin
 * @write: FOLL_WRITE (breaks COW; fails on read-only mappings)
 *
 * All or nothing: a hole or a protection failure part way unpins what was
 * pinned. Returns 0 or a negative errno. May sleep.
 */
int mmshim_plat_pin_user(void *storage, mmshim_uptr start, mmshim_size npages, int write)
{
	struct mmshim_pin *pin = storage;
	unsigned int gup_flags = write ? FOLL_WRITE : 0;
	int rc;

	if (!current->mm)
		return -EFAULT;
	/*
	 * A Windows lock may last as long as the driver likes: pin long-term,
	 * which moves pages out of CMA and movable zones first. Linux refuses
	 * FOLL_LONGTERM for some mappings (writable file mappings that need
	 * dirty tracking since 6.5, fsdax); those get the short-term pin every
	 * direct-I/O path uses.
	 */
	rc = mmshim_pin_user_flags(pin, start, npages, gup_flags | FOLL_LONGTERM);
	if (rc && rc != -ENOMEM && rc != -EINTR)
		rc = mmshim_pin_user_flags(pin, start, npages, gup_flags);
	return rc;
}

/** mmshim_plat_pin_frame() - frame @index of @storage's pin. Atomic-safe. */
unsigned long long mmshim_plat_pin_frame(const void *storage, mmshim_size index)
{
	const struct mmshim_pin *pin = storage;

	return page_to_pfn(pin->pages[index]);
}

/**
 * mmshim_plat_pin_frames_equal() - are @pfns the first @count frames of
 * @storage's pin? Atomic-safe.
 */
int mmshim_plat_pin_frames_equal(const void *storage, const unsigned long long *pfns, mmshim_size count)
{
	const struct mmshim_pin *pin = storage;
	mmshim_size i;

	if (count > pin->npages)
		return 0;
	for (i = 0; i < count; i++)
		if (page_to_pfn(pin->pages[i]) != pfns[i])
			return 0;
	return 1;
}

/** mmshim_plat_pin_frames() - the frames @storage pinned, into @pfns. Atomic-safe. */
void mmshim_plat_pin_frames(const void *storage, unsigned long long *pfns)
{
	const struct mmshim_pin *pin = storage;
	unsigned long i;

	for (i = 0; i < pin->npages; i++)
		pfns[i] = page_to_pfn(pin->pages[i]);
}

static void mmshim_unpin_now(struct mmshim_pin *pin)
{
	unpin_user_pages_dirty_lock(pin->pages, pin->npages, pin->dirty);
}

static void mmshim_deferred_unpin(struct mmshim_deferred *d)
{
	struct mmshim_pin *pin = container_of(d, struct mmshim_pin, deferred);

	mmshim_unpin_now(pin);
	mmshim_core_unpin_done(pin);
}

/**
 * mmshim_plat_unpin_user() - unpin_user_pages_dirty_lock().
 * @storage: as filled by mmshim_plat_pin_user()
 * @dirty: mark the pages dirty first
 *
 * Dirtying takes the page lock, which sleeps; in atomic context the pin is
 * queued for a worker instead (the pages stay pinned a little longer) and
 * the core hears of its end through mmshim_core_unpin_done(). Returns 1 if
 * the pages are unpinned. Atomic-safe.
 */
int mmshim_plat_unpin_user(void *storage, int dirty)
{
	struct mmshim_pin *pin = storage;

	pin->dirty = dirty;
	if (mmshim_plat_may_sleep() && mmshim_tlb_settle()) {
		mmshim_unpin_now(pin);
		return 1;
	}
	pin->deferred.fn = mmshim_deferred_unpin;
	mmshim_defer(&pin->deferred);
	return 0;
}

/**
 * mmshim_plat_get_page() - get_page_unless_zero() on @pfn's compound head.
 *
 * The pages of a compound allocation are counted on its head (what
 * put_page() on any of them drops). Kernel memory from alloc_pages()
 * without __GFP_COMP (kernel stacks, for one) has tail pages with a zero
 * count, and newer kernels keep slab and kmalloc pages at zero ("frozen"):
 * those are not referenced, and 0 is returned. Atomic-safe.
 */
int mmshim_plat_get_page(unsigned long long pfn)
{
	return pfn_valid(pfn) && get_page_unless_zero(compound_head(pfn_to_page(pfn)));
}

/** mmshim_plat_put_page() - put_page() if @pfn has a struct page. Atomic-safe. */
void mmshim_plat_put_page(unsigned long long pfn)
{
	/* Flush stale mmshim TLB entries first where the context allows. With
	 * interrupts off this cannot wait: the reference dropped here is
	 * mmshim's lock on a kernel buffer, which its owner still holds and
	 * frees later (see docs/security.md). */
	mmshim_tlb_settle();
	if (pfn_valid(pfn))
		put_page(pfn_to_page(pfn));
}

/** mmshim_plat_kva_writable() - lookup_address() and pte_write(). Atomic-safe. */
int mmshim_plat_kva_writable(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	return pte && mmshim_kpte_present(*pte) && pte_write(*pte);
}

/** mmshim_plat_current_process() - current->mm. Atomic-safe. */
void *mmshim_plat_current_process(void)
{
	return current->mm;
}
