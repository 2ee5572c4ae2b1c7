// SPDX-License-Identifier: GPL-2.0
// pagealloc_robust_test.cpp - page allocation when memory runs short, on the
// fake platform: the PFN array of a partial MDL is bounded by what was found
// (issue 10 item 7), allocation never leaves pages behind when the MDL
// itself cannot be allocated (item 11), and physical windows (item 13).
#include "test_support.h"
#include "fake_physmem.h"

#include <ntddk.h>

#include <vector>

using namespace mmshim_test;

namespace {

class PageAllocRobustTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::physmem_reset();
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		EXPECT_EQ(fake::live_pages(), 0u) << "pages leaked";
		fake::physmem_reset();
	}
};

// 3 of 8 pages found: the MDL's PFN array has 3 entries. A driver that sets
// ByteCount back to 8 pages gets a "too small" report from every mapping
// routine, not a read past the pool block (ASan sees it: pool blocks are
// exactly their size on the fake platform).
TEST_F(PageAllocRobustTest, PartialMdlCapacityIsWhatWasFound)
{
	fake::fail_pages_after(3);
	PMDL m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 8 * 4096, MmCached, 0);
	ASSERT_NE(m, nullptr);
	ASSERT_EQ(m->ByteCount, 3u * 4096);
	m->ByteCount = 8 * 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE,
							     NormalPagePriority),
				nullptr));
	m->ByteCount = 4 * 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      EXPECT_EQ(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr));
	// What was found still maps.
	m->ByteCount = 3 * 4096;
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	EXPECT_NE(va, nullptr);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	EXPECT_EQ(MmshimAllocatedPageCount(), 0u);
}

// ---- issue 10 item 11: never more than the spare pages, and a partial MDL
// rather than none when the MDL itself cannot be allocated -----------------

TEST_F(PageAllocRobustTest, MoreThanMemoryGivesAPartialMdlAndLeavesTheRest)
{
	fake::set_spare_pages(100);
	PMDL m = MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), SIZE_T(1) << 31);
	ASSERT_NE(m, nullptr);
	// All that may be spared but room for the PFN arrays (a page or so).
	EXPECT_LE(m->ByteCount, 100u * 4096);
	EXPECT_GE(m->ByteCount, 95u * 4096);
	EXPECT_EQ(fake::live_pages(), m->ByteCount / 4096);
	// Nothing left to spare: NULL, at once, without a report.
	const auto calls = fake::page_alloc_calls();
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), 4096), nullptr));
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocateContiguousMemory(4096, Pa(~0ULL)), nullptr));
	EXPECT_EQ(fake::page_alloc_calls(), calls);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	// All or nothing, more than there is: nothing, nothing taken.
	EXPECT_EQ(MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 101 * 4096, MmCached, MM_ALLOCATE_FULLY_REQUIRED),
		  nullptr);
	EXPECT_EQ(fake::live_pages(), 0u);
	EXPECT_EQ(MmshimAllocatedPageCount(), 0u);
}

TEST_F(PageAllocRobustTest, MdlAllocationFailureGivesPagesBack)
{
	// The record (1st allocation) succeeds, the MDL's pool block fails
	// twice: pages are given back until it fits; a partial MDL results.
	fake::fail_allocs(1, 2);
	PMDL m = MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), 64 * 4096);
	ASSERT_NE(m, nullptr);
	EXPECT_GT(m->ByteCount, 0u);
	EXPECT_LT(m->ByteCount, 64u * 4096);
	EXPECT_EQ(fake::live_pages(), m->ByteCount / 4096);
	EXPECT_EQ(MmshimAllocatedPageCount(), m->ByteCount / 4096);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	// Contiguous chunks are given back whole.
	fake::fail_allocs(1, 1);
	m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(4 * 4096), 64 * 4096, MmCached,
				    MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->ByteCount % (4 * 4096), 0u);
	EXPECT_LT(m->ByteCount, 64u * 4096);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	// All or nothing: nothing.
	fake::fail_allocs(1, 1);
	EXPECT_EQ(MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 8 * 4096, MmCached, MM_ALLOCATE_FULLY_REQUIRED),
		  nullptr);
	EXPECT_EQ(fake::live_pages(), 0u);
}

// ---- issue 10 item 13: a physical window in the middle of RAM ---------------

