// SPDX-License-Identifier: GPL-2.0
// freed_mdl_test.cpp - an MDL the driver built in its own pool block and
// freed with ExFreePool while mmshim still held something for it (locked
// pages, pages from MmAllocatePagesForMdl, a system, user or reserved
// mapping): reported once, everything released at once, and no record left
// behind for the next MDL that lands at the same address.
#include "test_support.h"
#include "fake_physmem.h"

#include <vector>

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

constexpr ULONG kTag = Tag("FrMd");

class FreedMdlTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		// User buffers at kUser; host heap (where pool blocks, and so the
		// MDLs, live) above: both sides of the line are needed here.
		fake::set_kernel_space_start(0x0000100000000000ULL);
		fake::map_direct(kKernel, 8 * 4096, kPfn);
		fake::map_vmalloc(kVmalloc, {0x900, 0x700, 0x800, 0x500});
		fake::set_user_writable(kUser, kUser + 8 * 4096);
		fake::physmem_reset();
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		EXPECT_EQ(fake::live_pages(), 0u) << "pages leaked";
		fake::physmem_reset();
	}
	// As drivers do: MmSizeOfMdl bytes of pool, MmInitializeMdl.
	static PMDL PoolMdl(uptr va, ULONG len)
	{
		const SIZE_T size = MmSizeOfMdl(reinterpret_cast<PVOID>(va), len);
		auto m = static_cast<PMDL>(ExAllocatePool2(POOL_FLAG_NON_PAGED, size, kTag));
		EXPECT_NE(m, nullptr);
		MmInitializeMdl(m, reinterpret_cast<PVOID>(va), len);
		return m;
	}
	// The reports fn made, as bug-check parameter 1 values.
	template <typename Fn> static std::vector<ULONG_PTR> Reports(Fn &&fn)
	{
		const size_t first = fake::reports().size();
		fn();
		std::vector<ULONG_PTR> got;
		for (size_t i = first; i < fake::reports().size(); i++)
			got.push_back(fake::reports()[i].params[0]);
		return got;
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kPfn = 0x100;
	static constexpr uptr kVmalloc = 0xffffc90000200000ULL;
	static constexpr uptr kUser = 0x10000000;
};

TEST_F(FreedMdlTest, LockedUserPagesAreUnpinned)
{
	PMDL m = PoolMdl(kUser + 0x10, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, UserMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_EQ(fake::live_pins(), 1u);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, &r, ExFreePool(m));
	EXPECT_EQ(r.params[1], reinterpret_cast<uptr>(m));
	EXPECT_EQ(r.params[2], ULONG_PTR(MMSHIM_FREED_MDL_LOCKED));
	EXPECT_EQ(r.routine, "ExFreePool");
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	EXPECT_EQ(PoolBlocks(), 0u);
}

TEST_F(FreedMdlTest, LockedAndMappedKernelPagesAreUnmappedThenReleased)
{
	PMDL m = PoolMdl(kVmalloc, 3 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_NE(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr);
	ASSERT_EQ(fake::live_mappings(), 1u);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, &r,
			  ExFreePoolWithTag(m, kTag));
	EXPECT_EQ(r.params[2], ULONG_PTR(MMSHIM_FREED_MDL_LOCKED | MMSHIM_FREED_MDL_MAPPED));
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
}

TEST_F(FreedMdlTest, ANewMdlAtTheSameAddressInheritsNothing)
{
	PMDL m = PoolMdl(kVmalloc, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, ExFreePool(m));
	// No record is keyed by the old address any more: an MDL there would
	// not be locked. (MmUnlockPages of an unknown MDL reads nothing in it,
	// so the stale pointer is safe to pass.)
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED, MmUnlockPages(m));
	// Nor is whatever the allocator hands out next: unlocking it is the
	// usual double-unlock report, and locking it works.
	PMDL n = PoolMdl(kVmalloc + 4096, 4096);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED, MmUnlockPages(n));
	ASSERT_EQ(MmshimProbeAndLockPages(n, KernelMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_EQ(MmGetMdlPfnArray(n)[0], 0x700u);
	EXPECT_NO_REPORT(MmUnlockPages(n));
	EXPECT_NO_REPORT(ExFreePool(n));
}

TEST_F(FreedMdlTest, AllocatorMdlFreedBeforeItsPages)
{
	fake::script_frames({0x250, 0x200, 0x2ff}); // scattered: a mapping with a record
	PMDL m = MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), 3 * 4096);
	ASSERT_NE(m, nullptr);
	ASSERT_EQ(fake::live_pages(), 3u);
	ASSERT_NE(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr);
	ASSERT_EQ(fake::live_mappings(), 1u);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, &r, ExFreePool(m));
	EXPECT_EQ(r.params[2], ULONG_PTR(MMSHIM_FREED_MDL_PAGES | MMSHIM_FREED_MDL_MAPPED));
	EXPECT_EQ(fake::live_pages(), 0u);
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(MmshimAllocatedPageCount(), 0u);
	// The right order reports nothing.
	m = MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), 4096);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmFreePagesFromMdl(m));
	EXPECT_NO_REPORT(ExFreePool(m));
}

