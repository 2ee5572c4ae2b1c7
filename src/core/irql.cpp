// SPDX-License-Identifier: GPL-2.0
// irql.cpp - IRQL, KSPIN_LOCK, delays, ASSERT/PAGED_CODE and DbgPrint
// (include/mmshim/irql.h, docs/irql.md).
//
// The IRQL is not a number mmshim stores and believes: it is derived from
// what Linux says about the context (hard IRQ, softirq, preemption or
// interrupts off), raised further by KeRaiseIrql. A raise to DISPATCH_LEVEL
// makes the glue block preemption and softirqs on this CPU; above it,
// interrupts too. Because the effect is real, every check elsewhere in
// mmshim that asks mmshim_plat_may_sleep() sees a raised IRQL as atomic.
//
// Raised state lives in a per-CPU, per-context record (the glue's): a raise
// to DISPATCH_LEVEL pins the thread to its CPU, so the record stays valid
// until the matching lower. APC_LEVEL does not pin (the thread may sleep and
// migrate), so threads at APC_LEVEL are kept in a small table by thread key.
//
// KSPIN_LOCK is a test-and-set lock on the ULONG_PTR itself: 0 when free,
// the holder's thread key (task plus interrupt-level bits) when held. That
// makes recursive acquisition, a release by a non-holder and a double
// release detectable, and an interrupt spinning on a lock the code it
// interrupted holds (a certain deadlock) reportable instead of a hang.
#include <wdm.h>
#include "irql.h"
#include "verifier.h"

namespace mmshim::irql {
namespace {

// ---- threads at APC_LEVEL --------------------------------------------------

// Only a thread adds or removes its own key, so slots need no lock: a
// compare-and-swap claims a free one. The count is a fast "nobody".
constexpr unsigned kApcSlots = 64;
constinit uptr g_apc[kApcSlots] = {};
constinit unsigned g_apc_count = 0;

bool apc_find(uptr key)
{
	if (__atomic_load_n(&g_apc_count, __ATOMIC_RELAXED) == 0)
		return false;
	for (auto &slot : g_apc)
		if (__atomic_load_n(&slot, __ATOMIC_RELAXED) == key)
			return true;
	return false;
}

bool apc_add(uptr key)
{
	if (apc_find(key))
		return true;
	for (auto &slot : g_apc) {
		uptr expected = 0;
		if (__atomic_compare_exchange_n(&slot, &expected, key, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			__atomic_add_fetch(&g_apc_count, 1, __ATOMIC_RELAXED);
			return true;
		}
	}
	return false;
}

void apc_remove(uptr key)
{
	if (__atomic_load_n(&g_apc_count, __ATOMIC_RELAXED) == 0)
		return;
	for (auto &slot : g_apc) {
		if (__atomic_load_n(&slot, __ATOMIC_RELAXED) == key) {
			__atomic_store_n(&slot, 0, __ATOMIC_RELAXED);
			__atomic_sub_fetch(&g_apc_count, 1, __ATOMIC_RELAXED);
			return;
		}
	}
}

// ---- the current IRQL ------------------------------------------------------

// The lowest IRQL the Linux context itself implies when it cannot sleep.
KIRQL context_floor(unsigned ctx)
{
	switch (ctx & MMSHIM_CTX_MASK) {
	case MMSHIM_CTX_NMI:
		return HIGH_LEVEL;
	case MMSHIM_CTX_HARDIRQ:
		return MMSHIM_DIRQL;
	default:
		return DISPATCH_LEVEL;
	}
}

KIRQL current(unsigned ctx)
{
	if (!(ctx & MMSHIM_CTX_ATOMIC))
		return apc_find(mmshim_plat_thread_key()) ? APC_LEVEL : PASSIVE_LEVEL;
	const KIRQL floor = context_floor(ctx);
	const KIRQL raised = mmshim_plat_irql_cpu()->level;
	return raised > floor ? raised : floor;
}

bool in_interrupt(unsigned ctx)
{
	return (ctx & MMSHIM_CTX_MASK) != MMSHIM_CTX_TASK;
}

// Undo every raise of this context: interrupts back, then dispatch (which
// may run pending softirqs, as Windows runs pending DPCs on the way down).
void undo_all(mmshim_irql_cpu *rec)
{
	if (rec->irqs) {
		rec->irqs = 0;
		mmshim_plat_irql_unblock_interrupts(rec->irq_flags);
	}
	const int cookie = rec->dispatch;
	rec->level = 0;
	rec->dispatch = 0;
	rec->depth = 0;
	if (cookie)
		mmshim_plat_irql_unblock_dispatch(cookie);
}

} // namespace

KIRQL get() { return current(mmshim_plat_irql_context()); }

bool at_most_dispatch() { return mmshim_plat_irql_low_context() || get() <= DISPATCH_LEVEL; }

// KeRaiseIrql: returns the previous IRQL; a raise below it (or above
// HIGH_LEVEL) is reported and changes nothing.
KIRQL raise(KIRQL to, const char *routine, void *caller)
{
	const unsigned ctx = mmshim_plat_irql_context();
	const KIRQL cur = current(ctx);
	if (to > HIGH_LEVEL || to < cur) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_RAISE_IRQL_INVALID, cur,
				 to, 0, routine,
				 to > HIGH_LEVEL ? "new IRQL above HIGH_LEVEL: the IRQL is left as it is"
						 : "raise to a level below the current IRQL: the IRQL is left as it is",
				 caller);
		return cur;
	}
	if (to < DISPATCH_LEVEL) {
		if (to == APC_LEVEL && cur == PASSIVE_LEVEL && !apc_add(mmshim_plat_thread_key()))
			verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION,
					 MMSHIM_VRF_APC_LEVEL_THREADS, kApcSlots, 0, 0, routine,
					 "too many threads at APC_LEVEL at once: this one stays at PASSIVE_LEVEL",
					 caller);
		return cur;
	}
	// A context that can sleep has no record of its own yet: blocking
	// dispatch first pins the thread to this CPU.
	int cookie = (ctx & MMSHIM_CTX_ATOMIC) ? 0 : mmshim_plat_irql_block_dispatch();
	mmshim_irql_cpu *rec = mmshim_plat_irql_cpu();
	if (rec->depth == 0) {
		if (!cookie)
			cookie = mmshim_plat_irql_block_dispatch();
		rec->dispatch = static_cast<unsigned char>(cookie);
		rec->level = DISPATCH_LEVEL;
	} else if (cookie) {
		mmshim_plat_irql_unblock_dispatch(cookie); // not reached: a raised context is atomic
	}
	if (to > DISPATCH_LEVEL && !rec->irqs) {
		rec->irq_flags = mmshim_plat_irql_block_interrupts();
		rec->irqs = 1;
	}
	rec->level = to;
	rec->depth++;
	return cur;
}

