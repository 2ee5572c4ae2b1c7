// SPDX-License-Identifier: GPL-2.0
/*
 * exports.c - exports every routine in src/exports.h to drivers, in the
 * MMSHIM symbol namespace (drivers say MMSHIM_IMPORT_NS(), from
 * include/mmshim/linux.h).
 * wdm.h comes last, after the Linux headers (it replaces PAGE_ALIGN).
 */
#include <linux/export.h>
#include <linux/module.h>
#include "compat.h"
#include <ntddk.h> /* wdm.h plus the ntddk.h-only routines */
#include "exports.h"

#define MMSHIM_EXPORT(sym) MMSHIM_EXPORT_NS_GPL(sym);
MMSHIM_EXPORTED_ROUTINES(MMSHIM_EXPORT)
