/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello_mdl.h - what the Windows-style half of the example (driver.c) and
 * its Linux entry point (module.c) share. Plain Windows types only.
 */
#ifndef HELLO_MDL_H
#define HELLO_MDL_H

#include <wdm.h>

/* Windows half: DriverEntry-like start and unload. */
NTSTATUS HelloMdlStart(VOID);
VOID HelloMdlUnload(VOID);
/* Windows half, device part: start with the device's register BAR (what
 * PnP would hand over as a CmResourceTypeMemory resource), stop. */
NTSTATUS HelloEduStart(PHYSICAL_ADDRESS Bar0, SIZE_T Length);
VOID HelloEduStop(VOID);


#endif
