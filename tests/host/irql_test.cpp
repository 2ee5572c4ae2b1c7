// SPDX-License-Identifier: GPL-2.0
// irql_test.cpp - IRQL bookkeeping, KSPIN_LOCK ownership rules, delays,
// ASSERT/PAGED_CODE and DbgPrint against the fake CPU of fake_irql.cpp.
#include <cstring>
#include <string>

#include "test_support.h"
#include "fake_irql.h"
#include "c_header_check.h"
#include "core/irql.h"

namespace {

using namespace mmshim_test;

class IrqlTest : public CoreTest {
protected:
	void TearDown() override
	{
		// Every test leaves the fake CPU as it found it.
		EXPECT_EQ(fake::irql().dispatch_blocks, 0);
		EXPECT_EQ(fake::irql().interrupt_blocks, 0);
		fake::irql().ctx = MMSHIM_CTX_TASK;
		fake::irql().linux_atomic = false;
		CoreTest::TearDown();
	}
};

TEST_F(IrqlTest, PassiveByDefaultAndDerivedFromTheLinuxContext)
{
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	fake::irql().linux_atomic = true; // preempt_disable(), a Linux spinlock
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	fake::irql().linux_atomic = false;
	fake::irql().ctx = MMSHIM_CTX_SOFTIRQ;
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	fake::irql().ctx = MMSHIM_CTX_HARDIRQ;
	EXPECT_EQ(KeGetCurrentIrql(), MMSHIM_DIRQL);
	fake::irql().ctx = MMSHIM_CTX_NMI;
	EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
	fake::irql().ctx = MMSHIM_CTX_TASK;
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_F(IrqlTest, RaiseToDispatchBlocksDispatchUntilLowered)
{
	KIRQL old = 0xFF;
	EXPECT_NO_REPORT(KeRaiseIrql(DISPATCH_LEVEL, &old));
	EXPECT_EQ(old, PASSIVE_LEVEL);
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	EXPECT_EQ(fake::irql().dispatch_blocks, 1);
	EXPECT_EQ(fake::irql().interrupt_blocks, 0);
	EXPECT_EQ(mmshim_plat_may_sleep(), 0) << "a raised IRQL must look atomic to mmshim";
	EXPECT_NO_REPORT(KeLowerIrql(old));
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	EXPECT_EQ(fake::irql().dispatch_blocks, 0);
	EXPECT_NE(mmshim_plat_may_sleep(), 0);
}

TEST_F(IrqlTest, AboveDispatchBlocksInterruptsAndLowersStepByStep)
{
	KIRQL a, b;
	a = KeRaiseIrqlToDpcLevel();
	EXPECT_EQ(a, PASSIVE_LEVEL);
	KeRaiseIrql(HIGH_LEVEL, &b);
	EXPECT_EQ(b, DISPATCH_LEVEL);
	EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
	EXPECT_EQ(fake::irql().interrupt_blocks, 1);
	KeLowerIrql(b);
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	EXPECT_EQ(fake::irql().interrupt_blocks, 0);
	EXPECT_EQ(fake::irql().dispatch_blocks, 1);
	KeLowerIrql(a);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_F(IrqlTest, ProfileLevelFromPassiveThenStraightBack)
{
	KIRQL old;
	KeRaiseIrql(PROFILE_LEVEL, &old);
	EXPECT_EQ(KeGetCurrentIrql(), PROFILE_LEVEL);
	EXPECT_EQ(fake::irql().dispatch_blocks, 1);
	EXPECT_EQ(fake::irql().interrupt_blocks, 1);
	KeLowerIrql(old);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

// In a context Linux already made atomic, a raise to DISPATCH_LEVEL returns
// DISPATCH_LEVEL; nested raises and lowers pair up, so the inner lower does
// not drop the outer raise's softirq block.
TEST_F(IrqlTest, NestedRaisesFromALinuxAtomicContextPairUp)
{
	fake::irql().linux_atomic = true;
	KIRQL outer, inner;
	KeRaiseIrql(DISPATCH_LEVEL, &outer);
	KeRaiseIrql(DISPATCH_LEVEL, &inner);
	EXPECT_EQ(outer, DISPATCH_LEVEL);
	EXPECT_EQ(inner, DISPATCH_LEVEL);
	EXPECT_EQ(fake::irql().dispatch_blocks, 1);
	KeLowerIrql(inner);
	EXPECT_EQ(fake::irql().dispatch_blocks, 1) << "the outer raise still holds DISPATCH_LEVEL";
	KeLowerIrql(outer);
	EXPECT_EQ(fake::irql().dispatch_blocks, 0);
}

TEST_F(IrqlTest, HardIrqRaiseToHighAndBackToDirql)
{
	fake::irql().ctx = MMSHIM_CTX_HARDIRQ;
	KIRQL old;
	KeRaiseIrql(HIGH_LEVEL, &old);
	EXPECT_EQ(old, MMSHIM_DIRQL);
	EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
	EXPECT_NO_REPORT(KeLowerIrql(old));
	EXPECT_EQ(KeGetCurrentIrql(), MMSHIM_DIRQL);
	EXPECT_EQ(fake::irql().dispatch_blocks, 0) << "nothing left blocked when the handler returns";
	EXPECT_EQ(fake::irql().interrupt_blocks, 0);
}

TEST_F(IrqlTest, RaiseBelowCurrentIsReportedAndChangesNothing)
{
	KIRQL old, bad = 0xEE;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_RAISE_IRQL_INVALID,
		      KeRaiseIrql(PASSIVE_LEVEL, &bad));
	EXPECT_EQ(bad, DISPATCH_LEVEL);
	EXPECT_EQ(fake::reports().back().params[1], DISPATCH_LEVEL);
	EXPECT_EQ(fake::reports().back().params[2], PASSIVE_LEVEL);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_RAISE_IRQL_INVALID,
		      KeRaiseIrql(HIGH_LEVEL + 1, &bad));
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(old);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_F(IrqlTest, LowerAboveCurrentIsReportedAndChangesNothing)
{
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOWER_IRQL_INVALID,
		      KeLowerIrql(DISPATCH_LEVEL));
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	EXPECT_EQ(fake::irql().dispatch_blocks, 0);
}

TEST_F(IrqlTest, LoweringBelowASoftirqIsReported)
{
	fake::irql().ctx = MMSHIM_CTX_SOFTIRQ;
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	EXPECT_EQ(fake::irql().dispatch_blocks, 1);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOWER_IRQL_INVALID,
		      KeLowerIrql(PASSIVE_LEVEL));
	EXPECT_EQ(fake::reports().back().params[3], 1u);
	EXPECT_EQ(fake::irql().dispatch_blocks, 0) << "mmshim's own raise is undone";
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL) << "still serving the softirq";
}

