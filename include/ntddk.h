/* SPDX-License-Identifier: GPL-2.0 */
/* ntddk.h - forwards to mmshim's wdm.h, as the WDK's ntddk.h includes wdm.h. */
#ifndef MMSHIM_NTDDK_H
#define MMSHIM_NTDDK_H
#include <wdm.h>
#include <mmshim/physical.h>
#include <mmshim/secure.h>
/* MmCopyMemory and physical memory queries (docs/mmcopy.md) */
#include <mmshim/mmcopy.h>
#include <mmshim/video.h>
#endif
