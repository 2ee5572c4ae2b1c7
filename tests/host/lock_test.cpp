// SPDX-License-Identifier: GPL-2.0
// lock_test.cpp - MmProbeAndLockPages / MmUnlockPages / MmshimProbeAndLockPages
// on the fake platform: which pages are pinned or referenced, that every
// failure releases everything, flags and fields, and misuse reports.
#include "test_support.h"

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class LockTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kKernel, 16 * 4096, kKernelPfn);
		fake::set_user_writable(kUser, kUser + 8 * 4096);
		fake::set_user_readable(kUserRo, kUserRo + 4 * 4096);
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kKernelPfn = 0x100;
	static constexpr uptr kUser = 0x10000000;
	static constexpr uptr kUserRo = 0x20000000;
};

PMDL Mdl(uptr va, ULONG len)
{
	return IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
}

TEST_F(LockTest, UserRangeIsPinnedAndUnpinnedDirty)
{
	PMDL m = Mdl(kUser + 0x10, 2 * 4096);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	EXPECT_EQ(fake::live_pins(), 1u);
	EXPECT_TRUE(m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_TRUE(m->MdlFlags & MDL_WRITE_OPERATION);
	EXPECT_EQ(reinterpret_cast<uptr>(m->Process), fake::kFakeProcess);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(MmGetMdlPfnArray(m)[i], fake::kUserPfnBase + (kUser >> 12) + i);
	EXPECT_EQ(MmshimLockedMdlCount(), 1u);
	MmUnlockPages(m);
	EXPECT_EQ(fake::live_pins(), 0u);
	ASSERT_EQ(fake::unpins().size(), 1u);
	EXPECT_EQ(fake::unpins()[0].first, 3u);
	EXPECT_TRUE(fake::unpins()[0].second); // written to: dirty
	EXPECT_FALSE(m->MdlFlags & MDL_PAGES_LOCKED);
	IoFreeMdl(m);
}

TEST_F(LockTest, ReadLockIsNotDirtyAndClearsWriteOperation)
{
	PMDL m = Mdl(kUserRo, 4096);
	m->MdlFlags |= MDL_WRITE_OPERATION;
	EXPECT_EQ(MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_FALSE(m->MdlFlags & MDL_WRITE_OPERATION);
	MmUnlockPages(m);
	ASSERT_EQ(fake::unpins().size(), 1u);
	EXPECT_FALSE(fake::unpins()[0].second);
	IoFreeMdl(m);
}

TEST_F(LockTest, FailuresLeaveNothingLocked)
{
	// First, while no spare lock record exists yet (a lock that fails
	// later leaves one behind for the next lock to take).
	PMDL m = Mdl(kKernel, 4096);
	ASSERT_NE(m, nullptr);
	fake::fail_next_allocs(1); // the lock record
	EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_INSUFFICIENT_RESOURCES);
	IoFreeMdl(m);
	m = Mdl(kUserRo, 4096);
	EXPECT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_ACCESS_VIOLATION);
	IoFreeMdl(m);
	m = Mdl(kUser + 7 * 4096, 2 * 4096); // runs off the end of the mapping
	EXPECT_EQ(MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	IoFreeMdl(m);
	m = Mdl(kKernel, 4096);
	EXPECT_EQ(MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(static_cast<int>(m->MdlFlags), MDL_ALLOCATED_FIXED_SIZE);
	IoFreeMdl(m);
	m = Mdl(0x0000800000000000ULL - 4096, 2 * 4096); // user/kernel boundary
	EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	IoFreeMdl(m);
	m = Mdl(kKernel + 15 * 4096, 2 * 4096); // second page unmapped
	EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	IoFreeMdl(m);
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(fake::page_refs(kKernelPfn), 0);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 15), 0);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
}

