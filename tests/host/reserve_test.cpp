// SPDX-License-Identifier: GPL-2.0
// reserve_test.cpp - reserved mappings on the fake platform: what the page
// tables hold after each call, the fields and flags of the MDL, tag rules,
// every 0xDA misuse (refused, reservation and MDL intact), forward progress
// with every allocation failing, atomic context, and cleanup on unlock, free
// and unload.
#include "test_support.h"

#include <vector>

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

class ReserveTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_vmalloc(kVmalloc, {0x900, 0x700, 0x800, 0x500, 0x600, 0x300});
	}
	PMDL Locked(uptr va, ULONG len)
	{
		PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(va), len, FALSE, FALSE, nullptr);
		EXPECT_NE(m, nullptr);
		EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
		return m;
	}
	static void Release(PMDL m)
	{
		MmUnlockPages(m);
		IoFreeMdl(m);
	}
	static uptr U(PVOID p) { return reinterpret_cast<uptr>(p); }
	static constexpr uptr kVmalloc = 0xffffc90000200000ULL;
	static constexpr ULONG kTag = Tag("Rsv0");
};

TEST_F(ReserveTest, AllocateReservesPagesAndMapsNothing)
{
	PVOID base = MmAllocateMappingAddress(3 * 4096 + 1, kTag);
	ASSERT_NE(base, nullptr);
	EXPECT_EQ(U(base) & 0xfff, 0u);
	EXPECT_EQ(fake::live_reservations(), 1u);
	EXPECT_EQ(MmshimReservedMappingCount(), 1u);
	for (int i = 0; i < 4; i++)
		EXPECT_EQ(fake::reserve_pte(U(base) + i * 4096), 0u);
	EXPECT_NO_REPORT(MmFreeMappingAddress(base, kTag));
	EXPECT_EQ(fake::live_reservations(), 0u);
	EXPECT_EQ(MmshimReservedMappingCount(), 0u);
}

TEST_F(ReserveTest, AllocateRefusesTagZeroZeroSizeHugeSizeAndAtomicContext)
{
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      EXPECT_EQ(MmAllocateMappingAddress(4096, 0), nullptr));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_ZERO_MAPPINGS, EXPECT_EQ(MmAllocateMappingAddress(0, kTag), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE,
		      EXPECT_EQ(MmAllocateMappingAddress(~SIZE_T{0}, kTag), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE,
		      EXPECT_EQ(MmAllocateMappingAddress((SIZE_T{4} << 30) + 1, kTag), nullptr));
	fake::set_may_sleep(false);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      EXPECT_EQ(MmAllocateMappingAddress(4096, kTag), nullptr));
	fake::set_may_sleep(true);
	EXPECT_EQ(fake::live_reservations(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(ReserveTest, AllocateFailuresLeakNothing)
{
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocateMappingAddress(4096, kTag), nullptr));
	fake::fail_next_reserve_creates(1);
	EXPECT_NO_REPORT(EXPECT_EQ(MmAllocateMappingAddress(4096, kTag), nullptr));
	EXPECT_EQ(fake::live_allocs(), 0u);
	EXPECT_EQ(fake::live_reservations(), 0u);
	EXPECT_EQ(MmshimReservedMappingCount(), 0u);
}

TEST_F(ReserveTest, MapWritesTheMdlFramesAndUnmapClearsThem)
{
	PVOID base = MmAllocateMappingAddress(6 * 4096, kTag);
	ASSERT_NE(base, nullptr);
	PMDL m = Locked(kVmalloc + 0x30, 3 * 4096); // spans 4 pages
	PVOID va = nullptr;
	EXPECT_NO_REPORT(va = MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached));
	EXPECT_EQ(U(va), U(base) + 0x30);
	EXPECT_EQ(m->MappedSystemVa, base); // without the byte offset, as documented
	EXPECT_TRUE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_FALSE(m->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED);
	const unsigned long long want[] = {0x900, 0x700, 0x800, 0x500, 0, 0};
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(fake::reserve_pte(U(base) + i * 4096), want[i]) << i;
	EXPECT_EQ(MmshimMappedMdlCount(), 0u); // not a MmMapLockedPages mapping
	EXPECT_NO_REPORT(MmUnmapReservedMapping(base, kTag, m));
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(fake::reserve_pte(U(base) + i * 4096), 0u) << i;
	EXPECT_FALSE(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	EXPECT_EQ(m->MappedSystemVa, base); // not reset, as on Windows

	// Another MDL, exactly the reserved size, then the first one again.
	PMDL all = Locked(kVmalloc, 6 * 4096);
	EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, all, MmCached), base);
	EXPECT_EQ(fake::reserve_pte(U(base) + 5 * 4096), 0x300u);
	MmUnmapReservedMapping(base, kTag, all);
	EXPECT_EQ(fake::reserve_pte(U(base) + 5 * 4096), 0u);
	EXPECT_EQ(U(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmNonCached)), U(base) + 0x30);
	MmUnmapReservedMapping(base, kTag, m);
	Release(all);
	Release(m);
	MmFreeMappingAddress(base, kTag);
}

