// SPDX-License-Identifier: GPL-2.0
/*
 * module.c - the Linux half of the example: module entry points and the
 * log function. This is the only file that includes Linux headers; the
 * Windows-style code lives in driver.c.
 */
#include <linux/module.h>
#include <linux/printk.h>
#include "hello_mdl.h"

void HelloLog(const char *format, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, format);
	vaf.fmt = format;
	vaf.va = &args;
	pr_info("hello_mdl: %pV", &vaf);
	va_end(args);
}

static int __init hello_mdl_init(void)
{
	NTSTATUS status = HelloMdlStart();

	if (!NT_SUCCESS(status)) {
		pr_err("hello_mdl: start failed, NTSTATUS 0x%08x\n", (unsigned int)status);
		return -ENOMEM;
	}
	pr_info("hello_mdl: loaded\n");
	return 0;
}

static void __exit hello_mdl_exit(void)
{
	HelloMdlUnload();
	pr_info("hello_mdl: unloaded\n");
}

module_init(hello_mdl_init);
module_exit(hello_mdl_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmshim example: a Windows-style driver using pool and MDLs");
MODULE_IMPORT_NS(MMSHIM);
