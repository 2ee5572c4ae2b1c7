/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/lock.h - locking the pages an MDL describes: MmProbeAndLockPages,
 * MmUnlockPages, and a status-returning variant for new code.
 */
#ifndef MMSHIM_LOCK_H
#define MMSHIM_LOCK_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

MMSHIM_EXTERN_C_BEGIN

/*
 * Lock the pages of MemoryDescriptorList's range in memory and fill its PFN
 * array. User-mode ranges are pinned (pin_user_pages); kernel ranges are
 * referenced. Raises STATUS_ACCESS_VIOLATION (use __try/__except) for a
 * range it cannot lock: unmapped or partly unmapped, wrapping, zero length,
 * a kernel address probed in UserMode, or write access to a read-only page.
 * After a raise nothing is pinned and the MDL is not locked.
 */
VOID MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
			 LOCK_OPERATION Operation);

/* Unlock what MmProbeAndLockPages locked: pages written to are marked dirty,
 * then unpinned. Callable with a spinlock held and from any thread. */
VOID MmUnlockPages(PMDL MemoryDescriptorList);

/*
 * mmshim extension: MmProbeAndLockPages that returns the status it would
 * raise (STATUS_SUCCESS when locked) instead of raising. Misuse that
 * MmProbeAndLockPages reports without raising returns
 * STATUS_INVALID_PARAMETER.
 */
NTSTATUS MmshimProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
				 LOCK_OPERATION Operation);

/* mmshim extension: MDLs currently locked by MmProbeAndLockPages. */
SIZE_T MmshimLockedMdlCount(VOID);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_LOCK_H */
