// SPDX-License-Identifier: GPL-2.0
// mmcopy_test.cpp - MmCopyMemory, MmGetVirtualForPhysical,
// MmIsNonPagedSystemAddressValid, MmGetPhysicalMemoryRanges and the NUMA
// node / cache variants of page allocation on the fake platform: page-at-a-
// time reads with exact partial counts, device memory never read, user
// memory only from a process, ranges merged and terminated, nodes passed
// down (or dropped) as documented, and every bad input with its report.
#include "test_support.h"
#include "fake_physmem.h"
#include "fake_mmcopy.h"
#include "mmcopy_header_check.h"

#include <ntddk.h>

#include <vector>

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

constexpr uptr kKernelVa = 0xffff888000100000ULL; // linear map of frames 0x100...
constexpr unsigned long long kKernelPfn = 0x100;
constexpr unsigned long long kIoPfn = 0xfe000;

class MmCopyTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::physmem_reset();
		fake::mmcopy_reset();
		fake::map_direct(kKernelVa, 8 * 4096, kKernelPfn);
		for (unsigned long long pfn = kIoPfn; pfn < kIoPfn + 4; pfn++)
			fake::add_io_pfn(pfn);
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		EXPECT_EQ(fake::live_pages(), 0u) << "pages leaked";
		fake::physmem_reset();
		fake::mmcopy_reset();
	}

	static MM_COPY_ADDRESS Virt(uptr va)
	{
		MM_COPY_ADDRESS a;
		a.VirtualAddress = reinterpret_cast<PVOID>(va);
		return a;
	}
	static MM_COPY_ADDRESS Phys(unsigned long long pa)
	{
		MM_COPY_ADDRESS a;
		a.PhysicalAddress.QuadPart = static_cast<LONGLONG>(pa);
		return a;
	}
};

// ---- MmCopyMemory, virtual ------------------------------------------------------

TEST_F(MmCopyTest, KernelVirtualCopiesEveryByteAPageAtATime)
{
	std::vector<unsigned char> buf(3 * 4096 + 100, 0xee);
	const uptr src = kKernelVa + 0x234;
	SIZE_T done = 1;
	EXPECT_NO_REPORT(EXPECT_EQ(MmCopyMemory(buf.data(), Virt(src), 3 * 4096, MM_COPY_MEMORY_VIRTUAL, &done),
				   STATUS_SUCCESS));
	EXPECT_EQ(done, 3u * 4096);
	for (size_t i = 0; i < 3 * 4096; i++)
		ASSERT_EQ(buf[i], fake::kernel_byte(src + i)) << i;
	EXPECT_EQ(buf[3 * 4096], 0xee) << "wrote past NumberOfBytes";
	// 3 pages from offset 0x234 span 4 pages: 4 reads, none across a page.
	EXPECT_EQ(fake::copy_calls(), 4u);
}

TEST_F(MmCopyTest, KernelVirtualStopsAtTheFirstFaultingPageWithAnExactCount)
{
	std::vector<unsigned char> buf(4 * 4096);
	fake::fault_kernel_page(kKernelVa + 2 * 4096);
	SIZE_T done = 0;
	EXPECT_NO_REPORT(EXPECT_EQ(MmCopyMemory(buf.data(), Virt(kKernelVa + 0x800), 3 * 4096,
						MM_COPY_MEMORY_VIRTUAL, &done),
				   STATUS_ACCESS_VIOLATION));
	EXPECT_EQ(done, 4096u + 0x800) << "the bytes before the faulting page";
	for (size_t i = 0; i < done; i++)
		ASSERT_EQ(buf[i], fake::kernel_byte(kKernelVa + 0x800 + i)) << i;
}

