// SPDX-License-Identifier: GPL-2.0
// mdl_test.cpp - IoAllocateMdl, IoFreeMdl, MmSizeOfMdl and the MDL header
// macros, through the exported routines, on a fake platform.
#include <algorithm>
#include <cstring>
#include <random>
#include <vector>

#include "test_support.h"

namespace {

using namespace mmshim_test;

// A kernel address IoAllocateMdl never dereferences.
const PVOID kKva = reinterpret_cast<PVOID>(0xffff888000001234UL);

constexpr int HeaderSize(ULONG_PTR pages)
{
	return static_cast<CSHORT>(sizeof(MDL) + pages * sizeof(PFN_NUMBER));
}

class MdlTest : public CoreTest {};

TEST_F(MdlTest, InitializeMdlMacro)
{
	alignas(8) unsigned char store[sizeof(MDL) + 8 * sizeof(PFN_NUMBER)];
	std::memset(store, 0xEE, sizeof(store));
	MDL *m = reinterpret_cast<MDL *>(store);
	m->Process = reinterpret_cast<PEPROCESS>(0x1);
	m->MappedSystemVa = reinterpret_cast<PVOID>(0x2);
	MmInitializeMdl(m, kKva, 0x3000);
	EXPECT_EQ(m->Next, nullptr);
	EXPECT_EQ(m->Size, HeaderSize(4));
	EXPECT_EQ(m->MdlFlags, 0);
	EXPECT_EQ(reinterpret_cast<ULONG_PTR>(m->StartVa), 0xffff888000001000UL);
	EXPECT_EQ(m->ByteOffset, 0x234U);
	EXPECT_EQ(m->ByteCount, 0x3000U);
	// Windows' macro leaves these two alone.
	EXPECT_EQ(reinterpret_cast<ULONG_PTR>(m->Process), 0x1UL);
	EXPECT_EQ(reinterpret_cast<ULONG_PTR>(m->MappedSystemVa), 0x2UL);
	EXPECT_EQ(MmGetMdlVirtualAddress(m), kKva);
	EXPECT_EQ(reinterpret_cast<unsigned char *>(MmGetMdlPfnArray(m)), store + 48);
	// The PFN array is not touched.
	for (size_t i = sizeof(MDL); i < sizeof(store); i++)
		ASSERT_EQ(store[i], 0xEE) << i;
}

TEST_F(MdlTest, AllocateSetsEveryField)
{
	PMDL m = nullptr;
	EXPECT_NO_REPORT(m = IoAllocateMdl(kKva, 0x3000, FALSE, FALSE, nullptr));
	ASSERT_NE(m, nullptr);
	// Cache objects come back filled with 0x5A: every field must be written.
	EXPECT_EQ(m->Next, nullptr);
	EXPECT_EQ(m->Size, HeaderSize(4));
	EXPECT_EQ(m->MdlFlags, MDL_ALLOCATED_FIXED_SIZE);
	EXPECT_EQ(m->Process, nullptr);
	EXPECT_EQ(m->MappedSystemVa, nullptr);
	EXPECT_EQ(MmGetMdlBaseVa(m), reinterpret_cast<PVOID>(0xffff888000001000UL));
	EXPECT_EQ(MmGetMdlByteOffset(m), 0x234U);
	EXPECT_EQ(MmGetMdlByteCount(m), 0x3000U);
	EXPECT_EQ(MmGetMdlVirtualAddress(m), kKva);
	EXPECT_EQ(reinterpret_cast<ULONG_PTR>(m) % alignof(MDL), 0u);
	EXPECT_EQ(MmshimLiveMdlCount(), 1u);
	EXPECT_EQ(fake::live_cache_objects(), 1u);
	EXPECT_EQ(fake::live_allocs(), 0u);
	EXPECT_NO_REPORT(IoFreeMdl(m));
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
	EXPECT_EQ(fake::live_cache_objects(), 0u);
}

TEST_F(MdlTest, CacheObjectsHoldTheLargestFixedSizeMdl)
{
	// Header (32 bytes) + MDL + 23 PFNs.
	EXPECT_GE(fake::cache_object_size(), sizeof(MDL) + 23 * sizeof(PFN_NUMBER));
	PMDL m = IoAllocateMdl(kKva, 22 * PAGE_SIZE + 1, FALSE, FALSE, nullptr); // 23 pages
	ASSERT_NE(m, nullptr);
	// Writing all 23 entries must stay inside the cache object (ASan checks).
	for (int i = 0; i < 23; i++)
		MmGetMdlPfnArray(m)[i] = static_cast<PFN_NUMBER>(i);
	IoFreeMdl(m);
}

TEST_F(MdlTest, SecondaryBufferAndChargeQuotaChangeNothing)
{
	PMDL m = nullptr;
	EXPECT_NO_REPORT(m = IoAllocateMdl(kKva, 1, TRUE, TRUE, nullptr));
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->Size, HeaderSize(1));
	EXPECT_EQ(m->MdlFlags, MDL_ALLOCATED_FIXED_SIZE);
	IoFreeMdl(m);
}

