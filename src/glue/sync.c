// SPDX-License-Identifier: GPL-2.0
/* sync.c - the core's locks: one IRQ-safe spinlock per core area. */
#include <linux/spinlock.h>
#include "platform.h"

/* Separate definitions give lockdep a class per lock. */
static DEFINE_SPINLOCK(mmshim_pool_lock);
static DEFINE_SPINLOCK(mmshim_mdl_lock);
static DEFINE_SPINLOCK(mmshim_verifier_lock);
static DEFINE_SPINLOCK(mmshim_seh_lock);
static DEFINE_SPINLOCK(mmshim_pages_lock);
static DEFINE_SPINLOCK(mmshim_map_lock);
static DEFINE_SPINLOCK(mmshim_vapool_lock);
static DEFINE_SPINLOCK(mmshim_reserve_lock);
static DEFINE_SPINLOCK(mmshim_iospace_lock);
static DEFINE_SPINLOCK(mmshim_pagealloc_lock);
static DEFINE_SPINLOCK(mmshim_partial_lock);
static DEFINE_SPINLOCK(mmshim_lookaside_lock);
static DEFINE_SPINLOCK(mmshim_dma_lock);

static spinlock_t *const mmshim_locks[MMSHIM_LOCK_COUNT] = {
	[MMSHIM_LOCK_POOL] = &mmshim_pool_lock,
	[MMSHIM_LOCK_MDL] = &mmshim_mdl_lock,
	[MMSHIM_LOCK_VERIFIER] = &mmshim_verifier_lock,
	[MMSHIM_LOCK_SEH] = &mmshim_seh_lock,
	[MMSHIM_LOCK_PAGES] = &mmshim_pages_lock,
	[MMSHIM_LOCK_MAP] = &mmshim_map_lock,
	[MMSHIM_LOCK_VAPOOL] = &mmshim_vapool_lock,
	[MMSHIM_LOCK_RESERVE] = &mmshim_reserve_lock,
	[MMSHIM_LOCK_IOSPACE] = &mmshim_iospace_lock,
	[MMSHIM_LOCK_PAGEALLOC] = &mmshim_pagealloc_lock,
	[MMSHIM_LOCK_PARTIAL] = &mmshim_partial_lock,
	[MMSHIM_LOCK_LOOKASIDE] = &mmshim_lookaside_lock,
	[MMSHIM_LOCK_DMA] = &mmshim_dma_lock,
};

/** mmshim_plat_lock() - spin_lock_irqsave on lock @id. Atomic-safe. */
unsigned long mmshim_plat_lock(enum mmshim_lock_id id)
{
	unsigned long flags;

	spin_lock_irqsave(mmshim_locks[id], flags);
	return flags;
}

/** mmshim_plat_unlock() - spin_unlock_irqrestore on lock @id. Atomic-safe. */
void mmshim_plat_unlock(enum mmshim_lock_id id, unsigned long irq_flags)
{
	spin_unlock_irqrestore(mmshim_locks[id], irq_flags);
}
