// SPDX-License-Identifier: GPL-2.0
// partial_test.cpp - partial MDLs and the lifetime of their source's
// frames (issue 10 items 4, 7 and 9): a partial whose source was unlocked
// or freed is never mapped; a partial still mapped when its source lets
// its frames go loses that mapping first; IoBuildPartialMdl and the map
// routines read no PFN entry beyond the MDL's real storage; MDLs embedded
// in a freed pool block are found and released.
#include "test_support.h"
#include "core/partial.h"
#include "core/lock.h"

#include <vector>

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

constexpr ULONG kTag = Tag("PaMd");

class PartialTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000100000000000ULL);
		fake::map_direct(kKernel, 8 * 4096, kPfn);
		fake::map_vmalloc(kVmalloc, {0x900, 0x700, 0x800, 0x500, 0x600, 0x300});
		fake::set_user_writable(kUser, kUser + 8 * 4096);
	}
	static PMDL Locked(uptr va, ULONG len)
	{
		PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
		EXPECT_NE(m, nullptr);
		EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
		return m;
	}
	static PMDL Partial(PMDL src, uptr va, ULONG len)
	{
		PMDL p = IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
		EXPECT_NE(p, nullptr);
		IoBuildPartialMdl(src, p, reinterpret_cast<PVOID>(va), len);
		return p;
	}
	static PVOID MapSystem(PMDL m)
	{
		return MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, nullptr, FALSE, NormalPagePriority);
	}
	static PVOID MapUser(PMDL m)
	{
		return MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, nullptr, FALSE, NormalPagePriority);
	}
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

// ---- item 4: no mapping of a partial whose source let its frames go ----

TEST_F(PartialTest, PartialOfAnUnlockedSourceIsNotMapped)
{
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL part = Partial(src, kVmalloc + 4096, 2 * 4096);
	EXPECT_EQ(mmshim::partial::count(), 1u);
	MmUnlockPages(src); // the frames go back: someone else may own them now
	EXPECT_EQ(mmshim::partial::count(), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      EXPECT_EQ(MapSystem(part), nullptr));
	EXPECT_EQ(fake::live_mappings(), 0u);
	// UserMode: reported, then raised (no __try here: reported as unhandled).
	EXPECT_EQ(Reports([&] { EXPECT_EQ(MapUser(part), nullptr); }),
		  (std::vector<ULONG_PTR>{MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
					  static_cast<ULONG_PTR>(static_cast<ULONG>(STATUS_ACCESS_VIOLATION))}));
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	EXPECT_EQ(fake::live_user_handles(), 0u);
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, part, MmCached), nullptr));
	EXPECT_EQ(fake::reserve_pte(reinterpret_cast<uptr>(base)), 0u);
	MmFreeMappingAddress(base, kTag);
	EXPECT_NO_REPORT(IoFreeMdl(part));
	IoFreeMdl(src);
}

TEST_F(PartialTest, RelockingTheSourceDoesNotReviveAnOldPartial)
{
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL part = Partial(src, kVmalloc, 4096);
	MmUnlockPages(src);
	ASSERT_EQ(MmshimProbeAndLockPages(src, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	// The partial holds the old lock's frames, not necessarily the new ones.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      EXPECT_EQ(MapSystem(part), nullptr));
	// Built again, it maps.
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc), 4096);
	EXPECT_NE(MapSystem(part), nullptr);
	MmPrepareMdlForReuse(part);
	EXPECT_NO_REPORT(MmUnlockPages(src));
	IoFreeMdl(part);
	IoFreeMdl(src);
	EXPECT_EQ(mmshim::partial::count(), 0u);
}

TEST_F(PartialTest, PartialOfAPartialDiesWithTheFirstSource)
{
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL p1 = Partial(src, kVmalloc + 4096, 3 * 4096);
	PMDL p2 = Partial(p1, kVmalloc + 2 * 4096, 4096);
	EXPECT_EQ(mmshim::partial::count(), 2u);
	IoFreeMdl(p1); // the frames are held by src, not by p1
	EXPECT_NE(MapSystem(p2), nullptr);
	MmPrepareMdlForReuse(p2);
	MmUnlockPages(src);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      EXPECT_EQ(MapSystem(p2), nullptr));
	IoFreeMdl(p2);
	IoFreeMdl(src);
}

TEST_F(PartialTest, PartialOfFreedAllocatedPagesIsNotMapped)
{
	PMDL src = MmAllocatePagesForMdl(Pa(0), Pa(~0ULL), Pa(0), 3 * 4096);
	ASSERT_NE(src, nullptr);
	PMDL part = IoAllocateMdl(MmGetMdlVirtualAddress(src), 4096, FALSE, FALSE, nullptr);
	IoBuildPartialMdl(src, part, static_cast<PUCHAR>(MmGetMdlVirtualAddress(src)) + 4096, 4096);
	PVOID va = MapSystem(part);
	EXPECT_NE(va, nullptr);
	MmUnmapLockedPages(va, part);
	MmFreePagesFromMdl(src);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      EXPECT_EQ(MapSystem(part), nullptr));
	IoFreeMdl(part);
	ExFreePool(src);
}