TEST_F(MdlTest, FixedSizeBoundaryIs23Pages)
{
	const PVOID va = reinterpret_cast<PVOID>(0xffff888000100000UL);
	PMDL small = IoAllocateMdl(va, 23 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(small, nullptr);
	EXPECT_TRUE(small->MdlFlags & MDL_ALLOCATED_FIXED_SIZE);
	EXPECT_EQ(small->Size, HeaderSize(23));
	EXPECT_EQ(fake::live_cache_objects(), 1u);
	EXPECT_EQ(fake::live_allocs(), 0u);

	PMDL large = IoAllocateMdl(va, 23 * PAGE_SIZE + 1, FALSE, FALSE, nullptr);
	ASSERT_NE(large, nullptr);
	EXPECT_FALSE(large->MdlFlags & MDL_ALLOCATED_FIXED_SIZE);
	EXPECT_EQ(large->MdlFlags, 0);
	EXPECT_EQ(large->Size, HeaderSize(24));
	EXPECT_EQ(fake::live_allocs(), 1u);
	// The heap block holds the whole PFN array.
	EXPECT_GE(fake::last_alloc_size(), sizeof(MDL) + 24 * sizeof(PFN_NUMBER));
	for (int i = 0; i < 24; i++)
		MmGetMdlPfnArray(large)[i] = 1;

	// 23 pages of bytes at a byte offset span 24 pages.
	PMDL offset = IoAllocateMdl(static_cast<char *>(va) + 1, 23 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(offset, nullptr);
	EXPECT_FALSE(offset->MdlFlags & MDL_ALLOCATED_FIXED_SIZE);
	EXPECT_EQ(offset->Size, HeaderSize(24));
	EXPECT_EQ(MmshimLiveMdlCount(), 3u);

	EXPECT_NO_REPORT(IoFreeMdl(small));
	EXPECT_NO_REPORT(IoFreeMdl(large));
	EXPECT_NO_REPORT(IoFreeMdl(offset));
	EXPECT_EQ(fake::live_allocs(), 0u);
	EXPECT_EQ(fake::live_cache_objects(), 0u);
}

TEST_F(MdlTest, LengthLimits)
{
	// Windows 7 and later: up to 4 GiB minus one page, at any byte offset.
	PMDL m = nullptr;
	EXPECT_NO_REPORT(m = IoAllocateMdl(reinterpret_cast<PVOID>(0xffff888000000000UL), 0xFFFFF000U,
					   FALSE, FALSE, nullptr));
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->ByteCount, 0xFFFFF000U);
	EXPECT_EQ(m->ByteOffset, 0U);
	// Size is a CSHORT: it truncates exactly as the Windows macro does.
	EXPECT_EQ(m->Size, static_cast<CSHORT>(sizeof(MDL) + 0xFFFFFUL * 8));
	EXPECT_GE(fake::last_alloc_size(), sizeof(MDL) + 0xFFFFFUL * 8);
	MmGetMdlPfnArray(m)[0xFFFFE] = 42; // the last entry exists
	IoFreeMdl(m);

	EXPECT_NO_REPORT(m = IoAllocateMdl(reinterpret_cast<PVOID>(0xffff888000000fffUL), 0xFFFFF000U,
					   FALSE, FALSE, nullptr));
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->ByteOffset, 0xfffU);
	EXPECT_GE(fake::last_alloc_size(), sizeof(MDL) + 0x100000UL * 8);
	MmGetMdlPfnArray(m)[0xFFFFF] = 42;
	IoFreeMdl(m);

	fake::Report r;
	EXPECT_REPORT_OUT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE, &r,
			  m = IoAllocateMdl(kKva, 0xFFFFF001U, FALSE, FALSE, nullptr));
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(kKva));
	EXPECT_EQ(r.params[2], 0xFFFFF001UL);
	EXPECT_EQ(r.params[3], 0xFFFFF000UL);
	EXPECT_EQ(r.routine, "IoAllocateMdl");
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_LENGTH_TOO_LARGE,
		      m = IoAllocateMdl(kKva, 0xFFFFFFFFU, FALSE, FALSE, nullptr));
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
}

