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
void mmshim_debugfs_init(void);
void mmshim_debugfs_exit(void);

#endif
