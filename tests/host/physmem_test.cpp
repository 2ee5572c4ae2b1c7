// SPDX-License-Identifier: GPL-2.0
// physmem_test.cpp - I/O space, page allocation and routine lookup on the
// fake platform: what is mapped with which primitive and type, the
// registry behind MmUnmapIoSpace, address constraints, flags, partial and
// failed allocations, cache types, and every bad input with its report.
#include "test_support.h"
#include "fake_physmem.h"

#include <ntddk.h>
#include "exports.h"

#include <set>
#include <string>
#include <vector>

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class PhysTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::physmem_reset();
		for (unsigned long long pfn = kIoPfn; pfn < kIoPfn + 4; pfn++)
			fake::add_io_pfn(pfn);
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		EXPECT_EQ(fake::live_pages(), 0u) << "pages leaked";
		EXPECT_EQ(fake::live_ioremaps(), 0u) << "ioremaps leaked";
		fake::physmem_reset();
	}
	static constexpr unsigned long long kIoPfn = 0xfe000;
};

// ---- I/O space ---------------------------------------------------------------

TEST_F(PhysTest, DeviceMemoryKeepsTheOffsetAndUnmapsExactly)
{
	const unsigned long long phys = (kIoPfn << 12) + 0x10;
	auto *va = static_cast<PUCHAR>(MmMapIoSpace(Pa(phys), 0x2000, MmNonCached));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va) & 0xfff, 0x10u);
	EXPECT_EQ(fake::live_ioremaps(), 1u);
	EXPECT_EQ(MmshimIoSpaceMappingCount(), 1u);
	EXPECT_EQ(static_cast<unsigned long long>(MmGetPhysicalAddress(va + 0x1005).QuadPart), phys + 0x1005);
	// Wrong size (3 pages spanned instead of 3? 0x10 + 0x2000 spans 3): 1 page.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_SIZE_MISMATCH, MmUnmapIoSpace(va, 0x10));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED, MmUnmapIoSpace(va + 1, 0x2000));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED,
		      MmUnmapIoSpace(reinterpret_cast<PVOID>(0xffffc90012345000ULL), 0x1000));
	EXPECT_EQ(fake::live_ioremaps(), 1u); // nothing changed
	// The same span in other words is fine (Windows computes the span).
	EXPECT_NO_REPORT(MmUnmapIoSpace(va, 0x1ff5));
	EXPECT_EQ(fake::live_ioremaps(), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IO_NOT_MAPPED, MmUnmapIoSpace(va, 0x2000));
}

TEST_F(PhysTest, BadIoSpaceRequestsAreReported)
{
	const auto io = Pa(kIoPfn << 12);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmMapIoSpace(io, 4096, MmMaximumCacheType), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmMapIoSpace(io, 4096, MmNotMapped), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH, EXPECT_EQ(MmMapIoSpace(io, 0, MmNonCached), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS,
		      EXPECT_EQ(MmMapIoSpace(io, ~SIZE_T(0), MmNonCached), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS,
		      EXPECT_EQ(MmMapIoSpace(Pa(~0ULL), 1, MmNonCached), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS,
		      EXPECT_EQ(MmMapIoSpace(Pa(1ULL << 50), 4096, MmNonCached), nullptr));
	// Device and RAM in one range.
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS,
		      EXPECT_EQ(MmMapIoSpace(Pa((kIoPfn - 1) << 12), 8192, MmNonCached), nullptr));
	for (ULONG protect : std::initializer_list<ULONG>{0u, PAGE_NOACCESS, PAGE_WRITECOPY, PAGE_READWRITE | PAGE_GUARD,
			      PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE, PAGE_READONLY | PAGE_READWRITE})
		EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
			      EXPECT_EQ(MmMapIoSpaceEx(io, 4096, protect), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(MmMapIoSpaceEx(io, 4096, PAGE_EXECUTE_READWRITE | PAGE_NOCACHE), nullptr));
	fake::set_may_sleep(false);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_IRQL, EXPECT_EQ(MmMapIoSpace(io, 4096, MmNonCached), nullptr));
	fake::set_may_sleep(true);
	fake::ioremap_conflict_next();
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT,
		      EXPECT_EQ(MmMapIoSpaceEx(io, 4096, PAGE_READWRITE | PAGE_WRITECOMBINE), nullptr));
	EXPECT_EQ(MmshimIoSpaceMappingCount(), 0u);
	EXPECT_EQ(fake::live_ioremaps(), 0u);
}