// KeLowerIrql: back to `to`, which must not be above the current IRQL.
// Raises and lowers pair up (Windows requires KeLowerIrql to get the value
// the matching raise returned): when every raise of this context has been
// lowered, or the level goes below DISPATCH_LEVEL, everything is undone.
void lower(KIRQL to, const char *routine, void *caller)
{
	const unsigned ctx = mmshim_plat_irql_context();
	const KIRQL cur = current(ctx);
	if (to > HIGH_LEVEL || to > cur) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOWER_IRQL_INVALID, cur,
				 to, 0, routine,
				 "lower to a level above the current IRQL: the IRQL is left as it is", caller);
		return;
	}
	if (in_interrupt(ctx) && to < context_floor(ctx))
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOWER_IRQL_INVALID, cur,
				 to, 1, routine,
				 "lower below the level of the interrupt or softirq (DPC) being served: "
				 "only mmshim's own raises are undone",
				 caller);
	if (ctx & MMSHIM_CTX_ATOMIC) {
		mmshim_irql_cpu *rec = mmshim_plat_irql_cpu();
		if (rec->depth) {
			if (to < DISPATCH_LEVEL || --rec->depth == 0) {
				undo_all(rec);
			} else {
				if (to <= DISPATCH_LEVEL && rec->irqs) {
					rec->irqs = 0;
					mmshim_plat_irql_unblock_interrupts(rec->irq_flags);
				}
				rec->level = to > DISPATCH_LEVEL ? to : DISPATCH_LEVEL;
			}
		}
	}
	if (in_interrupt(ctx))
		return;
	if (to == PASSIVE_LEVEL)
		apc_remove(mmshim_plat_thread_key());
	else if (to == APC_LEVEL && !apc_add(mmshim_plat_thread_key()))
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_APC_LEVEL_THREADS,
				 kApcSlots, 0, 0, routine,
				 "too many threads at APC_LEVEL at once: this one goes to PASSIVE_LEVEL", caller);
}

