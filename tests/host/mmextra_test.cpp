// SPDX-License-Identifier: GPL-2.0
// mmextra_test.cpp - MmAllocateNonCachedMemory / MmFreeNonCachedMemory,
// MmProtectMdlSystemAddress, the paging no-ops and MmQuerySystemSize on the
// fake platform (src/core/mmextra.cpp).
#include "test_support.h"
#include "fake_mmextra.h"
#include "fake_physmem.h"

#include <ntddk.h>

#include <initializer_list>
#include <vector>

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class MmExtraTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::physmem_reset();
		fake::mmextra_reset();
		fake::map_direct(kKernel, 8 * 4096, kPfn);
		fake::map_vmalloc(kVmalloc, {0x900, 0x700, 0x800, 0x500});
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		EXPECT_EQ(fake::live_pages(), 0u) << "pages leaked";
		fake::physmem_reset();
		fake::mmextra_reset();
	}
	PMDL Locked(uptr va, ULONG len, LOCK_OPERATION op = IoWriteAccess)
	{
		PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
		EXPECT_NE(m, nullptr);
		EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, op), STATUS_SUCCESS);
		return m;
	}
	static void Release(PMDL m)
	{
		MmUnlockPages(m);
		IoFreeMdl(m);
	}
	static PUCHAR Map(PMDL m, ULONG priority = NormalPagePriority)
	{
		return static_cast<PUCHAR>(
			MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE, priority));
	}
	// The access the fake page tables have for each page of [base, base + pages).
	static std::vector<int> Access(uptr base, unsigned pages)
	{
		std::vector<int> v;
		for (unsigned i = 0; i < pages; i++)
			v.push_back(fake::kva_access(base + i * 4096));
		return v;
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kPfn = 0x100;
	static constexpr uptr kVmalloc = 0xffffc90000200000ULL;
};

// ---- non-cached memory ---------------------------------------------------------

// Scattered frames: one uncached mapping of them, every frame's linear-map
// entry uncached too (no alias of another type); freed with its size,
// everything returns to write-back.
TEST_F(MmExtraTest, NonCachedScatteredFramesAreMappedUncached)
{
	const std::vector<unsigned long long> frames{0x250, 0x200, 0x2ff};
	fake::script_frames(frames);
	const SIZE_T bytes = 3 * 4096 - 100;
	auto *va = static_cast<PUCHAR>(MmAllocateNonCachedMemory(bytes));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va) & 0xfff, 0u);
	EXPECT_EQ(fake::mapping_pfns(va), frames);
	EXPECT_FALSE(fake::mapping_read_only(va));
	for (auto pfn : frames)
		EXPECT_EQ(fake::frame_cache(pfn), unsigned(MMSHIM_CACHE_UC));
	EXPECT_EQ(MmshimAllocatedPageCount(), 3u);
	EXPECT_EQ(MmshimMappedMdlCount(), 1u);

	// Wrong size, foreign address, an address inside: reported, nothing freed.
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NONCACHED_SIZE_MISMATCH,
				   [&] { MmFreeNonCachedMemory(va, 3 * 4096); }));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NONCACHED_NOT_ALLOCATED,
				   [&] { MmFreeNonCachedMemory(va + 4096, bytes); }));
	EXPECT_EQ(MmshimAllocatedPageCount(), 3u);
	EXPECT_EQ(fake::mapping_pfns(va), frames);
	for (auto pfn : frames)
		EXPECT_EQ(fake::frame_cache(pfn), unsigned(MMSHIM_CACHE_UC));

	MmFreeNonCachedMemory(va, bytes);
	EXPECT_EQ(MmshimAllocatedPageCount(), 0u);
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(fake::live_pages(), 0u);
	for (auto pfn : frames)
		EXPECT_EQ(fake::frame_cache(pfn), unsigned(MMSHIM_CACHE_WB));
	// Double free.
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NONCACHED_NOT_ALLOCATED,
				   [&] { MmFreeNonCachedMemory(va, bytes); }));
}

