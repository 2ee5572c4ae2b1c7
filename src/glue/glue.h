/* SPDX-License-Identifier: GPL-2.0 */
/* glue.h - functions shared between the glue's own files (not the core). */
#ifndef MMSHIM_GLUE_H
#define MMSHIM_GLUE_H

#include <linux/llist.h>

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

#endif
