/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/base.h - the base vocabulary of wdm.h that memory code is written
 * in: HANDLE, FIELD_OFFSET, CONTAINING_RECORD, RTL_NUMBER_OF/ARRAYSIZE, the
 * Interlocked* family, KeMemoryBarrier, the Rtl memory routines, the
 * user/system address boundaries (MmHighestUserAddress, MmSystemRangeStart,
 * MM_USER_PROBE_ADDRESS), the current process and thread
 * (PsGetCurrentProcess, PsGetCurrentProcessId, ExGetPreviousMode), and
 * MmProbeAndLockProcessPages. docs/base.md has each routine's Linux
 * primitive and its deviations from Windows.
 *
 * Compiler built-ins only (__atomic_*, __builtin_memcpy ...): no libc or
 * Linux header, valid C and C++.
 */
#ifndef MMSHIM_BASE_H
#define MMSHIM_BASE_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>
#include <devioctl.h>

typedef PVOID HANDLE;
typedef HANDLE *PHANDLE;
typedef long long LONG64, *PLONG64;

/* ---- structure and array helpers --------------------------------------- */

#ifndef FIELD_OFFSET
#define FIELD_OFFSET(type, field) ((LONG)__builtin_offsetof(type, field))
#endif
#ifndef RTL_FIELD_SIZE
#define RTL_FIELD_SIZE(type, field) (sizeof(((type *)0)->field))
#endif
/* The address of the structure of `type` whose member `field` is at `address`. */
#ifndef CONTAINING_RECORD
#define CONTAINING_RECORD(address, type, field) \
	((type *)((PCHAR)(address) - (ULONG_PTR)__builtin_offsetof(type, field)))
#endif

/*
 * Elements of an array. RTL_NUMBER_OF is the plain division; in C++
 * ARRAYSIZE (RTL_NUMBER_OF_V2) refuses to compile for a pointer, as the
 * WDK's does. In C both are the division.
 */
#define RTL_NUMBER_OF_V1(A) (sizeof(A) / sizeof((A)[0]))
#ifdef __cplusplus
template <typename T, SIZE_T N> char (*MmshimArrayCountHelper(T (&)[N]))[N];
#define RTL_NUMBER_OF_V2(A) (sizeof(*MmshimArrayCountHelper(A)))
#else
#define RTL_NUMBER_OF_V2(A) RTL_NUMBER_OF_V1(A)
#endif
#ifndef RTL_NUMBER_OF
#define RTL_NUMBER_OF(A) RTL_NUMBER_OF_V1(A)
#endif
#ifndef ARRAYSIZE
#define ARRAYSIZE(A) RTL_NUMBER_OF_V2(A)
#endif

/* ---- Interlocked* and memory barriers ----------------------------------- */

/*
 * Every Interlocked routine is a full memory barrier, as on Windows: a
 * sequentially consistent atomic read-modify-write (a LOCK-prefixed
 * instruction on x86_64), followed on arm64 by a full fence, because an
 * exclusive-load/store sequence alone does not order the plain accesses
 * around it. The WDK makes them compiler intrinsics; here they are inline
 * functions with the WDK's parameter types (`LONG volatile *` ...), so a
 * pointer of the WDK's function type still takes their address.
 */
#if defined(__aarch64__)
#define MMSHIM_INTERLOCKED_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#else
#define MMSHIM_INTERLOCKED_FENCE() ((void)0)
#endif

/* A full memory barrier (loads and stores on both sides ordered). */
#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)
/* A compiler-only barrier: no reordering by the compiler, no fence instruction. */
#define KeMemoryBarrierWithoutFence() __atomic_signal_fence(__ATOMIC_SEQ_CST)

#define MMSHIM_INTERLOCKED_RMW(type, name, builtin)                        \
	static inline type name(type volatile *Target, type Value)         \
	{                                                                  \
		type r = builtin(Target, Value, __ATOMIC_SEQ_CST);         \
		MMSHIM_INTERLOCKED_FENCE();                                \
		return r;                                                  \
	}

MMSHIM_EXTERN_C_BEGIN