TEST_F(IrqlTest, ApcLevelIsPerThreadAndMaySleep)
{
	KIRQL old;
	KeRaiseIrql(APC_LEVEL, &old);
	EXPECT_EQ(old, PASSIVE_LEVEL);
	EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
	EXPECT_NE(mmshim_plat_may_sleep(), 0) << "APC_LEVEL may touch paged memory";
	EXPECT_EQ(fake::irql().dispatch_blocks, 0);
	fake::irql().thread_key = 0x2000; // another thread
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	fake::irql().thread_key = 0x1000;
	// APC -> DISPATCH -> APC -> PASSIVE
	KIRQL apc;
	KeRaiseIrql(DISPATCH_LEVEL, &apc);
	EXPECT_EQ(apc, APC_LEVEL);
	KeLowerIrql(apc);
	EXPECT_EQ(KeGetCurrentIrql(), APC_LEVEL);
	EXPECT_EQ(fake::irql().dispatch_blocks, 0);
	KeLowerIrql(old);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

// ---- spin locks ---------------------------------------------------------------

TEST_F(IrqlTest, SpinLockRaisesHoldsAndRestores)
{
	KSPIN_LOCK lock;
	KIRQL old = 0xFF;
	KeInitializeSpinLock(&lock);
	EXPECT_EQ(lock, 0u);
	EXPECT_TRUE(KeTestSpinLock(&lock));
	EXPECT_NO_REPORT(KeAcquireSpinLock(&lock, &old));
	EXPECT_EQ(old, PASSIVE_LEVEL);
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	EXPECT_NE(lock, 0u);
	EXPECT_FALSE(KeTestSpinLock(&lock));
	EXPECT_NO_REPORT(KeReleaseSpinLock(&lock, old));
	EXPECT_EQ(lock, 0u);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_F(IrqlTest, DoubleReleaseIsReported)
{
	KSPIN_LOCK lock = 0;
	KIRQL old;
	KeAcquireSpinLock(&lock, &old);
	KeReleaseSpinLock(&lock, old);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_RELEASE_IRQL,
		      KeReleaseSpinLock(&lock, old));
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	// At DISPATCH_LEVEL, releasing a lock nobody holds:
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	EXPECT_REPORT(SPIN_LOCK_NOT_OWNED, reinterpret_cast<ULONG_PTR>(&lock),
		      KeReleaseSpinLockFromDpcLevel(&lock));
	EXPECT_EQ(lock, 0u);
	KeLowerIrql(old);
}

TEST_F(IrqlTest, RecursiveAcquireIsReportedInsteadOfHanging)
{
	fake::irql().relax_limit = 1000;
	KSPIN_LOCK lock = 0;
	KIRQL old;
	KeAcquireSpinLock(&lock, &old);
	EXPECT_REPORT(SPIN_LOCK_ALREADY_OWNED, reinterpret_cast<ULONG_PTR>(&lock),
		      KeAcquireSpinLockAtDpcLevel(&lock));
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeReleaseSpinLock(&lock, old);
	EXPECT_EQ(lock, 0u);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

TEST_F(IrqlTest, InterruptSpinningOnTheInterruptedHoldersLockIsReported)
{
	fake::irql().relax_limit = 1000;
	KSPIN_LOCK lock = 0;
	KIRQL old;
	KeAcquireSpinLock(&lock, &old);
	fake::irql().ctx = MMSHIM_CTX_HARDIRQ;
	fake::irql().thread_key = 0x1000 | 1; // same task, in hard IRQ
	EXPECT_REPORT(SPIN_LOCK_ALREADY_OWNED, reinterpret_cast<ULONG_PTR>(&lock),
		      KeAcquireSpinLockAtDpcLevel(&lock));
	fake::irql().ctx = MMSHIM_CTX_TASK;
	fake::irql().thread_key = 0x1000;
	KeReleaseSpinLock(&lock, old);
	EXPECT_EQ(lock, 0u);
}

TEST_F(IrqlTest, ReleaseByAnotherThreadIsReportedAndLeavesTheLockHeld)
{
	KSPIN_LOCK lock = 0;
	KIRQL old;
	KeAcquireSpinLock(&lock, &old);
	const KSPIN_LOCK held = lock;
	fake::irql().thread_key = 0x2000;
	EXPECT_REPORT(SPIN_LOCK_NOT_OWNED, reinterpret_cast<ULONG_PTR>(&lock),
		      KeReleaseSpinLockFromDpcLevel(&lock));
	EXPECT_EQ(lock, held);
	fake::irql().thread_key = 0x1000;
	KeReleaseSpinLock(&lock, old);
	EXPECT_EQ(lock, 0u);
}

TEST_F(IrqlTest, AtDpcLevelBelowDispatchIsReportedButStillSafe)
{
	KSPIN_LOCK lock = 0;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_AT_DPC_TOO_LOW,
		      KeAcquireSpinLockAtDpcLevel(&lock));
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL) << "held with dispatch blocked";
	EXPECT_NE(lock, 0u);
	EXPECT_NO_REPORT(KeReleaseSpinLockFromDpcLevel(&lock));
	EXPECT_EQ(lock, 0u);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL) << "back where the misused call raised from";
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_FROM_DPC_TOO_LOW,
		      KeReleaseSpinLockFromDpcLevel(&lock));
}