// ---- spin locks ------------------------------------------------------------

namespace {

// Bits of a held lock word besides the holder's thread key (which uses bits
// 0-2 for interrupt levels; task structures are 64-byte aligned): the IRQL
// a misused KeAcquireSpinLockAtDpcLevel raised from, to return to it.
constexpr uptr kFromPassive = 0x08;
constexpr uptr kFromApc = 0x10;
constexpr uptr kMarks = kFromPassive | kFromApc;
constexpr uptr kTaskMask = ~uptr{0x3F};
// KLOCK_QUEUE_HANDLE.LockQueue.Lock while held (Windows' LOCK_QUEUE_OWNER).
constexpr uptr kQueueOwner = 0x2;

bool null_lock(const void *p, const char *routine, void *caller)
{
	if (p)
		return false;
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0,
			 routine, "NULL spin lock or lock handle", caller);
	return true;
}

// Spin until the lock is ours. Refuses (reported, false) when waiting could
// never end: the caller, or the code this interrupt interrupted, holds it.
bool take(PKSPIN_LOCK lock, uptr mark, const char *routine, void *caller)
{
	const uptr key = mmshim_plat_thread_key();
	const uptr v = __atomic_load_n(lock, __ATOMIC_RELAXED);
	if (v && ((v ^ key) & kTaskMask) == 0) {
		verifier::report(SPIN_LOCK_ALREADY_OWNED, reinterpret_cast<uptr>(lock), v, key, 0, routine,
				 (v & ~kMarks) == key
					 ? "the caller already holds this spin lock: not acquired again (it would deadlock)"
					 : "held by the code this interrupt interrupted on this CPU: not acquired (it would deadlock)",
				 caller);
		return false;
	}
	for (;;) {
		uptr expected = 0;
		if (__atomic_compare_exchange_n(lock, &expected, key | mark, true, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return true;
		while (__atomic_load_n(lock, __ATOMIC_RELAXED))
			mmshim_plat_cpu_relax();
	}
}

// Release a lock the caller holds; *mark gets the bits take() stored.
// Anything else is reported and the lock is left as it is.
bool give(PKSPIN_LOCK lock, uptr *mark, const char *routine, void *caller)
{
	const uptr key = mmshim_plat_thread_key();
	const uptr v = __atomic_load_n(lock, __ATOMIC_RELAXED);
	if ((v & ~kMarks) != key || v == 0) {
		verifier::report(SPIN_LOCK_NOT_OWNED, reinterpret_cast<uptr>(lock), v, key, 0, routine,
				 v ? "released by code that does not hold it: left held"
				   : "the spin lock is not held (a double release?)",
				 caller);
		return false;
	}
	*mark = v & kMarks;
	__atomic_store_n(lock, uptr{0}, __ATOMIC_RELEASE);
	return true;
}

KIRQL acquire_raise(PKSPIN_LOCK lock, const char *routine, void *caller)
{
	const KIRQL cur = get();
	if (cur > DISPATCH_LEVEL) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_ACQUIRE_TOO_HIGH,
				 cur, reinterpret_cast<uptr>(lock), 0, routine,
				 "acquired above DISPATCH_LEVEL: the IRQL is left as it is", caller);
		// A raise to the current level, so that the release's lower
		// pairs with something (raises and lowers pair up).
		raise(cur, routine, caller);
		take(lock, 0, routine, caller);
		return cur;
	}
	const KIRQL old = raise(DISPATCH_LEVEL, routine, caller);
	take(lock, 0, routine, caller);
	return old;
}

void release_lower(PKSPIN_LOCK lock, KIRQL to, const char *routine, void *caller)
{
	const KIRQL cur = get();
	uptr mark = 0;
	if (cur < DISPATCH_LEVEL) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_RELEASE_IRQL, cur,
				 reinterpret_cast<uptr>(lock), 0, routine,
				 "released below DISPATCH_LEVEL (a double release?)", caller);
		if ((__atomic_load_n(lock, __ATOMIC_RELAXED) & ~kMarks) == mmshim_plat_thread_key())
			give(lock, &mark, routine, caller);
		return;
	}
	give(lock, &mark, routine, caller);
	lower(to, routine, caller);
}

