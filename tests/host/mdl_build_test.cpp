// SPDX-License-Identifier: GPL-2.0
// mdl_build_test.cpp - MmBuildMdlForNonPagedPool over fake kernel ranges:
// the PFN array, the flags, and every way the call must be refused.
#include <cstring>
#include <vector>

#include "test_support.h"

namespace {

using namespace mmshim_test;

constexpr ULONG_PTR kDirect = 0xffff888000100000UL; // 8 pages, pfn 0x1000...
constexpr ULONG_PTR kVmalloc = 0xffffc90000200000UL;
const std::vector<unsigned long long> kScattered = {0x9000, 0x17, 0x4444, 0x123456, 0x2, 0x777};

class MdlBuildTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::map_direct(kDirect, 8 * PAGE_SIZE, 0x1000);
		fake::map_vmalloc(kVmalloc, kScattered);
	}
};

PVOID Va(ULONG_PTR va)
{
	return reinterpret_cast<PVOID>(va);
}

// What a refused build must leave alone.
void ExpectSameHeader(const MDL &before, const MDL *m)
{
	EXPECT_EQ(std::memcmp(&before, m, sizeof(MDL)), 0) << "the MDL header was modified";
}

TEST_F(MdlBuildTest, DirectMapGivesConsecutiveFrames)
{
	PMDL m = IoAllocateMdl(Va(kDirect + 100), 4 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(MmGetMdlPfnArray(m)[i], 0x1000u + i) << "page " << i;
	EXPECT_EQ(m->MdlFlags, MDL_ALLOCATED_FIXED_SIZE | MDL_SOURCE_IS_NONPAGED_POOL);
	EXPECT_EQ(m->MappedSystemVa, Va(kDirect + 100));
	EXPECT_EQ(m->Process, nullptr);
	EXPECT_EQ(m->ByteCount, 4 * PAGE_SIZE);
	EXPECT_EQ(m->ByteOffset, 100U);
	// MmGetSystemAddressForMdlSafe takes the MappedSystemVa branch.
	EXPECT_EQ(m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL),
		  MDL_SOURCE_IS_NONPAGED_POOL);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, VmallocFramesAreLookedUpPerPage)
{
	PMDL m = IoAllocateMdl(Va(kVmalloc), 6 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	for (size_t i = 0; i < kScattered.size(); i++)
		EXPECT_EQ(MmGetMdlPfnArray(m)[i], kScattered[i]) << "page " << i;
	EXPECT_TRUE(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	EXPECT_FALSE(m->MdlFlags & MDL_IO_SPACE);
	EXPECT_EQ(m->MappedSystemVa, Va(kVmalloc));
	IoFreeMdl(m);

	// From the middle of a page: pages 1..3 of the area.
	m = IoAllocateMdl(Va(kVmalloc + PAGE_SIZE + 10), 2 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	MmBuildMdlForNonPagedPool(m);
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], 0x17u);
	EXPECT_EQ(MmGetMdlPfnArray(m)[1], 0x4444u);
	EXPECT_EQ(MmGetMdlPfnArray(m)[2], 0x123456u);
	EXPECT_EQ(m->MappedSystemVa, Va(kVmalloc + PAGE_SIZE + 10));
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, OnlyTheSpannedPagesAreWritten)
{
	PMDL m = IoAllocateMdl(Va(kDirect + PAGE_SIZE - 1), 2, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	PFN_NUMBER *pfns = MmGetMdlPfnArray(m);
	for (int i = 0; i < 23; i++)
		pfns[i] = 0xabcdef;
	const unsigned long lookups = fake::kva_lookups();
	MmBuildMdlForNonPagedPool(m);
	EXPECT_EQ(fake::kva_lookups() - lookups, 2u);
	EXPECT_EQ(pfns[0], 0x1000u);
	EXPECT_EQ(pfns[1], 0x1001u);
	for (int i = 2; i < 23; i++)
		EXPECT_EQ(pfns[i], 0xabcdefu) << i;
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, LargeHeapMdl)
{
	// 40 pages spanning the direct range and unmapped space would fail; map
	// a big direct range instead.
	constexpr ULONG_PTR big = 0xffff888040000000UL;
	fake::map_direct(big, 40 * PAGE_SIZE, 0x80000);
	PMDL m = IoAllocateMdl(Va(big), 40 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_FALSE(m->MdlFlags & MDL_ALLOCATED_FIXED_SIZE);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	for (int i = 0; i < 40; i++)
		EXPECT_EQ(MmGetMdlPfnArray(m)[i], 0x80000u + i);
	EXPECT_EQ(m->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, NonRamFrameSetsIoSpace)
{
	fake::add_io_pfn(0x4444); // page 2 of the vmalloc range: e.g. an ioremap
	PMDL m = IoAllocateMdl(Va(kVmalloc), 6 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	EXPECT_TRUE(m->MdlFlags & MDL_IO_SPACE);
	EXPECT_TRUE(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	EXPECT_EQ(MmGetMdlPfnArray(m)[2], 0x4444u);
	IoFreeMdl(m);

	// Pages 0 and 1 only: all RAM.
	m = IoAllocateMdl(Va(kVmalloc), 2 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	MmBuildMdlForNonPagedPool(m);
	EXPECT_FALSE(m->MdlFlags & MDL_IO_SPACE);
	EXPECT_TRUE(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, StackBufferRefused)
{
	alignas(16) char stack_buf[64];
	const auto va = reinterpret_cast<ULONG_PTR>(stack_buf);
	fake::set_kernel_space_start(fake::kHostKernelSpaceStart);
	fake::map_stack(va & ~(ULONG_PTR)(PAGE_SIZE - 1), 2 * PAGE_SIZE);
	PMDL m = IoAllocateMdl(stack_buf, sizeof(stack_buf), FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	const MDL before = *m;
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_STACK_BUFFER, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[1], va & ~(ULONG_PTR)(PAGE_SIZE - 1));
	EXPECT_EQ(r.params[2], 0u);
	EXPECT_EQ(r.routine, "MmBuildMdlForNonPagedPool");
	EXPECT_FALSE(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	ExpectSameHeader(before, m);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, UnmappedPageRefusedWithHeaderUnchanged)
{
	// Page 6 of the vmalloc area is its unmapped guard page.
	PMDL m = IoAllocateMdl(Va(kVmalloc + 5 * PAGE_SIZE), 2 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	const MDL before = *m;
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[1], kVmalloc + 6 * PAGE_SIZE);
	EXPECT_EQ(r.params[2], 1u); // page index
	ExpectSameHeader(before, m);
	IoFreeMdl(m);

	// A kernel address mapped nowhere at all.
	m = IoAllocateMdl(Va(0x8000000000000000UL), 100, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	const MDL before2 = *m;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[1], 0x8000000000000000UL);
	EXPECT_EQ(r.params[2], 0u);
	ExpectSameHeader(before2, m);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, UserAddressRefused)
{
	fake::set_kernel_space_start(fake::kLinuxKernelSpaceStart);
	// Even if the fake could resolve it, a user address is not pool.
	fake::map_direct(0x10000, PAGE_SIZE, 0x50);
	PMDL m = IoAllocateMdl(Va(0x10000), 100, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	const MDL before = *m;
	const unsigned long lookups = fake::kva_lookups();
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[1], 0x10000u);
	EXPECT_EQ(fake::kva_lookups(), lookups) << "user address passed to the platform";
	ExpectSameHeader(before, m);
	IoFreeMdl(m);

	// Host heap memory is "user" when kernel space starts where Linux's does.
	alignas(16) static char heap_like[100];
	m = IoAllocateMdl(heap_like, sizeof(heap_like), FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NOT_NONPAGED_MEMORY,
		      MmBuildMdlForNonPagedPool(m));
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, NullRefused)
{
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      MmBuildMdlForNonPagedPool(nullptr));
}

TEST_F(MdlBuildTest, CorruptHeaderRefused)
{
	PMDL m = IoAllocateMdl(Va(kDirect), 100, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	fake::Report r;

	m->StartVa = Va(kDirect + 8); // not page aligned
	MDL before = *m;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(m));
	EXPECT_EQ(r.params[2], kDirect + 8);
	ExpectSameHeader(before, m);

	m->StartVa = Va(kDirect);
	m->ByteOffset = PAGE_SIZE; // past the page
	before = *m;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[3], static_cast<ULONG_PTR>(PAGE_SIZE));
	ExpectSameHeader(before, m);

	m->StartVa = Va(0xfffffffffffff000UL); // the range wraps
	m->ByteOffset = 0x800;
	m->ByteCount = 0x1000;
	before = *m;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_CORRUPT,
		      MmBuildMdlForNonPagedPool(m));
	ExpectSameHeader(before, m);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, RangeEndingAtTopOfAddressSpace)
{
	// IoAllocateMdl accepts a range whose last byte is the last byte of the
	// address space; MmBuildMdlForNonPagedPool must agree it is well formed.
	fake::map_direct(0xfffffffffffff000UL, PAGE_SIZE, 0x77);
	PMDL m = IoAllocateMdl(Va(0xfffffffffffff000UL), PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], 0x77u);
	EXPECT_TRUE(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	IoFreeMdl(m);

	m = IoAllocateMdl(Va(0xffffffffffffff00UL), 0x100, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], 0x77u);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, ByteCountBeyondAllocatedCapacityRefused)
{
	// A fixed-size MDL holds 23 PFNs, whatever the driver writes in Size.
	PMDL m = IoAllocateMdl(Va(kDirect), 100, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	m->ByteCount = 30 * PAGE_SIZE;
	m->Size = 0x7fff; // lying about the size does not help
	const MDL before = *m;
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(m));
	EXPECT_EQ(r.params[2], 30u); // pages needed
	EXPECT_EQ(r.params[3], 23u); // pages the MDL holds
	ExpectSameHeader(before, m);
	IoFreeMdl(m);

	// A heap MDL holds exactly what it was allocated for.
	m = IoAllocateMdl(Va(kDirect), 30 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	m->ByteCount = 31 * PAGE_SIZE;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[3], 30u);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, AllocatedCapacityWinsOverARewrittenSize)
{
	// The driver shrank Size, but the storage really holds 23 entries.
	PMDL m = IoAllocateMdl(Va(kDirect), 100, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	m->ByteCount = 3 * PAGE_SIZE;
	m->Size = sizeof(MDL);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(MmGetMdlPfnArray(m)[2], 0x1002u);
	IoFreeMdl(m);
}

TEST_F(MdlBuildTest, HandBuiltMdlCapacityComesFromSize)
{
	// Room for the header and one PFN, then canaries (all in one buffer, so
	// only the core's own check can stop an overrun).
	alignas(16) unsigned char store[sizeof(MDL) + 4 * sizeof(PFN_NUMBER)] = {};
	MDL *m = reinterpret_cast<MDL *>(store);
	PFN_NUMBER *canary = reinterpret_cast<PFN_NUMBER *>(store + sizeof(MDL) + sizeof(PFN_NUMBER));
	MmInitializeMdl(m, Va(kDirect), 3 * PAGE_SIZE);
	m->Size = sizeof(MDL) + sizeof(PFN_NUMBER);
	canary[0] = canary[1] = canary[2] = 0x5a5a5a5a5a5a5a5aUL;
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[2], 3u);
	EXPECT_EQ(r.params[3], 1u);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(canary[i], 0x5a5a5a5a5a5a5a5aUL) << i;
	EXPECT_EQ(m->MdlFlags, 0);

	// Size below the header: no room at all.
	m->Size = 16;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL, &r,
			  MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(r.params[3], 0u);

	// With Size as MmInitializeMdl set it, exactly three entries are written.
	MmInitializeMdl(m, Va(kDirect), 3 * PAGE_SIZE);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], 0x1000u);
	EXPECT_EQ(MmGetMdlPfnArray(m)[2], 0x1002u);
	EXPECT_EQ(canary[2], 0x5a5a5a5a5a5a5a5aUL);
	EXPECT_EQ(m->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
}

TEST_F(MdlBuildTest, HandBuiltZeroLengthMdl)
{
	alignas(16) unsigned char store[sizeof(MDL) + sizeof(PFN_NUMBER)] = {};
	MDL *m = reinterpret_cast<MDL *>(store);
	MmInitializeMdl(m, Va(kDirect + 64), 0);
	EXPECT_EQ(m->Size, static_cast<CSHORT>(sizeof(MDL) + sizeof(PFN_NUMBER)));
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	EXPECT_TRUE(m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
	EXPECT_EQ(m->MappedSystemVa, Va(kDirect + 64));

	// Page aligned and empty: no page at all, so no room needed.
	alignas(16) MDL bare{};
	MmInitializeMdl(&bare, Va(kDirect), 0);
	EXPECT_EQ(bare.Size, static_cast<CSHORT>(sizeof(MDL)));
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(&bare));
	EXPECT_EQ(bare.MappedSystemVa, Va(kDirect));
}

TEST_F(MdlBuildTest, BuildOverPoolMemory)
{
	// Pool blocks live on the host heap: describe them as a direct range.
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 3 * PAGE_SIZE, Tag("Mdlt"));
	ASSERT_NE(p, nullptr);
	const auto va = reinterpret_cast<ULONG_PTR>(p);
	const ULONG_PTR page = va & ~(ULONG_PTR)(PAGE_SIZE - 1);
	fake::map_direct(page, 4 * PAGE_SIZE, 0x3000);
	PMDL m = IoAllocateMdl(p, 3 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	const ULONG_PTR pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(p, 3 * PAGE_SIZE);
	for (ULONG_PTR i = 0; i < pages; i++)
		EXPECT_EQ(MmGetMdlPfnArray(m)[i], 0x3000u + i);
	EXPECT_EQ(m->MappedSystemVa, p);
	IoFreeMdl(m);
	ExFreePoolWithTag(p, Tag("Mdlt"));
}

TEST_F(MdlBuildTest, AtomicContextBuild)
{
	fake::set_may_sleep(false);
	PMDL m = IoAllocateMdl(Va(kDirect), 2 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	EXPECT_NO_REPORT(MmBuildMdlForNonPagedPool(m));
	EXPECT_EQ(MmGetMdlPfnArray(m)[1], 0x1001u);
	IoFreeMdl(m);
}

} // namespace