// Contiguous frames: the (now uncached) linear map is the mapping.
TEST_F(MmExtraTest, NonCachedContiguousFramesUseTheUncachedLinearMap)
{
	fake::script_frames({0x300, 0x301});
	PVOID va = MmAllocateNonCachedMemory(2 * 4096);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va), fake::kLinearBase + (0x300ULL << 12));
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(fake::frame_cache(0x300), unsigned(MMSHIM_CACHE_UC));
	EXPECT_EQ(fake::frame_cache(0x301), unsigned(MMSHIM_CACHE_UC));
	MmFreeNonCachedMemory(va, 2 * 4096);
	EXPECT_EQ(fake::frame_cache(0x300), unsigned(MMSHIM_CACHE_WB));
	EXPECT_EQ(fake::live_pages(), 0u);
}

TEST_F(MmExtraTest, NonCachedBadInput)
{
	EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
				   [&] { EXPECT_EQ(MmAllocateNonCachedMemory(0), nullptr); }));
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				   [&] { EXPECT_EQ(MmAllocateNonCachedMemory(4096), nullptr); }));
	fake::set_may_sleep(true);
	EXPECT_EQ(fake::live_pages(), 0u);
	PVOID va = MmAllocateNonCachedMemory(4096);
	ASSERT_NE(va, nullptr);
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				   [&] { MmFreeNonCachedMemory(va, 4096); }));
	fake::set_may_sleep(true);
	EXPECT_EQ(MmshimAllocatedPageCount(), 1u); // not freed
	// Out of memory for the record, or for the pages: NULL, nothing held.
	fake::fail_next_allocs(1);
	EXPECT_EQ(MmAllocateNonCachedMemory(4096), nullptr);
	fake::fail_pages_after(0);
	EXPECT_EQ(MmAllocateNonCachedMemory(4096), nullptr);
	EXPECT_EQ(MmshimAllocatedPageCount(), 1u);
	MmFreeNonCachedMemory(va, 4096);
	EXPECT_EQ(MmshimAllocatedPageCount(), 0u);
}

TEST_F(MmExtraTest, NonCachedLeftAllocatedIsFreedAtUnload)
{
	fake::script_frames({0x250, 0x200});
	ASSERT_NE(MmAllocateNonCachedMemory(2 * 4096), nullptr);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NONCACHED_LEAKED_AT_UNLOAD,
				   [&] { mmshim_core_exit(); }));
	EXPECT_EQ(fake::live_pages(), 0u);
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(fake::frame_cache(0x250), unsigned(MMSHIM_CACHE_WB));
	ASSERT_EQ(mmshim_core_init(), 0);
}

// ---- MmProtectMdlSystemAddress ------------------------------------------------

TEST_F(MmExtraTest, ProtectChangesThePageTablesAndFlushesWhenTightening)
{
	PMDL m = Locked(kVmalloc + 8, 3 * 4096);
	PUCHAR va = Map(m);
	ASSERT_NE(va, nullptr);
	const uptr base = reinterpret_cast<uptr>(va) & ~uptr(0xfff);
	const unsigned long flushes = fake::vapool_sync_flushes();
	const std::vector<int> ro(4, MMSHIM_ACCESS_RO), none(4, MMSHIM_ACCESS_NONE), rw(4, MMSHIM_ACCESS_RW);

	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_SUCCESS);
	EXPECT_EQ(Access(base, 4), ro);
	EXPECT_EQ(fake::vapool_sync_flushes(), flushes + 1);
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_NOACCESS), STATUS_SUCCESS);
	EXPECT_EQ(Access(base, 4), none);
	EXPECT_EQ(fake::vapool_sync_flushes(), flushes + 2);
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READWRITE), STATUS_SUCCESS);
	EXPECT_EQ(Access(base, 4), rw);
	EXPECT_EQ(fake::vapool_sync_flushes(), flushes + 2); // loosening: no flush needed
	// The same protection again changes nothing.
	const unsigned long calls = fake::kva_protect_calls();
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READWRITE), STATUS_SUCCESS);
	EXPECT_EQ(fake::kva_protect_calls(), calls);
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_SUCCESS);
	// Unmapping gives the entries their mapped access back before teardown.
	MmUnmapLockedPages(va, m);
	EXPECT_EQ(Access(base, 4), rw);
	EXPECT_EQ(fake::live_mappings(), 0u);
	// Mapped again: writable, nothing to restore; protection works again.
	va = Map(m);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_NOACCESS), STATUS_SUCCESS);
	EXPECT_EQ(Access(reinterpret_cast<uptr>(va) & ~uptr(0xfff), 4), none);
	// The unlock drops the mapping: restored as well.
	Release(m);
	EXPECT_EQ(Access(reinterpret_cast<uptr>(va) & ~uptr(0xfff), 4), rw);
}

