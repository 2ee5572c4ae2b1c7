// SPDX-License-Identifier: GPL-2.0
// race_test.cpp - an MDL unlocked or freed by "another CPU" while a map
// call is working on it, driven deterministically through the fake
// platform's hooks: during_next_check runs after the call's flag checks and
// before it registers its mapping, during_next_map while the platform builds
// the mapping. Whatever the moment, the call returns NULL and leaves no
// mapping of the frames behind (user, reserved and system mappings alike).
// Also: reserved mappings take the pages' own memory type.
#include "test_support.h"
#include "fake_physmem.h"

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class RaceTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::physmem_reset();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kKernel, 8 * 4096, kPfn);
		fake::map_vmalloc(kVmalloc, {0x900, 0x700, 0x800, 0x500});
	}
	void TearDown() override
	{
		EXPECT_EQ(MmshimLockedMdlCount(), 0u);
		EXPECT_EQ(MmshimMappedMdlCount(), 0u);
		EXPECT_EQ(MmshimUserMappingCount(), 0u);
		EXPECT_EQ(fake::live_user_handles(), 0u);
		EXPECT_EQ(fake::live_mappings(), 0u);
		CoreTest::TearDown();
		fake::physmem_reset();
	}
	PMDL Locked(uptr va, ULONG len)
	{
		PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
		EXPECT_NE(m, nullptr);
		EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
		return m;
	}
	static PVOID MapUser(PMDL m)
	{
		return MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, nullptr, FALSE, NormalPagePriority);
	}
	// The unlock, as another CPU would do it, expecting what it reports.
	static void UnlockReporting(PMDL m, bool abandoned)
	{
		if (abandoned)
			EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
				      MmUnlockPages(m));
		else
			EXPECT_NO_REPORT(MmUnlockPages(m));
		EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	}
	static void ExpectReservationEmpty(PVOID base, unsigned pages)
	{
		for (unsigned i = 0; i < pages; i++)
			EXPECT_EQ(fake::reserve_pte(reinterpret_cast<uptr>(base) + i * 4096), 0u) << "page " << i;
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kPfn = 0x100;
	static constexpr uptr kVmalloc = 0xffffc90000200000ULL;
	static constexpr ULONG kTag = Tag("Race");
};

// ---- user-mode mappings -------------------------------------------------------

TEST_F(RaceTest, UserMapAbandonedWhenUnlockedWhileMapping)
{
	PMDL m = Locked(kKernel, 2 * 4096);
	fake::during_next_map([&] { UnlockReporting(m, true); });
	const size_t reports = fake::reports().size();
	EXPECT_EQ(MapUser(m), nullptr);
	EXPECT_EQ(fake::reports().size(), reports + 1); // the unlock's; nothing raised
	// The mapping the platform made is gone from the process again.
	EXPECT_FALSE(fake::user_mapping_live(fake::kUserMapBase));
	EXPECT_EQ(fake::user_unmaps(), 1u);
	EXPECT_EQ(fake::page_refs(kPfn), 0);
	IoFreeMdl(m);
}

TEST_F(RaceTest, UserMapRefusedWhenUnlockedBeforeItRegisters)
{
	PMDL m = Locked(kKernel, 2 * 4096);
	fake::during_next_check([&] { UnlockReporting(m, false); });
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
		      EXPECT_EQ(MapUser(m), nullptr));
	EXPECT_FALSE(fake::user_mapping_live(fake::kUserMapBase)); // never made
	IoFreeMdl(m);
}

TEST_F(RaceTest, UserMapLeavesAFreedMdlAlone)
{
	PMDL m = Locked(kKernel, 4096);
	fake::during_next_map([&] {
		MmUnlockPages(m); // reported as abandoned
		IoFreeMdl(m);
	});
	EXPECT_EQ(MapUser(m), nullptr); // m is freed: ASan checks it is not read
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
}

TEST_F(RaceTest, UserMapAfterARaceWorksAgain)
{
	PMDL m = Locked(kKernel, 4096);
	fake::during_next_map([&] { MmUnlockPages(m); });
	EXPECT_EQ(MapUser(m), nullptr);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	PVOID va = nullptr;
	EXPECT_NO_REPORT(va = MapUser(m));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(MmshimUserMappingCount(), 1u);
	MmUnmapLockedPages(va, m);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

// ---- reserved mappings ---------------------------------------------------------

TEST_F(RaceTest, ReservedMapAbandonedWhenUnlockedWhileMapping)
{
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	ASSERT_NE(base, nullptr);
	PMDL m = Locked(kVmalloc, 3 * 4096);
	fake::during_next_map([&] {
		// The entries are written at this point.
		EXPECT_EQ(fake::reserve_pte(reinterpret_cast<uptr>(base)), 0x900u);
		UnlockReporting(m, true);
	});
	const size_t reports = fake::reports().size();
	EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), nullptr);
	EXPECT_EQ(fake::reports().size(), reports + 1); // the unlock's
	ExpectReservationEmpty(base, 4);
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	// The reservation is empty again: it maps and is freed normally.
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	PVOID va = nullptr;
	EXPECT_NO_REPORT(va = MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached));
	EXPECT_EQ(va, base);
	EXPECT_NO_REPORT(MmUnmapReservedMapping(base, kTag, m));
	EXPECT_NO_REPORT(MmFreeMappingAddress(base, kTag));
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(RaceTest, ReservedMapRefusedWhenUnlockedBeforeItRegisters)
{
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	ASSERT_NE(base, nullptr);
	PMDL m = Locked(kVmalloc, 2 * 4096);
	const auto maps = fake::reserve_maps();
	fake::during_next_check([&] { UnlockReporting(m, false); });
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), nullptr));
	EXPECT_EQ(fake::reserve_maps(), maps); // nothing written
	ExpectReservationEmpty(base, 4);
	EXPECT_NO_REPORT(MmFreeMappingAddress(base, kTag)); // empty, not "still mapped"
	IoFreeMdl(m);
}

