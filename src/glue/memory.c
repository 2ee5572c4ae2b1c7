// SPDX-License-Identifier: GPL-2.0
/*
 * memory.c - kernel memory primitives for the core: heap blocks, the MDL
 * object cache, and resolving kernel virtual addresses to page frames.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/kmemleak.h>
#include <linux/vmalloc.h>
#include <linux/ioport.h>
#include <linux/preempt.h>
#include <linux/sched/task_stack.h>
#include <linux/pagemap.h>
#include <linux/uaccess.h>
#include "platform.h"
#include "glue.h"
#include "compat.h"
#include "kpte.h"

/**
 * mmshim_plat_may_sleep() - may the caller sleep?
 *
 * Uses the preempt count, so it sees spinlocks, disabled interrupts and
 * interrupt context. Never sleeps.
 *
 * Without CONFIG_PREEMPT_COUNT (Debian's 5.10 and arm64 6.1 stock kernels:
 * PREEMPT_VOLUNTARY) preempt_disable() and a plain spin_lock() leave no
 * trace, but the preempt count still holds the hard-IRQ, softirq and NMI
 * bits and local_bh_disable()'s count, and interrupts-off is visible. So
 * interrupt and softirq context, a raised IRQL (KeRaiseIrql and
 * KeAcquireSpinLock block dispatch with local_bh_disable(), or run with
 * interrupts off), spin_lock_bh()/spin_lock_irqsave() and mmshim's own
 * locks are all seen; only a Linux spin_lock() or preempt_disable() of the
 * driver's own Linux code is not (docs/irql.md). Treating every caller as
 * atomic there instead would refuse MmProbeAndLockPages and user mappings
 * even in DriverEntry and ioctl handlers.
 */
int mmshim_plat_may_sleep(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_COUNT))
		return preempt_count() == 0 && !irqs_disabled();
	return preemptible();
}

/**
 * mmshim_plat_peek_word() - the aligned word at @p, unchecked by KASAN.
 *
 * For a comparison of the word before an MDL with what mmshim would have
 * put there (mdl.cpp): the caller makes sure the page is mapped (it is the
 * MDL's own page). Atomic-safe.
 */
unsigned long long mmshim_plat_peek_word(const void *p)
{
	/* The word may belong to another allocation: with tag-based KASAN
	 * (arm64 MTE, CONFIG_KASAN_HW_TAGS) even an uninstrumented load
	 * through the MDL's tagged pointer would fault on a tag mismatch;
	 * the match-all tag reads it unchecked. */
	return READ_ONCE_NOCHECK(*(const unsigned long *)mmshim_untagged(p));
}

/** mmshim_plat_kernel_space_start() - first address above user space. */
mmshim_uptr mmshim_plat_kernel_space_start(void)
{
	return TASK_SIZE_MAX;
}

/*
 * Blocks of more than a page whose pages must take references: kmalloc()
 * hands out large blocks with a reference count of zero on newer kernels
 * (7.x: "frozen" pages, which get_page_unless_zero() refuses), so these
 * come straight from the page allocator as one compound allocation (the
 * head page counts for all of it) or, when that fails and the caller may
 * sleep, from vmalloc (order-0 pages, each counted). kmemleak is told, as
 * kmalloc() tells it, so pointers kept in the block are still scanned.
 */
static void *mmshim_alloc_shareable(size_t size, unsigned int flags, gfp_t gfp)
{
	unsigned int order = get_order(size);
	struct page *page;
	void *p;

	if (flags & MMSHIM_ALLOC_LOW_PRIORITY)
		gfp |= GFP_NOWAIT;
	else if (flags & MMSHIM_ALLOC_ATOMIC)
		gfp |= GFP_ATOMIC;
	else if (size > INT_MAX || (size >> PAGE_SHIFT) >= mmshim_plat_pages_spare())
		return NULL; /* as in mmshim_plat_alloc() */
	else
		gfp |= GFP_KERNEL | __GFP_NORETRY;
	page = order <= MMSHIM_PAGES_MAX_ORDER ? alloc_pages(gfp | __GFP_COMP, order) : NULL;
	if (page) {
		p = page_address(page);
		kmemleak_alloc(p, size, 1, gfp);
		return p;
	}
	if (flags & (MMSHIM_ALLOC_LOW_PRIORITY | MMSHIM_ALLOC_ATOMIC))
		return NULL;
	return __vmalloc(size, MMSHIM_GFP_NO_OOM | (gfp & (__GFP_ZERO | __GFP_NOWARN | __GFP_HIGH)));
}

