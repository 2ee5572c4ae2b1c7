/* SPDX-License-Identifier: GPL-2.0 */
/* glue.h - functions shared between the glue's own files (not the core). */
#ifndef MMSHIM_GLUE_H
#define MMSHIM_GLUE_H

#include <linux/llist.h>
#include <linux/gfp.h>

/* defer.c: ordered teardown queue for work Linux forbids in atomic context */
struct mmshim_deferred {
	struct llist_node node;
	void (*fn)(struct mmshim_deferred *d);
};
void mmshim_defer(struct mmshim_deferred *d);
void mmshim_defer_flush(void);
/* tlbsettle.c: frames are released only once no CPU may translate to them
 * through mmshim's own page tables (VA pool, reservations) */
void mmshim_tlb_stale(void);
bool mmshim_tlb_settle(void);
unsigned long mmshim_tlb_settle_count(void);
void mmshim_debugfs_init(void);
void mmshim_debugfs_exit(void);

/*
 * Sleeping allocations made on behalf of a driver: reclaim is tried, but the
 * allocation fails rather than wake the OOM killer (__GFP_RETRY_MAYFAIL, which
 * kvmalloc also passes on to its vmalloc fallback), as a Windows allocation
 * fails with NULL. Without a failure warning: the driver gets NULL.
 */
#define MMSHIM_GFP_NO_OOM (GFP_KERNEL | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/* Largest block mmshim asks of the buddy allocator (4 MiB with 4K pages):
 * every supported series and architecture can give this order. */
#define MMSHIM_PAGES_MAX_ORDER 10

#endif
