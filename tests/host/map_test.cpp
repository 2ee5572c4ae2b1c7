// SPDX-License-Identifier: GPL-2.0
// map_test.cpp - system mappings and partial MDLs on the fake platform:
// which primitive is chosen (linear map vs mapping), NoWrite, flags and
// fields, failure handling, unmapping on unlock and free, partial MDLs.
#include "test_support.h"

#include <vector>

using namespace mmshim_test;
using uptr = ULONG_PTR;

// Pages in the atomic-context VA pool (src/core/vapool.h).
constexpr uptr kPoolPages = 4096;

namespace {

class MapTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kKernel, 8 * 4096, kPfn);
		fake::map_vmalloc(kVmalloc, {0x900, 0x700, 0x800, 0x500});
	}
	// An MDL locked with MmshimProbeAndLockPages.
	PMDL Locked(uptr va, ULONG len)
	{
		PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
		EXPECT_NE(m, nullptr);
		EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
		return m;
	}
	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kPfn = 0x100;
	static constexpr uptr kVmalloc = 0xffffc90000200000ULL;
};

TEST_F(MapTest, ContiguousRamUsesTheLinearMap)
{
	PMDL m = Locked(kKernel + 0x30, 2 * 4096);
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	EXPECT_EQ(reinterpret_cast<uptr>(va), fake::kLinearBase + (kPfn << 12) + 0x30);
	EXPECT_EQ(fake::live_mappings(), 0u); // no page-table work
	EXPECT_EQ(m->MappedSystemVa, va);
	EXPECT_TRUE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_EQ(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), va);
	MmUnmapLockedPages(va, m);
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_EQ(m->MappedSystemVa, va); // not reset, as on Windows
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(MapTest, ScatteredPagesAreMappedInOrder)
{
	PMDL m = Locked(kVmalloc + 8, 3 * 4096);
	auto *va = static_cast<PUCHAR>(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE,
								     NormalPagePriority));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va) & 0xfff, 8u);
	EXPECT_EQ(fake::mapping_pfns(va - 8), (std::vector<unsigned long long>{0x900, 0x700, 0x800, 0x500}));
	EXPECT_EQ(MmshimMappedMdlCount(), 1u);
	MmUnlockPages(m); // drops the mapping first
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	IoFreeMdl(m);
}

TEST_F(MapTest, NoWriteNeverUsesTheWritableLinearMap)
{
	PMDL m = Locked(kKernel, 4096);
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoWrite);
	ASSERT_NE(va, nullptr);
	EXPECT_TRUE(fake::mapping_read_only(va));
	MmUnmapLockedPages(va, m);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(MapTest, FailureLeavesTheMdlUntouchedAndHonoursBugCheckOnFailure)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	const CSHORT flags = m->MdlFlags;
	// The first map allocates its record (later ones reuse records).
	fake::fail_next_allocs(1);
	EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE, 0), nullptr);
	EXPECT_EQ(m->MdlFlags, flags);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	fake::fail_next_maps(1);
	EXPECT_TRUE(NoReport([&] {
		EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE, 0), nullptr);
	}));
	EXPECT_EQ(m->MdlFlags, flags);
	EXPECT_EQ(m->MappedSystemVa, nullptr);
	fake::fail_next_maps(1);
	EXPECT_TRUE(ReportsExactly(NO_MORE_SYSTEM_PTES, 0, [&] { EXPECT_EQ(MmMapLockedPages(m, KernelMode), nullptr); }));
	fake::fail_next_maps(1);
	m->MdlFlags |= MDL_MAPPING_CAN_FAIL;
	EXPECT_TRUE(NoReport([&] {
		EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, TRUE, 0), nullptr);
	}));
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_EQ(m->MdlFlags, flags | MDL_MAPPING_CAN_FAIL);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(MapTest, AtomicContextUsesTheVaPool)
{
	PMDL a = Locked(kKernel, 2 * 4096);
	PMDL b = Locked(kVmalloc + 4, 2 * 4096);
	fake::set_may_sleep(false);
	EXPECT_EQ(reinterpret_cast<uptr>(MmGetSystemAddressForMdlSafe(a, NormalPagePriority)),
		  fake::kLinearBase + (kPfn << 12));
	auto *va = static_cast<PUCHAR>(MmGetSystemAddressForMdlSafe(b, NormalPagePriority));
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(reinterpret_cast<uptr>(va), fake::kVapoolBase + 4);
	EXPECT_EQ(fake::vapool_pte(0), 0x900u);
	EXPECT_EQ(fake::vapool_pte(2), 0x800u);
	EXPECT_EQ(fake::live_mappings(), 0u); // no vmap
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages - 3);
	MmUnmapLockedPages(va, b);
	EXPECT_EQ(fake::vapool_pte(0), 0u);
	EXPECT_EQ(fake::vapool_flush_requests(), 1u);
	// Unmapped but not flushed: not reused yet.
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages - 3);
	va = static_cast<PUCHAR>(MmGetSystemAddressForMdlSafe(b, NormalPagePriority | MdlMappingNoWrite));
	EXPECT_EQ(reinterpret_cast<uptr>(va), fake::kVapoolBase + 3 * 4096 + 4);
	EXPECT_EQ(fake::vapool_pte(3), 0x900u | (1ULL << 63)); // read-only
	MmUnlockPages(b); // unmaps first
	fake::run_vapool_flush();
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages);
	fake::set_may_sleep(true);
	MmUnlockPages(a);
	IoFreeMdl(a);
	IoFreeMdl(b);
}