TEST_F(PartialTest, SystemMappingOfAPartialIsRevokedWhenTheSourceIsUnlocked)
{
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL part = Partial(src, kVmalloc + 4096, 2 * 4096); // scattered: a real mapping
	ASSERT_NE(MapSystem(part), nullptr);
	ASSERT_EQ(fake::live_mappings(), 1u);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE, &r,
			  MmUnlockPages(src));
	EXPECT_EQ(r.params[1], reinterpret_cast<uptr>(part));
	EXPECT_EQ(r.params[2], reinterpret_cast<uptr>(src));
	EXPECT_EQ(fake::live_mappings(), 0u); // gone before the frames were released
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_FALSE(part->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED));
	EXPECT_NO_REPORT(IoFreeMdl(part));
	IoFreeMdl(src);
}

TEST_F(PartialTest, ReservedMappingOfAPartialIsRevokedWhenTheSourceIsUnlocked)
{
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL part = Partial(src, kVmalloc + 4096, 2 * 4096);
	ASSERT_NE(MmMapLockedPagesWithReservedMapping(base, kTag, part, MmCached), nullptr);
	ASSERT_EQ(fake::reserve_pte(reinterpret_cast<uptr>(base)), 0x700u);
	EXPECT_EQ(Reports([&] { MmUnlockPages(src); }),
		  (std::vector<ULONG_PTR>{MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE, MMSHIM_VRF_MDL_IN_RESERVATION}));
	EXPECT_EQ(fake::reserve_pte(reinterpret_cast<uptr>(base)), 0u);
	EXPECT_NO_REPORT(MmFreeMappingAddress(base, kTag)); // empty again
	IoFreeMdl(part);
	IoFreeMdl(src);
}

TEST_F(PartialTest, UserMappingOfAPartialHoldsPageReferencesAndIsRevoked)
{
	PMDL src = Locked(kKernel, 4 * 4096);
	PMDL part = Partial(src, kKernel + 4096, 2 * 4096);
	auto va = reinterpret_cast<uptr>(MapUser(part));
	ASSERT_NE(va, 0u);
	EXPECT_EQ(fake::user_mapping_pfns(va), (std::vector<unsigned long long>{kPfn + 1, kPfn + 2}));
	EXPECT_GE(fake::page_refs(kPfn + 1), 1); // the mapping's own reference
	EXPECT_EQ(Reports([&] { MmUnlockPages(src); }),
		  (std::vector<ULONG_PTR>{MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE, MMSHIM_VRF_USER_MAPPING_LIVE}));
	EXPECT_EQ(MmshimUserMappingCount(), 0u);
	EXPECT_EQ(fake::live_user_handles(), 0u);
	EXPECT_EQ(fake::page_refs(kPfn + 1), 0);
	IoFreeMdl(part);
	IoFreeMdl(src);
}

TEST_F(PartialTest, SourceUnlockedWhileThePartialIsBeingMapped)
{
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL part = Partial(src, kVmalloc + 4096, 2 * 4096);
	fake::during_next_map([&] { MmUnlockPages(src); }); // another CPU
	std::vector<ULONG_PTR> got = Reports([&] { EXPECT_EQ(MapSystem(part), nullptr); });
	EXPECT_EQ(got, (std::vector<ULONG_PTR>{MMSHIM_VRF_PARTIAL_MAPPED_AT_RELEASE,
					       MMSHIM_VRF_MDL_MAPPING_ABANDONED}));
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	IoFreeMdl(part);
	IoFreeMdl(src);
}

TEST_F(PartialTest, PartialOfAnMdlNobodyLockedIsNotMapped)
{
	// Built by hand: mmshim does not know how long these frames live.
	PMDL src = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 2 * 4096, FALSE, FALSE, nullptr);
	MmGetMdlPfnArray(src)[0] = 0x900;
	MmGetMdlPfnArray(src)[1] = 0x700;
	src->MdlFlags |= MDL_PAGES_LOCKED;
	PMDL part = Partial(src, kVmalloc, 4096);
	EXPECT_EQ(mmshim::partial::count(), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      EXPECT_EQ(MapSystem(part), nullptr));
	IoFreeMdl(part);
	src->MdlFlags &= ~MDL_PAGES_LOCKED;
	IoFreeMdl(src);
}

