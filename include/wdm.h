/* SPDX-License-Identifier: GPL-2.0 */
/*
 * wdm.h - mmshim's porter-facing header: the subset of the Windows WDK's
 * wdm.h that mmshim implements, with Windows names, values and layouts.
 *
 * Valid C and C++; includes no Linux header. When a source file needs Linux
 * headers too, include them first and <wdm.h> last: Windows' PAGE_ALIGN
 * (round down) replaces Linux's (round up).
 */
#ifndef MMSHIM_WDM_H
#define MMSHIM_WDM_H

#include <mmshim/types.h>
#include <mmshim/sal.h>
#include <mmshim/ntstatus.h>
#include <mmshim/seh.h>
#include <mmshim/mdl.h>
#include <mmshim/lock.h>
#include <mmshim/map.h>
#include <mmshim/pool.h>
#include <mmshim/probe.h>
#include <mmshim/verifier.h>
#include <mmshim/reserve.h>
#include <mmshim/iospace.h>
#include <mmshim/pagealloc.h>
#include <mmshim/routines.h>
#include <mmshim/irql.h>
#include <mmshim/base.h>
#include <mmshim/lookaside.h>
#include <mmshim/mmextra.h>
/* NUMA-node and cache variants of page allocation (docs/pagealloc.md) */
#include <mmshim/pagenode.h>
#include <mmshim/register.h>
#include <mmshim/iomdl.h>
/* DMA adapters over MDLs (docs/dma.md) */
#include <mmshim/dma.h>

#endif /* MMSHIM_WDM_H */