TEST_F(IrqlTest, AcquireAboveDispatchIsReportedAndKeepsTheIrql)
{
	KSPIN_LOCK lock = 0;
	KIRQL high, old = 0;
	KeRaiseIrql(HIGH_LEVEL, &high);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_ACQUIRE_TOO_HIGH,
		      KeAcquireSpinLock(&lock, &old));
	EXPECT_EQ(old, HIGH_LEVEL);
	EXPECT_NE(lock, 0u);
	EXPECT_NO_REPORT(KeReleaseSpinLock(&lock, old));
	EXPECT_EQ(lock, 0u);
	EXPECT_EQ(KeGetCurrentIrql(), HIGH_LEVEL);
	KeLowerIrql(high);
}

TEST_F(IrqlTest, ReleaseWithOldIrqlAboveCurrentIsReported)
{
	KSPIN_LOCK lock = 0;
	KIRQL old;
	KeAcquireSpinLock(&lock, &old);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOWER_IRQL_INVALID,
		      KeReleaseSpinLock(&lock, HIGH_LEVEL));
	EXPECT_EQ(lock, 0u) << "the lock itself is released";
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	KeLowerIrql(old);
}

TEST_F(IrqlTest, TryToAcquire)
{
	KSPIN_LOCK lock = 0;
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	EXPECT_TRUE(KeTryToAcquireSpinLockAtDpcLevel(&lock));
	EXPECT_FALSE(KeTryToAcquireSpinLockAtDpcLevel(&lock));
	KeReleaseSpinLockFromDpcLevel(&lock);
	fake::irql().thread_key = 0x2000;
	EXPECT_TRUE(KeTryToAcquireSpinLockAtDpcLevel(&lock));
	fake::irql().thread_key = 0x1000;
	EXPECT_FALSE(KeTryToAcquireSpinLockAtDpcLevel(&lock)) << "held by the other thread";
	fake::irql().thread_key = 0x2000;
	KeReleaseSpinLockFromDpcLevel(&lock);
	fake::irql().thread_key = 0x1000;
	KeLowerIrql(old);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SPINLOCK_AT_DPC_TOO_LOW,
		      EXPECT_FALSE(KeTryToAcquireSpinLockAtDpcLevel(&lock)));
	EXPECT_EQ(lock, 0u);
}