TEST_F(MapTest, VaPoolExhaustionFailsCleanly)
{
	// A hand-built MDL bigger than the pool, mapped in atomic context.
	std::vector<unsigned char> store(MmSizeOfMdl(nullptr, (kPoolPages + 1) * 4096));
	auto *m = reinterpret_cast<PMDL>(store.data());
	MmInitializeMdl(m, nullptr, (kPoolPages + 1) * 4096);
	for (uptr i = 0; i < kPoolPages + 1; i++)
		MmGetMdlPfnArray(m)[i] = kPfn + (i % 2) * 4; // never contiguous
	m->MdlFlags |= MDL_PAGES_LOCKED;
	fake::set_may_sleep(false);
	EXPECT_TRUE(NoReport([&] {
		EXPECT_EQ(MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE, 0), nullptr);
	}));
	EXPECT_TRUE(ReportsExactly(NO_MORE_SYSTEM_PTES, 0, [&] { EXPECT_EQ(MmMapLockedPages(m, KernelMode), nullptr); }));
	EXPECT_EQ(m->MdlFlags, MDL_PAGES_LOCKED);
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages);
	fake::set_may_sleep(true);
}

// Unmapped pool pages come back without the worker when the context allows
// a synchronous TLB flush (interrupts on): a DPC that maps and unmaps in a
// loop never runs dry. With interrupts off it waits for the worker.
TEST_F(MapTest, VaPoolReclaimsSynchronouslyWhenItRunsDry)
{
	PMDL b = Locked(kVmalloc, 2 * 4096);
	fake::set_may_sleep(false);
	const uptr rounds = 3 * kPoolPages;
	for (uptr i = 0; i < rounds; i++) {
		auto *va = MmGetSystemAddressForMdlSafe(b, NormalPagePriority);
		ASSERT_NE(va, nullptr) << "round " << i;
		MmUnmapLockedPages(va, b);
	}
	// Two pages a round: the pool ran dry about every kPoolPages / 2 rounds.
	EXPECT_GE(fake::vapool_sync_flushes(), rounds * 2 / kPoolPages - 1);
	EXPECT_LE(fake::vapool_sync_flushes(), rounds * 2 / kPoolPages);
	EXPECT_EQ(fake::vapool_pte(0), 0u);

	// Interrupts off: no synchronous flush, so the pool runs dry and the
	// map fails cleanly (NULL; 0x3F with BugCheckOnFailure) ...
	fake::run_vapool_flush();
	fake::set_vapool_sync_flush(false);
	uptr mapped = 0;
	for (;;) {
		auto *va = MmGetSystemAddressForMdlSafe(b, NormalPagePriority);
		if (!va)
			break;
		MmUnmapLockedPages(va, b);
		ASSERT_LE(++mapped, kPoolPages / 2);
	}
	EXPECT_EQ(mapped, kPoolPages / 2);
	EXPECT_EQ(MmshimAtomicMapFreePages(), 0u);
	EXPECT_EQ(b->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, 0);
	// ... until the worker has flushed.
	fake::run_vapool_flush();
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages);
	EXPECT_NE(MmGetSystemAddressForMdlSafe(b, NormalPagePriority), nullptr);
	fake::set_vapool_sync_flush(true);
	MmUnlockPages(b);
	fake::run_vapool_flush();
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages);
	fake::set_may_sleep(true);
	IoFreeMdl(b);
}