TEST_F(MmExtraTest, ProtectRefusesExecuteAndInvalidValues)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	PUCHAR va = Map(m);
	ASSERT_NE(va, nullptr);
	const unsigned long calls = fake::kva_protect_calls();
	for (ULONG p : std::initializer_list<ULONG>{PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_EXECUTE_WRITECOPY})
		EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_EXECUTE, [&] {
			EXPECT_EQ(MmProtectMdlSystemAddress(m, p), STATUS_INVALID_PAGE_PROTECTION);
		}));
	for (ULONG p : std::initializer_list<ULONG>{0u, PAGE_READWRITE | PAGE_NOCACHE, PAGE_READONLY | PAGE_GUARD, PAGE_WRITECOPY, 0x1234u})
		EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_INVALID, [&] {
			EXPECT_EQ(MmProtectMdlSystemAddress(m, p), STATUS_INVALID_PAGE_PROTECTION);
		}));
	EXPECT_EQ(fake::kva_protect_calls(), calls);
	MmUnmapLockedPages(va, m);
	Release(m);
}

TEST_F(MmExtraTest, ProtectNeedsAMappingOfItsOwn)
{
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, [&] {
		EXPECT_EQ(MmProtectMdlSystemAddress(nullptr, PAGE_READONLY), STATUS_INVALID_PARAMETER_1);
	}));
	PMDL m = Locked(kVmalloc, 2 * 4096);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_NOT_MAPPED, [&] {
		EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_NOT_MAPPED_VIEW);
	}));
	Release(m);

	// Physically contiguous RAM is mapped through the linear map: refused.
	m = Locked(kKernel, 2 * 4096);
	PUCHAR va = Map(m);
	ASSERT_EQ(reinterpret_cast<uptr>(va), fake::kLinearBase + (kPfn << 12));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_LINEAR_MAP, [&] {
		EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_NOT_SUPPORTED);
	}));
	MmUnmapLockedPages(va, m);
	// Mapped with MdlMappingNoWrite it gets a mapping of its own, which the
	// driver may then make writable.
	va = Map(m, NormalPagePriority | MdlMappingNoWrite);
	ASSERT_NE(va, nullptr);
	EXPECT_TRUE(fake::mapping_read_only(va));
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READWRITE), STATUS_SUCCESS);
	EXPECT_EQ(Access(reinterpret_cast<uptr>(va), 2), std::vector<int>(2, MMSHIM_ACCESS_RW));
	MmUnmapLockedPages(va, m);
	// ... and gets its read-only entries back when unmapped.
	EXPECT_EQ(Access(reinterpret_cast<uptr>(va), 2), std::vector<int>(2, MMSHIM_ACCESS_RO));
	Release(m);

	// A nonpaged-pool MDL's address is the pool's own mapping.
	m = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	MmBuildMdlForNonPagedPool(m);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_LINEAR_MAP, [&] {
		EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_NOACCESS), STATUS_NOT_SUPPORTED);
	}));
	IoFreeMdl(m);
}

// Frames their owner cannot write stay read-only whatever the driver asks.
TEST_F(MmExtraTest, ProtectNeverMakesOwnerReadOnlyFramesWritable)
{
	fake::set_kva_read_only(kKernel, kKernel + 2 * 4096);
	PMDL m = Locked(kKernel, 2 * 4096, IoReadAccess);
	PUCHAR va = Map(m);
	ASSERT_NE(va, nullptr);
	EXPECT_TRUE(fake::mapping_read_only(va));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PROTECT_OWNER_READ_ONLY, [&] {
		EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READWRITE), STATUS_INVALID_PAGE_PROTECTION);
	}));
	EXPECT_EQ(fake::kva_access(reinterpret_cast<uptr>(va)), -1); // never touched
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_NOACCESS), STATUS_SUCCESS);
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_SUCCESS);
	EXPECT_EQ(fake::kva_access(reinterpret_cast<uptr>(va)), MMSHIM_ACCESS_RO);
	Release(m);
}

