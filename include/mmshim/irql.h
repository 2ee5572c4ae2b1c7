/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/irql.h - IRQL, spin locks, delays, assertions and debug printing:
 * the WDK x64 declarations (same types, same macro shapes), implemented on
 * Linux's own context rules. docs/irql.md says routine by routine what each
 * maps to and where it differs from Windows.
 *
 * KeGetCurrentIrql() is derived from the real Linux context: hard IRQ is
 * MMSHIM_DIRQL, NMI HIGH_LEVEL, softirq or preemption, softirqs or
 * interrupts disabled DISPATCH_LEVEL, otherwise whatever KeRaiseIrql set
 * (PASSIVE_LEVEL when nothing did). Raising to DISPATCH_LEVEL disables
 * preemption and softirqs on this CPU until the level drops; above
 * DISPATCH_LEVEL interrupts are disabled too.
 */
#ifndef MMSHIM_IRQL_H
#define MMSHIM_IRQL_H

#include <mmshim/types.h>

#ifndef NTSYSAPI
#define NTSYSAPI
#endif

/* IRQL values of the x64 WDK. */
#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define DRS_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15
#define SYNCH_LEVEL (IPI_LEVEL - 2)
/* What KeGetCurrentIrql() returns in a Linux hard interrupt handler (mmshim's
 * choice: the highest device IRQL below SYNCH_LEVEL; Linux has no interrupt
 * priorities). */
#define MMSHIM_DIRQL 11

/* Spin locks: a KSPIN_LOCK is one ULONG_PTR, as in the WDK. */
typedef ULONG_PTR KSPIN_LOCK;
typedef KSPIN_LOCK *PKSPIN_LOCK;

typedef struct _KSPIN_LOCK_QUEUE {
	struct _KSPIN_LOCK_QUEUE *volatile Next;
	PKSPIN_LOCK volatile Lock;
} KSPIN_LOCK_QUEUE, *PKSPIN_LOCK_QUEUE;

typedef struct _KLOCK_QUEUE_HANDLE {
	KSPIN_LOCK_QUEUE LockQueue;
	KIRQL OldIrql;
} KLOCK_QUEUE_HANDLE, *PKLOCK_QUEUE_HANDLE;

MMSHIM_STATIC_ASSERT(sizeof(KSPIN_LOCK) == 8, "KSPIN_LOCK is a ULONG_PTR");
MMSHIM_STATIC_ASSERT(sizeof(KSPIN_LOCK_QUEUE) == 16, "KSPIN_LOCK_QUEUE is two pointers");
MMSHIM_STATIC_ASSERT(sizeof(KLOCK_QUEUE_HANDLE) == 24, "KLOCK_QUEUE_HANDLE as in the x64 WDK");

/* DbgPrintEx component ids (a few of the WDK's DPFLTR_TYPE) and levels. */
typedef enum _DPFLTR_TYPE {
	DPFLTR_SYSTEM_ID = 0,
	DPFLTR_IHVDRIVER_ID = 77,
	DPFLTR_IHVVIDEO_ID = 78,
	DPFLTR_IHVAUDIO_ID = 79,
	DPFLTR_IHVNETWORK_ID = 80,
	DPFLTR_IHVSTREAMING_ID = 81,
	DPFLTR_IHVBUS_ID = 82,
	DPFLTR_DEFAULT_ID = 101
} DPFLTR_TYPE;
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3
#define DPFLTR_MASK 0x80000000

/*
 * Verifier reports for IRQL and spin-lock misuse (mmshim/verifier.h): the
 * bug checks Windows raises, and DRIVER_VERIFIER_DETECTED_VIOLATION with
 * Windows' own parameter 1 where it has one, mmshim's 0x4D53007x otherwise.
 */
#ifndef IRQL_NOT_LESS_OR_EQUAL
#define IRQL_NOT_LESS_OR_EQUAL 0x0000000A
#endif
#ifndef SPIN_LOCK_ALREADY_OWNED
#define SPIN_LOCK_ALREADY_OWNED 0x0000000F /* (lock, current owner, 0, 0) */
#endif
#ifndef SPIN_LOCK_NOT_OWNED
#define SPIN_LOCK_NOT_OWNED 0x00000010 /* (lock, its value, 0, 0) */
#endif
#define MMSHIM_VRF_RAISE_IRQL_INVALID 0x30      /* KeRaiseIrql below the current IRQL or above HIGH_LEVEL */
#define MMSHIM_VRF_LOWER_IRQL_INVALID 0x31      /* KeLowerIrql above the current IRQL or above HIGH_LEVEL */
#define MMSHIM_VRF_SPINLOCK_RELEASE_IRQL 0x32   /* KeReleaseSpinLock below DISPATCH_LEVEL (double release?) */
#define MMSHIM_VRF_SPINLOCK_AT_DPC_TOO_LOW 0x40 /* KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL */
#define MMSHIM_VRF_SPINLOCK_FROM_DPC_TOO_LOW 0x41 /* KeReleaseSpinLockFromDpcLevel below DISPATCH_LEVEL */
#define MMSHIM_VRF_SPINLOCK_ACQUIRE_TOO_HIGH 0x42 /* KeAcquireSpinLock above DISPATCH_LEVEL */
#define MMSHIM_VRF_ASSERTION_FAILED 0x4D530070  /* ASSERT/NT_ASSERT: (code, expression, file, line) */
#define MMSHIM_VRF_PAGED_CODE_IRQL 0x4D530071   /* PAGED_CODE() above APC_LEVEL: (code, IRQL, file, line) */
#define MMSHIM_VRF_WAIT_IRQL 0x4D530072         /* KeDelayExecutionThread above APC_LEVEL: refused */
#define MMSHIM_VRF_APC_LEVEL_THREADS 0x4D530073 /* too many threads at APC_LEVEL at once: refused */

