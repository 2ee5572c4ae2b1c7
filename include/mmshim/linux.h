/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/linux.h - the Linux-side helpers a ported driver's Linux half uses
 * (the C file with module_init/module_exit, MODULE_LICENSE ...).
 *
 * Unlike wdm.h and the rest of include/, this header includes Linux headers:
 * include it only from Linux-side C files of a kernel module, never from the
 * Windows-style code or from user space. It works unchanged on every series
 * mmshim supports (5.10 to the newest), so a driver needs no version test.
 */
#ifndef MMSHIM_LINUX_H
#define MMSHIM_LINUX_H

#include <linux/module.h>

/* The symbol namespace mmshim exports its routines in. */
#define MMSHIM_NAMESPACE "MMSHIM"

/*
 * MMSHIM_IMPORT_NS(); - import mmshim's symbol namespace (once per module,
 * at file scope). Without it modpost refuses the module ("uses symbol ...
 * from namespace MMSHIM, but does not import it") and the kernel refuses to
 * load it.
 *
 * MODULE_IMPORT_NS() takes a bare token up to 6.12 (MODULE_IMPORT_NS(MMSHIM))
 * and a string literal from 6.13 on (MODULE_IMPORT_NS("MMSHIM")); both
 * spellings produce the same module information, import_ns=MMSHIM, and this
 * macro writes that directly. So it needs no version test and is also right
 * on distribution kernels that took the 6.13 change into an older series.
 */
#define MMSHIM_IMPORT_NS() MODULE_INFO(import_ns, MMSHIM_NAMESPACE)

struct device;
struct _DEVICE_OBJECT;

/*
 * MmshimDeviceObject - the PDEVICE_OBJECT that stands for @dev's physical
 * device object in the Windows half of the driver (IoGetDmaAdapter's
 * PhysicalDeviceObject). The same pointer for the same device every time;
 * mmshim keeps it until it is unloaded. NULL if memory runs out. Call it
 * where sleeping is allowed (probe). See docs/dma.md.
 */
struct _DEVICE_OBJECT *MmshimDeviceObject(struct device *dev);

#endif /* MMSHIM_LINUX_H */