TEST_F(PartialTest, RecordsGoWithTheirMdls)
{
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL part = Partial(src, kVmalloc, 4096);
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 4096), 4096); // re-used
	EXPECT_EQ(mmshim::partial::count(), 1u);
	IoFreeMdl(part);
	EXPECT_EQ(mmshim::partial::count(), 0u);
	// A partial in pool, freed with ExFreePool (no IoFreeMdl needed).
	auto *pool = static_cast<PMDL>(ExAllocatePool2(POOL_FLAG_NON_PAGED, MmSizeOfMdl(nullptr, 4096), kTag));
	MmInitializeMdl(pool, reinterpret_cast<PVOID>(kVmalloc), 4096);
	IoBuildPartialMdl(src, pool, reinterpret_cast<PVOID>(kVmalloc), 4096);
	EXPECT_EQ(mmshim::partial::count(), 1u);
	EXPECT_NO_REPORT(ExFreePool(pool));
	EXPECT_EQ(mmshim::partial::count(), 0u);
	MmUnlockPages(src);
	IoFreeMdl(src);
}

// ---- item 7: every PFN read is bounded by the MDL's real storage ----------

TEST_F(PartialTest, SourceWhoseByteCountClaimsMoreThanItsStorageHolds)
{
	// A pool MDL with room for two entries, locked, then its fields
	// rewritten to describe six pages.
	const SIZE_T size = MmSizeOfMdl(reinterpret_cast<PVOID>(kVmalloc), 2 * 4096);
	auto *src = static_cast<PMDL>(ExAllocatePool2(POOL_FLAG_NON_PAGED, size, kTag));
	MmInitializeMdl(src, reinterpret_cast<PVOID>(kVmalloc), 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(src, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	src->ByteCount = 6 * 4096;
	src->Size = static_cast<CSHORT>(sizeof(MDL) + 6 * sizeof(PFN_NUMBER));
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 6 * 4096, FALSE, FALSE, nullptr);
	part->MdlFlags = 0;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_TOO_SMALL,
		      IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 4 * 4096), 2 * 4096));
	EXPECT_FALSE(part->MdlFlags & MDL_PARTIAL); // untouched
	// Inside the storage it works.
	EXPECT_NO_REPORT(IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 4096), 4096));
	EXPECT_EQ(MmGetMdlPfnArray(part)[0], 0x700u);
	// Mapping the rewritten source reads no entry past its block either.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      EXPECT_EQ(MapSystem(src), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      EXPECT_EQ(MapUser(src), nullptr));
	src->ByteCount = 2 * 4096;
	IoFreeMdl(part);
	MmUnlockPages(src);
	ExFreePool(src);
}

TEST_F(PartialTest, AllocatedSourceIsBoundedByItsAllocation)
{
	PMDL src = Locked(kVmalloc, 2 * 4096); // cache object: 23 entries
	src->ByteCount = 40 * 4096;
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 8 * 4096, FALSE, FALSE, nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_TOO_SMALL,
		      IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 30 * 4096), 4096));
	src->ByteCount = 2 * 4096;
	IoFreeMdl(part);
	MmUnlockPages(src);
	IoFreeMdl(src);
}