TEST_F(IrqlTest, NullLocksAreReported)
{
	KIRQL old = 0xAA;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KeAcquireSpinLock(nullptr, &old));
	EXPECT_EQ(old, PASSIVE_LEVEL);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KeReleaseSpinLock(nullptr, PASSIVE_LEVEL));
	KLOCK_QUEUE_HANDLE h;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KeAcquireInStackQueuedSpinLock(nullptr, &h));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KeReleaseInStackQueuedSpinLock(nullptr));
}

TEST_F(IrqlTest, QueuedSpinLocks)
{
	KSPIN_LOCK lock;
	KeInitializeSpinLock(&lock);
	KLOCK_QUEUE_HANDLE outer, inner;
	KSPIN_LOCK lock2 = 0;
	EXPECT_NO_REPORT(KeAcquireInStackQueuedSpinLock(&lock, &outer));
	EXPECT_EQ(outer.OldIrql, PASSIVE_LEVEL);
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	EXPECT_NE(lock, 0u);
	EXPECT_NO_REPORT(KeAcquireInStackQueuedSpinLockAtDpcLevel(&lock2, &inner));
	EXPECT_NE(lock2, 0u);
	EXPECT_NO_REPORT(KeReleaseInStackQueuedSpinLockFromDpcLevel(&inner));
	EXPECT_EQ(lock2, 0u);
	EXPECT_EQ(KeGetCurrentIrql(), DISPATCH_LEVEL);
	EXPECT_NO_REPORT(KeReleaseInStackQueuedSpinLock(&outer));
	EXPECT_EQ(lock, 0u);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	EXPECT_REPORT(SPIN_LOCK_NOT_OWNED, reinterpret_cast<ULONG_PTR>(&outer),
		      KeReleaseInStackQueuedSpinLock(&outer));
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

// ---- delays ---------------------------------------------------------------------

TEST_F(IrqlTest, StallIsABusyWait)
{
	KeStallExecutionProcessor(25);
	KeStallExecutionProcessor(2500);
	EXPECT_EQ(fake::irql().stalled_us, 2525u);
	EXPECT_TRUE(fake::irql().sleeps.empty());
}

TEST_F(IrqlTest, DelayRelativeAbsoluteAndZero)
{
	LARGE_INTEGER t;
	t.QuadPart = -10 * 1000 * 15; // 15 ms relative
	EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);
	ASSERT_EQ(fake::irql().sleeps.size(), 1u);
	EXPECT_EQ(fake::irql().sleeps[0].ns, 15'000'000u);
	EXPECT_FALSE(fake::irql().sleeps[0].absolute);
	EXPECT_FALSE(fake::irql().sleeps[0].interruptible);

	// Absolute: 2 s after "now" as Windows system time.
	const unsigned long long now = fake::irql().realtime_ns;
	t.QuadPart = static_cast<LONGLONG>(now / 100 + 116444736000000000ULL + 20'000'000ULL);
	EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);
	ASSERT_EQ(fake::irql().sleeps.size(), 2u);
	EXPECT_TRUE(fake::irql().sleeps[1].absolute);
	EXPECT_EQ(fake::irql().sleeps[1].ns, now + 2'000'000'000ULL);

	// Absolute in the past: no sleep at all.
	t.QuadPart = static_cast<LONGLONG>(now / 100 + 116444736000000000ULL - 10);
	EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);
	EXPECT_EQ(fake::irql().sleeps.size(), 2u);

	// Zero yields (a relative sleep of 0).
	t.QuadPart = 0;
	EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);
	ASSERT_EQ(fake::irql().sleeps.size(), 3u);
	EXPECT_EQ(fake::irql().sleeps[2].ns, 0u);

	// The most negative interval saturates instead of overflowing.
	t.QuadPart = static_cast<LONGLONG>(0x8000000000000000ULL);
	EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);
	EXPECT_EQ(fake::irql().sleeps.back().ns, ~0ULL);
}