TEST_F(PhysTest, CachedRamComesFromTheLinearMapAndConflictsAreRefused)
{
	const unsigned long long pfn = 0x300;
	auto *va = static_cast<PUCHAR>(MmMapIoSpace(Pa((pfn << 12) + 0x123), 100, MmCached));
	EXPECT_EQ(reinterpret_cast<uptr>(va), fake::kLinearBase + (pfn << 12) + 0x123);
	// Twice the same page: two mappings, each unmapped once.
	auto *va2 = static_cast<PUCHAR>(MmMapIoSpaceEx(Pa(pfn << 12), 4096, PAGE_READWRITE));
	EXPECT_EQ(reinterpret_cast<uptr>(va2), fake::kLinearBase + (pfn << 12));
	EXPECT_EQ(fake::live_ioremaps(), 0u);
	EXPECT_EQ(fake::live_mappings(), 0u);
	// An uncached alias of write-back RAM breaks PAT: refused.
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT,
		      EXPECT_EQ(MmMapIoSpace(Pa(pfn << 12), 4096, MmNonCached), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT,
		      EXPECT_EQ(MmMapIoSpaceEx(Pa(pfn << 12), 4096, PAGE_READWRITE | PAGE_WRITECOMBINE), nullptr));
	// Read-only RAM gets its own read-only mapping.
	PVOID ro = MmMapIoSpaceEx(Pa(pfn << 12), 4096, PAGE_READONLY);
	ASSERT_NE(ro, nullptr);
	EXPECT_TRUE(fake::mapping_read_only(ro));
	EXPECT_EQ(MmshimIoSpaceMappingCount(), 3u);
	EXPECT_NO_REPORT(MmUnmapIoSpace(va, 100); MmUnmapIoSpace(va2, 4096); MmUnmapIoSpace(ro, 4096));
	EXPECT_EQ(MmshimIoSpaceMappingCount(), 0u);
	EXPECT_EQ(fake::live_mappings(), 0u);
}

TEST_F(PhysTest, UnmappedAtUnloadWithAReport)
{
	AllowLeaks();
	ASSERT_NE(MmMapIoSpace(Pa(kIoPfn << 12), 4096, MmNonCached), nullptr);
	fake::set_may_sleep(true);
	const size_t before = fake::reports().size();
	mmshim_core_exit();
	ASSERT_EQ(fake::reports().size(), before + 1);
	EXPECT_EQ(fake::reports().back().params[0], ULONG_PTR(MMSHIM_VRF_IO_LEAKED_AT_UNLOAD));
	EXPECT_EQ(fake::live_ioremaps(), 0u);
	ASSERT_EQ(mmshim_core_init(), 0);
}

// ---- page allocation -------------------------------------------------------