TEST_F(PartialTest, DriverMemoryMdlIsBoundedByWhatItsLockWrote)
{
	// An MDL in memory mmshim does not know (a driver's own buffer): Size
	// enlarged after the lock no longer lets a map read past the entries
	// the lock wrote.
	std::vector<unsigned char> storage(sizeof(MDL) + 2 * sizeof(PFN_NUMBER));
	auto *m = reinterpret_cast<PMDL>(storage.data());
	MmInitializeMdl(m, reinterpret_cast<PVOID>(kVmalloc), 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	m->ByteCount = 5 * 4096;
	m->Size = static_cast<CSHORT>(sizeof(MDL) + 5 * sizeof(PFN_NUMBER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      EXPECT_EQ(MapSystem(m), nullptr));
	m->ByteCount = 2 * 4096;
	MmUnlockPages(m);
}

// ---- item 9: MDLs embedded in a freed pool block --------------------------

struct Context {
	ULONG64 a, b, c;  // 24 bytes of driver state first
	MDL mdl;          // then an MDL with room for 4 entries
	PFN_NUMBER pfns[4];
	ULONG64 tail;
};

TEST_F(PartialTest, EmbeddedLockedMdlIsReleasedWhenItsBlockIsFreed)
{
	auto *ctx = static_cast<Context *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(Context), kTag));
	static_assert(offsetof(Context, mdl) == 24);
	MmInitializeMdl(&ctx->mdl, reinterpret_cast<PVOID>(kVmalloc), 3 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(&ctx->mdl, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_NE(MapSystem(&ctx->mdl), nullptr);
	const auto mdl = reinterpret_cast<uptr>(&ctx->mdl);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, &r, ExFreePool(ctx));
	EXPECT_EQ(r.params[1], mdl);
	EXPECT_EQ(r.params[2], ULONG_PTR(MMSHIM_FREED_MDL_LOCKED | MMSHIM_FREED_MDL_MAPPED));
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	EXPECT_EQ(MmshimMappedMdlCount(), 0u);
	EXPECT_EQ(fake::live_mappings(), 0u);
	// A new MDL at that address is not "already locked".
	std::vector<unsigned char> storage(sizeof(MDL) + 4 * sizeof(PFN_NUMBER));
	(void)storage;
}

TEST_F(PartialTest, EmbeddedUserLockedMdlsAreAllReleased)
{
	struct Two {
		ULONG64 head[3];
		MDL m1;
		PFN_NUMBER p1[2];
		MDL m2;
		PFN_NUMBER p2[2];
	};
	auto *two = static_cast<Two *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(Two), kTag));
	MmInitializeMdl(&two->m1, reinterpret_cast<PVOID>(kUser), 2 * 4096);
	MmInitializeMdl(&two->m2, reinterpret_cast<PVOID>(kUser + 4 * 4096), 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(&two->m1, UserMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_EQ(MmshimProbeAndLockPages(&two->m2, UserMode, IoWriteAccess), STATUS_SUCCESS);
	ASSERT_EQ(fake::live_pins(), 2u);
	EXPECT_EQ(Reports([&] { ExFreePool(two); }),
		  (std::vector<ULONG_PTR>{MMSHIM_VRF_MDL_FREED_IN_USE, MMSHIM_VRF_MDL_FREED_IN_USE}));
	EXPECT_EQ(fake::live_pins(), 0u);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
}

TEST_F(PartialTest, NoRecordIsLeftInAFreedBlock)
{
	// The block's memory may come back as anything (kmalloc re-uses it at
	// once): no lock, mapping or partial record may stay in its range, or
	// a never-locked MDL placed there later would be refused.
	auto *ctx = static_cast<Context *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(Context), kTag));
	MmInitializeMdl(&ctx->mdl, reinterpret_cast<PVOID>(kKernel), 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(&ctx->mdl, KernelMode, IoReadAccess), STATUS_SUCCESS);
	const auto lo = reinterpret_cast<uptr>(ctx);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, ExFreePool(ctx));
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	EXPECT_EQ(fake::page_refs(kPfn), 0);
	EXPECT_FALSE(mmshim::lock::is_locked(reinterpret_cast<PMDL>(lo + 24)));
}

TEST_F(PartialTest, EmbeddedMappedPartialIsUnmappedWhenItsBlockIsFreed)
{
	PMDL src = Locked(kVmalloc, 4 * 4096);
	auto *ctx = static_cast<Context *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(Context), kTag));
	MmInitializeMdl(&ctx->mdl, reinterpret_cast<PVOID>(kVmalloc), 2 * 4096);
	IoBuildPartialMdl(src, &ctx->mdl, reinterpret_cast<PVOID>(kVmalloc + 4096), 2 * 4096);
	ASSERT_NE(MapSystem(&ctx->mdl), nullptr);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, &r, ExFreePool(ctx));
	EXPECT_EQ(r.params[2], ULONG_PTR(MMSHIM_FREED_MDL_MAPPED));
	EXPECT_EQ(fake::live_mappings(), 0u);
	EXPECT_EQ(mmshim::partial::count(), 0u);
	EXPECT_NO_REPORT(MmUnlockPages(src));
	IoFreeMdl(src);
}

TEST_F(PartialTest, FreeingPoolWithoutMdlsReportsNothing)
{
	PMDL src = Locked(kVmalloc, 4 * 4096); // records exist, elsewhere
	for (SIZE_T size : {SIZE_T(8), SIZE_T(100), SIZE_T(4096), SIZE_T(64 * 1024)}) {
		void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, kTag);
		ASSERT_NE(p, nullptr);
		EXPECT_NO_REPORT(ExFreePool(p));
	}
	EXPECT_EQ(MmshimLockedMdlCount(), 1u);
	MmUnlockPages(src);
	IoFreeMdl(src);
}

} // namespace

// ---- item 15c: MdlFlags agree with the lock record under races -------------

namespace {

class FlagsTest : public PartialTest {};

TEST_F(FlagsTest, UnlockRacingALockLeavesNoFlagWithoutARecord)
{
	// Another CPU unlocks the MDL while MmProbeAndLockPages is still
	// writing its PFNs (after its record was entered). Before the fix the
	// unlock took and freed the record under the lock (use after free) and
	// the lock then set MDL_PAGES_LOCKED with no record behind it.
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 2 * 4096, FALSE, FALSE, nullptr);
	fake::during_next_pfn_is_ram([&] {
		EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED, MmUnlockPages(m));
	});
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	// Flag and record agree: both there, and a normal unlock works.
	EXPECT_TRUE(m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_EQ(MmshimLockedMdlCount(), 1u);
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_FALSE(m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	IoFreeMdl(m);
}

} // namespace