// At DISPATCH_LEVEL: the VA-pool mapping is protected too; with interrupts
// off the TLB flush is left to the worker.
TEST_F(MmExtraTest, ProtectInAtomicContext)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	fake::set_may_sleep(false);
	PUCHAR va = Map(m);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va) & ~uptr(0xffffff), fake::kVapoolBase & ~uptr(0xffffff));
	const unsigned long flushes = fake::vapool_sync_flushes(), requests = fake::vapool_flush_requests();
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_SUCCESS);
	EXPECT_EQ(fake::vapool_sync_flushes(), flushes + 1);
	fake::set_vapool_sync_flush(false);
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_NOACCESS), STATUS_SUCCESS);
	EXPECT_EQ(fake::kva_access(reinterpret_cast<uptr>(va)), MMSHIM_ACCESS_NONE);
	EXPECT_EQ(fake::vapool_flush_requests(), requests + 1);
	fake::set_vapool_sync_flush(true);
	MmUnmapLockedPages(va, m);
	EXPECT_EQ(fake::kva_access(reinterpret_cast<uptr>(va)), MMSHIM_ACCESS_RW);
	fake::set_may_sleep(true);
	fake::run_vapool_flush();
	Release(m);
}

TEST_F(MmExtraTest, ProtectPlatformFailureChangesNothing)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	PUCHAR va = Map(m);
	ASSERT_NE(va, nullptr);
	fake::kva_protect_fail_next();
	EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, [&] {
		EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_NOT_SUPPORTED);
	}));
	const unsigned long calls = fake::kva_protect_calls();
	MmUnmapLockedPages(va, m); // nothing to restore
	EXPECT_EQ(fake::kva_protect_calls(), calls);
	Release(m);
}

// ---- MDL macros ------------------------------------------------------------------

TEST_F(MmExtraTest, MdlMacros)
{
	EXPECT_EQ(COMPUTE_PAGES_SPANNED(reinterpret_cast<PVOID>(0x1ff0), 0x20), 2u);
	EXPECT_EQ(COMPUTE_PAGES_SPANNED(reinterpret_cast<PVOID>(0x1000), 0x1000), 1u);
	EXPECT_EQ(COMPUTE_PAGES_SPANNED(reinterpret_cast<PVOID>(0x1000), 0), 0u);
	int x;
	EXPECT_EQ(MmGetProcedureAddress(&x), &x);
	// The obsolete MmGetSystemAddressForMdl maps an unmapped MDL, then
	// returns MappedSystemVa.
	PMDL m = Locked(kVmalloc + 0x10, 2 * 4096);
	auto *va = static_cast<PUCHAR>(MmGetSystemAddressForMdl(m));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va) & 0xfff, 0x10u);
	EXPECT_EQ(fake::mapping_pfns(va - 0x10), (std::vector<unsigned long long>{0x900, 0x700, 0x800}));
	EXPECT_EQ(MmGetSystemAddressForMdl(m), va);
	EXPECT_EQ(MmshimMappedMdlCount(), 1u);
	Release(m);
}

// ---- MmAdvanceMdl -------------------------------------------------------------------

