// SPDX-License-Identifier: GPL-2.0
// hostile_frames_test.cpp - device frames a driver wrote into an MDL that no
// CPU can address (beyond the physical address limit, or so large that
// PFN << PAGE_SHIFT wraps) are refused before ioremap or the user-mapping
// glue sees them. The KUnit suite mmshim_hostile covers the same on real
// kernels (where ioremap would WARN or map the wrapped RAM address).
#include "test_support.h"
#include "fake_physmem.h"

using namespace mmshim_test;

namespace {

class HostileFramesTest : public CoreTest {
protected:
	// A hand-built MDL (driver storage) of `n` device frames from `first`,
	// marked as I/O space, "locked" by hand as drivers do for device memory.
	PMDL Hand(unsigned long long first, unsigned n)
	{
		MmInitializeMdl(&mdl_.m, nullptr, n * 4096);
		for (unsigned i = 0; i < n; i++) {
			mdl_.pfn[i] = first + i;
			fake::add_io_pfn(first + i);
		}
		mdl_.m.MdlFlags |= MDL_PAGES_LOCKED | MDL_IO_SPACE;
		return &mdl_.m;
	}
	struct {
		MDL m;
		PFN_NUMBER pfn[4];
	} mdl_{};
	// fake_physmem: the CPU addresses 2^46 bytes.
	static constexpr unsigned long long kLimitPfn = (1ULL << 46) >> 12;
};

TEST_F(HostileFramesTest, DeviceFramesBeyondThePhysicalLimitAreRefused)
{
	const unsigned long long firsts[] = {
		kLimitPfn,                    // the first frame past the limit
		kLimitPfn - 1,                // the second frame crosses it
		1ULL << 50,                   // far beyond
		(1ULL << 52) + 0x100,         // PFN << 12 wraps to 0x100000 (RAM)
		~0ULL - 1,                    // the largest
	};
	for (unsigned long long first : firsts) {
		SCOPED_TRACE(first);
		PMDL m = Hand(first, 2);
		EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS, [&] {
			EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, nullptr, FALSE,
							       NormalPagePriority),
				  nullptr);
		}));
		EXPECT_EQ(fake::live_ioremaps(), 0u);
		EXPECT_EQ(MmshimMappedMdlCount(), 0u);
		EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
		fake::set_current_process(reinterpret_cast<void *>(0x1000));
		EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS, [&] {
			EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, UserMode, MmNonCached, nullptr, FALSE,
							       NormalPagePriority),
				  nullptr);
		}));
		fake::set_current_process(nullptr);
		EXPECT_EQ(MmshimUserMappingCount(), 0u);
	}
	// The frames just below the limit are still device memory to map.
	PMDL m = Hand(kLimitPfn - 2, 2);
	PVOID va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, nullptr, FALSE, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(fake::live_ioremaps(), 1u);
	MmUnmapLockedPages(va, m);
	EXPECT_EQ(fake::live_ioremaps(), 0u);
}

} // namespace