TEST_F(PhysTest, PagesHonourTheAddressRangeAndFreeEverything)
{
	// In range [0x200000, 0x2fffff]: pfns 0x200..0x2ff.
	fake::script_frames({0x100, 0x250, 0x400, 0x200, 0x2ff, 0x300, 0x280});
	PMDL m = MmAllocatePagesForMdl(Pa(0x200000), Pa(0x2fffff), Pa(0), 4 * 4096);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->ByteCount, 4u * 4096);
	EXPECT_EQ(m->ByteOffset, 0u);
	EXPECT_EQ(m->StartVa, nullptr);
	EXPECT_EQ(m->MdlFlags, MDL_PAGES_LOCKED);
	std::vector<PFN_NUMBER> got(MmGetMdlPfnArray(m), MmGetMdlPfnArray(m) + 4);
	EXPECT_EQ(got, (std::vector<PFN_NUMBER>{0x250, 0x200, 0x2ff, 0x280}));
	EXPECT_EQ(fake::live_pages(), 4u); // the rejected ones went back
	EXPECT_EQ(MmshimAllocatedPageCount(), 4u);
	EXPECT_TRUE(fake::last_page_flags() & MMSHIM_PAGES_ZERO);
	EXPECT_TRUE(fake::last_page_flags() & MMSHIM_PAGES_DMA);
	MmFreePagesFromMdl(m);
	EXPECT_EQ(fake::live_pages(), 0u);
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], ~PFN_NUMBER(0));
	EXPECT_FALSE(m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGES_NOT_ALLOCATED, MmFreePagesFromMdl(m));
	ExFreePool(m);
}

TEST_F(PhysTest, SkipBytesOpensFurtherRanges)
{
	// Ranges [0x10000, 0x10fff], then moved up by 0x100000 each time.
	fake::script_frames({0x10, 0x11, 0x110, 0x111, 0x210, 0x20f});
	PMDL m = MmAllocatePagesForMdl(Pa(0x10000), Pa(0x10fff), Pa(0x100000), 3 * 4096);
	ASSERT_NE(m, nullptr);
	std::vector<PFN_NUMBER> got(MmGetMdlPfnArray(m), MmGetMdlPfnArray(m) + 3);
	EXPECT_EQ(got, (std::vector<PFN_NUMBER>{0x10, 0x110, 0x210}));
	MmFreePagesFromMdl(m);
	ExFreePool(m);
}

TEST_F(PhysTest, PartialAndFullyRequired)
{
	fake::fail_pages_after(3);
	PMDL m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 8 * 4096, MmCached, 0);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->ByteCount, 3u * 4096); // fewer bytes, as on Windows
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	fake::fail_pages_after(3);
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 8 * 4096, MmCached,
							   MM_ALLOCATE_FULLY_REQUIRED),
				   nullptr));
	EXPECT_EQ(fake::live_pages(), 0u);
	fake::fail_pages_after(0);
	EXPECT_EQ(MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), 4096), nullptr);
	EXPECT_EQ(MmshimAllocatedPageCount(), 0u);
}

TEST_F(PhysTest, FlagsReachTheAllocator)
{
	PMDL m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 4096, MmCached,
					 MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_NO_WAIT | MM_ALLOCATE_FROM_LOCAL_NODE_ONLY);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(fake::last_page_flags(), unsigned(MMSHIM_PAGES_NOWAIT | MMSHIM_PAGES_THIS_NODE));
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	m = MmAllocatePagesForMdl(Pa(0), Pa(0xffffffff), Pa(0), 4096);
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(fake::last_page_flags(), unsigned(MMSHIM_PAGES_ZERO | MMSHIM_PAGES_DMA32));
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	fake::set_may_sleep(false);
	m = MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), 4096);
	ASSERT_NE(m, nullptr);
	EXPECT_TRUE(fake::last_page_flags() & MMSHIM_PAGES_ATOMIC);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	fake::set_may_sleep(true);
}

TEST_F(PhysTest, ContiguousChunks)
{
	PMDL m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 5 * 4096, MmCached,
					 MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
	ASSERT_NE(m, nullptr);
	ASSERT_EQ(m->ByteCount, 5u * 4096);
	for (int i = 1; i < 5; i++)
		EXPECT_EQ(MmGetMdlPfnArray(m)[i], MmGetMdlPfnArray(m)[0] + i);
	EXPECT_EQ(fake::live_pages(), 5u); // the order-3 block's tail went back
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	// 4 chunks of 2 pages, each aligned on 8 KiB.
	m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0x2000), 8 * 4096, MmCached,
				    MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
	ASSERT_NE(m, nullptr);
	for (int i = 0; i < 8; i += 2) {
		EXPECT_EQ(MmGetMdlPfnArray(m)[i] % 2, 0u);
		EXPECT_EQ(MmGetMdlPfnArray(m)[i + 1], MmGetMdlPfnArray(m)[i] + 1);
	}
	MmFreePagesFromMdl(m);
	ExFreePool(m);
}