TEST_F(MdlTest, ZeroLengthRefused)
{
	PMDL m = reinterpret_cast<PMDL>(1);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      m = IoAllocateMdl(kKva, 0, FALSE, FALSE, nullptr));
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(fake::cache_alloc_calls(), 0u);
	EXPECT_EQ(fake::alloc_calls(), 0u);
}

TEST_F(MdlTest, WrappingRangeRefused)
{
	PMDL m = nullptr;
	fake::Report r;
	EXPECT_REPORT_OUT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS, &r,
			  m = IoAllocateMdl(reinterpret_cast<PVOID>(0xfffffffffffff000UL), 0x2000,
					    FALSE, FALSE, nullptr));
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(r.params[1], 0xfffffffffffff000UL);
	EXPECT_EQ(r.params[2], 0x2000UL);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_RANGE_WRAPS,
		      m = IoAllocateMdl(reinterpret_cast<PVOID>(0xffffffffffffffffUL), 2, FALSE,
					FALSE, nullptr));
	EXPECT_EQ(m, nullptr);

	// Ranges that end exactly at the top of the address space are fine.
	EXPECT_NO_REPORT(m = IoAllocateMdl(reinterpret_cast<PVOID>(0xffffffffffffffffUL), 1, FALSE,
					   FALSE, nullptr));
	ASSERT_NE(m, nullptr);
	EXPECT_EQ(m->Size, HeaderSize(1));
	EXPECT_EQ(m->ByteOffset, 0xfffU);
	IoFreeMdl(m);
	EXPECT_NO_REPORT(m = IoAllocateMdl(reinterpret_cast<PVOID>(0xfffffffffffff000UL), 0x1000,
					   FALSE, FALSE, nullptr));
	ASSERT_NE(m, nullptr);
	IoFreeMdl(m);
	EXPECT_EQ(fake::cache_alloc_calls(), 2u);
}

TEST_F(MdlTest, IrpRefused)
{
	alignas(16) char irp[64];
	PMDL m = nullptr;
	fake::Report r;
	EXPECT_REPORT_OUT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, &r,
			  m = IoAllocateMdl(kKva, 10, FALSE, FALSE, reinterpret_cast<PIRP>(irp)));
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(irp));
	EXPECT_EQ(fake::cache_alloc_calls(), 0u);
}

TEST_F(MdlTest, FreeNullReported)
{
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, &r,
			  IoFreeMdl(nullptr));
	EXPECT_EQ(r.routine, "IoFreeMdl");
}

TEST_F(MdlTest, DoubleFreeReportedAndNotFreedAgain)
{
	PMDL small = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr);
	PMDL large = IoAllocateMdl(kKva, 100 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(small, nullptr);
	ASSERT_NE(large, nullptr);
	IoFreeMdl(small);
	IoFreeMdl(large);
	// Both are gone from the platform: a second free must not reach it (the
	// fake would flag the unknown pointer) nor touch the freed memory (ASan).
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED, &r,
			  IoFreeMdl(small));
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(small));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(large));
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
}