TEST_F(FreedMdlTest, MappedPartialMdlIsUnmapped)
{
	PMDL src = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 4 * 4096, FALSE, FALSE, nullptr);
	ASSERT_EQ(MmshimProbeAndLockPages(src, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	PMDL part = PoolMdl(kVmalloc + 4096, 2 * 4096);
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 4096), 2 * 4096);
	ASSERT_NE(MmGetSystemAddressForMdlSafe(part, NormalPagePriority), nullptr);
	ASSERT_EQ(fake::live_mappings(), 1u);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, &r, ExFreePool(part));
	EXPECT_EQ(r.params[2], ULONG_PTR(MMSHIM_FREED_MDL_MAPPED));
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_NO_REPORT(MmUnlockPages(src)); // the source is untouched
	IoFreeMdl(src);
}

TEST_F(FreedMdlTest, UserMappedMdlIsRevokedThenUnlocked)
{
	PMDL m = PoolMdl(kKernel, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_NE(MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, nullptr, FALSE, NormalPagePriority), nullptr);
	// The freed-in-use report, then the live user mapping's own.
	EXPECT_EQ(Reports([&] { ExFreePool(m); }),
		  (std::vector<ULONG_PTR>{MMSHIM_VRF_MDL_FREED_IN_USE, MMSHIM_VRF_USER_MAPPING_LIVE}));
	EXPECT_EQ(fake::reports()[fake::reports().size() - 2].params[2],
		  ULONG_PTR(MMSHIM_FREED_MDL_LOCKED | MMSHIM_FREED_MDL_USER_MAPPED));
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	EXPECT_EQ(fake::live_user_handles(), 0u);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
}

TEST_F(FreedMdlTest, ReservedMappingIsUnmappedAndTheReservationStays)
{
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	ASSERT_NE(base, nullptr);
	PMDL m = PoolMdl(kVmalloc, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_NE(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), nullptr);
	EXPECT_EQ(Reports([&] { ExFreePool(m); }),
		  (std::vector<ULONG_PTR>{MMSHIM_VRF_MDL_FREED_IN_USE, MMSHIM_VRF_MDL_IN_RESERVATION}));
	EXPECT_EQ(fake::reports()[fake::reports().size() - 2].params[2],
		  ULONG_PTR(MMSHIM_FREED_MDL_LOCKED | MMSHIM_FREED_MDL_RESERVED));
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	// The reservation is empty again: a new MDL maps into it.
	PMDL n = PoolMdl(kVmalloc + 4096, 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(n, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	EXPECT_NO_REPORT(EXPECT_NE(MmMapLockedPagesWithReservedMapping(base, kTag, n, MmCached), nullptr));
	MmUnmapReservedMapping(base, kTag, n);
	MmUnlockPages(n);
	ExFreePool(n);
	MmFreeMappingAddress(base, kTag);
}

TEST_F(FreedMdlTest, OtherBlocksAreNotTakenForMdls)
{
	// MDLs are locked and mapped elsewhere; a plain block, even one whose
	// bytes look like a mapped MDL, frees without a report or a change.
	PMDL m = PoolMdl(kVmalloc, 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_NE(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr);
	auto fake_mdl = static_cast<PMDL>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(MDL) + 64, kTag));
	ASSERT_NE(fake_mdl, nullptr);
	*fake_mdl = *m; // a copy: flags say locked and mapped
	EXPECT_NO_REPORT(ExFreePool(fake_mdl));
	EXPECT_EQ(fake::live_mappings(), 1u);
	EXPECT_EQ(MmshimLockedMdlCount(), 1u);
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_NO_REPORT(ExFreePool(m));
}

} // namespace
