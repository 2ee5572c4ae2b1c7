/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/secure.h - ntddk.h's MmSecureVirtualMemory and
 * MmUnsecureVirtualMemory, approximated with what Linux allows (docs/base.md).
 */
#ifndef MMSHIM_SECURE_H
#define MMSHIM_SECURE_H

#include <mmshim/types.h>
#include <mmshim/base.h>
#include <mmshim/iospace.h> /* PAGE_READONLY, PAGE_READWRITE */

MMSHIM_EXTERN_C_BEGIN

/*
 * Check that the user range [Address, Address + Size) of the current process
 * is mapped and readable (ProbeMode PAGE_READONLY) or writable
 * (PAGE_READWRITE), fault it in, and pin its pages until
 * MmUnsecureVirtualMemory. Returns a handle for MmUnsecureVirtualMemory, or
 * NULL if the range is not (all) mapped with that access.
 *
 * What Linux lets mmshim promise is less than Windows': the process can
 * still munmap or mprotect the range (Linux has no hook to refuse it), so
 * the driver must keep touching the user addresses with __try or
 * copy_{from,to}_user. What is guaranteed is that the frames behind the
 * range at the time of the call stay allocated (pinned, as
 * MmProbeAndLockPages pins) until the handle is released, and that the
 * range was accessible when the call returned.
 *
 * IRQL <= APC_LEVEL (may sleep). Bad input (NULL Address, Size 0, a range
 * that wraps or reaches kernel space, a ProbeMode other than PAGE_READONLY
 * or PAGE_READWRITE, a wrong IRQL) is reported and returns NULL. As with
 * MmProbeAndLockPages(IoReadAccess), a PAGE_READONLY range the process may
 * write is pinned writable (copy-on-write broken, untouched pages
 * allocated), so later writes reach the pinned frames.
 */
HANDLE MmSecureVirtualMemory(PVOID Address, SIZE_T Size, ULONG ProbeMode);

/*
 * Unpin what MmSecureVirtualMemory pinned and forget the handle. A handle
 * mmshim did not return, or one already released, is reported
 * (MMSHIM_VRF_SECURE_HANDLE_UNKNOWN) and nothing else happens. Windows asks
 * for the securing process's context; mmshim releases from any context
 * (a call above APC_LEVEL is reported, then done anyway). Handles left at
 * mmshim unload are reported and released.
 */
VOID MmUnsecureVirtualMemory(HANDLE SecureHandle);

/* mmshim extension: handles from MmSecureVirtualMemory not yet released. */
SIZE_T MmshimSecuredRangeCount(VOID);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_SECURE_H */