TEST_F(LockTest, KernelRangeIsReferencedAndChecksWritability)
{
	fake::set_kva_read_only(kKernel + 4 * 4096, kKernel + 5 * 4096);
	PMDL m = Mdl(kKernel + 3 * 4096, 2 * 4096);
	EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoModifyAccess), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 3), 0);
	EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 3), 1);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 4), 1);
	EXPECT_EQ(m->Process, nullptr);
	// The driver scribbles on the PFN array; unlock still drops what was taken.
	MmGetMdlPfnArray(m)[0] = 0xdead;
	MmUnlockPages(m);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 3), 0);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 4), 0);
	IoFreeMdl(m);
}

TEST_F(LockTest, MisuseIsReportedAndRefused)
{
	PMDL m = Mdl(kKernel, 100);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
				   [&] { MmUnlockPages(m); }));
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_LOCKED,
				   [&] { MmProbeAndLockPages(m, KernelMode, IoReadAccess); }));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_LOCKED,
				   [&] { IoFreeMdl(m); }));
	EXPECT_EQ(MmshimLiveMdlCount(), 1u);
	MmUnlockPages(m);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
				   [&] { MmUnlockPages(m); }));
	m->MdlFlags |= MDL_PAGES_LOCKED; // locked "by hand"
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_LOCKED,
				   [&] { MmProbeAndLockPages(m, KernelMode, IoReadAccess); }));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
				   [&] { MmUnlockPages(m); }));
	m->MdlFlags = MDL_PARTIAL;
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_WRONG_KIND,
				   [&] { MmProbeAndLockPages(m, KernelMode, IoReadAccess); }));
	m->MdlFlags = 0;
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
				   [&] { MmProbeAndLockPages(m, 3, IoReadAccess); }));
	EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, static_cast<LOCK_OPERATION>(9)),
		  STATUS_INVALID_PARAMETER);
	IoFreeMdl(m);
}

TEST_F(LockTest, UserLockAtDispatchIsRefused)
{
	PMDL m = Mdl(kUser, 4096);
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, [&] {
		EXPECT_EQ(MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
	}));
	fake::set_may_sleep(true);
	EXPECT_EQ(fake::live_pins(), 0u);
	IoFreeMdl(m);
}

TEST_F(LockTest, UnloadReleasesLeftoverLocks)
{
	AllowLeaks();
	PMDL m = Mdl(kUser, 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_SUCCESS);
	const size_t before = fake::reports().size();
	mmshim_core_exit();
	EXPECT_EQ(fake::live_pins(), 0u);
	bool saw = false;
	for (size_t i = before; i < fake::reports().size(); i++)
		saw |= fake::reports()[i].params[0] == MMSHIM_VRF_LOCKS_LEAKED_AT_UNLOAD;
	EXPECT_TRUE(saw);
	ASSERT_EQ(mmshim_core_init(), 0);
}

TEST_F(LockTest, OneAllocationPerUserLock)
{
	PMDL m = Mdl(kUser, 3 * 4096);
	const auto before = fake::alloc_calls();
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), before + 1); // record and pin together
	MmUnlockPages(m);
	EXPECT_EQ(fake::live_pins(), 0u);
	IoFreeMdl(m);
}

