// SPDX-License-Identifier: GPL-2.0
/*
 * iomgr.c - the Linux half of the ioctl example: module entry points and a
 * misc character device (/dev/mmshim_ioctl) standing in for the Windows
 * I/O manager. open/release become the driver's create and cleanup;
 * ioctl(fd, code, &struct example_request) becomes a DeviceIoControl
 * request, prepared as the I/O manager prepares one for the code's
 * transfer method before the Windows half's dispatch routine sees it:
 *   METHOD_BUFFERED   a pool SystemBuffer, input copied in, output copied
 *                     back (IoStatus.Information bytes);
 *   METHOD_*_DIRECT   input buffered; the output buffer described by an MDL
 *                     probed and locked for the caller (UserMode) - a bad
 *                     buffer fails the request before the driver runs;
 *   METHOD_NEITHER    the raw user pointers.
 */
#include <linux/module.h>
#include <mmshim/linux.h> /* MMSHIM_IMPORT_NS() */
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/printk.h>
#include <linux/pci.h>
#include "driver.h" /* <wdm.h> last: Windows' PAGE_ALIGN */

#define IOMGR_TAG 'rgMI'

struct example_handle {
	struct mutex lock; /* one request at a time per handle */
	PEXAMPLE_FILE context;
};

static int example_open(struct inode *inode, struct file *file)
{
	struct example_handle *h = kzalloc(sizeof(*h), GFP_KERNEL);

	if (!h)
		return -ENOMEM;
	mutex_init(&h->lock);
	if (!NT_SUCCESS(ExampleDispatchCreate(&h->context))) {
		kfree(h);
		return -ENOMEM;
	}
	file->private_data = h;
	return 0;
}

static int example_release(struct inode *inode, struct file *file)
{
	struct example_handle *h = file->private_data;

	ExampleDispatchCleanup(h->context);
	kfree(h);
	return 0;
}

/* Lock the caller's buffer for direct I/O, as the I/O manager does. */
static NTSTATUS example_lock_user(PVOID address, ULONG length, LOCK_OPERATION operation, PMDL *out)
{
	volatile NTSTATUS status = STATUS_SUCCESS;
	PMDL mdl = IoAllocateMdl(address, length, FALSE, FALSE, NULL);

	if (!mdl)
		return STATUS_INSUFFICIENT_RESOURCES;
	__try {
		MmProbeAndLockPages(mdl, UserMode, operation);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		status = GetExceptionCode();
	}
	if (!NT_SUCCESS(status)) {
		IoFreeMdl(mdl);
		return status;
	}
	*out = mdl;
	return STATUS_SUCCESS;
}

static NTSTATUS example_request(struct example_handle *h, unsigned int code, struct example_request *req)
{
	EXAMPLE_IRP irp = {
		.IoControlCode = code,
		.InputBufferLength = req->in_len,
		.OutputBufferLength = req->out_len,
		.RequestorMode = UserMode,
		.FileContext = h->context,
	};
	void __user *in = u64_to_user_ptr(req->in);
	void __user *out = u64_to_user_ptr(req->out);
	unsigned int method = METHOD_FROM_CTL_CODE(code);
	size_t size = 0;
	NTSTATUS status;

	if (req->in_len > EXAMPLE_MAX_TRANSFER || req->out_len > EXAMPLE_MAX_TRANSFER)
		return STATUS_INVALID_PARAMETER;
	if (method == METHOD_BUFFERED)
		size = max(req->in_len, req->out_len);
	else if (method != METHOD_NEITHER)
		size = req->in_len;
	if (size) {
		irp.SystemBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, IOMGR_TAG);
		if (!irp.SystemBuffer)
			return STATUS_INSUFFICIENT_RESOURCES;
		if (req->in_len && copy_from_user(irp.SystemBuffer, in, req->in_len)) {
			status = STATUS_ACCESS_VIOLATION;
			goto done;
		}
	}
	if ((method == METHOD_IN_DIRECT || method == METHOD_OUT_DIRECT) && req->out_len) {
		status = example_lock_user((PVOID)out, req->out_len,
					   method == METHOD_OUT_DIRECT ? IoWriteAccess : IoReadAccess,
					   &irp.MdlAddress);
		if (!NT_SUCCESS(status))
			goto done;
	}
	if (method == METHOD_NEITHER) {
		irp.Type3InputBuffer = (PVOID)in;
		irp.UserBuffer = (PVOID)out;
	}

	status = ExampleDispatchDeviceControl(&irp);

	if (method == METHOD_BUFFERED && NT_SUCCESS(status) && irp.IoStatus.Information &&
	    copy_to_user(out, irp.SystemBuffer, min_t(size_t, irp.IoStatus.Information, req->out_len)))
		status = STATUS_ACCESS_VIOLATION;
	req->returned = NT_SUCCESS(status) ? irp.IoStatus.Information : 0;