/**
 * mmshim_plat_alloc() - kmalloc, or kmalloc then vmalloc when the caller may sleep.
 * @size: bytes
 * @flags: MMSHIM_ALLOC_ZERO, MMSHIM_ALLOC_ATOMIC, MMSHIM_ALLOC_LOW_PRIORITY,
 *         MMSHIM_ALLOC_HIGH_PRIORITY
 *
 * With MMSHIM_ALLOC_LOW_PRIORITY: GFP_NOWAIT kmalloc only (no reclaim, no
 * emergency reserves, no vmalloc), atomic-safe. MMSHIM_ALLOC_HIGH_PRIORITY
 * adds __GFP_HIGH (may use the reserves).
 *
 * With MMSHIM_ALLOC_ATOMIC: GFP_ATOMIC kmalloc only, never sleeps.
 * Otherwise may sleep, and never wakes the OOM killer (MMSHIM_GFP_NO_OOM);
 * a block larger than a page is refused when it would take free memory
 * below the floor mmshim_plat_pages_spare() leaves to the rest of the system:
 * what kvmalloc() does, with __GFP_RETRY_MAYFAIL for the small kmalloc and
 * the vmalloc fallback (kvmalloc() would make the kmalloc of a large block
 * retry hard too, instead of falling back at once). Never prints an
 * allocation-failure warning: the Windows caller gets NULL, as on Windows.
 */
void *mmshim_plat_alloc(mmshim_size size, unsigned int flags)
{
	gfp_t gfp = __GFP_NOWARN | ((flags & MMSHIM_ALLOC_ZERO) ? __GFP_ZERO : 0);
	void *p;

	if (flags & MMSHIM_ALLOC_HIGH_PRIORITY)
		gfp |= __GFP_HIGH;
	/* Before the low-priority kmalloc: a large kmalloc block is frozen. */
	if (size > PAGE_SIZE && (flags & MMSHIM_ALLOC_SHAREABLE))
		return mmshim_alloc_shareable(size, flags, gfp);
	/* Low priority: no reclaim, no reserves, no vmalloc. */
	if (flags & MMSHIM_ALLOC_LOW_PRIORITY)
		return size > INT_MAX ? NULL : kmalloc(size, GFP_NOWAIT | gfp);
	if (flags & MMSHIM_ALLOC_ATOMIC)
		return kmalloc(size, GFP_ATOMIC | gfp);
	if (size <= PAGE_SIZE)
		return kmalloc(size, MMSHIM_GFP_NO_OOM | gfp);
	if (size > INT_MAX)
		return NULL; /* as kvmalloc() */
	/* Not into the memory left to the rest of the system (pagealloc.c). */
	if ((size >> PAGE_SHIFT) >= mmshim_plat_pages_spare())
		return NULL;
	p = kmalloc(size, GFP_KERNEL | __GFP_NORETRY | gfp);
	if (p)
		return p;
	return __vmalloc(size, MMSHIM_GFP_NO_OOM | gfp);
}

/**
 * mmshim_plat_free_shareable() - free a block allocated with MMSHIM_ALLOC_SHAREABLE.
 * @block: the block, or NULL
 *
 * A page-allocator block is released with put_page() on its head: a lock
 * or a user mapping that still references it keeps the pages until it lets
 * go. Never sleeps (vmalloc'ed blocks as in mmshim_plat_free()).
 */
void mmshim_plat_free_shareable(void *block)
{
	if (!block || is_vmalloc_addr(block) || PageSlab(virt_to_head_page(block))) {
		mmshim_plat_free(block);
		return;
	}
	kmemleak_free(block);
	put_page(virt_to_head_page(block));
}

static void mmshim_deferred_vfree(struct mmshim_deferred *d)
{
	vfree(d);
}

/**
 * mmshim_plat_free() - free a block from mmshim_plat_alloc().
 * @block: the block, or NULL
 *
 * Never sleeps: vfree() may, so a vmalloc'ed block freed in atomic context
 * is queued (its first bytes become the queue entry) and freed by a worker.
 */
void mmshim_plat_free(void *block)
{
	if (!block)
		return;
	if (is_vmalloc_addr(block) && !mmshim_plat_may_sleep()) {
		struct mmshim_deferred *d = block;

		d->fn = mmshim_deferred_vfree;
		mmshim_defer(d);
		return;
	}
	kvfree(block);
}

static struct kmem_cache *mmshim_mdl_cache;