TEST_F(IrqlTest, AlertableDelayEndsOnASignal)
{
	LARGE_INTEGER t;
	t.QuadPart = -10 * 1000 * 1000;
	fake::irql().signal_pending = true;
	EXPECT_EQ(KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS)
		<< "a non-alertable wait ignores signals";
	EXPECT_EQ(KeDelayExecutionThread(KernelMode, TRUE, &t), STATUS_ALERTED);
	fake::irql().signal_pending = true;
	EXPECT_EQ(KeDelayExecutionThread(UserMode, TRUE, &t), STATUS_USER_APC);
	EXPECT_TRUE(fake::irql().sleeps.back().interruptible);
}

TEST_F(IrqlTest, DelayIsRefusedAtDispatchAndOnNull)
{
	LARGE_INTEGER t;
	t.QuadPart = -10;
	KIRQL old;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	NTSTATUS st = 0;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_WAIT_IRQL,
		      st = KeDelayExecutionThread(KernelMode, FALSE, &t));
	EXPECT_FALSE(NT_SUCCESS(st));
	KeLowerIrql(old);
	fake::irql().linux_atomic = true;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_WAIT_IRQL,
		      st = KeDelayExecutionThread(KernelMode, FALSE, &t));
	fake::irql().linux_atomic = false;
	EXPECT_TRUE(fake::irql().sleeps.empty());
	KeRaiseIrql(APC_LEVEL, &old);
	EXPECT_NO_REPORT(st = KeDelayExecutionThread(KernelMode, FALSE, &t));
	EXPECT_EQ(st, STATUS_SUCCESS) << "APC_LEVEL may wait, as on Windows";
	KeLowerIrql(old);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      st = KeDelayExecutionThread(KernelMode, FALSE, nullptr));
	EXPECT_EQ(st, STATUS_INVALID_PARAMETER);
}

TEST_F(IrqlTest, SystemTimeConversion)
{
	using mmshim::irql::system_time_to_unix_ns;
	EXPECT_EQ(system_time_to_unix_ns(0), 0u);
	EXPECT_EQ(system_time_to_unix_ns(116444736000000000ULL), 0u);
	EXPECT_EQ(system_time_to_unix_ns(116444736000000001ULL), 100u);
	EXPECT_EQ(system_time_to_unix_ns(~0ULL), ~0ULL);
}

// ---- ASSERT, PAGED_CODE, DbgPrint ------------------------------------------------

TEST_F(IrqlTest, FailedAssertIsAReportNamingExpressionFileAndLine)
{
	int x = 1;
	EXPECT_NO_REPORT(ASSERT(x == 1));
	fake::Report r;
	const int line = __LINE__ + 1;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_ASSERTION_FAILED, &r, ASSERT(x == 2));
	EXPECT_STREQ(reinterpret_cast<const char *>(r.params[1]), "x == 2");
	EXPECT_STREQ(reinterpret_cast<const char *>(r.params[2]), __FILE__);
	EXPECT_EQ(r.params[3], static_cast<unsigned long>(line));
	ASSERT_FALSE(fake::irql().assertions.empty());
	EXPECT_NE(fake::irql().assertions.back().find("x == 2"), std::string::npos);
	EXPECT_NE(fake::irql().assertions.back().find(":" + std::to_string(line)), std::string::npos);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_ASSERTION_FAILED,
		      EXPECT_FALSE(NT_ASSERT(x == 3)));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_ASSERTION_FAILED,
		      ASSERTMSG("the message", x == 4));
	EXPECT_NE(fake::irql().assertions.back().find("the message"), std::string::npos);
}