TEST_F(ReserveTest, OnePageTooManyIsRefusedWithNull)
{
	PVOID base = MmAllocateMappingAddress(2 * 4096, kTag);
	PMDL m = Locked(kVmalloc + 1, 2 * 4096); // 3 pages
	const CSHORT flags = m->MdlFlags;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), nullptr));
	EXPECT_EQ(m->MdlFlags, flags);
	EXPECT_EQ(fake::reserve_pte(U(base)), 0u);
	// The reservation is still empty and usable.
	PMDL fits = Locked(kVmalloc, 2 * 4096);
	EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, fits, MmCached), base);
	MmUnmapReservedMapping(base, kTag, fits);
	Release(fits);
	Release(m);
	MmFreeMappingAddress(base, kTag);
}

TEST_F(ReserveTest, UnalignedMappingAddressInTheFirstPageWorksAsOnWindows8)
{
	PVOID base = MmAllocateMappingAddress(2 * 4096, kTag);
	PMDL m = Locked(kVmalloc + 0x10, 100);
	auto *inside = static_cast<PUCHAR>(base) + 0x123;
	EXPECT_EQ(U(MmMapLockedPagesWithReservedMapping(inside, kTag, m, MmCached)), U(base) + 0x10);
	EXPECT_EQ(m->MappedSystemVa, base);
	EXPECT_NO_REPORT(MmUnmapReservedMapping(inside, kTag, m));
	// The second page is not the reservation's start.
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_MAP_INVALID_RANGE,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(static_cast<PUCHAR>(base) + 4096, kTag, m,
								    MmCached),
				nullptr));
	EXPECT_NO_REPORT(MmFreeMappingAddress(inside, kTag));
	Release(m);
}

TEST_F(ReserveTest, TagBitZeroIsIgnored)
{
	PVOID base = MmAllocateMappingAddress(4096, kTag | 1);
	PMDL m = Locked(kVmalloc, 4096);
	EXPECT_NO_REPORT(EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), base));
	EXPECT_NO_REPORT(MmUnmapReservedMapping(base, kTag | 1, m));
	EXPECT_NO_REPORT(MmFreeMappingAddress(base, kTag));
	Release(m);
}

// Windows unmaps by span: another MDL of the same span is accepted, and its
// flags are the ones cleared.
TEST_F(ReserveTest, UnmapGoesBySpan)
{
	PVOID base = MmAllocateMappingAddress(2 * 4096, kTag);
	PMDL a = Locked(kVmalloc, 2 * 4096);
	PMDL b = Locked(kVmalloc + 4096 + 12, 4096 - 12); // one page
	PMDL c = Locked(kVmalloc + 2 * 4096 + 100, 4096 + 10); // two pages
	ASSERT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, a, MmCached), base);
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_PARTIAL, MmUnmapReservedMapping(base, kTag, b));
	EXPECT_NO_REPORT(MmUnmapReservedMapping(base, kTag, c));
	EXPECT_EQ(fake::reserve_pte(U(base)), 0u);
	EXPECT_EQ(fake::reserve_pte(U(base) + 4096), 0u);
	EXPECT_TRUE(a->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA); // not the MDL passed
	a->MdlFlags &= ~MDL_MAPPED_TO_SYSTEM_VA;
	EXPECT_EQ(U(MmMapLockedPagesWithReservedMapping(base, kTag, b, MmCached)), U(base) + 12);
	EXPECT_EQ(fake::reserve_pte(U(base)), 0x700u);
	MmUnmapReservedMapping(base, kTag, b);
	MmFreeMappingAddress(base, kTag);
	Release(a);
	Release(b);
	Release(c);
}