TEST_F(MmCopyTest, UnmappedKernelAddressFailsWithNothingCopied)
{
	unsigned char buf[16];
	SIZE_T done = 7;
	const unsigned long calls = fake::copy_calls();
	EXPECT_NO_REPORT(EXPECT_EQ(MmCopyMemory(buf, Virt(0xffffc90012345000ULL), sizeof(buf),
						MM_COPY_MEMORY_VIRTUAL, &done),
				   STATUS_ACCESS_VIOLATION));
	EXPECT_EQ(done, 0u);
	EXPECT_EQ(fake::copy_calls(), calls) << "an unmapped address was read";
	// A range that runs off the end of the mapping: the mapped part only.
	std::vector<unsigned char> big(2 * 4096);
	EXPECT_EQ(MmCopyMemory(big.data(), Virt(kKernelVa + 7 * 4096), 2 * 4096, MM_COPY_MEMORY_VIRTUAL, &done),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(done, 4096u);
	// A range that wraps the address space.
	EXPECT_EQ(MmCopyMemory(big.data(), Virt(~uptr(0) - 10), 100, MM_COPY_MEMORY_VIRTUAL, &done),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(done, 0u);
}

TEST_F(MmCopyTest, KernelVirtualOfDeviceMemoryIsNeverRead)
{
	const uptr io_va = 0xffffc90000400000ULL;
	fake::map_vmalloc(io_va, {kKernelPfn + 20, kIoPfn});
	std::vector<unsigned char> buf(2 * 4096);
	SIZE_T done = 0;
	const unsigned long calls = fake::copy_calls();
	EXPECT_EQ(MmCopyMemory(buf.data(), Virt(io_va + 0x10), 2 * 4096 - 0x10, MM_COPY_MEMORY_VIRTUAL, &done),
		  STATUS_INVALID_ADDRESS);
	EXPECT_EQ(done, 4096u - 0x10) << "the RAM page before the device page";
	EXPECT_EQ(fake::copy_calls(), calls + 1);
}

TEST_F(MmCopyTest, UserVirtualComesFromTheCurrentProcess)
{
	// Linux's split, for this test only (pool frees of host heap blocks
	// need host addresses to count as kernel ones).
	fake::set_kernel_space_start(fake::kLinuxKernelSpaceStart);
	const uptr user = 0x7f0000001000ULL;
	std::vector<unsigned char> buf(2 * 4096);
	SIZE_T done = 0;
	EXPECT_EQ(MmCopyMemory(buf.data(), Virt(user + 5), 4096, MM_COPY_MEMORY_VIRTUAL, &done), STATUS_SUCCESS);
	EXPECT_EQ(done, 4096u);
	for (size_t i = 0; i < done; i++)
		ASSERT_EQ(buf[i], fake::user_byte(user + 5 + i)) << i;
	// copy_from_user stops mid-page: the count is exact to the byte.
	fake::fault_user_from(user + 4096 + 100);
	EXPECT_EQ(MmCopyMemory(buf.data(), Virt(user + 4000), 4096, MM_COPY_MEMORY_VIRTUAL, &done),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(done, 96u + 100u);
	// A kernel thread has no user address space.
	fake::set_current_process(nullptr);
	const unsigned long calls = fake::copy_calls();
	EXPECT_EQ(MmCopyMemory(buf.data(), Virt(user), 16, MM_COPY_MEMORY_VIRTUAL, &done), STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(done, 0u);
	EXPECT_EQ(fake::copy_calls(), calls);
	fake::set_current_process(reinterpret_cast<void *>(fake::kFakeProcess));
	fake::set_kernel_space_start(fake::kHostKernelSpaceStart);
}

// ---- MmCopyMemory, physical -----------------------------------------------------

TEST_F(MmCopyTest, PhysicalRamIsReadFrameByFrame)
{
	std::vector<unsigned char> buf(2 * 4096);
	const unsigned long long pa = (0x5000ULL << 12) + 0xff0;
	SIZE_T done = 0;
	EXPECT_NO_REPORT(EXPECT_EQ(MmCopyMemory(buf.data(), Phys(pa), 0x20, MM_COPY_MEMORY_PHYSICAL, &done),
				   STATUS_SUCCESS));
	EXPECT_EQ(done, 0x20u);
	for (size_t i = 0; i < done; i++)
		ASSERT_EQ(buf[i], fake::frame_byte(pa + i)) << i;
	EXPECT_EQ(fake::copy_calls(), 2u) << "0x20 bytes across a frame boundary are two reads";
	// A frame that cannot be read (not in the linear map): the frames before it.
	fake::fault_frame(0x5002);
	EXPECT_EQ(MmCopyMemory(buf.data(), Phys(0x5000ULL << 12), 2 * 4096 + 1, MM_COPY_MEMORY_PHYSICAL, &done),
		  STATUS_ACCESS_VIOLATION);
	EXPECT_EQ(done, 2u * 4096);
}

TEST_F(MmCopyTest, PhysicalDeviceMemoryAndAddressesBeyondTheCpuAreRefused)
{
	unsigned char buf[64];
	SIZE_T done = 9;
	const unsigned long calls = fake::copy_calls();
	EXPECT_EQ(MmCopyMemory(buf, Phys(kIoPfn << 12), sizeof(buf), MM_COPY_MEMORY_PHYSICAL, &done),
		  STATUS_INVALID_ADDRESS);
	EXPECT_EQ(done, 0u);
	// RAM running into device memory: the RAM part.
	EXPECT_EQ(MmCopyMemory(buf, Phys((kIoPfn << 12) - 16), sizeof(buf), MM_COPY_MEMORY_PHYSICAL, &done),
		  STATUS_INVALID_ADDRESS);
	EXPECT_EQ(done, 16u);
	const unsigned long calls_after_ram = fake::copy_calls();
	EXPECT_EQ(calls_after_ram, calls + 1);
	// RAM with a struct page that the resource tree does not call System RAM
	// (firmware tables): refused too.
	fake::set_ram_end(0x80000);
	EXPECT_EQ(MmCopyMemory(buf, Phys(0x80000ULL << 12), sizeof(buf), MM_COPY_MEMORY_PHYSICAL, &done),
		  STATUS_INVALID_ADDRESS);
	EXPECT_EQ(MmCopyMemory(buf, Phys(1ULL << 46), sizeof(buf), MM_COPY_MEMORY_PHYSICAL, &done),
		  STATUS_INVALID_ADDRESS);
	EXPECT_EQ(MmCopyMemory(buf, Phys(~0ULL - 5), sizeof(buf), MM_COPY_MEMORY_PHYSICAL, &done),
		  STATUS_INVALID_ADDRESS);
	EXPECT_EQ(fake::copy_calls(), calls_after_ram) << "device memory was read";
}

TEST_F(MmCopyTest, BadArgumentsAreReported)
{
	unsigned char buf[8];
	SIZE_T done = 5;
	EXPECT_NO_REPORT(EXPECT_EQ(MmCopyMemory(buf, Virt(kKernelVa), 0, MM_COPY_MEMORY_VIRTUAL, &done),
				   STATUS_SUCCESS));
	EXPECT_EQ(done, 0u);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmCopyMemory(buf, Virt(kKernelVa), 8, 0, &done), STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmCopyMemory(buf, Virt(kKernelVa), 8,
					     MM_COPY_MEMORY_VIRTUAL | MM_COPY_MEMORY_PHYSICAL, &done),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmCopyMemory(buf, Virt(kKernelVa), 8, 0x10 | MM_COPY_MEMORY_VIRTUAL, &done),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(done, 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmCopyMemory(nullptr, Virt(kKernelVa), 8, MM_COPY_MEMORY_VIRTUAL, &done),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmCopyMemory(buf, Virt(kKernelVa), 8, MM_COPY_MEMORY_VIRTUAL, nullptr),
				STATUS_INVALID_PARAMETER));
	// IRQL above APC_LEVEL: refused, nothing read.
	const unsigned long calls = fake::copy_calls();
	done = 3;
	fake::set_may_sleep(false);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      EXPECT_EQ(MmCopyMemory(buf, Virt(kKernelVa), 8, MM_COPY_MEMORY_VIRTUAL, &done),
				STATUS_UNSUCCESSFUL));
	fake::set_may_sleep(true);
	EXPECT_EQ(done, 0u);
	EXPECT_EQ(fake::copy_calls(), calls);
}

// ---- MmGetVirtualForPhysical, MmIsNonPagedSystemAddressValid -----------------------

TEST_F(MmCopyTest, VirtualForPhysicalIsTheLinearMapForRamOnly)
{
	const unsigned long long pa = (0x1234ULL << 12) + 0x56;
	EXPECT_EQ(reinterpret_cast<uptr>(MmGetVirtualForPhysical(Pa(pa))), fake::kLinearBase + pa);
	// Round trip with MmGetPhysicalAddress.
	EXPECT_EQ(static_cast<unsigned long long>(
			  MmGetPhysicalAddress(MmGetVirtualForPhysical(Pa((kKernelPfn << 12) + 0x777))).QuadPart),
		  (kKernelPfn << 12) + 0x777);
	EXPECT_EQ(MmGetVirtualForPhysical(Pa(kIoPfn << 12)), nullptr);
	fake::set_ram_end(0x80000);
	EXPECT_EQ(MmGetVirtualForPhysical(Pa(0x80000ULL << 12)), nullptr);
	EXPECT_EQ(MmGetVirtualForPhysical(Pa(1ULL << 46)), nullptr);
	EXPECT_EQ(MmGetVirtualForPhysical(Pa(~0ULL)), nullptr);
}

TEST_F(MmCopyTest, NonPagedSystemAddressValidMeansMappedKernelAddress)
{
	fake::set_kernel_space_start(fake::kLinuxKernelSpaceStart);
	EXPECT_TRUE(MmIsNonPagedSystemAddressValid(reinterpret_cast<PVOID>(fake::kLinearBase + 0x5000)));
	EXPECT_FALSE(MmIsNonPagedSystemAddressValid(reinterpret_cast<PVOID>(0x7f0000001000ULL)));
	EXPECT_FALSE(MmIsNonPagedSystemAddressValid(nullptr));
	EXPECT_FALSE(MmIsNonPagedSystemAddressValid(reinterpret_cast<PVOID>(0xffffc90012345000ULL)));
	fake::set_kernel_space_start(fake::kHostKernelSpaceStart);
}

// ---- MmGetPhysicalMemoryRanges -----------------------------------------------------

TEST_F(MmCopyTest, PhysicalMemoryRangesAreMergedTerminatedAndPoolFreed)
{
	fake::set_ram_ranges({{0x1, 0x9e}, {0x100, 0x100}, {0x200, 0x300}, {0x1000, 0x10}});
	const SIZE_T blocks = PoolBlocks();
	PPHYSICAL_MEMORY_RANGE r = nullptr;
	EXPECT_NO_REPORT(r = MmGetPhysicalMemoryRanges());
	ASSERT_NE(r, nullptr);
	EXPECT_EQ(PoolBlocks(), blocks + 1);
	EXPECT_EQ(r[0].BaseAddress.QuadPart, 0x1000);
	EXPECT_EQ(r[0].NumberOfBytes.QuadPart, 0x9e000);
	EXPECT_EQ(r[1].BaseAddress.QuadPart, 0x100000) << "touching ranges are one";
	EXPECT_EQ(r[1].NumberOfBytes.QuadPart, 0x400000);
	EXPECT_EQ(r[2].BaseAddress.QuadPart, 0x1000000);
	EXPECT_EQ(r[2].NumberOfBytes.QuadPart, 0x10000);
	EXPECT_EQ(r[3].BaseAddress.QuadPart, 0);
	EXPECT_EQ(r[3].NumberOfBytes.QuadPart, 0);
	EXPECT_NO_REPORT(ExFreePool(r));
	EXPECT_EQ(PoolBlocks(), blocks);
}

TEST_F(MmCopyTest, PhysicalMemoryRangesSurviveHotPlugAndFailCleanly)
{
	// Ranges added between the count and the fetch beyond the slack: fetched again.
	fake::grow_ram_ranges_before_fetch(10);
	PPHYSICAL_MEMORY_RANGE r = MmGetPhysicalMemoryRanges();
	ASSERT_NE(r, nullptr);
	size_t n = 0;
	while (r[n].NumberOfBytes.QuadPart)
		n++;
	EXPECT_EQ(n, 4u + 10u);
	EXPECT_EQ(fake::ram_range_calls(), 3u);
	ExFreePool(r);
	// No memory for the scratch array, or for the pool block: NULL, nothing kept.
	fake::fail_next_allocs(1);
	EXPECT_EQ(MmGetPhysicalMemoryRanges(), nullptr);
	fake::fail_allocs(1, 1);
	EXPECT_EQ(MmGetPhysicalMemoryRanges(), nullptr);
	// At DISPATCH_LEVEL too (atomic allocations).
	fake::set_may_sleep(false);
	r = MmGetPhysicalMemoryRanges();
	fake::set_may_sleep(true);
	ASSERT_NE(r, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	ExFreePool(r);
}

// ---- node and cache variants ---------------------------------------------------------

TEST_F(MmCopyTest, ContiguousNodeVariantsPassTheNodeDown)
{
	PVOID p = MmAllocateContiguousMemorySpecifyCacheNode(8192, Pa(0), Pa(~0ULL), Pa(0), MmCached, 0);
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(fake::last_page_node(), 0);
	MmFreeContiguousMemorySpecifyCache(p, 8192, MmCached);
	EXPECT_EQ(fake::live_pages(), 0u);
	p = MmAllocateContiguousMemorySpecifyCacheNode(4096, Pa(0), Pa(~0ULL), Pa(0), MmCached, MM_ANY_NODE_OK);
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(fake::last_page_node(), -1);
	MmFreeContiguousMemory(p);
	// A node that does not exist: any node (Windows on a one-node machine).
	EXPECT_NO_REPORT(p = MmAllocateContiguousMemorySpecifyCacheNode(4096, Pa(0), Pa(~0ULL), Pa(0), MmCached, 5));
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(fake::last_page_node(), -1);
	MmFreeContiguousMemorySpecifyCache(p, 4096, MmCached);
	// Node 1 of two.
	fake::set_online_nodes(2);
	p = MmAllocateContiguousMemorySpecifyCacheNode(4096, Pa(0), Pa(~0ULL), Pa(0), MmWriteCombined, 1);
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(fake::last_page_node(), 1);
	const unsigned long long pfn = (reinterpret_cast<uptr>(p) - fake::kLinearBase) >> 12;
	EXPECT_EQ(fake::frame_cache(pfn), unsigned(MMSHIM_CACHE_WC));
	MmFreeContiguousMemorySpecifyCache(p, 4096, MmWriteCombined);
	EXPECT_EQ(fake::frame_cache(pfn), unsigned(MMSHIM_CACHE_WB));
}

TEST_F(MmCopyTest, ContiguousNodeMemoryTakesItsCacheTypeFromProtect)
{
	struct {
		ULONG protect;
		unsigned cache;
		MEMORY_CACHING_TYPE type;
	} cases[] = {
		{PAGE_READWRITE, MMSHIM_CACHE_WB, MmCached},
		{PAGE_READWRITE | PAGE_NOCACHE, MMSHIM_CACHE_UC, MmNonCached},
		{PAGE_READWRITE | PAGE_WRITECOMBINE, MMSHIM_CACHE_WC, MmWriteCombined},
	};
	for (const auto &c : cases) {
		PVOID p = nullptr;
		EXPECT_NO_REPORT(p = MmAllocateContiguousNodeMemory(4096, Pa(0), Pa(~0ULL), Pa(0), c.protect, 0));
		ASSERT_NE(p, nullptr) << c.protect;
		const unsigned long long pfn = (reinterpret_cast<uptr>(p) - fake::kLinearBase) >> 12;
		EXPECT_EQ(fake::frame_cache(pfn), c.cache) << c.protect;
		EXPECT_NO_REPORT(MmFreeContiguousMemorySpecifyCache(p, 4096, c.type));
	}
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(MmAllocateContiguousNodeMemory(4096, Pa(0), Pa(~0ULL), Pa(0), PAGE_EXECUTE_READWRITE,
							       MM_ANY_NODE_OK),
				nullptr));
	for (ULONG bad : {ULONG(0), ULONG(PAGE_READONLY), ULONG(PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE),
			  ULONG(PAGE_READWRITE | PAGE_GUARD), ULONG(PAGE_NOCACHE),
			  ULONG(PAGE_READWRITE | PAGE_EXECUTE_READWRITE)})
		EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
			      EXPECT_EQ(MmAllocateContiguousNodeMemory(4096, Pa(0), Pa(~0ULL), Pa(0), bad, 0), nullptr))
			<< bad;
	EXPECT_EQ(fake::live_pages(), 0u);
}

TEST_F(MmCopyTest, FreeSpecifyCacheRefusesAnotherSizeOrCacheType)
{
	PVOID p = MmAllocateContiguousMemorySpecifyCache(2 * 4096, Pa(0), Pa(~0ULL), Pa(0), MmNonCached);
	ASSERT_NE(p, nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_FREE_MISMATCH,
		      MmFreeContiguousMemorySpecifyCache(p, 4096, MmNonCached));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_FREE_MISMATCH,
		      MmFreeContiguousMemorySpecifyCache(p, 2 * 4096, MmCached));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_FREE_MISMATCH,
		      MmFreeContiguousMemorySpecifyCache(p, 2 * 4096, static_cast<MEMORY_CACHING_TYPE>(77)));
	EXPECT_EQ(fake::live_pages(), 2u) << "a refused free freed something";
	// The same type in other words, and the size in bytes rounded to pages.
	EXPECT_NO_REPORT(MmFreeContiguousMemorySpecifyCache(p, 2 * 4096 - 100, MmNonCachedUnordered));
	EXPECT_EQ(fake::live_pages(), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED,
		      MmFreeContiguousMemorySpecifyCache(p, 2 * 4096, MmNonCached));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED,
		      MmFreeContiguousMemorySpecifyCache(nullptr, 4096, MmCached));
}

