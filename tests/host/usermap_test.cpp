// SPDX-License-Identifier: GPL-2.0
// usermap_test.cpp - user-mode mappings on the fake platform: what the core
// asks the platform for, RequestedAddress rules and the statuses raised,
// the owning-process rule for MmUnmapLockedPages, mappings the process
// dropped itself, revocation on unlock and free, the partial-page policy.
#include "test_support.h"

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class UsermapTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kKernel, 8 * 4096, kPfn);
	}
	PMDL Locked(uptr va, ULONG len)
	{
		PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
		EXPECT_NE(m, nullptr);
		EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
		return m;
	}
	static PVOID MapUser(PMDL m, uptr requested = 0, ULONG priority = NormalPagePriority)
	{
		return MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, reinterpret_cast<PVOID>(requested),
						    FALSE, priority);
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kPfn = 0x100;
	static constexpr uptr kUser = 0x10000000;
};

TEST_F(UsermapTest, MapsTheFramesAndLeavesTheMdlAlone)
{
	PMDL m = Locked(kKernel, 2 * 4096);
	const CSHORT flags = m->MdlFlags;
	PVOID sys = m->MappedSystemVa;
	auto va = reinterpret_cast<uptr>(MapUser(m, 0, NormalPagePriority | MdlMappingNoWrite));
	ASSERT_EQ(va, fake::kUserMapBase);
	EXPECT_EQ(fake::user_mapping_pfns(va), (std::vector<unsigned long long>{kPfn, kPfn + 1}));
	EXPECT_TRUE(fake::user_mapping_read_only(va));
	EXPECT_EQ(m->MdlFlags, flags);
	EXPECT_EQ(m->MappedSystemVa, sys);
	EXPECT_EQ(MmshimUserMappingCount(), 1u);
	// A second mapping of the same MDL (as into another process) is fine.
	auto va2 = reinterpret_cast<uptr>(MapUser(m));
	EXPECT_NE(va2, va);
	EXPECT_FALSE(fake::user_mapping_read_only(va2));
	EXPECT_EQ(MmshimUserMappingCount(), 2u);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va2), m);
	EXPECT_EQ(fake::user_unmaps(), 2u);
	EXPECT_EQ(fake::live_user_handles(), 0u);
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, RequestedAddress)
{
	PMDL m = Locked(kKernel, 2 * 4096);
	EXPECT_EQ(reinterpret_cast<uptr>(MapUser(m, kUser)), kUser);
	// Taken: STATUS_CONFLICTING_ADDRESSES, raised (no __try here: reported).
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_CONFLICTING_ADDRESSES),
				   [&] { EXPECT_EQ(MapUser(m, kUser + 4096), nullptr); }));
	// Unaligned, past the end of user space, wrapping: STATUS_INVALID_ADDRESS
	// before the platform is asked.
	for (uptr bad : {kUser + 0x800, fake::kUserSpaceEnd - 4096, ~uptr(0) - 4095})
		EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_INVALID_ADDRESS),
					   [&] { EXPECT_EQ(MapUser(m, bad), nullptr); }));
	EXPECT_EQ(reinterpret_cast<uptr>(MapUser(m, fake::kUserSpaceEnd - 2 * 4096)), fake::kUserSpaceEnd - 2 * 4096);
	EXPECT_EQ(MmshimUserMappingCount(), 2u);
	MmUnlockPages(m); // reports the two live mappings and revokes them
	EXPECT_EQ(fake::live_user_handles(), 0u);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, PlatformFailuresRaiseWindowsStatuses)
{
	PMDL m = Locked(kKernel, 4096);
	const std::pair<int, NTSTATUS> cases[] = {
		{MMSHIM_UMAP_NOMEM, STATUS_INSUFFICIENT_RESOURCES},
		{MMSHIM_UMAP_CONFLICT, STATUS_CONFLICTING_ADDRESSES},
		{MMSHIM_UMAP_BAD_ADDRESS, STATUS_INVALID_ADDRESS},
		{MMSHIM_UMAP_NO_PROCESS, STATUS_PROCESS_IS_TERMINATING},
		{MMSHIM_UMAP_FAILED, STATUS_UNSUCCESSFUL},
	};
	for (auto [error, status] : cases) {
		fake::fail_next_usermap(error);
		EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(status),
					   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	}
	fake::fail_next_usermap(MMSHIM_UMAP_UNSHAREABLE); // refused, not raised
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	fake::fail_next_allocs(1);
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_INSUFFICIENT_RESOURCES),
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	fake::set_current_process(nullptr); // a kernel thread
	EXPECT_TRUE(ReportsExactly(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_PROCESS_IS_TERMINATING),
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	EXPECT_EQ(fake::live_user_handles(), 0u);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, OnlyTheOwnerUnmaps)
{
	PMDL m = Locked(kKernel, 4096);
	auto *other = reinterpret_cast<void *>(0xbeef);
	auto va = reinterpret_cast<uptr>(MapUser(m));
	fake::set_current_process(other);
	// Another process maps the same MDL at the same address.
	auto va2 = reinterpret_cast<uptr>(MapUser(m, va));
	ASSERT_EQ(va2, va);
	fake::set_current_process(reinterpret_cast<void *>(0xf00d));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS,
				   [&] { MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m); }));
	fake::set_current_process(nullptr);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS,
				   [&] { MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m); }));
	EXPECT_EQ(fake::user_unmaps(), 0u);
	EXPECT_EQ(MmshimUserMappingCount(), 2u);
	// Each owner removes its own.
	fake::set_current_process(other);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	EXPECT_EQ(fake::user_unmaps(), 1u);
	EXPECT_EQ(MmshimUserMappingCount(), 1u);
	fake::set_current_process(reinterpret_cast<void *>(fake::kFakeProcess));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	EXPECT_EQ(fake::user_unmaps(), 2u);
	// Unknown address; the wrong MDL.
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED,
				   [&] { MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m); }));
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, SameAddressInAGoneAndALiveProcess)
{
	PMDL m = Locked(kKernel, 4096);
	auto *dead = reinterpret_cast<void *>(0xdead);
	auto *parent = reinterpret_cast<void *>(fake::kFakeProcess);
	fake::set_current_process(dead);
	auto va = reinterpret_cast<uptr>(MapUser(m));
	fake::process_drops_user_mapping(va); // exited
	fake::set_current_process(parent);
	ASSERT_EQ(reinterpret_cast<uptr>(MapUser(m, va)), va);
	// A third, live process: the live mapping there makes it a wrong-process unmap.
	fake::set_current_process(reinterpret_cast<void *>(0xf00d));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS,
				   [&] { MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m); }));
	EXPECT_EQ(MmshimUserMappingCount(), 2u);
	// The dead process's cleanup (no process context): its gone mapping goes, quietly.
	fake::set_current_process(nullptr);
	const size_t before = fake::reports().size();
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	EXPECT_EQ(fake::reports().size(), before) << DescribeSince(before);
	EXPECT_EQ(MmshimUserMappingCount(), 1u);
	EXPECT_TRUE(fake::user_mapping_live(va));
	fake::set_current_process(parent);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, MappingsTheProcessDroppedAreForgottenQuietly)
{
	PMDL m = Locked(kKernel + 0, 4096);
	auto va = reinterpret_cast<uptr>(MapUser(m));
	fake::process_drops_user_mapping(va); // the process exits
	fake::set_current_process(nullptr);   // the driver's cleanup runs after
	size_t before = fake::reports().size();
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	EXPECT_EQ(fake::reports().size(), before) << DescribeSince(before);
	EXPECT_EQ(fake::user_unmaps(), 0u);
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	// Never unmapped by the driver: unlocking forgets it without a report.
	fake::set_current_process(reinterpret_cast<void *>(fake::kFakeProcess));
	va = reinterpret_cast<uptr>(MapUser(m));
	fake::process_drops_user_mapping(va);
	before = fake::reports().size();
	MmUnlockPages(m);
	EXPECT_EQ(fake::reports().size(), before);
	EXPECT_FALSE(fake::user_mapping_revoked(va));
	EXPECT_EQ(fake::live_user_handles(), 0u);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, UnlockOrFreeWhileMappedRevokes)
{
	PMDL m = Locked(kKernel, 4096);
	auto va = reinterpret_cast<uptr>(MapUser(m));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_LIVE,
				   [&] { MmUnlockPages(m); }));
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	EXPECT_EQ(fake::live_user_handles(), 0u);
	IoFreeMdl(m);

	// A nonpaged-pool MDL (whole pages): mappable, and revoked by IoFreeMdl.
	m = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 4096), 2 * 4096, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(m);
	va = reinterpret_cast<uptr>(MapUser(m));
	ASSERT_NE(va, 0u);
	EXPECT_EQ(fake::user_mapping_pfns(va), (std::vector<unsigned long long>{kPfn + 1, kPfn + 2}));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_LIVE,
				   [&] { IoFreeMdl(m); }));
	EXPECT_EQ(fake::live_user_handles(), 0u);
}