/* Return the new value. */
static inline LONG InterlockedIncrement(LONG volatile *Addend)
{
	LONG r = __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return r;
}
static inline LONG InterlockedDecrement(LONG volatile *Addend)
{
	LONG r = __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return r;
}
static inline LONG64 InterlockedIncrement64(LONG64 volatile *Addend)
{
	LONG64 r = __atomic_add_fetch(Addend, 1, __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return r;
}
static inline LONG64 InterlockedDecrement64(LONG64 volatile *Addend)
{
	LONG64 r = __atomic_sub_fetch(Addend, 1, __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return r;
}

/* Return the initial value. */
MMSHIM_INTERLOCKED_RMW(LONG, InterlockedExchange, __atomic_exchange_n)
MMSHIM_INTERLOCKED_RMW(LONG, InterlockedExchangeAdd, __atomic_fetch_add)
MMSHIM_INTERLOCKED_RMW(LONG, InterlockedOr, __atomic_fetch_or)
MMSHIM_INTERLOCKED_RMW(LONG, InterlockedAnd, __atomic_fetch_and)
MMSHIM_INTERLOCKED_RMW(LONG, InterlockedXor, __atomic_fetch_xor)
MMSHIM_INTERLOCKED_RMW(LONG64, InterlockedExchange64, __atomic_exchange_n)
MMSHIM_INTERLOCKED_RMW(LONG64, InterlockedExchangeAdd64, __atomic_fetch_add)
MMSHIM_INTERLOCKED_RMW(LONG64, InterlockedOr64, __atomic_fetch_or)
MMSHIM_INTERLOCKED_RMW(LONG64, InterlockedAnd64, __atomic_fetch_and)
MMSHIM_INTERLOCKED_RMW(LONG64, InterlockedXor64, __atomic_fetch_xor)

/* Return the new value (Addend + Value). */
MMSHIM_INTERLOCKED_RMW(LONG, InterlockedAdd, __atomic_add_fetch)
MMSHIM_INTERLOCKED_RMW(LONG64, InterlockedAdd64, __atomic_add_fetch)

/* Store ExChange if *Destination equals Comperand; return the initial value. */
static inline LONG InterlockedCompareExchange(LONG volatile *Destination, LONG ExChange, LONG Comperand)
{
	__atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return Comperand;
}
static inline LONG64 InterlockedCompareExchange64(LONG64 volatile *Destination, LONG64 ExChange,
						  LONG64 Comperand)
{
	__atomic_compare_exchange_n(Destination, &Comperand, ExChange, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return Comperand;
}
static inline PVOID InterlockedExchangePointer(PVOID volatile *Target, PVOID Value)
{
	PVOID r = __atomic_exchange_n(Target, Value, __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return r;
}
static inline PVOID InterlockedCompareExchangePointer(PVOID volatile *Destination, PVOID Exchange,
						      PVOID Comperand)
{
	__atomic_compare_exchange_n(Destination, &Comperand, Exchange, 0, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	MMSHIM_INTERLOCKED_FENCE();
	return Comperand;
}

MMSHIM_EXTERN_C_END

#undef MMSHIM_INTERLOCKED_RMW

/* ---- Rtl memory routines -------------------------------------------------- */

/*
 * As in the WDK, macros over the compiler's memcpy/memmove/memset/memcmp
 * (the kernel's own, or inlined). RtlCopyMemory's ranges must not overlap;
 * RtlMoveMemory's may.
 */
#define RtlCopyMemory(Destination, Source, Length) \
	__builtin_memcpy((Destination), (Source), (Length))
#define RtlMoveMemory(Destination, Source, Length) \
	__builtin_memmove((Destination), (Source), (Length))
#define RtlFillMemory(Destination, Length, Fill) \
	__builtin_memset((Destination), (Fill), (Length))
#define RtlZeroMemory(Destination, Length) __builtin_memset((Destination), 0, (Length))
#define RtlEqualMemory(Destination, Source, Length) \
	(!__builtin_memcmp((Destination), (Source), (Length)))

MMSHIM_EXTERN_C_BEGIN

/*
 * Zero Length bytes at ptr even if the compiler sees no later read (for
 * secrets about to be freed): the memset is followed by a compiler barrier
 * that claims to read the memory. Returns ptr.
 */
static inline PVOID RtlSecureZeroMemory(PVOID ptr, SIZE_T cnt)
{
	__builtin_memset(ptr, 0, cnt);
	__asm__ __volatile__("" : : "r"(ptr) : "memory");
	return ptr;
}

/*
 * How many bytes from the start of Source1 and Source2 are equal (Length
 * if all are). Any IRQL for nonpaged memory. NULL with a non-zero Length
 * is reported and returns 0.
 */
SIZE_T RtlCompareMemory(const VOID *Source1, const VOID *Source2, SIZE_T Length);

/* ---- address-space boundaries --------------------------------------------- */

/*
 * Set at mmshim load from the Linux boundary mmshim's own checks use
 * (TASK_SIZE_MAX: 0x00007ffffffff000 on x86_64 with 4-level paging,
 * 0x00fffffffffff000 with 5-level):
 *   MmUserProbeAddress   = TASK_SIZE_MAX (first address that is not user)
 *   MmHighestUserAddress = TASK_SIZE_MAX - 1
 *   MmSystemRangeStart   = TASK_SIZE_MAX
 * So "address + length <= MM_USER_PROBE_ADDRESS" agrees exactly with
 * ProbeForRead/ProbeForWrite and MmProbeAndLockPages, and everything at or
 * above MmSystemRangeStart is what mmshim treats as a kernel address.
 * Windows leaves a gap between the two ranges; mmshim has none.
 */
extern NTKERNELAPI PVOID MmHighestUserAddress;
extern NTKERNELAPI PVOID MmSystemRangeStart;
extern NTKERNELAPI ULONG_PTR MmUserProbeAddress;

MMSHIM_EXTERN_C_END

#define MM_HIGHEST_USER_ADDRESS MmHighestUserAddress
#define MM_SYSTEM_RANGE_START MmSystemRangeStart
#define MM_USER_PROBE_ADDRESS MmUserProbeAddress

/* ---- the current process and thread --------------------------------------- */

MMSHIM_EXTERN_C_BEGIN

/*
 * The current process: the Linux address space (mm_struct) the current
 * task runs in, the same value MmProbeAndLockPages stores in MDL->Process
 * and the user-mapping owner checks compare. A task without one (a kernel
 * thread, a process past exit_mm) gets mmshim's stand-in for the System
 * process: never NULL. Only compare the value; it is not an EPROCESS.
 * Any IRQL (in interrupt context: the interrupted task's, as on Windows).
 */
PEPROCESS IoGetCurrentProcess(VOID);
#define PsGetCurrentProcess IoGetCurrentProcess

/* The current process's id (the Linux thread group id, global pid
 * namespace) and the current thread's id (the Linux pid of the task).
 * Any IRQL. */
HANDLE PsGetCurrentProcessId(VOID);
HANDLE PsGetCurrentThreadId(VOID);

/*
 * UserMode when the caller runs on behalf of a user process: task context
 * (not hard or soft interrupt, not NMI), a task that is not a kernel thread
 * (PF_KTHREAD clear), with a user address space. That is a system call or
 * a fault from user space, including the ioctl/read/write/mmap handlers a
 * ported driver's Linux half registers, at any IRQL the driver raises to.
 * KernelMode otherwise: kernel threads (workqueues, kthread_use_mm users
 * included), interrupts, softirqs, and an exiting process after exit_mm.
 * mmshim cannot know that a request arrived through a kernel caller (what
 * Windows records as PreviousMode KernelMode for Zw* calls).
 */
KPROCESSOR_MODE ExGetPreviousMode(VOID);

/*
 * MmProbeAndLockPages for the address space of Process. Linux gives mmshim
 * no safe way into another process's address space from a bare pointer,
 * so a user-address range is locked only when Process is the current
 * process (PsGetCurrentProcess()); for any other Process (another
 * process, or the System process, which has no user space) mmshim reports
 * MMSHIM_VRF_FOREIGN_PROCESS and raises STATUS_ACCESS_VIOLATION with the
 * MDL untouched. Kernel addresses are the same in every process: a
 * kernel-address range is locked whatever non-NULL Process is given. NULL
 * Process: reported (MMSHIM_VRF_NULL_ARGUMENT) and STATUS_ACCESS_VIOLATION
 * raised. Otherwise exactly MmProbeAndLockPages: unlock with MmUnlockPages.
 */
VOID MmProbeAndLockProcessPages(PMDL MemoryDescriptorList, PEPROCESS Process,
				KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_BASE_H */
