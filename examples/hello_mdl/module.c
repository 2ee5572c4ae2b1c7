// SPDX-License-Identifier: GPL-2.0
/*
 * module.c - the Linux half of the example: module entry points and the
 * log function. This is the only file that includes Linux headers; the
 * Windows-style code lives in driver.c.
 */
#include <linux/module.h>
#include <mmshim/linux.h> /* MMSHIM_IMPORT_NS() */
#include <linux/printk.h>
#include <linux/pci.h>
#include "hello_mdl.h"

/* qemu's "edu" educational PCI device */
#define HELLO_EDU_VENDOR 0x1234
#define HELLO_EDU_DEVICE 0x11e8

static struct pci_dev *hello_edu;

/*
 * Plays PnP's part: find the device, make sure it decodes memory, and hand
 * BAR 0 to the Windows half as a physical address and length.
 */
static void hello_edu_start(void)
{
	PHYSICAL_ADDRESS bar;
	NTSTATUS status;
	u16 cmd;

	hello_edu = pci_get_device(HELLO_EDU_VENDOR, HELLO_EDU_DEVICE, NULL);
	if (!hello_edu) {
		pr_info("hello_mdl: no edu PCI device (qemu -device edu): skipping the device part\n");
		return;
	}
	/* Memory decoding is all the example needs (no interrupt). */
	pci_read_config_word(hello_edu, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(hello_edu, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	bar.QuadPart = pci_resource_start(hello_edu, 0);
	status = HelloEduStart(bar, pci_resource_len(hello_edu, 0));
	if (!NT_SUCCESS(status))
		pr_err("hello_mdl: edu start failed, NTSTATUS 0x%08x\n", (unsigned int)status);
}

static void hello_edu_stop(void)
{
	if (!hello_edu)
		return;
	HelloEduStop();
	pci_dev_put(hello_edu);
	hello_edu = NULL;
}

static int __init hello_mdl_init(void)
{
	NTSTATUS status = HelloMdlStart();

	if (!NT_SUCCESS(status)) {
		pr_err("hello_mdl: start failed, NTSTATUS 0x%08x\n", (unsigned int)status);
		return -ENOMEM;
	}
	hello_edu_start();
	pr_info("hello_mdl: loaded\n");
	return 0;
}

static void __exit hello_mdl_exit(void)
{
	hello_edu_stop();
	HelloMdlUnload();
	pr_info("hello_mdl: unloaded\n");
}

module_init(hello_mdl_init);
module_exit(hello_mdl_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmshim example: a Windows-style driver using pool and MDLs");
MMSHIM_IMPORT_NS();
