// SPDX-License-Identifier: GPL-2.0
/*
 * defer.c - one ordered queue for teardown that Linux forbids in atomic
 * context (vfree, vunmap, unpinning with dirtying). Windows drivers free,
 * unmap and unlock at DISPATCH_LEVEL; mmshim queues the Linux half here and
 * a worker runs it in submission order, so an unmap queued before an unpin
 * of the same pages also happens before it; and it first flushes every CPU's
 * TLB if mmshim's own page tables may have left stale entries (tlbsettle.c),
 * so no frame it releases can still be reached through them.
 */
#include <linux/llist.h>
#include <linux/workqueue.h>
#include "glue.h"

static LLIST_HEAD(mmshim_deferred_ops);

static void mmshim_deferred_fn(struct work_struct *work)
{
	struct llist_node *list = llist_reverse_order(llist_del_all(&mmshim_deferred_ops));
	struct mmshim_deferred *d, *next;

	/* Releases were queued after the entries that mapped their frames
	 * were cleared: flush every CPU before any of them (tlbsettle.c). */
	mmshim_tlb_settle();
	llist_for_each_entry_safe(d, next, list, node)
		d->fn(d);
}
static DECLARE_WORK(mmshim_deferred_work, mmshim_deferred_fn);

/**
 * mmshim_defer() - run @d->fn(@d) later in process context. Atomic-safe;
 * allocates nothing (the caller's object carries the list node).
 */
void mmshim_defer(struct mmshim_deferred *d)
{
	llist_add(&d->node, &mmshim_deferred_ops);
	schedule_work(&mmshim_deferred_work);
}

/** mmshim_defer_flush() - wait until everything queued has run. Sleeps. */
void mmshim_defer_flush(void)
{
	flush_work(&mmshim_deferred_work);
}