// The fake allocator hands out frames upwards from 0x1000; the window starts
// 256 MiB higher (0xf000 frames, far more than any fixed budget of held
// frames): the probe reaches it with large blocks and holds them whole.
TEST_F(PageAllocRobustTest, WindowInTheMiddleOfRamIsFound)
{
	const unsigned long long lo = 0x10000ULL << 12, hi = (0x11000ULL << 12) - 1; // 256 MiB .. +16 MiB
	PMDL m = MmAllocatePagesForMdl(Pa(lo), Pa(hi), Pa(0), 16 * 4096);
	ASSERT_NE(m, nullptr);
	ASSERT_EQ(m->ByteCount, 16u * 4096);
	for (int i = 0; i < 16; i++) {
		const unsigned long long pa = MmGetMdlPfnArray(m)[i] << 12;
		EXPECT_TRUE(pa >= lo && pa + 4095 <= hi) << std::hex << pa;
	}
	EXPECT_EQ(fake::live_pages(), 16u); // what was held aside went back
	EXPECT_LT(fake::page_alloc_calls(), 4096u + 1000u); // 4096 frames, then 4 MiB blocks
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	ASSERT_EQ(fake::live_pages(), 0u);
	fake::physmem_reset(); // the fake allocator never goes back down: start again
	// Contiguous memory in such a window (a 2-page block, 64 KiB boundary).
	auto *p = static_cast<PUCHAR>(
		MmAllocateContiguousMemorySpecifyCache(2 * 4096, Pa(lo), Pa(hi), Pa(0x10000), MmCached));
	ASSERT_NE(p, nullptr);
	const unsigned long long pa = reinterpret_cast<ULONG_PTR>(p) - fake::kLinearBase;
	EXPECT_TRUE(pa >= lo && pa + 2 * 4096 - 1 <= hi) << std::hex << pa;
	EXPECT_EQ(fake::live_pages(), 2u);
	MmFreeContiguousMemory(p);
	ASSERT_EQ(fake::live_pages(), 0u);
	fake::physmem_reset();
	// Contiguous chunks in the window.
	m = MmAllocatePagesForMdlEx(Pa(lo), Pa(hi), Pa(8 * 4096), 32 * 4096, MmCached,
				    MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
	ASSERT_NE(m, nullptr);
	ASSERT_EQ(m->ByteCount, 32u * 4096);
	for (int i = 0; i < 32; i++) {
		const unsigned long long f = MmGetMdlPfnArray(m)[i];
		EXPECT_TRUE(f >= 0x10000 && f < 0x11000);
		EXPECT_EQ(f, MmGetMdlPfnArray(m)[i & ~7] + (i & 7));
	}
	EXPECT_EQ(MmGetMdlPfnArray(m)[0] % 8, 0u);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	EXPECT_EQ(fake::live_pages(), 0u);
}

TEST_F(PageAllocRobustTest, WindowWithoutRamIsNullAtOnce)
{
	fake::set_ram_end(0x80000); // 2 GiB of RAM
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocatePagesForMdl(Pa(4ULL << 30), Pa(~0ULL), Pa(0), 4096), nullptr));
	EXPECT_NO_REPORT(EXPECT_EQ(
		MmAllocateContiguousMemorySpecifyCache(4096, Pa(4ULL << 30), Pa(~0ULL), Pa(0), MmCached), nullptr));
	EXPECT_EQ(fake::page_alloc_calls(), 0u);
	// Below 4 GiB still works.
	PMDL m = MmAllocatePagesForMdl(Pa(0), Pa(0xffffffffULL), Pa(0), 4 * 4096);
	ASSERT_NE(m, nullptr);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
}

// A window whose free frames are out of reach (here: past what may be
// spared): the probe stops at the floor, holds nothing afterwards, NULL.
TEST_F(PageAllocRobustTest, WindowOutOfReachStopsAtTheFloor)
{
	fake::set_spare_pages(5000);
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocatePagesForMdl(Pa(0x40000ULL << 12), Pa((0x41000ULL << 12) - 1), Pa(0),
							 4096),
				   nullptr));
	EXPECT_EQ(fake::live_pages(), 0u);
	EXPECT_LT(fake::page_alloc_calls(), 4096u + 200u);
}

} // namespace