TEST_F(ReserveTest, PartialMdlOfALockedOneMaps)
{
	PVOID base = MmAllocateMappingAddress(2 * 4096, kTag);
	PMDL src = Locked(kVmalloc, 6 * 4096);
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 6 * 4096, FALSE, FALSE, nullptr);
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 3 * 4096 + 8), 4096);
	ASSERT_FALSE(part->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_EQ(U(MmMapLockedPagesWithReservedMapping(base, kTag, part, MmCached)), U(base) + 8);
	EXPECT_EQ(fake::reserve_pte(U(base)), 0x500u);
	EXPECT_EQ(fake::reserve_pte(U(base) + 4096), 0x600u);
	EXPECT_TRUE(part->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED);
	MmUnmapReservedMapping(base, kTag, part);
	EXPECT_FALSE(part->MdlFlags & (MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA));
	EXPECT_NO_REPORT(IoFreeMdl(part));
	Release(src);
	MmFreeMappingAddress(base, kTag);
}

TEST_F(ReserveTest, MapAndUnmapAllocateNothingEvenWhenEveryAllocationFails)
{
	PVOID base = MmAllocateMappingAddress(6 * 4096, kTag);
	PMDL m = Locked(kVmalloc + 4, 6 * 4096 - 4);
	const unsigned long allocs = fake::alloc_calls(), cache_allocs = fake::cache_alloc_calls();
	fake::fail_next_allocs(100000);
	int ok = 0;
	for (int i = 0; i < 1000; i++) {
		if (MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached) == static_cast<PUCHAR>(base) + 4)
			ok++;
		MmUnmapReservedMapping(base, kTag, m);
	}
	fake::fail_next_allocs(0);
	EXPECT_EQ(ok, 1000);
	EXPECT_EQ(fake::alloc_calls(), allocs);
	EXPECT_EQ(fake::cache_alloc_calls(), cache_allocs);
	EXPECT_EQ(fake::reserve_maps(), 1000u);
	EXPECT_EQ(fake::reserve_unmaps(), 1000u);
	Release(m);
	MmFreeMappingAddress(base, kTag);
}

TEST_F(ReserveTest, AtomicContextMapsAndUnmapsButCannotAllocateOrFree)
{
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	PMDL m = Locked(kVmalloc, 4 * 4096);
	fake::set_may_sleep(false);
	EXPECT_NO_REPORT(EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), base));
	EXPECT_NO_REPORT(MmUnmapReservedMapping(base, kTag, m));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, MmFreeMappingAddress(base, kTag));
	fake::set_may_sleep(true);
	EXPECT_EQ(MmshimReservedMappingCount(), 1u);
	MmFreeMappingAddress(base, kTag);
	Release(m);
}