// Issue 14: small locks take their record from a spare slot once warm, so a
// lock and unlock allocate nothing; a record serves user and kernel locks in
// turn and each releases exactly what it took.
TEST_F(LockTest, SmallLocksAllocateNothingOnceWarm)
{
	PMDL u = Mdl(kUser + 0x10, 3 * 4096);
	PMDL k = Mdl(kKernel, 4 * 4096);
	ASSERT_TRUE(u && k);
	ASSERT_EQ(MmshimProbeAndLockPages(u, UserMode, IoWriteAccess), STATUS_SUCCESS);
	MmUnlockPages(u);
	const auto calls = fake::alloc_calls();
	const auto blocks = fake::live_allocs();
	for (int round = 0; round < 3; round++) {
		ASSERT_EQ(MmshimProbeAndLockPages(k, KernelMode, IoWriteAccess), STATUS_SUCCESS);
		for (int i = 0; i < 4; i++) {
			EXPECT_EQ(MmGetMdlPfnArray(k)[i], kKernelPfn + i);
			EXPECT_EQ(fake::page_refs(kKernelPfn + i), 1);
		}
		MmUnlockPages(k);
		for (int i = 0; i < 4; i++)
			EXPECT_EQ(fake::page_refs(kKernelPfn + i), 0);
		ASSERT_EQ(MmshimProbeAndLockPages(u, UserMode, IoWriteAccess), STATUS_SUCCESS);
		EXPECT_EQ(fake::live_pins(), 1u);
		for (int i = 0; i < 4; i++)
			EXPECT_EQ(MmGetMdlPfnArray(u)[i], fake::kUserPfnBase + (kUser >> 12) + i);
		MmUnlockPages(u);
		EXPECT_EQ(fake::live_pins(), 0u);
	}
	EXPECT_EQ(fake::alloc_calls(), calls);
	EXPECT_EQ(fake::live_allocs(), blocks);
	// Two locks at once: the second cannot share the first's record.
	ASSERT_EQ(MmshimProbeAndLockPages(u, UserMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_EQ(MmshimProbeAndLockPages(k, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), calls + 1);
	MmUnlockPages(u);
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(fake::page_refs(kKernelPfn), 1);
	MmUnlockPages(k);
	EXPECT_EQ(fake::page_refs(kKernelPfn), 0);
	IoFreeMdl(u);
	IoFreeMdl(k);
	// Up to 16 pages fit a spare record.
	PMDL big = Mdl(kKernel, 16 * 4096);
	ASSERT_NE(big, nullptr);
	const auto before = fake::alloc_calls();
	ASSERT_EQ(MmshimProbeAndLockPages(big, KernelMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), before);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 15), 1);
	MmUnlockPages(big);
	EXPECT_EQ(fake::page_refs(kKernelPfn + 15), 0);
	IoFreeMdl(big);
}

// Issue 14: larger locks too take a spare record of their size class once
// warm (up to 1024 pages), user and kernel alike, and still write every
// frame and release exactly what they took; beyond the largest class a
// lock allocates its record and its unlock frees it.
TEST_F(LockTest, LargeLocksAllocateNothingOnceWarm)
{
	constexpr uptr kBigKernel = 0xffff888010000000ULL;
	constexpr unsigned long long kBigPfn = 0x40000;
	fake::set_user_writable(kUser, kUser + 1100 * 4096);
	fake::map_direct(kBigKernel, 1100 * 4096, kBigPfn);
	const ULONG sizes[] = {17, 32, 33, 64, 100, 256, 300, 512, 1000, 1024};
	for (int round = 0; round < 3; round++) {
		const auto blocks = fake::live_allocs();
		for (ULONG pages : sizes) {
			SCOPED_TRACE(pages);
			PMDL u = Mdl(kUser, pages * 4096);
			PMDL k = Mdl(kBigKernel, pages * 4096);
			ASSERT_TRUE(u && k);
			const auto with_mdls = fake::alloc_calls();
			ASSERT_EQ(MmshimProbeAndLockPages(u, UserMode, IoWriteAccess), STATUS_SUCCESS);
			ASSERT_EQ(MmshimProbeAndLockPages(k, KernelMode, IoWriteAccess), STATUS_SUCCESS);
			if (round > 0) {
				EXPECT_EQ(fake::alloc_calls(), with_mdls); // both records were spares
			}
			EXPECT_EQ(MmGetMdlPfnArray(u)[pages - 1], fake::kUserPfnBase + (kUser >> 12) + pages - 1);
			EXPECT_EQ(MmGetMdlPfnArray(k)[pages - 1], kBigPfn + pages - 1);
			EXPECT_EQ(fake::page_refs(kBigPfn + pages - 1), 1);
			EXPECT_EQ(fake::live_pins(), 1u);
			MmUnlockPages(u);
			MmUnlockPages(k);
			EXPECT_EQ(fake::live_pins(), 0u);
			EXPECT_EQ(fake::page_refs(kBigPfn + pages - 1), 0);
			IoFreeMdl(u);
			IoFreeMdl(k);
		}
		if (round > 0) {
			EXPECT_EQ(fake::live_allocs(), blocks); // nothing new kept
		}
	}
	// In atomic context warm spares serve as well (the rounds above left two
	// of the 128-page class); without one the record is allocated at its own
	// size (GFP_ATOMIC) and freed by the unlock.
	{
		PMDL m[3];
		for (int i = 0; i < 3; i++) {
			m[i] = Mdl(kBigKernel + i * 200 * 4096, 100 * 4096);
			ASSERT_NE(m[i], nullptr);
		}
		const auto calls = fake::alloc_calls();
		const auto blocks = fake::live_allocs();
		fake::set_may_sleep(false);
		for (int i = 0; i < 3; i++)
			ASSERT_EQ(MmshimProbeAndLockPages(m[i], KernelMode, IoWriteAccess), STATUS_SUCCESS);
		EXPECT_EQ(fake::alloc_calls(), calls + 1); // two spares, one new
		EXPECT_EQ(MmGetMdlPfnArray(m[2])[99], kBigPfn + 499);
		MmUnlockPages(m[2]);
		EXPECT_EQ(fake::live_allocs(), blocks); // freed, not kept
		MmUnlockPages(m[1]);
		MmUnlockPages(m[0]);
		EXPECT_EQ(fake::live_allocs(), blocks); // back to their slots
		fake::set_may_sleep(true);
		EXPECT_EQ(fake::page_refs(kBigPfn + 499), 0);
		for (PMDL x : m)
			IoFreeMdl(x);
	}
	// Beyond the largest class: one allocation per lock, freed by its unlock.
	PMDL huge = Mdl(kBigKernel, 1100 * 4096);
	ASSERT_NE(huge, nullptr);
	const auto blocks = fake::live_allocs();
	for (int i = 0; i < 2; i++) {
		const auto calls = fake::alloc_calls();
		ASSERT_EQ(MmshimProbeAndLockPages(huge, KernelMode, IoReadAccess), STATUS_SUCCESS);
		EXPECT_EQ(fake::alloc_calls(), calls + 1);
		EXPECT_EQ(MmGetMdlPfnArray(huge)[1099], kBigPfn + 1099);
		MmUnlockPages(huge);
		EXPECT_EQ(fake::live_allocs(), blocks);
		EXPECT_EQ(fake::page_refs(kBigPfn + 1099), 0);
	}
	IoFreeMdl(huge);
}