void acquire_at_dpc(PKSPIN_LOCK lock, const char *routine, void *caller)
{
	const KIRQL cur = get();
	uptr mark = 0;
	if (cur < DISPATCH_LEVEL) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_AT_DPC_TOO_LOW, cur,
				 reinterpret_cast<uptr>(lock), 0, routine,
				 "acquired below DISPATCH_LEVEL: mmshim raises to DISPATCH_LEVEL until the release",
				 caller);
		raise(DISPATCH_LEVEL, routine, caller);
		mark = cur == APC_LEVEL ? kFromApc : kFromPassive;
	}
	if (!take(lock, mark, routine, caller) && mark)
		lower(cur, routine, caller);
}

void release_from_dpc(PKSPIN_LOCK lock, const char *routine, void *caller)
{
	const KIRQL cur = get();
	uptr mark = 0;
	if (cur < DISPATCH_LEVEL) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_FROM_DPC_TOO_LOW,
				 cur, reinterpret_cast<uptr>(lock), 0, routine,
				 "released below DISPATCH_LEVEL (a double release?)", caller);
		if ((__atomic_load_n(lock, __ATOMIC_RELAXED) & ~kMarks) == mmshim_plat_thread_key())
			give(lock, &mark, routine, caller);
		return;
	}
	if (give(lock, &mark, routine, caller) && mark)
		lower(mark == kFromApc ? APC_LEVEL : PASSIVE_LEVEL, routine, caller);
}

// The lock a queued-lock handle holds, or nullptr (reported).
PKSPIN_LOCK handle_lock(PKLOCK_QUEUE_HANDLE h, const char *routine, void *caller)
{
	if (null_lock(h, routine, caller))
		return nullptr;
	const uptr v = reinterpret_cast<uptr>(h->LockQueue.Lock);
	if (!(v & kQueueOwner)) {
		verifier::report(SPIN_LOCK_NOT_OWNED, reinterpret_cast<uptr>(h), v, 0, 0, routine,
				 "the handle holds no queued spin lock (a double release?)", caller);
		return nullptr;
	}
	h->LockQueue.Lock = reinterpret_cast<PKSPIN_LOCK>(v & ~kQueueOwner);
	return reinterpret_cast<PKSPIN_LOCK>(v & ~kQueueOwner);
}

void handle_hold(PKSPIN_LOCK lock, PKLOCK_QUEUE_HANDLE h)
{
	h->LockQueue.Next = nullptr;
	h->LockQueue.Lock = reinterpret_cast<PKSPIN_LOCK>(reinterpret_cast<uptr>(lock) | kQueueOwner);
}

// ---- reports for ASSERT and PAGED_CODE -------------------------------------

constexpr ULONGLONG kUnixEpochAsSystemTime = 116444736000000000ULL; // 1970 in 100 ns since 1601

unsigned int printk_level(ULONG level)
{
	const ULONG mask = level <= 31 ? (1U << level) : (level & ~static_cast<ULONG>(DPFLTR_MASK));
	if (mask & (1U << DPFLTR_ERROR_LEVEL))
		return MMSHIM_PRINTK_ERR;
	if (mask & (1U << DPFLTR_WARNING_LEVEL))
		return MMSHIM_PRINTK_WARNING;
	if (mask & (1U << DPFLTR_TRACE_LEVEL))
		return MMSHIM_PRINTK_NOTICE;
	if (mask & (1U << DPFLTR_INFO_LEVEL))
		return MMSHIM_PRINTK_INFO;
	return MMSHIM_PRINTK_DEBUG;
}

} // namespace

// For host tests: the printk level DbgPrintEx uses for a DPFLTR level.
unsigned int dbgprint_level(ULONG level) { return printk_level(level); }

// Windows system time (100 ns since 1601) as Unix nanoseconds; 0 if it is
// at or before 1970, saturated at the top.
unsigned long long system_time_to_unix_ns(ULONGLONG t)
{
	if (t <= kUnixEpochAsSystemTime)
		return 0;
	const ULONGLONG ticks = t - kUnixEpochAsSystemTime;
	unsigned long long ns;
	return __builtin_mul_overflow(ticks, 100ULL, &ns) ? ~0ULL : ns;
}

} // namespace mmshim::irql

using namespace mmshim;

