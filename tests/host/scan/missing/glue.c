// SPDX-License-Identifier: GPL-2.0
/*
 * glue.c - the Linux half of the fixture. Linux names (GFP_KERNEL, KEY_A,
 * kmalloc, IRQ_HANDLED) are not WDK names and must not be reported; the
 * interrupt is still connected the Windows way (IoConnectInterrupt) and an
 * IRP_MJ_ code is still used, which must be.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/interrupt.h>
#include <linux/input.h>
#include "fixture.h"

void FixtureLog(const char *Text)
{
	pr_info("fixture: %s\n", Text);
}

static int __init fixture_init(void)
{
	void *p = kmalloc(16, GFP_KERNEL);
	int key = KEY_A;

	kfree(p);
	if (key == IRP_MJ_DEVICE_CONTROL)
		return IRQ_HANDLED;
	return NT_SUCCESS(IoConnectInterrupt(NULL, NULL, NULL, NULL, 0, 0, 0, 0, FALSE, 0, FALSE)) ? 0 : -ENODEV;
}
module_init(fixture_init);
MODULE_LICENSE("GPL");
