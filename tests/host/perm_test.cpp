// SPDX-License-Identifier: GPL-2.0
// perm_test.cpp - no write reaches a page its owner could not write
// (docs/security.md), on the fake platform: read locks of memory the
// process can write are pinned for writing (its own pages); read locks of
// memory it cannot write are pinned read-only and every mapping of them -
// system, linear-map fast path, user, reserved, partial MDL - is read-only;
// frames the kernel itself keeps read-only are never mapped writable; the
// lock record, not MDL->Process, says which process owns the pages.
#include "test_support.h"

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class PermTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kKernel, 8 * 4096, kKernelPfn);
		fake::set_user_writable(kUser, kUser + 8 * 4096);
		fake::set_user_readable(kUserRo, kUserRo + 4 * 4096);
	}
	static PMDL Mdl(uptr va, ULONG len)
	{
		return IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
	}
	static PVOID MapUser(PMDL m, ULONG priority = NormalPagePriority)
	{
		return MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, nullptr, FALSE, priority);
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kKernelPfn = 0x100;
	static constexpr uptr kUser = 0x10000000;
	static constexpr uptr kUserRo = 0x20000000;
	static constexpr ULONG kTag = Tag("Perm");
};

TEST_F(PermTest, ReadLockOfWritableMemoryIsPinnedForWriting)
{
	PMDL m = Mdl(kUser, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_FALSE(m->MdlFlags & MDL_WRITE_OPERATION); // still a read lock for the driver
	// Its own pages: the user mapping is writable, with no report.
	uptr va = 0;
	EXPECT_NO_REPORT(va = reinterpret_cast<uptr>(MapUser(m)));
	ASSERT_NE(va, 0u);
	EXPECT_FALSE(fake::user_mapping_read_only(va));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	MmUnlockPages(m);
	ASSERT_EQ(fake::unpins().size(), 1u);
	EXPECT_TRUE(fake::unpins()[0].second); // pinned writable: dirtied on unpin
	IoFreeMdl(m);
}

TEST_F(PermTest, ReadOnlyLockMakesEveryMappingReadOnly)
{
	PMDL m = Mdl(kUserRo, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_SUCCESS);

	// User mapping without MdlMappingNoWrite: read-only, reported.
	uptr va = 0;
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_READ_ONLY,
				   [&] { va = reinterpret_cast<uptr>(MapUser(m)); }));
	ASSERT_NE(va, 0u);
	EXPECT_TRUE(fake::user_mapping_read_only(va));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	// With MdlMappingNoWrite: read-only as asked, no report.
	EXPECT_NO_REPORT(va = reinterpret_cast<uptr>(MapUser(m, NormalPagePriority | MdlMappingNoWrite)));
	EXPECT_TRUE(fake::user_mapping_read_only(va));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);

	// System mapping: the frames are contiguous, but the writable linear
	// map is not used: a read-only mapping instead.
	PVOID sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(sys, nullptr);
	EXPECT_NE(reinterpret_cast<uptr>(sys), fake::kLinearBase + (MmGetMdlPfnArray(m)[0] << 12));
	EXPECT_TRUE(fake::mapping_read_only(sys));
	MmUnmapLockedPages(sys, m);

	// Reserved mapping: read-only entries.
	PVOID res = MmAllocateMappingAddress(2 * 4096, kTag);
	ASSERT_NE(res, nullptr);
	const unsigned long before = fake::reserve_maps_ro();
	ASSERT_NE(MmMapLockedPagesWithReservedMapping(res, kTag, m, MmCached), nullptr);
	EXPECT_EQ(fake::reserve_maps_ro(), before + 1);
	MmUnmapReservedMapping(res, kTag, m);
	MmFreeMappingAddress(res, kTag);

	// A partial MDL of it: read-only too.
	PMDL part = Mdl(kUserRo + 4096, 4096);
	IoBuildPartialMdl(m, part, reinterpret_cast<PVOID>(kUserRo + 4096), 4096);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_READ_ONLY,
				   [&] { va = reinterpret_cast<uptr>(MapUser(part)); }));
	ASSERT_NE(va, 0u);
	EXPECT_TRUE(fake::user_mapping_read_only(va));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), part);
	sys = MmGetSystemAddressForMdlSafe(part, NormalPagePriority);
	ASSERT_NE(sys, nullptr);
	EXPECT_TRUE(fake::mapping_read_only(sys));
	MmPrepareMdlForReuse(part);
	IoFreeMdl(part);

	MmUnlockPages(m);
	ASSERT_EQ(fake::unpins().size(), 1u);
	EXPECT_FALSE(fake::unpins()[0].second);
	IoFreeMdl(m);
}