extern "C" KIRQL KeGetCurrentIrql(VOID) { return irql::get(); }

extern "C" KIRQL KfRaiseIrql(KIRQL NewIrql)
{
	return irql::raise(NewIrql, "KeRaiseIrql", MMSHIM_CALLER());
}

extern "C" VOID KeLowerIrql(KIRQL NewIrql) { irql::lower(NewIrql, "KeLowerIrql", MMSHIM_CALLER()); }

extern "C" KIRQL KeRaiseIrqlToDpcLevel(VOID)
{
	return irql::raise(DISPATCH_LEVEL, "KeRaiseIrqlToDpcLevel", MMSHIM_CALLER());
}

extern "C" KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock)
{
	const char *routine = "KeAcquireSpinLock";
	if (irql::null_lock(SpinLock, routine, MMSHIM_CALLER()))
		return irql::get();
	return irql::acquire_raise(SpinLock, routine, MMSHIM_CALLER());
}

extern "C" VOID KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql)
{
	const char *routine = "KeReleaseSpinLock";
	if (irql::null_lock(SpinLock, routine, MMSHIM_CALLER()))
		return;
	irql::release_lower(SpinLock, NewIrql, routine, MMSHIM_CALLER());
}

extern "C" VOID KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
	const char *routine = "KeAcquireSpinLockAtDpcLevel";
	if (irql::null_lock(SpinLock, routine, MMSHIM_CALLER()))
		return;
	irql::acquire_at_dpc(SpinLock, routine, MMSHIM_CALLER());
}

extern "C" VOID KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock)
{
	const char *routine = "KeReleaseSpinLockFromDpcLevel";
	if (irql::null_lock(SpinLock, routine, MMSHIM_CALLER()))
		return;
	irql::release_from_dpc(SpinLock, routine, MMSHIM_CALLER());
}

extern "C" BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
	const char *routine = "KeTryToAcquireSpinLockAtDpcLevel";
	if (irql::null_lock(SpinLock, routine, MMSHIM_CALLER()))
		return FALSE;
	const KIRQL cur = irql::get();
	if (cur < DISPATCH_LEVEL) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_AT_DPC_TOO_LOW, cur,
				 reinterpret_cast<uptr>(SpinLock), 0, routine,
				 "called below DISPATCH_LEVEL: not acquired", MMSHIM_CALLER());
		return FALSE;
	}
	uptr expected = 0;
	return __atomic_compare_exchange_n(SpinLock, &expected, mmshim_plat_thread_key(), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
		       ? TRUE
		       : FALSE;
}

extern "C" BOOLEAN KeTestSpinLock(PKSPIN_LOCK SpinLock)
{
	if (irql::null_lock(SpinLock, "KeTestSpinLock", MMSHIM_CALLER()))
		return FALSE;
	if (__atomic_load_n(SpinLock, __ATOMIC_RELAXED) == 0)
		return TRUE;
	mmshim_plat_cpu_relax();
	return FALSE;
}

extern "C" VOID KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
	const char *routine = "KeAcquireInStackQueuedSpinLock";
	if (irql::null_lock(SpinLock, routine, MMSHIM_CALLER()) ||
	    irql::null_lock(LockHandle, routine, MMSHIM_CALLER()))
		return;
	LockHandle->OldIrql = irql::acquire_raise(SpinLock, routine, MMSHIM_CALLER());
	irql::handle_hold(SpinLock, LockHandle);
}

extern "C" VOID KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
	const char *routine = "KeReleaseInStackQueuedSpinLock";
	PKSPIN_LOCK lock = irql::handle_lock(LockHandle, routine, MMSHIM_CALLER());
	if (lock)
		irql::release_lower(lock, LockHandle->OldIrql, routine, MMSHIM_CALLER());
}

extern "C" VOID KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock,
							 PKLOCK_QUEUE_HANDLE LockHandle)
{
	const char *routine = "KeAcquireInStackQueuedSpinLockAtDpcLevel";
	if (irql::null_lock(SpinLock, routine, MMSHIM_CALLER()) ||
	    irql::null_lock(LockHandle, routine, MMSHIM_CALLER()))
		return;
	irql::acquire_at_dpc(SpinLock, routine, MMSHIM_CALLER());
	irql::handle_hold(SpinLock, LockHandle);
}