done:
	if (irp.MdlAddress) {
		MmUnlockPages(irp.MdlAddress);
		IoFreeMdl(irp.MdlAddress);
	}
	if (irp.SystemBuffer)
		ExFreePoolWithTag(irp.SystemBuffer, IOMGR_TAG);
	return status;
}

static long example_ioctl(struct file *file, unsigned int code, unsigned long arg)
{
	struct example_handle *h = file->private_data;
	struct example_request req;

	if ((code >> 16) != EXAMPLE_DEVICE_TYPE)
		return -ENOTTY;
	if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
		return -EFAULT;
	req.returned = 0;
	mutex_lock(&h->lock);
	req.status = example_request(h, code, &req);
	mutex_unlock(&h->lock);
	if (copy_to_user((void __user *)arg, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

static const struct file_operations example_fops = {
	.owner = THIS_MODULE,
	.open = example_open,
	.release = example_release,
	.unlocked_ioctl = example_ioctl,
};

static struct miscdevice example_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "mmshim_ioctl",
	.fops = &example_fops,
	.mode = 0666,
};

/* qemu's "edu" PCI device: the bus master of the DMA part (dma.c). */
#define EXAMPLE_EDU_VENDOR 0x1234
#define EXAMPLE_EDU_DEVICE 0x11e8
static struct pci_dev *example_edu;

/*
 * Plays PnP's part for the DMA part: find the device, turn on memory
 * decoding and bus mastering (what pci_enable_device + pci_set_master do
 * in a Linux driver's probe; no interrupt is used), and hand the Windows
 * half its physical device object (MmshimDeviceObject) and register BAR.
 * Without the device, the DMA requests fail with STATUS_DEVICE_NOT_READY.
 */
static void example_edu_start(void)
{
	PHYSICAL_ADDRESS bar;
	PDEVICE_OBJECT pdo;
	NTSTATUS status;
	u16 cmd;

	example_edu = pci_get_device(EXAMPLE_EDU_VENDOR, EXAMPLE_EDU_DEVICE, NULL);
	if (!example_edu) {
		pr_info("ioctl_example: no edu PCI device (qemu -device edu): no DMA\n");
		return;
	}
	pci_read_config_word(example_edu, PCI_COMMAND, &cmd);
	if (!(cmd & PCI_COMMAND_MEMORY))
		pci_write_config_word(example_edu, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);
	pci_set_master(example_edu);
	pdo = MmshimDeviceObject(&example_edu->dev);
	bar.QuadPart = pci_resource_start(example_edu, 0);
	status = pdo ? ExampleDmaStart(pdo, bar, pci_resource_len(example_edu, 0)) : STATUS_INSUFFICIENT_RESOURCES;
	if (!NT_SUCCESS(status)) {
		pr_err("ioctl_example: DMA start failed, NTSTATUS 0x%08x\n", (unsigned int)status);
		pci_clear_master(example_edu);
		pci_dev_put(example_edu);
		example_edu = NULL;
	}
}

static void example_edu_stop(void)
{
	if (!example_edu)
		return;
	ExampleDmaStop();
	pci_clear_master(example_edu);
	pci_dev_put(example_edu);
	example_edu = NULL;
}

static int __init example_init(void)
{
	NTSTATUS status = ExampleDriverEntry();
	int rc;

	if (!NT_SUCCESS(status)) {
		pr_err("ioctl_example: DriverEntry failed, NTSTATUS 0x%08x\n", (unsigned int)status);
		return -ENOMEM;
	}
	example_edu_start();
	rc = misc_register(&example_misc);
	if (rc) {
		example_edu_stop();
		ExampleUnload();
		return rc;
	}
	pr_info("ioctl_example: /dev/%s ready\n", example_misc.name);
	return 0;
}

static void __exit example_exit(void)
{
	misc_deregister(&example_misc);
	example_edu_stop();
	ExampleUnload();
	pr_info("ioctl_example: unloaded\n");
}

module_init(example_init);
module_exit(example_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mmshim example: Windows-style ioctls (buffered, direct, neither, shared memory, DMA)");
MMSHIM_IMPORT_NS();