// A flush frees only the pages unmapped before it began: pages unmapped
// while a flush is running wait for the next one (the worker's flush and a
// synchronous one may overlap).
TEST_F(MapTest, VaPoolFlushFreesOnlyWhatItCovered)
{
	PMDL a = Locked(kVmalloc, 2 * 4096);
	PMDL b = Locked(kVmalloc + 2 * 4096, 2 * 4096);
	fake::set_may_sleep(false);
	auto *va = MmGetSystemAddressForMdlSafe(a, NormalPagePriority);
	auto *vb = MmGetSystemAddressForMdlSafe(b, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	ASSERT_NE(vb, nullptr);
	MmUnmapLockedPages(va, a);
	mmshim_core_vapool_flush_begin(); // the worker starts flushing
	MmUnmapLockedPages(vb, b);         // unmapped after the flush began
	mmshim_core_vapool_flush_end();
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages - 2);
	fake::run_vapool_flush();
	EXPECT_EQ(MmshimAtomicMapFreePages(), kPoolPages);
	fake::set_may_sleep(true);
	MmUnlockPages(a);
	MmUnlockPages(b);
	IoFreeMdl(a);
	IoFreeMdl(b);
}

TEST_F(MapTest, MisuseIsReported)
{
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
				   [&] { EXPECT_EQ(MmMapLockedPages(m, KernelMode), nullptr); }));
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS, [&] {
		MmMapLockedPagesSpecifyCache(m, KernelMode, static_cast<MEMORY_CACHING_TYPE>(-1), nullptr, FALSE, 0);
	}));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED,
				   [&] { MmUnmapLockedPages(reinterpret_cast<PVOID>(kKernel), m); }));
	PVOID va = MmMapLockedPages(m, KernelMode);
	ASSERT_NE(va, nullptr);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_MAPPED,
				   [&] { MmMapLockedPages(m, KernelMode); }));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED, [&] {
		MmUnmapLockedPages(static_cast<PUCHAR>(va) + 1, m);
	}));
	EXPECT_TRUE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA); // still mapped
	EXPECT_TRUE(NoReport([&] { MmUnmapLockedPages(va, m); }));
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED,
				   [&] { MmUnmapLockedPages(va, m); })); // twice
	fake::add_io_pfn(kPfn); // now the frame is device memory
	// Device frames are mapped with ioremap, but not in atomic context.
	fake::set_may_sleep(false);
	EXPECT_TRUE(ReportsExactly(MMSHIM_CALL_FAILED, MMSHIM_FAIL_IRQL,
				   [&] { EXPECT_EQ(MmMapLockedPages(m, KernelMode), nullptr); }));
	fake::set_may_sleep(true);
	va = MmMapLockedPages(m, KernelMode);
	EXPECT_NE(va, nullptr);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(MapTest, PartialMdls)
{
	PMDL src = Locked(kVmalloc + 0x20, 4 * 4096 - 0x20);
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 4 * 4096, FALSE, FALSE, nullptr);
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 4096 + 0x10), 4096);
	EXPECT_EQ(part->MdlFlags, MDL_PARTIAL | MDL_ALLOCATED_FIXED_SIZE);
	EXPECT_EQ(part->ByteOffset, 0x10u);
	EXPECT_EQ(part->ByteCount, 4096u);
	EXPECT_EQ(MmGetMdlPfnArray(part)[0], 0x700u);
	EXPECT_EQ(MmGetMdlPfnArray(part)[1], 0x800u);
	PVOID va = MmGetSystemAddressForMdlSafe(part, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	EXPECT_TRUE(part->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED);
	MmPrepareMdlForReuse(part);
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_FALSE(part->MdlFlags & (MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA));
	// Out of range: INVALID_MDL_RANGE, target unchanged.
	EXPECT_TRUE(ReportsExactly(INVALID_MDL_RANGE, reinterpret_cast<uptr>(src), [&] {
		IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 0x10), 16);
	}));
	EXPECT_TRUE(ReportsExactly(INVALID_MDL_RANGE, reinterpret_cast<uptr>(src), [&] {
		IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 3 * 4096), 4097);
	}));
	EXPECT_EQ(part->ByteCount, 4096u);
	// Mapped again, then freed: IoFreeMdl unmaps a mapped partial MDL.
	ASSERT_NE(MmGetSystemAddressForMdlSafe(part, NormalPagePriority), nullptr);
	EXPECT_TRUE(NoReport([&] { IoFreeMdl(part); }));
	EXPECT_EQ(fake::live_mappings(), 0u);
	MmUnlockPages(src);
	IoFreeMdl(src);
}