TEST_F(LockTest, UnlockInAtomicContextFinishesInTheWorker)
{
	PMDL m = Mdl(kUser, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	const auto blocks = fake::live_allocs();
	fake::set_may_sleep(false);
	EXPECT_TRUE(NoReport([&] { MmUnlockPages(m); }));
	fake::set_may_sleep(true);
	EXPECT_FALSE(m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	// Still pinned, and the record still allocated, until the worker runs.
	EXPECT_EQ(fake::live_pins(), 1u);
	EXPECT_EQ(fake::deferred_count(), 1u);
	EXPECT_EQ(fake::live_allocs(), blocks);
	fake::run_deferred();
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(fake::live_allocs(), blocks - 1);
	ASSERT_EQ(fake::unpins().size(), 1u);
	EXPECT_TRUE(fake::unpins()[0].second); // dirty: locked for write
	IoFreeMdl(m);
}

TEST_F(LockTest, RelockWithTheFlagClearedIsRefusedWithoutTouchingTheMdl)
{
	PMDL m = Mdl(kUser, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	const PFN_NUMBER first = MmGetMdlPfnArray(m)[0];
	m->MdlFlags &= ~MDL_PAGES_LOCKED; // a driver "unlocking" by hand
	m->StartVa = reinterpret_cast<PVOID>(kUser + 4 * 4096);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_LOCKED, [&] {
		EXPECT_NE(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	}));
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], first); // the first lock's frames
	EXPECT_EQ(fake::live_pins(), 1u);         // the second pin was undone
	EXPECT_EQ(MmshimLockedMdlCount(), 1u);
	MmUnlockPages(m);
	EXPECT_EQ(fake::live_pins(), 0u);
	IoFreeMdl(m);
}

} // namespace
