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

/* Linux half: prints one line to the kernel log (DbgPrint stands in). */
void HelloLog(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
