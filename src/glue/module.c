// SPDX-License-Identifier: GPL-2.0
/* module.c - mmshim.ko load and unload. */
#include <linux/module.h>
#include <linux/init.h>
#include "platform.h"
#include "glue.h"

static int __init mmshim_init(void)
{
	int rc = mmshim_core_init();

	if (rc)
		return rc;
	mmshim_debugfs_init();
	pr_info("mmshim: Windows MDL and memory-manager routines ready (namespace MMSHIM)\n");
	return 0;
}

static void __exit mmshim_exit(void)
{
	mmshim_debugfs_exit();
	/* Deferred unmaps and unpins hand their storage back to the core. */
	mmshim_defer_flush();
	mmshim_core_exit();
	mmshim_defer_flush();
	pr_info("mmshim: unloaded\n");
}

module_init(mmshim_init);
module_exit(mmshim_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmshim: Windows MDL and memory-manager semantics for ported drivers");
MODULE_VERSION("0.1.0");