TEST_F(MdlTest, ForeignMdlReportedAndLeftIntact)
{
	// An MDL the driver built in its own memory is not IoFreeMdl's to free.
	alignas(16) unsigned char store[256];
	std::memset(store, 0x77, sizeof(store));
	PMDL embedded = reinterpret_cast<PMDL>(store + 64);
	MmInitializeMdl(embedded, kKva, 100);
	unsigned char copy[sizeof(store)];
	std::memcpy(copy, store, sizeof(store));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(embedded));
	EXPECT_EQ(std::memcmp(copy, store, sizeof(store)), 0);

	// A copy of a real MDL is not the real MDL.
	PMDL real = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr);
	ASSERT_NE(real, nullptr);
	std::memcpy(embedded, real, sizeof(MDL));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(embedded));

	// A misaligned pointer into a real MDL, and its PFN array, are refused.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(reinterpret_cast<PMDL>(reinterpret_cast<char *>(real) + 4)));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(reinterpret_cast<PMDL>(MmGetMdlPfnArray(real))));
	// Addresses that are not memory at all: never dereferenced.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(reinterpret_cast<PMDL>(0x10)));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED,
		      IoFreeMdl(reinterpret_cast<PMDL>(0xdead000000000000UL)));
	EXPECT_EQ(MmshimLiveMdlCount(), 1u);
	EXPECT_EQ(fake::live_cache_objects(), 1u);
	EXPECT_NO_REPORT(IoFreeMdl(real));
	EXPECT_EQ(fake::live_cache_objects(), 0u);
}

TEST_F(MdlTest, DriverRewritingFieldsDoesNotConfuseFree)
{
	// Drivers own the MDL fields; IoFreeMdl must not trust any of them.
	PMDL m = IoAllocateMdl(kKva, 100 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	m->Size = 48;
	m->MdlFlags = static_cast<CSHORT>(0xffff);
	m->Next = m;
	m->StartVa = nullptr;
	EXPECT_NO_REPORT(IoFreeMdl(m));
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(MdlTest, AllocationFailureGivesNullAndNoLeak)
{
	PMDL m = reinterpret_cast<PMDL>(1);
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(m = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr));
	EXPECT_EQ(m, nullptr);
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(m = IoAllocateMdl(kKva, 100 * PAGE_SIZE, FALSE, FALSE, nullptr));
	EXPECT_EQ(m, nullptr);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);
	EXPECT_EQ(fake::live_cache_objects(), 0u);
	// The next one works again.
	m = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	IoFreeMdl(m);
}