/** mmshim_plat_mdl_cache_create() - kmem_cache_create for small MDLs. Sleeps. */
int mmshim_plat_mdl_cache_create(mmshim_size object_size)
{
	mmshim_mdl_cache = kmem_cache_create("mmshim_mdl", object_size, 16, 0, NULL);
	return mmshim_mdl_cache ? 0 : -ENOMEM;
}

/** mmshim_plat_mdl_cache_destroy() - kmem_cache_destroy. Sleeps. */
void mmshim_plat_mdl_cache_destroy(void)
{
	kmem_cache_destroy(mmshim_mdl_cache);
	mmshim_mdl_cache = NULL;
}

/** mmshim_plat_mdl_cache_alloc() - kmem_cache_alloc; atomic-safe if @atomic. */
void *mmshim_plat_mdl_cache_alloc(int atomic)
{
	return kmem_cache_alloc(mmshim_mdl_cache,
				atomic ? GFP_ATOMIC | __GFP_NOWARN : MMSHIM_GFP_NO_OOM);
}

/** mmshim_plat_mdl_cache_free() - kmem_cache_free. Atomic-safe. */
void mmshim_plat_mdl_cache_free(void *object)
{
	kmem_cache_free(mmshim_mdl_cache, object);
}

/* is_vmalloc_or_module_addr() is not exported on 6.1; same test inline. */
static bool mmshim_vmalloc_or_module(const void *va)
{
#ifdef MODULES_VADDR
	unsigned long addr = (unsigned long)va;

	if (addr >= MODULES_VADDR && addr < MODULES_END)
		return true;
#endif
	return is_vmalloc_addr(va);
}

/**
 * mmshim_plat_kva_to_pfn() - classify a kernel address and find its frame.
 * @va: kernel virtual address (not dereferenced)
 * @pfn: frame number, set unless MMSHIM_KVA_INVALID is returned
 *
 * The current task's stack is reported as such (it is not pool memory).
 * Linear-map and kernel-image addresses resolve arithmetically; vmalloc,
 * vmap, ioremap and module addresses by a page-table walk. Atomic-safe.
 */
enum mmshim_kva_kind mmshim_plat_kva_to_pfn(const void *va, unsigned long long *pfn)
{
	bool stack = object_is_on_stack(va);

	if (virt_addr_valid(va)) {
		*pfn = page_to_pfn(virt_to_page(va));
		return stack ? MMSHIM_KVA_STACK : MMSHIM_KVA_DIRECT;
	}
	if (mmshim_vmalloc_or_module(va)) {
		/*
		 * The page tables, not vmalloc_to_page(): an ioremap'ed frame
		 * has no struct page, and page_to_pfn() of the one
		 * vmalloc_to_page() makes up reads it unless the memory model
		 * is vmemmap.
		 */
		unsigned int level;
		pte_t *pte = lookup_address((unsigned long)va, &level);
		unsigned long base;

		if (!pte || !mmshim_kpte_present(*pte))
			return MMSHIM_KVA_INVALID;
		/* Large entries keep their PAT bit where a PTE's frame starts. */
		if (level == PG_LEVEL_2M)
			base = pmd_pfn(*(pmd_t *)pte);
		else if (level == PG_LEVEL_1G)
			base = pud_pfn(*(pud_t *)pte);
		else
			base = pte_pfn(*pte);
		*pfn = base + (((unsigned long)va & ~page_level_mask(level)) >> PAGE_SHIFT);
		return stack ? MMSHIM_KVA_STACK : MMSHIM_KVA_VMALLOC;
	}
	return MMSHIM_KVA_INVALID;
}

/**
 * mmshim_plat_pfn_is_ram() - pfn_valid(): the frame has a struct page.
 *
 * That is Linux's counterpart of "in the PFN database", which is what
 * Windows' MDL_IO_SPACE tests; it is O(1), where page_is_ram() walks the
 * resource tree for every frame. Atomic-safe.
 */
int mmshim_plat_pfn_is_ram(unsigned long long pfn)
{
	return pfn_valid(pfn);
}

/**
 * mmshim_plat_user_range_writable() - fault_in_safe_writeable() on a user range.
 * @addr: user address
 * @len: bytes
 *
 * Faults the pages in for writing through GUP, without storing to them, so
 * the contents stay as they are. May sleep. Kernel threads have no user
 * address space: 0.
 */
int mmshim_plat_user_range_writable(mmshim_uptr addr, mmshim_size len)
{
	if (!current->mm)
		return 0;
	return fault_in_safe_writeable((const char __user *)addr, len) == 0;
}