extern "C" VOID KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
	const char *routine = "KeReleaseInStackQueuedSpinLockFromDpcLevel";
	PKSPIN_LOCK lock = irql::handle_lock(LockHandle, routine, MMSHIM_CALLER());
	if (lock)
		irql::release_from_dpc(lock, routine, MMSHIM_CALLER());
}

// ---- delays ------------------------------------------------------------------

extern "C" VOID KeStallExecutionProcessor(ULONG MicroSeconds) { mmshim_plat_stall_us(MicroSeconds); }

extern "C" NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
					   PLARGE_INTEGER Interval)
{
	const char *routine = "KeDelayExecutionThread";
	if (!Interval) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0, 0, 0,
				 routine, "NULL Interval", MMSHIM_CALLER());
		return STATUS_INVALID_PARAMETER;
	}
	const KIRQL cur = irql::get();
	if (cur > APC_LEVEL || !mmshim_plat_may_sleep()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_WAIT_IRQL, cur,
				 static_cast<uptr>(Interval->QuadPart), 0, routine,
				 "a wait above APC_LEVEL (or where Linux cannot sleep): refused, returned at once",
				 MMSHIM_CALLER());
		return STATUS_UNSUCCESSFUL;
	}
	const LONGLONG t = Interval->QuadPart;
	unsigned long long ns;
	int absolute = 0;
	if (t <= 0) {
		// Negative: relative. The magnitude of LLONG_MIN fits unsigned.
		const unsigned long long ticks = 0ULL - static_cast<unsigned long long>(t);
		if (__builtin_mul_overflow(ticks, 100ULL, &ns))
			ns = ~0ULL;
	} else {
		ns = irql::system_time_to_unix_ns(static_cast<ULONGLONG>(t));
		if (ns <= mmshim_plat_realtime_ns())
			return STATUS_SUCCESS; // already past: no wait
		absolute = 1;
	}
	if (mmshim_plat_sleep(ns, absolute, Alertable ? 1 : 0))
		return WaitMode == UserMode ? STATUS_USER_APC : STATUS_ALERTED;
	return STATUS_SUCCESS;
}

// ---- assertions and debug output --------------------------------------------

extern "C" VOID RtlAssert(PVOID VoidFailedAssertion, PVOID VoidFileName, ULONG LineNumber,
			  PCHAR MutableMessage)
{
	void *caller = MMSHIM_CALLER();
	mmshim_plat_print_assertion("ASSERT", static_cast<const char *>(VoidFailedAssertion),
				    static_cast<const char *>(VoidFileName), LineNumber, MutableMessage,
				    caller);
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_ASSERTION_FAILED,
			 reinterpret_cast<uptr>(VoidFailedAssertion), reinterpret_cast<uptr>(VoidFileName),
			 LineNumber, "RtlAssert", "assertion failed: execution continues", caller);
}

extern "C" VOID MmshimPagedCodeViolation(const CHAR *FileName, ULONG LineNumber)
{
	void *caller = MMSHIM_CALLER();
	const KIRQL cur = irql::get();
	mmshim_plat_print_assertion("PAGED_CODE", "KeGetCurrentIrql() <= APC_LEVEL", FileName,
				    LineNumber, nullptr, caller);
	verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGED_CODE_IRQL, cur,
			 reinterpret_cast<uptr>(FileName), LineNumber, "PAGED_CODE",
			 "pageable code run above APC_LEVEL (harmless on Linux, a bug on Windows)",
			 caller);
}

extern "C" ULONG DbgPrint(const CHAR *Format, ...)
{
	if (!Format)
		return static_cast<ULONG>(STATUS_INVALID_PARAMETER);
	__builtin_va_list ap;
	__builtin_va_start(ap, Format);
	mmshim_plat_debug_print(MMSHIM_PRINTK_INFO, MMSHIM_CALLER(), Format, ap);
	__builtin_va_end(ap);
	return STATUS_SUCCESS;
}

extern "C" ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, const CHAR *Format, ...)
{
	(void)ComponentId;
	if (!Format)
		return static_cast<ULONG>(STATUS_INVALID_PARAMETER);
	__builtin_va_list ap;
	__builtin_va_start(ap, Format);
	mmshim_plat_debug_print(irql::printk_level(Level), MMSHIM_CALLER(), Format, ap);
	__builtin_va_end(ap);
	return STATUS_SUCCESS;
}