TEST_F(RaceTest, ReservedMapLeavesAFreedMdlAlone)
{
	PVOID base = MmAllocateMappingAddress(4096, kTag);
	ASSERT_NE(base, nullptr);
	PMDL m = Locked(kVmalloc, 4096);
	fake::during_next_map([&] {
		MmUnlockPages(m);
		IoFreeMdl(m);
	});
	EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), nullptr);
	ExpectReservationEmpty(base, 1);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
	MmFreeMappingAddress(base, kTag);
}

// ---- system mappings: unlocked before the mapping is registered --------------

TEST_F(RaceTest, SystemMapRefusedWhenUnlockedBeforeItRegisters)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	fake::during_next_check([&] { UnlockReporting(m, false); });
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
		      EXPECT_EQ(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr));
	EXPECT_FALSE(m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED));
	IoFreeMdl(m);
}

TEST_F(RaceTest, LinearMapRefusedWhenUnlockedBeforeItIsMarked)
{
	PMDL m = Locked(kKernel, 2 * 4096); // contiguous: the linear map, no record
	fake::during_next_check([&] { UnlockReporting(m, false); });
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
		      EXPECT_EQ(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr));
	EXPECT_FALSE(m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED));
	IoFreeMdl(m);
}

TEST_F(RaceTest, FreePagesBeforeTheMapRegistersIsNoticed)
{
	fake::set_kernel_space_start(fake::kHostKernelSpaceStart); // ExFreePool of host heap blocks
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	ASSERT_NE(base, nullptr);
	PMDL m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 2 * 4096, MmCached, 0);
	ASSERT_NE(m, nullptr);
	fake::during_next_check([&] { EXPECT_NO_REPORT(MmFreePagesFromMdl(m)); });
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), nullptr));
	ExpectReservationEmpty(base, 4);
	EXPECT_EQ(MmshimAllocatedPageCount(), 0u);
	ExFreePool(m);
	MmFreeMappingAddress(base, kTag);
}

// ---- reserved mappings and memory types ------------------------------------------

TEST_F(RaceTest, ReservedMapUsesThePagesOwnMemoryType)
{
	fake::set_kernel_space_start(fake::kHostKernelSpaceStart); // ExFreePool of host heap blocks
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	ASSERT_NE(base, nullptr);
	for (auto type : {MmNonCached, MmWriteCombined}) {
		PMDL m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 3 * 4096, type, 0);
		ASSERT_NE(m, nullptr);
		const unsigned want = type == MmNonCached ? MMSHIM_CACHE_UC : MMSHIM_CACHE_WC;
		// Asked cached: still mapped with the pages' type (no cached alias).
		PVOID va = nullptr;
		EXPECT_NO_REPORT(va = MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached));
		EXPECT_EQ(va, base);
		EXPECT_EQ(fake::reserve_cache(), want);
		EXPECT_EQ(fake::reserve_pte(reinterpret_cast<uptr>(base)), MmGetMdlPfnArray(m)[0]);
		MmUnmapReservedMapping(base, kTag, m);
		MmFreePagesFromMdl(m);
		ExFreePool(m);
	}
	// Write-back pages asked non-cached stay write-back (one type per page).
	PMDL m = Locked(kVmalloc, 2 * 4096);
	EXPECT_NO_REPORT(EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmNonCached), base));
	EXPECT_EQ(fake::reserve_cache(), unsigned(MMSHIM_CACHE_WB));
	MmUnmapReservedMapping(base, kTag, m);
	// An invalid CacheType is refused, as by MmMapLockedPagesSpecifyCache.
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmMaximumCacheType), nullptr));
	MmUnlockPages(m);
	IoFreeMdl(m);
	MmFreeMappingAddress(base, kTag);
}

TEST_F(RaceTest, ReservedMapRefusesMixedMemoryTypesAndDeviceFrames)
{
	fake::set_kernel_space_start(fake::kHostKernelSpaceStart); // ExFreePool of host heap blocks
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	ASSERT_NE(base, nullptr);
	PMDL uc = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 4096, MmNonCached, 0);
	ASSERT_NE(uc, nullptr);
	// A hand-built MDL: one uncached page, one write-back page.
	alignas(8) unsigned char storage[sizeof(MDL) + 2 * sizeof(PFN_NUMBER)];
	auto *mixed = reinterpret_cast<PMDL>(storage);
	MmInitializeMdl(mixed, reinterpret_cast<PVOID>(0x10000), 2 * 4096);
	mixed->MdlFlags |= MDL_PAGES_LOCKED;
	MmGetMdlPfnArray(mixed)[0] = MmGetMdlPfnArray(uc)[0];
	MmGetMdlPfnArray(mixed)[1] = kPfn;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, mixed, MmCached), nullptr));
	// Device frames: MmMapIoSpace's business.
	fake::add_io_pfn(0xfe000);
	MmGetMdlPfnArray(mixed)[0] = 0xfe000;
	MmGetMdlPfnArray(mixed)[1] = 0xfe001;
	fake::add_io_pfn(0xfe001);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, mixed, MmNonCached), nullptr));
	ExpectReservationEmpty(base, 4);
	MmFreePagesFromMdl(uc);
	ExFreePool(uc);
	MmFreeMappingAddress(base, kTag);
}

} // namespace