TEST_F(MdlTest, AtomicContextUsesAtomicAllocations)
{
	fake::set_may_sleep(false);
	PMDL small = IoAllocateMdl(kKva, 2 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(small, nullptr);
	EXPECT_EQ(fake::last_cache_alloc_atomic(), 1);
	PMDL large = IoAllocateMdl(kKva, 64 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(large, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	// The largest MDL needs 8 MiB: more than an atomic kmalloc can give.
	PMDL huge = reinterpret_cast<PMDL>(1);
	EXPECT_NO_REPORT(huge = IoAllocateMdl(kKva, 0xFFFFF000U, FALSE, FALSE, nullptr));
	EXPECT_EQ(huge, nullptr);
	IoFreeMdl(small);
	IoFreeMdl(large);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);

	fake::set_may_sleep(true);
	small = IoAllocateMdl(kKva, 2 * PAGE_SIZE, FALSE, FALSE, nullptr);
	ASSERT_NE(small, nullptr);
	EXPECT_EQ(fake::last_cache_alloc_atomic(), 0);
	huge = IoAllocateMdl(kKva, 0xFFFFF000U, FALSE, FALSE, nullptr);
	ASSERT_NE(huge, nullptr);
	EXPECT_FALSE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	IoFreeMdl(small);
	IoFreeMdl(huge);
}

TEST_F(MdlTest, ManyMdlsAllocatedAndFreedInAnyOrder)
{
	std::mt19937_64 rng(12345);
	std::vector<PMDL> live;
	for (int i = 0; i < 3000; i++) {
		const ULONG len = 1 + static_cast<ULONG>(rng() % (40 * PAGE_SIZE));
		PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(0xffff888000000000UL + rng() % 0x100000),
				       len, FALSE, FALSE, nullptr);
		ASSERT_NE(m, nullptr);
		ASSERT_EQ(m->ByteCount, len);
		live.push_back(m);
	}
	EXPECT_EQ(MmshimLiveMdlCount(), 3000u);
	EXPECT_EQ(fake::live_allocs() + fake::live_cache_objects(), 3000u);
	std::shuffle(live.begin(), live.end(), rng);
	for (size_t i = 0; i < live.size(); i++) {
		ASSERT_TRUE(NoReport([&] { IoFreeMdl(live[i]); })) << i;
		ASSERT_EQ(MmshimLiveMdlCount(), live.size() - i - 1);
	}
	EXPECT_EQ(fake::live_allocs() + fake::live_cache_objects(), 0u);
}

struct SizeCase {
	ULONG_PTR base;
	SIZE_T length;
	SIZE_T expected;
};

TEST_F(MdlTest, SizeOfMdlTable)
{
	const SizeCase cases[] = {
		{0, 0, 48},
		{0, 1, 56},
		{0, PAGE_SIZE, 56},
		{0, PAGE_SIZE + 1, 64},
		{1, PAGE_SIZE, 64},
		{0xfff, 1, 56},
		{0xfff, 2, 64},
		{0x1000, 0, 48},
		{0x1001, 0, 56}, // Windows' macro: a byte offset spans a page even for 0 bytes
		{0xffff888000001234UL, 0x3000, 48 + 4 * 8},
		{0, 23 * PAGE_SIZE, 48 + 23 * 8},
		{0, 0xFFFFF000UL, 48 + 8 * 0xFFFFFUL},
		// No 32-bit wrap at the largest MDL length and the worst offset.
		{0xfff, 0xFFFFF000UL, 48 + 8 * 0x100000UL},
		{0xfff, 0xFFFFFFFFUL, 48 + 8 * 0x100001UL},
		// SIZE_T lengths beyond 4 GiB are computed in 64 bits too.
		{0, 0x100000000UL, 48 + 8 * 0x100000UL},
		{0x800, 0x1000000000UL, 48 + 8 * 0x1000001UL},
	};
	for (const auto &c : cases) {
		SIZE_T got = 0;
		EXPECT_NO_REPORT(got = MmSizeOfMdl(reinterpret_cast<PVOID>(c.base), c.length));
		EXPECT_EQ(got, c.expected) << std::hex << "base 0x" << c.base << " length 0x" << c.length;
		EXPECT_EQ(got, sizeof(MDL) + sizeof(PFN_NUMBER) *
						  ADDRESS_AND_SIZE_TO_SPAN_PAGES(c.base, c.length));
	}
}

TEST_F(MdlTest, SizeOfMdlMatchesWhatIoAllocateMdlBuilds)
{
	const ULONG_PTR bases[] = {0xffff888000000000UL, 0xffff888000000001UL, 0xffff888000000fffUL,
				   0xffff888000000800UL};
	const ULONG lengths[] = {1, 2, 0xfff, 0x1000, 0x1001, 0x2fff, 23 * PAGE_SIZE,
				 23 * PAGE_SIZE + 1, 1000000};
	for (ULONG_PTR b : bases) {
		for (ULONG l : lengths) {
			PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(b), l, FALSE, FALSE, nullptr);
			ASSERT_NE(m, nullptr);
			EXPECT_EQ(static_cast<SIZE_T>(static_cast<USHORT>(m->Size)),
				  MmSizeOfMdl(reinterpret_cast<PVOID>(b), l) & 0xffff)
				<< std::hex << b << " " << l;
			EXPECT_EQ((m->MdlFlags & MDL_ALLOCATED_FIXED_SIZE) != 0,
				  MmSizeOfMdl(reinterpret_cast<PVOID>(b), l) <= 48 + 23 * 8);
			IoFreeMdl(m);
		}
	}
}

} // namespace

// ---- issue 14: the capacity of an MDL from IoAllocateMdl without the lock ----