TEST_F(IrqlTest, PagedCodeReportsOnlyAboveApcLevel)
{
	EXPECT_NO_REPORT(PAGED_CODE());
	KIRQL old;
	KeRaiseIrql(APC_LEVEL, &old);
	EXPECT_NO_REPORT(PAGED_CODE());
	KeLowerIrql(old);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGED_CODE_IRQL, &r, PAGED_CODE());
	EXPECT_EQ(r.params[1], DISPATCH_LEVEL);
	KeLowerIrql(old);
}

TEST_F(IrqlTest, DbgPrintLevelsAndText)
{
	EXPECT_EQ(DbgPrint("value %d %s\n", 42, "x"), static_cast<ULONG>(STATUS_SUCCESS));
	ASSERT_EQ(fake::irql().prints.size(), 1u);
	EXPECT_EQ(fake::irql().prints[0].text, "value 42 x\n");
	EXPECT_EQ(fake::irql().prints[0].level, static_cast<unsigned>(MMSHIM_PRINTK_INFO));
	KdPrint(("kd %u\n", 7u));
	EXPECT_EQ(fake::irql().prints.back().text, "kd 7\n");
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "e\n");
	EXPECT_EQ(fake::irql().prints.back().level, static_cast<unsigned>(MMSHIM_PRINTK_ERR));
	KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "w\n"));
	EXPECT_EQ(fake::irql().prints.back().level, static_cast<unsigned>(MMSHIM_PRINTK_WARNING));
	using mmshim::irql::dbgprint_level;
	EXPECT_EQ(dbgprint_level(DPFLTR_TRACE_LEVEL), static_cast<unsigned>(MMSHIM_PRINTK_NOTICE));
	EXPECT_EQ(dbgprint_level(DPFLTR_INFO_LEVEL), static_cast<unsigned>(MMSHIM_PRINTK_INFO));
	EXPECT_EQ(dbgprint_level(9), static_cast<unsigned>(MMSHIM_PRINTK_DEBUG));
	// Mask form: the most important bit set decides.
	EXPECT_EQ(dbgprint_level(DPFLTR_MASK | 0x1), static_cast<unsigned>(MMSHIM_PRINTK_ERR));
	EXPECT_EQ(dbgprint_level(DPFLTR_MASK | 0xC), static_cast<unsigned>(MMSHIM_PRINTK_NOTICE));
	EXPECT_EQ(dbgprint_level(DPFLTR_MASK | 0x100), static_cast<unsigned>(MMSHIM_PRINTK_DEBUG));
	EXPECT_EQ(DbgPrint(nullptr), static_cast<ULONG>(STATUS_INVALID_PARAMETER));
}

TEST_F(IrqlTest, FlushIoBuffersIsANoOpThatEvaluatesItsArguments)
{
	int evaluated = 0;
	KeFlushIoBuffers((evaluated++, static_cast<PMDL>(nullptr)), TRUE, FALSE);
	EXPECT_EQ(evaluated, 1);
}

// The same declarations from pedantic C11 (c_header_check.c).
TEST_F(IrqlTest, CHeaderIrqlDeclarations)
{
	c_header_irql v{};
	EXPECT_EQ(mmshim_c_header_check_irql(&v), 12);
	EXPECT_EQ(v.sizeof_kspin_lock, 8u);
	EXPECT_EQ(v.sizeof_klock_queue_handle, 24u);
	EXPECT_EQ(v.offsetof_old_irql, 16u);
	EXPECT_EQ(v.old_irql, static_cast<unsigned long>(PASSIVE_LEVEL));
	EXPECT_EQ(v.irql_held, static_cast<unsigned long>(DISPATCH_LEVEL));
	EXPECT_EQ(v.lock_after_release, 0u);
	EXPECT_EQ(v.queued_old_irql, static_cast<unsigned long>(PASSIVE_LEVEL));
	EXPECT_EQ(v.assert_true, 1u);
	EXPECT_EQ(v.assert_false_result, 0u);
	EXPECT_EQ(v.pointers_taken, 20u);
	EXPECT_EQ(v.levels, 0x0F0D0E0Cu);
	EXPECT_EQ(v.dpfltr_ihvdriver, 77u);
	EXPECT_EQ(MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_ASSERTION_FAILED), 1u);
}

} // namespace