TEST_F(MapTest, RecordsAreReusedSoRemappingAllocatesNothing)
{
	PMDL m = Locked(kVmalloc, 3 * 4096);
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	MmUnmapLockedPages(va, m);
	const auto before = fake::alloc_calls();
	for (int i = 0; i < 3; i++) {
		va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
		ASSERT_NE(va, nullptr);
		EXPECT_EQ(MmshimMappedMdlCount(), 1u);
		MmUnmapLockedPages(va, m);
	}
	EXPECT_EQ(fake::alloc_calls(), before);
	EXPECT_EQ(fake::live_mappings(), 0u);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

// Issue 14: a vmap of more than 16 frames gets its page array from the
// record's scratch, kept across recycling: once warm, a steady stream of
// such maps allocates nothing.
TEST_F(MapTest, LargeMapsReuseTheRecordsPageArray)
{
	constexpr uptr kBig = 0xffffc90000400000ULL;
	std::vector<unsigned long long> pfns;
	for (unsigned i = 0; i < 40; i++)
		pfns.push_back(0x2000 + 2 * (40 - i)); // scattered
	fake::map_vmalloc(kBig, pfns);
	PMDL m = Locked(kBig, 40 * 4096);
	const auto scratch = fake::scratch_maps();
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	MmUnmapLockedPages(va, m);
	const auto before = fake::alloc_calls();
	for (int i = 0; i < 3; i++) {
		va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
		ASSERT_NE(va, nullptr);
		MmUnmapLockedPages(va, m);
	}
	EXPECT_EQ(fake::alloc_calls(), before);
	EXPECT_EQ(fake::scratch_maps(), scratch + 4);
	// Up to 16 frames need none.
	PMDL small = Locked(kVmalloc, 3 * 4096);
	va = MmGetSystemAddressForMdlSafe(small, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	MmUnmapLockedPages(va, small);
	EXPECT_EQ(fake::scratch_maps(), scratch + 4);
	MmUnlockPages(small);
	IoFreeMdl(small);
	MmUnlockPages(m);
	IoFreeMdl(m);
	EXPECT_EQ(fake::live_mappings(), 0u);
}

TEST_F(MapTest, LinearMappingsHoldNoRecord)
{
	PMDL m = Locked(kKernel, 2 * 4096);
	const auto before = fake::alloc_calls();
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(fake::alloc_calls(), before);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u); // nothing to release
	// Still refused twice, and unmapped once.
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_MAPPED,
				   [&] { MmMapLockedPages(m, KernelMode); }));
	EXPECT_TRUE(NoReport([&] { MmUnmapLockedPages(va, m); }));
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED,
				   [&] { MmUnmapLockedPages(va, m); }));
	// MmUnlockPages clears a linear mapping's flags too.
	ASSERT_NE(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr);
	MmUnlockPages(m);
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	IoFreeMdl(m);
}

TEST_F(MapTest, UnmapInAtomicContextFinishesInTheWorker)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	fake::set_may_sleep(false);
	EXPECT_TRUE(NoReport([&] { MmUnmapLockedPages(va, m); }));
	fake::set_may_sleep(true);
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_EQ(fake::live_mappings(), 1u); // until the worker runs
	fake::run_deferred();
	EXPECT_EQ(fake::live_mappings(), 0u);
	// The record came back for reuse.
	const auto before = fake::alloc_calls();
	va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(fake::alloc_calls(), before);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(MapTest, UnlockWhileAnotherThreadMapsAbandonsThatMapping)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	fake::during_next_map([&] {
		EXPECT_TRUE(ReportsExactly(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_MAPPING_ABANDONED,
					   [&] { MmUnlockPages(m); }));
		EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	});
	EXPECT_EQ(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr);
	EXPECT_EQ(fake::live_mappings(), 0u); // undone by the mapping call
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_FALSE(m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED));
	// The record went back for reuse: the MDL locks and maps again.
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	const auto before = fake::alloc_calls();
	PVOID va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	ASSERT_NE(va, nullptr);
	EXPECT_EQ(fake::alloc_calls(), before);
	MmUnlockPages(m);
	IoFreeMdl(m);
}

TEST_F(MapTest, FreeWhileAnotherThreadMapsLeavesTheMdlAlone)
{
	PMDL m = Locked(kVmalloc, 2 * 4096);
	fake::during_next_map([&] {
		MmUnlockPages(m); // reported as abandoned
		IoFreeMdl(m);
	});
	EXPECT_EQ(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), nullptr); // m is freed: not read
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
}

} // namespace