MMSHIM_EXTERN_C_BEGIN

/* ---- IRQL ---------------------------------------------------------------- */

KIRQL KeGetCurrentIrql(VOID);
/* Raise to NewIrql and return the previous IRQL (KeRaiseIrql's x64 body). */
KIRQL KfRaiseIrql(KIRQL NewIrql);
#define KeRaiseIrql(a, b) *(b) = KfRaiseIrql(a)
NTKERNELAPI VOID KeLowerIrql(KIRQL NewIrql);
KIRQL KeRaiseIrqlToDpcLevel(VOID);

/* ---- spin locks ------------------------------------------------------------ */

static inline VOID NTAPI KeInitializeSpinLock(PKSPIN_LOCK SpinLock)
{
	*SpinLock = 0;
}

NTKERNELAPI KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
#define KeAcquireSpinLock(SpinLock, OldIrql) *(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock)
NTKERNELAPI VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
NTKERNELAPI VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI BOOLEAN FASTCALL KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI BOOLEAN FASTCALL KeTestSpinLock(PKSPIN_LOCK SpinLock);

NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock,
							 PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID FASTCALL KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
								   PKLOCK_QUEUE_HANDLE LockHandle);
NTKERNELAPI VOID FASTCALL KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle);

/* ---- delays ---------------------------------------------------------------- */

/* Busy-wait MicroSeconds (udelay); any IRQL. */
VOID NTAPI KeStallExecutionProcessor(ULONG MicroSeconds);
/* Sleep for Interval 100 ns units: negative relative, positive absolute
 * system time (100 ns since 1601-01-01 UTC), 0 yields. IRQL <= APC_LEVEL. */
NTKERNELAPI NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
					    PLARGE_INTEGER Interval);

/* DMA and the CPU caches are coherent on x86 (and mmshim supports only
 * cache-coherent DMA on arm64): nothing to flush, as the x64 WDK's macro. */
#define KeFlushIoBuffers(Mdl, ReadOperation, DmaOperation) \
	((void)(Mdl), (void)(ReadOperation), (void)(DmaOperation))

/* ---- assertions and debug output ------------------------------------------- */

/* A failed ASSERT: a verifier report naming the expression, file and line. */
NTSYSAPI VOID NTAPI RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber,
			      PCHAR MutableMessage);
/* PAGED_CODE() found the IRQL above APC_LEVEL (mmshim extension). */
VOID MmshimPagedCodeViolation(const CHAR *FileName, ULONG LineNumber);

/* printk, prefixed with the calling module's name. Format conversions are
 * Linux's vsnprintf ones (see docs/irql.md). Returns STATUS_SUCCESS. */
ULONG DbgPrint(const CHAR *Format, ...);
NTSYSAPI ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, const CHAR *Format, ...);

MMSHIM_EXTERN_C_END

/*
 * ASSERT, NT_ASSERT, KdPrint and PAGED_CODE are compiled in as in a WDK
 * checked (DBG) build unless the driver defines DBG to 0, as a WDK free
 * build does.
 */
#if !defined(DBG) || DBG
#define MMSHIM_DBG 1
#else
#define MMSHIM_DBG 0
#endif

#if MMSHIM_DBG
#ifndef ASSERT
#define ASSERT(exp) \
	((!(exp)) ? (RtlAssert((PVOID)#exp, (PVOID)__FILE__, __LINE__, NULL), FALSE) : TRUE)
#endif
#define ASSERTMSG(msg, exp) \
	((!(exp)) ? (RtlAssert((PVOID)#exp, (PVOID)__FILE__, __LINE__, (PCHAR)(msg)), FALSE) : TRUE)
#define NT_ASSERT(exp) \
	((!(exp)) ? (RtlAssert((PVOID)#exp, (PVOID)__FILE__, __LINE__, NULL), FALSE) : TRUE)
#define NT_ASSERTMSG(msg, exp) ASSERTMSG(msg, exp)
#define NT_VERIFY(exp) NT_ASSERT(exp)
#define KdPrint(_x_) DbgPrint _x_
#define KdPrintEx(_x_) DbgPrintEx _x_
#define PAGED_CODE()                                                   \
	do {                                                           \
		if (KeGetCurrentIrql() > APC_LEVEL)                    \
			MmshimPagedCodeViolation(__FILE__, __LINE__); \
	} while (0)
#else
#ifndef ASSERT
#define ASSERT(exp) ((void)0)
#endif
#define ASSERTMSG(msg, exp) ((void)0)
#define NT_ASSERT(exp) ((void)0)
#define NT_ASSERTMSG(msg, exp) ((void)0)
#define NT_VERIFY(exp) ((exp) ? TRUE : FALSE)
#define KdPrint(_x_)
#define KdPrintEx(_x_)
#define PAGED_CODE()
#endif
/* Code that is locked in memory anyway: nothing to check. */
#define PAGED_CODE_LOCKED()

#endif /* MMSHIM_IRQL_H */