TEST_F(MmCopyTest, NodePagesForMdlHonourTheIdealNode)
{
	fake::set_online_nodes(2);
	PMDL m = MmAllocateNodePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 3 * 4096, MmCached, 1, 0);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(fake::last_page_node(), 1);
	EXPECT_FALSE(fake::last_page_flags() & MMSHIM_PAGES_THIS_NODE);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	m = MmAllocateNodePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 4096, MmCached, 0, MM_ALLOCATE_FROM_LOCAL_NODE_ONLY);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(fake::last_page_node(), 0);
	EXPECT_TRUE(fake::last_page_flags() & MMSHIM_PAGES_THIS_NODE);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	m = MmAllocateNodePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 4096, MmCached, MM_ANY_NODE_OK, 0);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(fake::last_page_node(), -1);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	// A node that is not online: any node, unless the caller insists on it.
	EXPECT_NO_REPORT(m = MmAllocateNodePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 4096, MmCached, 7, 0));
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(fake::last_page_node(), -1);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_NO_SUCH_NODE,
		      EXPECT_EQ(MmAllocateNodePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 4096, MmCached, 7,
							    MM_ALLOCATE_FROM_LOCAL_NODE_ONLY),
				nullptr));
	// The rest is MmAllocatePagesForMdlEx's validation.
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      EXPECT_EQ(MmAllocateNodePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 0, MmCached, 0, 0), nullptr));
	EXPECT_EQ(fake::live_pages(), 0u);
}