TEST_F(PhysTest, BadAllocationRequestsAreReported)
{
	const auto lo = Pa(0), hi = Pa(~0ULL), none = Pa(0);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmAllocatePagesForMdlEx(lo, hi, none, 4096, MmCached, 0x1000), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmAllocatePagesForMdlEx(lo, hi, none, 4096, MmMaximumCacheType, 0), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      EXPECT_EQ(MmAllocatePagesForMdl(lo, hi, none, 0), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      EXPECT_EQ(MmAllocatePagesForMdl(lo, hi, Pa(100), 4096), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS,
		      EXPECT_EQ(MmAllocatePagesForMdl(Pa(0x100000), Pa(0xfffff), none, 4096), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      EXPECT_EQ(MmAllocatePagesForMdlEx(lo, hi, Pa(0x3000), 0x6000, MmCached,
							MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS),
				nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(MmAllocatePagesForMdlEx(lo, hi, none, 8 << 20, MmCached,
							MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS),
				nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmAllocatePagesForMdlEx(lo, hi, none, 4096, MmCached, MM_ALLOCATE_FAST_LARGE_PAGES),
				nullptr));
	fake::set_may_sleep(false);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_IRQL,
		      EXPECT_EQ(MmAllocatePagesForMdlEx(lo, hi, none, 4096, MmNonCached, 0), nullptr));
	fake::set_may_sleep(true);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, MmFreePagesFromMdl(nullptr));
	MDL fake_mdl{};
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGES_NOT_ALLOCATED, MmFreePagesFromMdl(&fake_mdl));
	EXPECT_EQ(fake::live_pages(), 0u);
}

TEST_F(PhysTest, NonCachedPagesChangeTheLinearMapAndMappingsFollow)
{
	PMDL m = MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 3 * 4096, MmNonCached, 0);
	ASSERT_NE(m, nullptr);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(fake::frame_cache(MmGetMdlPfnArray(m)[i]), unsigned(MMSHIM_CACHE_UC));
	// The recorded type wins: asked cached, the MDL is mapped non-cached
	// (here through the linear map, whose entries are non-cached now).
	PVOID va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
	EXPECT_EQ(reinterpret_cast<uptr>(va), fake::kLinearBase + (MmGetMdlPfnArray(m)[0] << 12));
	// MmMapIoSpace of the same RAM: the matching type works, another is refused.
	const auto phys = Pa(MmGetMdlPfnArray(m)[0] << 12);
	PVOID io = MmMapIoSpace(phys, 4096, MmNonCached);
	EXPECT_NE(io, nullptr);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_CACHE_CONFLICT, EXPECT_EQ(MmMapIoSpace(phys, 4096, MmCached), nullptr));
	MmUnmapIoSpace(io, 4096);
	// Freeing drops the system mapping and restores write-back.
	const PFN_NUMBER first = MmGetMdlPfnArray(m)[0];
	MmFreePagesFromMdl(m);
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_EQ(fake::frame_cache(first), unsigned(MMSHIM_CACHE_WB));
	ExFreePool(m);
}

TEST_F(PhysTest, LeftoversAreFreedAtUnload)
{
	AllowLeaks();
	ASSERT_NE(MmAllocatePagesForMdlEx(Pa(0), Pa(~0ULL), Pa(0), 2 * 4096, MmWriteCombined, 0), nullptr);
	ASSERT_NE(MmAllocateContiguousMemory(8192, Pa(~0ULL)), nullptr);
	const size_t before = fake::reports().size();
	mmshim_core_exit();
	EXPECT_EQ(fake::live_pages(), 0u);
	bool seen = false;
	for (size_t i = before; i < fake::reports().size(); i++)
		seen |= fake::reports()[i].params[0] == ULONG_PTR(MMSHIM_VRF_PAGES_LEAKED_AT_UNLOAD);
	EXPECT_TRUE(seen);
	ASSERT_EQ(mmshim_core_init(), 0);
}

