/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/physical.h - ntddk.h's address queries: MmGetPhysicalAddress and
 * MmIsAddressValid.
 */
#ifndef MMSHIM_PHYSICAL_H
#define MMSHIM_PHYSICAL_H

#include <mmshim/types.h>

MMSHIM_EXTERN_C_BEGIN

/* Physical address behind a mapped kernel virtual address (0 if none). */
PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);

/* TRUE if reading VirtualAddress would not fault (kernel addresses only:
 * user addresses answer FALSE). */
BOOLEAN MmIsAddressValid(PVOID VirtualAddress);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_PHYSICAL_H */