namespace {

class MdlCapacityTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kK, 24 * 4096, 0x100);
	}
	static constexpr ULONG_PTR kK = 0xffff888000100000ULL;

	// A kernel lock of `pages` pages on `m` (its Size rewritten by the driver
	// to one entry), which the real capacity allows or refuses.
	static void ExpectCapacity(PMDL m, ULONG_PTR capacity)
	{
		m->Size = HeaderSize(1);
		m->ByteCount = static_cast<ULONG>(capacity * 4096);
		EXPECT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
		EXPECT_NO_REPORT(MmUnlockPages(m));
		m->ByteCount = static_cast<ULONG>((capacity + 1) * 4096);
		fake::Report r{};
		EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL, &r,
				  MmshimProbeAndLockPages(m, KernelMode, IoReadAccess));
		EXPECT_EQ(r.params[3], capacity);
		m->ByteCount = 4096;
	}
};

// More live MDLs than the slot table has entries: those without a slot are
// found in the registry, and every one keeps its real capacity whatever
// the driver writes into Size; slots are reused after frees.
TEST_F(MdlCapacityTest, EveryLiveMdlKeepsItsRealCapacity)
{
	std::vector<PMDL> v;
	for (int i = 0; i < 2100; i++) {
		v.push_back(IoAllocateMdl(reinterpret_cast<PVOID>(kK), 4096, FALSE, FALSE, nullptr));
		ASSERT_NE(v.back(), nullptr);
	}
	for (int i : {0, 1, 1000, 2046, 2047, 2048, 2099})
		ExpectCapacity(v[i], 23);
	for (int i = 0; i < 2100; i += 2)
		IoFreeMdl(v[i]);
	for (int i = 0; i < 2100; i += 2)
		v[i] = IoAllocateMdl(reinterpret_cast<PVOID>(kK), 4096, FALSE, FALSE, nullptr);
	for (int i : {0, 1, 2, 1000, 2048, 2098, 2099})
		ExpectCapacity(v[i], 23);
	PMDL large = IoAllocateMdl(reinterpret_cast<PVOID>(kK), 24 * 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(large, nullptr);
	ExpectCapacity(large, 24);
	IoFreeMdl(large);
	for (PMDL m : v)
		EXPECT_NO_REPORT(IoFreeMdl(m));
}

// A driver's own MDL right after a copy of a live or freed mmshim MDL's
// header (what a careless driver could leave in its memory) gets the
// capacity its Size says, never the header's.
TEST_F(MdlCapacityTest, AHeaderCopiedBeforeADriverMdlIsNotBelieved)
{
	alignas(4096) static unsigned char buf[4096 + 512];
	PMDL live = IoAllocateMdl(reinterpret_cast<PVOID>(kK), 4096, FALSE, FALSE, nullptr);
	PMDL freed = IoAllocateMdl(reinterpret_cast<PVOID>(kK), 4096, FALSE, FALSE, nullptr);
	ASSERT_TRUE(live && freed);
	for (PMDL source : {live, freed}) {
		std::memset(buf, 0, sizeof(buf));
		std::memcpy(buf + 256 - 24, reinterpret_cast<unsigned char *>(source) - 24, 24);
		if (source == freed)
			IoFreeMdl(freed);
		auto *d = reinterpret_cast<PMDL>(buf + 256);
		MmInitializeMdl(d, reinterpret_cast<PVOID>(kK), 4096);
		d->ByteCount = 2 * 4096;
		fake::Report r{};
		EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL, &r,
				  MmshimProbeAndLockPages(d, KernelMode, IoReadAccess));
		EXPECT_EQ(r.params[3], 1u);
		EXPECT_EQ(MmshimLockedMdlCount(), 0u);
	}
	// The live one is still its own.
	ExpectCapacity(live, 23);
	// A driver MDL at the very start of a page: the word before it is in
	// another page and is never read.
	auto *d = reinterpret_cast<PMDL>(buf + 4096);
	MmInitializeMdl(d, reinterpret_cast<PVOID>(kK), 4096);
	d->ByteCount = 2 * 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      MmshimProbeAndLockPages(d, KernelMode, IoReadAccess));
	IoFreeMdl(live);
}

} // namespace
