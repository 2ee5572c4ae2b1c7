/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/probe.h - checking user-mode buffers: ProbeForRead, ProbeForWrite.
 * Both raise exceptions (use them inside __try, see mmshim/seh.h).
 */
#ifndef MMSHIM_PROBE_H
#define MMSHIM_PROBE_H

#include <mmshim/types.h>

MMSHIM_EXTERN_C_BEGIN

/*
 * Raise STATUS_DATATYPE_MISALIGNMENT if Address is not a multiple of
 * Alignment (1, 2, 4, 8 or 16), STATUS_ACCESS_VIOLATION if the range wraps or
 * reaches beyond user space. Length 0 checks nothing. Memory is not touched.
 */
VOID ProbeForRead(const volatile VOID *Address, SIZE_T Length, ULONG Alignment);

/*
 * As ProbeForRead, and also STATUS_ACCESS_VIOLATION unless every page of
 * the range is mapped writable in the current process (faulted in without
 * changing its contents). IRQL <= APC_LEVEL: process context only.
 */
VOID ProbeForWrite(volatile VOID *Address, SIZE_T Length, ULONG Alignment);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_PROBE_H */