// Every misuse: the right subcode, and the reservation, the mapping and the
// MDL exactly as they were.
TEST_F(ReserveTest, MisuseIsRefusedAndReportedWithTheWindowsSubcode)
{
	PVOID base = MmAllocateMappingAddress(4 * 4096, kTag);
	PVOID other = MmAllocateMappingAddress(4096, Tag("Othr"));
	PMDL m = Locked(kVmalloc, 2 * 4096);
	PMDL three = Locked(kVmalloc, 3 * 4096);
	PMDL one = Locked(kVmalloc, 4096);
	PMDL five = Locked(kVmalloc, 5 * 4096);
	const ULONG wrong = Tag("Wrng");
	auto intact_empty = [&] {
		for (int i = 0; i < 4; i++)
			EXPECT_EQ(fake::reserve_pte(U(base) + i * 4096), 0u);
	};

	// Empty reservation.
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_MAP_NOT_OWNED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, wrong, m, MmCached), nullptr));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_MAP_INVALID_RANGE,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(reinterpret_cast<PVOID>(kVmalloc), kTag, m,
								    MmCached),
				nullptr));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_EMPTY, MmUnmapReservedMapping(base, kTag, m));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_NOT_OWNED, MmUnmapReservedMapping(base, wrong, m));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_NOT_OWNED, MmFreeMappingAddress(base, wrong));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_NOT_OWNED,
		      MmFreeMappingAddress(reinterpret_cast<PVOID>(kVmalloc), kTag));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_NOT_OWNED, MmFreeMappingAddress(other, kTag));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, nullptr, MmCached), nullptr));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmMaximumCacheType), nullptr));
	PMDL unlocked = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 4096, FALSE, FALSE, nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, unlocked, MmCached), nullptr));
	IoFreeMdl(unlocked);
	intact_empty();
	EXPECT_EQ(MmshimReservedMappingCount(), 2u);

	// Mapped reservation.
	const CSHORT flags = m->MdlFlags;
	ASSERT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), base);
	const CSHORT mapped_flags = m->MdlFlags;
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_MAP_NOT_UNMAPPED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, one, MmCached), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_MAPPED,
		      EXPECT_EQ(MmMapLockedPagesWithReservedMapping(other, Tag("Othr"), m, MmCached), nullptr));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_STILL_MAPPED, MmFreeMappingAddress(base, kTag));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_NOT_OWNED, MmUnmapReservedMapping(base, wrong, m));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_TOO_MANY, MmUnmapReservedMapping(base, kTag, five));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_NOT_MAPPED, MmUnmapReservedMapping(base, kTag, three));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_PARTIAL, MmUnmapReservedMapping(base, kTag, one));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      MmUnmapReservedMapping(base, kTag, nullptr));
	EXPECT_EQ(fake::reserve_pte(U(base)), 0x900u);
	EXPECT_EQ(fake::reserve_pte(U(base) + 4096), 0x700u);
	EXPECT_EQ(m->MdlFlags, mapped_flags);
	EXPECT_EQ(MmshimReservedMappingCount(), 2u);

	// The right call still works afterwards.
	EXPECT_NO_REPORT(MmUnmapReservedMapping(base, kTag, m));
	EXPECT_EQ(m->MdlFlags, flags);
	intact_empty();
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_UNMAP_EMPTY, MmUnmapReservedMapping(base, kTag, m));
	EXPECT_NO_REPORT(MmFreeMappingAddress(base, kTag));
	EXPECT_REPORT(SYSTEM_PTE_MISUSE, MMSHIM_PTE_FREE_NOT_OWNED, MmFreeMappingAddress(base, kTag)); // double free
	MmFreeMappingAddress(other, Tag("Othr"));
	Release(m);
	Release(three);
	Release(one);
	Release(five);
}

TEST_F(ReserveTest, UnlockingOrFreeingAnMdlStillInAReservationUnmapsIt)
{
	PVOID base = MmAllocateMappingAddress(2 * 4096, kTag);
	PMDL m = Locked(kVmalloc, 2 * 4096);
	ASSERT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), base);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_IN_RESERVATION, MmUnlockPages(m));
	EXPECT_EQ(fake::reserve_pte(U(base)), 0u);
	EXPECT_FALSE(m->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED));
	EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	IoFreeMdl(m);

	// A partial MDL freed while mapped in the reservation.
	PMDL src = Locked(kVmalloc, 4 * 4096);
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kVmalloc), 4096, FALSE, FALSE, nullptr);
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kVmalloc + 4096), 4096);
	ASSERT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, part, MmCached), base);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_IN_RESERVATION, IoFreeMdl(part));
	EXPECT_EQ(fake::reserve_pte(U(base)), 0u);
	// The reservation is empty and usable again.
	EXPECT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, src, MmCached), nullptr); // 4 > 2 pages
	EXPECT_NO_REPORT(MmFreeMappingAddress(base, kTag));
	Release(src);
}

TEST_F(ReserveTest, UnloadReleasesAndReportsLeakedReservations)
{
	AllowLeaks();
	PVOID base = MmAllocateMappingAddress(2 * 4096, kTag);
	ASSERT_NE(MmAllocateMappingAddress(4096, kTag), nullptr);
	PMDL m = Locked(kVmalloc, 4096);
	ASSERT_EQ(MmMapLockedPagesWithReservedMapping(base, kTag, m, MmCached), base);
	const size_t first = fake::reports().size();
	mmshim_core_exit();
	EXPECT_EQ(fake::live_reservations(), 0u);
	bool seen = false;
	for (size_t i = first; i < fake::reports().size(); i++) {
		const auto &r = fake::reports()[i];
		if (r.code == DRIVER_VERIFIER_DETECTED_VIOLATION && r.params[0] == MMSHIM_VRF_RESERVATIONS_LEAKED_AT_UNLOAD) {
			EXPECT_EQ(r.params[2], 2u);
			seen = true;
		}
	}
	EXPECT_TRUE(seen);
	ASSERT_EQ(mmshim_core_init(), 0); // TearDown unloads again
}

} // namespace