TEST_F(UsermapTest, PartialPagesOfKernelMemoryAreRefused)
{
	PMDL m = Locked(kKernel + 0x100, 4096);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	MmUnlockPages(m);
	IoFreeMdl(m);
	m = Locked(kKernel, 4096 + 8);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	MmUnlockPages(m);
	IoFreeMdl(m);

	// The process's own pages, back into the same process: allowed (with
	// ByteOffset in the result); into another process: refused.
	fake::set_user_writable(kUser, kUser + 8 * 4096);
	m = IoAllocateMdl(reinterpret_cast<PVOID>(kUser + 0x20), 100, FALSE, FALSE, nullptr);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	auto va = reinterpret_cast<uptr>(MapUser(m));
	EXPECT_EQ(va & 0xfff, 0x20u);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	fake::set_current_process(reinterpret_cast<void *>(0xbeef));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_USER_MAPPING_PARTIAL_PAGE,
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	fake::set_current_process(reinterpret_cast<void *>(fake::kFakeProcess));
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, MisuseIsRefused)
{
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				   [&] { EXPECT_EQ(MapUser(m), nullptr); }));
	fake::set_may_sleep(true);
	auto va = reinterpret_cast<uptr>(MapUser(m));
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				   [&] { MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m); }));
	fake::set_may_sleep(true);
	EXPECT_EQ(MmshimUserMappingCount(), 1u);
	EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS, [&] {
		EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, UserMode, MmMaximumCacheType, nullptr, FALSE, 0), nullptr);
	}));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT, [&] {
		EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, static_cast<KPROCESSOR_MODE>(2), MmCached, nullptr, FALSE, 0),
			  nullptr);
	}));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, DeviceMemoryIsMappedWithTheTypeAsked)
{
	fake::map_direct(kKernel + 0x10000, 3 * 4096, 0x900);
	fake::add_io_pfn(0x900);
	fake::add_io_pfn(0x901);
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 0x10000), 2 * 4096, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(m);
	ASSERT_TRUE(m->MdlFlags & MDL_IO_SPACE);
	auto va = reinterpret_cast<uptr>(
		MmMapLockedPagesSpecifyCache(m, UserMode, MmNonCached, nullptr, FALSE, NormalPagePriority));
	ASSERT_NE(va, 0u);
	EXPECT_EQ(fake::user_mapping_cache(va), MMSHIM_CACHE_UC);
	EXPECT_EQ(fake::user_mapping_pfns(va), (std::vector<unsigned long long>{0x900, 0x901}));
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	va = reinterpret_cast<uptr>(
		MmMapLockedPagesSpecifyCache(m, UserMode, MmWriteCombined, nullptr, FALSE, NormalPagePriority));
	ASSERT_NE(va, 0u);
	EXPECT_EQ(fake::user_mapping_cache(va), MMSHIM_CACHE_WC);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), m);
	// A frame of RAM among device frames: one mapping cannot be both.
	PMDL mixed = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 0x11000), 2 * 4096, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(mixed);
	EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, [&] {
		EXPECT_EQ(MmMapLockedPagesSpecifyCache(mixed, UserMode, MmNonCached, nullptr, FALSE, NormalPagePriority),
			  nullptr);
	}));
	// RAM keeps its own type whatever is asked.
	PMDL ram = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(ram);
	va = reinterpret_cast<uptr>(
		MmMapLockedPagesSpecifyCache(ram, UserMode, MmNonCached, nullptr, FALSE, NormalPagePriority));
	ASSERT_NE(va, 0u);
	EXPECT_EQ(fake::user_mapping_cache(va), MMSHIM_CACHE_WB);
	MmUnmapLockedPages(reinterpret_cast<PVOID>(va), ram);
	IoFreeMdl(ram);
	IoFreeMdl(mixed);
	IoFreeMdl(m);
}

TEST_F(UsermapTest, UnloadReleasesLeftovers)
{
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(m);
	ASSERT_NE(MapUser(m), nullptr);
	const size_t first = fake::reports().size();
	AllowLeaks();
	mmshim_core_exit();
	bool seen = false;
	for (size_t i = first; i < fake::reports().size(); i++)
		seen |= fake::reports()[i].params[0] == MMSHIM_VRF_USER_MAPPINGS_LEAKED_AT_UNLOAD;
	EXPECT_TRUE(seen);
	EXPECT_EQ(fake::live_user_handles(), 0u);
	ASSERT_EQ(mmshim_core_init(), 0); // for TearDown
}

} // namespace