// ---- the C view -------------------------------------------------------------------

TEST_F(MmCopyTest, HeaderIsValidPedanticCWithTheWdkTypes)
{
	mmcopy_header_values v{};
	EXPECT_EQ(mmshim_mmcopy_header_check(&v), 14);
	EXPECT_EQ(v.sizeof_copy_address, 8u);
	EXPECT_EQ(v.sizeof_memory_range, 16u);
	EXPECT_EQ(v.offsetof_number_of_bytes, 8u);
	EXPECT_EQ(v.copy_physical, 1u);
	EXPECT_EQ(v.copy_virtual, 2u);
	EXPECT_EQ(v.any_node_ok, 0x80000000u);
	EXPECT_EQ(v.sizeof_node_requirement, 4u);
	EXPECT_EQ(v.prototypes, 8);
	EXPECT_EQ(v.copy_status, 0); // STATUS_SUCCESS from C, 0 bytes
	EXPECT_EQ(v.copy_bad_flags_status, static_cast<long>(STATUS_INVALID_PARAMETER));
	EXPECT_EQ(v.virtual_for_io, 1);
	EXPECT_EQ(v.ranges_terminated, 1);
	EXPECT_EQ(v.node_memory_freed, 1);
	EXPECT_EQ(v.page_readwrite_nocache, 0x204u);
	EXPECT_EQ(MmshimVerifierReportCount(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS), 1u);
}

} // namespace