TEST_F(PermTest, KernelReadOnlyFramesAreNeverMappedWritable)
{
	// The second page is read-only in the kernel's own page tables.
	fake::set_kva_read_only(kKernel + 4096, kKernel + 2 * 4096);
	PMDL m = Mdl(kKernel, 2 * 4096);
	MmBuildMdlForNonPagedPool(m);
	uptr va = 0;
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_READ_ONLY,
				   [&] { va = reinterpret_cast<uptr>(MapUser(m)); }));
	ASSERT_NE(va, 0u);
	EXPECT_TRUE(fake::user_mapping_read_only(va));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	IoFreeMdl(m);

	// Locked for reading in KernelMode, then mapped: read-only as well.
	m = Mdl(kKernel + 4096, 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	PVOID sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(sys, nullptr);
	EXPECT_TRUE(fake::mapping_read_only(sys));
	MmUnlockPages(m);
	IoFreeMdl(m);
}

// A lock judges its frames once (a kernel lock asks whether the kernel
// can write them, a user lock pins them for writing); a map trusts that
// answer only for the frames the lock took. A frame the driver wrote into
// the PFN array since is judged again.
TEST_F(PermTest, FramesRewrittenAfterTheLockAreJudgedAgain)
{
	fake::set_kva_read_only(kKernel + 4096, kKernel + 2 * 4096); // frame kKernelPfn + 1
	PMDL m = Mdl(kKernel, 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	PVOID sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	EXPECT_EQ(reinterpret_cast<uptr>(sys), kKernel); // its own writable frame: the linear map
	MmUnmapLockedPages(sys, m);
	MmGetMdlPfnArray(m)[0] = kKernelPfn + 1;
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(sys, nullptr);
	EXPECT_NE(reinterpret_cast<uptr>(sys), kKernel + 4096);
	EXPECT_TRUE(fake::mapping_read_only(sys));
	MmUnmapLockedPages(sys, m);
	MmGetMdlPfnArray(m)[0] = kKernelPfn;
	MmUnlockPages(m);
	IoFreeMdl(m);

	// A user lock pinned for writing, one frame rewritten: read-only.
	m = Mdl(kUser, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(sys, nullptr);
	EXPECT_FALSE(fake::mapping_read_only(sys));
	MmUnmapLockedPages(sys, m);
	const PFN_NUMBER own = MmGetMdlPfnArray(m)[1];
	MmGetMdlPfnArray(m)[1] = kKernelPfn + 1;
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(sys, nullptr);
	EXPECT_TRUE(fake::mapping_read_only(sys));
	MmUnmapLockedPages(sys, m);
	MmGetMdlPfnArray(m)[1] = own;
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(PermTest, LockHoldsTheProcessIdentity)
{
	const auto proc = reinterpret_cast<void *>(fake::kFakeProcess);
	PMDL m = Mdl(kUser, 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	EXPECT_EQ(fake::process_holds(proc), 1);
	MmUnlockPages(m);
	EXPECT_EQ(fake::process_holds(proc), 0);
	IoFreeMdl(m);
}

// Unlocked in atomic context after the process exited: the hold may be the
// mm_struct's last reference, so the worker that unpins drops it, not the
// caller at DISPATCH_LEVEL.
TEST_F(PermTest, AtomicUnlockDropsTheProcessInTheWorker)
{
	const auto proc = reinterpret_cast<void *>(fake::kFakeProcess);
	PMDL m = Mdl(kUser, 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	fake::set_may_sleep(false);
	MmUnlockPages(m);
	EXPECT_EQ(fake::process_holds(proc), 1);
	EXPECT_EQ(fake::deferred_count(), 1u);
	fake::set_may_sleep(true);
	fake::run_deferred();
	EXPECT_EQ(fake::process_holds(proc), 0);
	IoFreeMdl(m);
}

TEST_F(PermTest, PartialPageOwnerIsTheLockRecordNotMdlProcess)
{
	const auto a = reinterpret_cast<void *>(fake::kFakeProcess);
	const auto b = reinterpret_cast<void *>(uptr{0xb0b});
	PMDL m = Mdl(kUser + 100, 200); // part of one page
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	// Another process whose address the driver wrote into Process (or that
	// got a dead process's mm address): not the owner.
	fake::set_current_process(b);
	m->Process = static_cast<PEPROCESS>(b);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	// A partial MDL of it, in that process: not the owner either.
	PMDL part = Mdl(kUser + 100, 50);
	IoBuildPartialMdl(m, part, reinterpret_cast<PVOID>(kUser + 100), 50);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
				   [&] { EXPECT_EQ(MapUser(part), nullptr); }));
	// The owner, whatever Process says: mapped.
	fake::set_current_process(a);
	m->Process = nullptr;
	auto va = reinterpret_cast<uptr>(MapUser(m));
	EXPECT_NE(va, 0u);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	va = reinterpret_cast<uptr>(MapUser(part));
	EXPECT_NE(va, 0u);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), part);
	MmPrepareMdlForReuse(part);
	IoFreeMdl(part);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

} // namespace