TEST_F(MmExtraTest, AdvanceMovesTheStartAndThePfnArray)
{
	PMDL m = Locked(kVmalloc + 0x100, 3 * 4096);
	const ULONG count = m->ByteCount;
	// Within the first page: only the offset and the count.
	EXPECT_EQ(MmAdvanceMdl(m, 0x10), STATUS_SUCCESS);
	EXPECT_EQ(m->ByteOffset, 0x110u);
	EXPECT_EQ(m->ByteCount, count - 0x10);
	EXPECT_EQ(reinterpret_cast<uptr>(m->StartVa), kVmalloc);
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], 0x900u);
	// Past a page: StartVa moves, the PFN array loses its first entry.
	EXPECT_EQ(MmAdvanceMdl(m, 0x1000), STATUS_SUCCESS);
	EXPECT_EQ(reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m)), kVmalloc + 0x1110);
	EXPECT_EQ(reinterpret_cast<uptr>(m->StartVa), kVmalloc + 0x1000);
	EXPECT_EQ(m->ByteOffset, 0x110u);
	EXPECT_EQ(m->ByteCount, count - 0x1010);
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], 0x700u);
	EXPECT_EQ(MmGetMdlPfnArray(m)[1], 0x800u);
	EXPECT_EQ(MmGetMdlPfnArray(m)[2], 0x500u);
	// Two pages at once, to the last byte.
	EXPECT_EQ(MmAdvanceMdl(m, m->ByteCount - 1), STATUS_SUCCESS);
	EXPECT_EQ(m->ByteCount, 1u);
	EXPECT_EQ(reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m)), kVmalloc + 0x100 + 3 * 4096 - 1);
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], 0x500u);
	// Not past the end: STATUS_INVALID_PARAMETER_2, nothing changes.
	EXPECT_EQ(MmAdvanceMdl(m, 1), STATUS_INVALID_PARAMETER_2);
	EXPECT_EQ(MmAdvanceMdl(m, 0xFFFFFFFF), STATUS_INVALID_PARAMETER_2);
	EXPECT_EQ(m->ByteCount, 1u);
	EXPECT_TRUE(fake::reports().empty());
	Release(m); // the lock record releases every page locked, passed ones too
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, [&] {
		EXPECT_EQ(MmAdvanceMdl(nullptr, 1), STATUS_INVALID_PARAMETER_1);
	}));
}

// A mapped MDL: MappedSystemVa moves with the start and still unmaps.
TEST_F(MmExtraTest, AdvanceKeepsTheMappingUnmappable)
{
	PMDL m = Locked(kVmalloc + 8, 3 * 4096);
	PUCHAR va = Map(m);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(MmAdvanceMdl(m, 2 * 4096 + 4), STATUS_SUCCESS);
	EXPECT_EQ(m->MappedSystemVa, va + 2 * 4096 + 4);
	EXPECT_EQ(m->ByteOffset, 12u);
	EXPECT_EQ(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), va + 2 * 4096 + 4);
	EXPECT_EQ(MmProtectMdlSystemAddress(m, PAGE_READONLY), STATUS_SUCCESS);
	MmUnmapLockedPages(m->MappedSystemVa, m);
	EXPECT_TRUE(fake::reports().empty());
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	Release(m);

	// Through the linear map: follows the PFN array by itself.
	m = Locked(kKernel + 0x20, 3 * 4096);
	va = Map(m);
	ASSERT_EQ(reinterpret_cast<uptr>(va), fake::kLinearBase + (kPfn << 12) + 0x20);
	EXPECT_EQ(MmAdvanceMdl(m, 4096), STATUS_SUCCESS);
	EXPECT_EQ(m->MappedSystemVa, va + 4096);
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], kPfn + 1);
	MmUnmapLockedPages(m->MappedSystemVa, m);
	EXPECT_TRUE(fake::reports().empty());
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	Release(m);
}

// In a reservation: refused past a page (the reservation's unmap checks the
// MDL's span), allowed within the first page.
TEST_F(MmExtraTest, AdvanceRefusesAnMdlInAReservation)
{
	const ULONG tag = Tag("MxRv");
	PVOID base = MmAllocateMappingAddress(4 * 4096, tag);
	ASSERT_NE(base, nullptr);
	PMDL m = Locked(kVmalloc + 8, 2 * 4096);
	ASSERT_NE(MmMapLockedPagesWithReservedMapping(base, tag, m, MmCached), nullptr);
	const PFN_NUMBER first = MmGetMdlPfnArray(m)[0];
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_ADVANCE_UNSUPPORTED, [&] {
		EXPECT_EQ(MmAdvanceMdl(m, 4096), STATUS_NOT_SUPPORTED);
	}));
	EXPECT_EQ(MmGetMdlPfnArray(m)[0], first);
	EXPECT_EQ(m->ByteOffset, 8u);
	EXPECT_EQ(MmAdvanceMdl(m, 8), STATUS_SUCCESS);
	EXPECT_EQ(m->ByteOffset, 16u);
	MmUnmapReservedMapping(base, tag, m);
	EXPECT_TRUE(fake::reports().size() == 1) << DescribeSince(0);
	MmFreeMappingAddress(base, tag);
	Release(m);
}