TEST_F(PhysTest, ContiguousMemory)
{
	auto *p = static_cast<PUCHAR>(MmAllocateContiguousMemorySpecifyCache(3 * 4096, Pa(0), Pa(~0ULL), Pa(0x10000),
									      MmWriteCombined));
	ASSERT_NE(p, nullptr);
	const unsigned long long pfn = (reinterpret_cast<uptr>(p) - fake::kLinearBase) >> 12;
	fake::map_direct(reinterpret_cast<uptr>(p), 3 * 4096, pfn);
	for (int i = 0; i < 3; i++)
		EXPECT_EQ(fake::frame_cache(pfn + i), unsigned(MMSHIM_CACHE_WC));
	EXPECT_EQ(static_cast<unsigned long long>(MmGetPhysicalAddress(p + 5).QuadPart), (pfn << 12) + 5);
	EXPECT_EQ(fake::live_pages(), 3u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED, MmFreeContiguousMemory(p + 4096));
	MmFreeContiguousMemory(p);
	EXPECT_EQ(fake::frame_cache(pfn), unsigned(MMSHIM_CACHE_WB));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED, MmFreeContiguousMemory(p));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      EXPECT_EQ(MmAllocateContiguousMemorySpecifyCache(8192, Pa(0), Pa(~0ULL), Pa(4096), MmCached), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH, EXPECT_EQ(MmAllocateContiguousMemory(0, Pa(~0ULL)), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(MmAllocateContiguousMemory(5 << 20, Pa(~0ULL)), nullptr));
}

// ---- routines by name --------------------------------------------------------

TEST_F(PhysTest, EveryExportedRoutineIsFoundByName)
{
	struct Want {
		const char *name;
		void *address;
	};
#define WANT(sym) {#sym, reinterpret_cast<void *>(&sym)},
	const Want all[] = {MMSHIM_EXPORTED_ROUTINES(WANT)};
#undef WANT
	EXPECT_GE(sizeof(all) / sizeof(all[0]), 40u);
	for (const Want &w : all) {
		std::u16string wide(w.name, w.name + std::char_traits<char>::length(w.name));
		UNICODE_STRING name;
		RtlInitUnicodeString(&name, reinterpret_cast<PCWSTR>(wide.c_str()));
		EXPECT_EQ(name.Length, wide.size() * 2);
		EXPECT_EQ(name.MaximumLength, wide.size() * 2 + 2);
		EXPECT_EQ(MmGetSystemRoutineAddress(&name), w.address) << w.name;
	}
	UNICODE_STRING name;
	RtlInitUnicodeString(&name, reinterpret_cast<PCWSTR>(u"MmMapIoSpaceExx"));
	EXPECT_NO_REPORT(EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr));
	RtlInitUnicodeString(&name, reinterpret_cast<PCWSTR>(u"mmmapiospaceex")); // case matters
	EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
	name.Length = 2 * 12; // "MmMapIoSpace" prefix of a longer buffer
	name.Buffer = reinterpret_cast<PWCH>(const_cast<char16_t *>(u"MmMapIoSpaceEx"));
	EXPECT_EQ(MmGetSystemRoutineAddress(&name), reinterpret_cast<void *>(&MmMapIoSpace));
	RtlInitUnicodeString(&name, nullptr);
	EXPECT_EQ(name.Length, 0u);
	EXPECT_EQ(name.Buffer, nullptr);
	EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmGetSystemRoutineAddress(nullptr), nullptr));
	name.Length = 4;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmGetSystemRoutineAddress(&name), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      RtlInitUnicodeString(nullptr, nullptr));
}

} // namespace
