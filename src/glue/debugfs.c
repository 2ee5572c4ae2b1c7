// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - /sys/kernel/debug/mmshim/: verifier counters, live pool by tag
 * and live MDLs, read from the core.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <wdm.h>
#include "platform.h"
#include "glue.h"

#define MMSHIM_DEBUGFS_ROWS 64

static struct dentry *mmshim_debugfs_dir;

static int verifier_show(struct seq_file *m, void *unused)
{
	struct mmshim_counter_row *rows;
	unsigned int i, n;

	rows = kcalloc(MMSHIM_DEBUGFS_ROWS, sizeof(*rows), GFP_KERNEL);
	if (!rows)
		return -ENOMEM;
	n = mmshim_core_verifier_rows(rows, MMSHIM_DEBUGFS_ROWS);
	seq_printf(m, "total %lu\n", mmshim_core_verifier_total());
	seq_puts(m, "code       param1     count\n");
	for (i = 0; i < n; i++)
		seq_printf(m, "0x%08x 0x%08lx %lu\n", rows[i].code, rows[i].param1, rows[i].count);
	kfree(rows);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(verifier);

static char tag_char(unsigned int tag, int byte)
{
	char c = (tag >> (8 * byte)) & 0xff;

	return (c >= 0x20 && c < 0x7f) ? c : '.';
}

static int pool_show(struct seq_file *m, void *unused)
{
	struct mmshim_pool_row *rows;
	SIZE_T blocks, bytes;
	unsigned int i, n;

	rows = kcalloc(MMSHIM_DEBUGFS_ROWS, sizeof(*rows), GFP_KERNEL);
	if (!rows)
		return -ENOMEM;
	n = mmshim_core_pool_rows(rows, MMSHIM_DEBUGFS_ROWS);
	MmshimPoolUsage(&blocks, &bytes);
	seq_printf(m, "live blocks %lu bytes %lu\n", blocks, bytes);
	seq_puts(m, "tag  blocks bytes\n");
	for (i = 0; i < n; i++)
		seq_printf(m, "%c%c%c%c %lu %lu\n", tag_char(rows[i].tag, 0),
			   tag_char(rows[i].tag, 1), tag_char(rows[i].tag, 2),
			   tag_char(rows[i].tag, 3), rows[i].blocks, rows[i].bytes);
	kfree(rows);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(pool);

static int mdl_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "live %lu\n", MmshimLiveMdlCount());
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mdl);

/** mmshim_debugfs_init() - create the directory and files. Sleeps. */
void mmshim_debugfs_init(void)
{
	mmshim_debugfs_dir = debugfs_create_dir("mmshim", NULL);
	debugfs_create_file("verifier", 0444, mmshim_debugfs_dir, NULL, &verifier_fops);
	debugfs_create_file("pool", 0444, mmshim_debugfs_dir, NULL, &pool_fops);
	debugfs_create_file("mdl", 0444, mmshim_debugfs_dir, NULL, &mdl_fops);
}

/** mmshim_debugfs_exit() - remove them. Sleeps. */
void mmshim_debugfs_exit(void)
{
	debugfs_remove_recursive(mmshim_debugfs_dir);
}