// ---- paging no-ops, system size -----------------------------------------------

TEST_F(MmExtraTest, PagingRoutinesReturnUsableHandles)
{
	int in_data = 0;
	PVOID h = MmLockPagableDataSection(&in_data);
	EXPECT_EQ(h, &in_data);
	h = MmLockPagableCodeSection(reinterpret_cast<PVOID>(&MmQuerySystemSize));
	EXPECT_EQ(h, reinterpret_cast<PVOID>(&MmQuerySystemSize));
	MmLockPagableSectionByHandle(h);
	MmUnlockPagableImageSection(h);
	MmUnlockPagableImageSection(h);
	EXPECT_EQ(MmPageEntireDriver(&in_data), &in_data);
	MmResetDriverPaging(&in_data);
	EXPECT_TRUE(fake::reports().empty());

	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGING_BAD_HANDLE,
				   [&] { EXPECT_EQ(MmLockPagableDataSection(nullptr), nullptr); }));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGING_BAD_HANDLE,
				   [&] { MmUnlockPagableImageSection(nullptr); }));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGING_BAD_HANDLE,
				   [&] { EXPECT_EQ(MmPageEntireDriver(nullptr), nullptr); }));
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				   [&] { EXPECT_EQ(MmLockPagableDataSection(&in_data), &in_data); }));
	fake::set_may_sleep(true);
}

TEST_F(MmExtraTest, SystemSizeFollowsRam)
{
	const unsigned long long mib = 256; // pages per MiB
	const struct {
		unsigned long long pages;
		MM_SYSTEMSIZE want;
	} cases[] = {
		{0, MmSmallSystem},
		{128 * mib - 1, MmSmallSystem},
		{128 * mib, MmMediumSystem},
		{512 * mib - 1, MmMediumSystem},
		{512 * mib, MmLargeSystem},
		{64ULL * 1024 * mib, MmLargeSystem},
	};
	for (const auto &c : cases) {
		fake::set_total_ram_pages(c.pages);
		EXPECT_EQ(MmQuerySystemSize(), c.want) << c.pages << " pages";
	}
	EXPECT_EQ(MmIsThisAnNtAsSystem(), FALSE);
	int x;
	EXPECT_EQ(MmIsDriverVerifyingByAddress(&x), 1u);
	EXPECT_EQ(MmIsDriverVerifyingByAddress(nullptr), 0u);
}

} // namespace

extern "C" int mmshim_mmextra_c_check(unsigned long *values, int max);

namespace {

class MmExtraCHeader : public CoreTest {};

// mmshim/mmextra.h compiled as pedantic C: prototypes match the WDK's
// function types (a mismatch fails to compile), macros and calls work.
TEST_F(MmExtraCHeader, CompilesAsCAndAgrees)
{
	fake::physmem_reset();
	fake::mmextra_reset();
	unsigned long v[14] = {};
	size_t first = fake::reports().size();
	ASSERT_EQ(mmshim_mmextra_c_check(v, 14), 14);
	EXPECT_EQ(v[0], 2u);
	EXPECT_EQ(v[1], 0x1234u);
	EXPECT_EQ(v[2], 1u);
	EXPECT_EQ(v[3], 1u);
	EXPECT_EQ(v[4], 1u);
	EXPECT_EQ(v[5], unsigned(MmLargeSystem)); // the fake has 1 GiB
	EXPECT_EQ(v[6], 0u);
	EXPECT_EQ(v[7], 1u);
	EXPECT_EQ(v[8], 1u);
	EXPECT_EQ(v[9], 0xC0000019u);
	EXPECT_EQ(v[10], 0xC00000F0u);
	EXPECT_EQ(v[11], 0xFF0u);
	EXPECT_EQ(v[12], 0x5000u);
	EXPECT_EQ(v[13], 0xC0000045u);
	// Exactly one report: the protection of an MDL that is not mapped.
	ASSERT_EQ(fake::reports().size(), first + 1);
	EXPECT_EQ(fake::reports()[first].params[0], ULONG_PTR(MMSHIM_VRF_PROTECT_NOT_MAPPED));
	EXPECT_EQ(fake::live_pages(), 0u);
}

} // namespace
