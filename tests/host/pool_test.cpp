// SPDX-License-Identifier: GPL-2.0
// pool_test.cpp - ExAllocatePool2, ExAllocatePoolWithTag, ExFreePoolWithTag,
// ExFreePool: zeroing, alignment, flags, tags, sizes, bad frees, IRQL rules,
// allocation failure and accounting.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "test_support.h"

namespace {

using namespace mmshim_test;

constexpr ULONG kTag = Tag("Test");
constexpr ULONG kOtherTag = Tag("Othr");

bool AllBytes(const void *p, size_t n, unsigned char value)
{
	const auto *b = static_cast<const unsigned char *>(p);
	for (size_t i = 0; i < n; i++)
		if (b[i] != value)
			return false;
	return true;
}

class PoolTest : public CoreTest {};

TEST_F(PoolTest, TagHelperMatchesWindowsSpelling)
{
	// 'tseT' in Windows source: the bytes "Test" in memory.
	EXPECT_EQ(kTag, 0x74736554u);
	EXPECT_EQ(std::memcmp(&kTag, "Test", 4), 0);
}

TEST_F(PoolTest, Pool2NonPagedIsZeroedAndAccounted)
{
	unsigned char *p = nullptr;
	EXPECT_NO_REPORT(p = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 1000, kTag)));
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ZERO);
	EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % MEMORY_ALLOCATION_ALIGNMENT, 0u);
	EXPECT_TRUE(AllBytes(p, 1000, 0));
	std::memset(p, 0xab, 1000); // the whole block is usable (ASan)
	EXPECT_EQ(PoolBlocks(), 1u);
	EXPECT_EQ(PoolBytes(), 1000u);
	EXPECT_EQ(fake::live_allocs(), 1u);
	EXPECT_NO_REPORT(ExFreePoolWithTag(p, kTag));
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(PoolBytes(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);
}

// Drivers lock nonpaged pool and map it into processes, and mmshim holds
// page references for both: every block is asked for shareable (the fake
// also fails a free through the wrong routine).
TEST_F(PoolTest, BlocksAreShareableForLocksAndUserMappings)
{
	for (const POOL_FLAGS flags : {POOL_FLAG_NON_PAGED, POOL_FLAG_PAGED}) {
		for (const SIZE_T size : {SIZE_T{64}, SIZE_T{PAGE_SIZE}, SIZE_T{3 * PAGE_SIZE + 5}}) {
			void *p = nullptr;
			EXPECT_NO_REPORT(p = ExAllocatePool2(flags, size, kTag));
			ASSERT_NE(p, nullptr);
			EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_SHAREABLE) << size;
			EXPECT_NO_REPORT(ExFreePoolWithTag(p, kTag));
		}
	}
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, UninitializedAndWithTagAreNotZeroed)
{
	// The fake fills unzeroed blocks with 0xA5: the core asked for no zeroing.
	auto *p = static_cast<unsigned char *>(
		ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 100, kTag));
	ASSERT_NE(p, nullptr);
	EXPECT_FALSE(fake::last_alloc_flags() & MMSHIM_ALLOC_ZERO);
	EXPECT_TRUE(AllBytes(p, 100, fake::kAllocFill));
	ExFreePoolWithTag(p, kTag);

	p = static_cast<unsigned char *>(ExAllocatePoolWithTag(NonPagedPoolNx, 100, kTag));
	ASSERT_NE(p, nullptr);
	EXPECT_FALSE(fake::last_alloc_flags() & MMSHIM_ALLOC_ZERO);
	ExFreePoolWithTag(p, kTag);

	// Paged pool from ExAllocatePool2 is zeroed too.
	p = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_PAGED, 300, kTag));
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(AllBytes(p, 300, 0));
	ExFreePoolWithTag(p, kTag);
}

TEST_F(PoolTest, AlignmentForEverySmallSize)
{
	// The fake's blocks are 8 mod 16: the core must align them itself, and
	// every byte the driver asked for must be inside the block (ASan).
	for (SIZE_T n = 1; n <= 300; n++) {
		auto *a = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, n, kTag));
		auto *c = static_cast<unsigned char *>(
			ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, n, kTag));
		auto *w = static_cast<unsigned char *>(
			ExAllocatePoolWithTag(NonPagedPoolCacheAligned, n, kTag));
		ASSERT_NE(a, nullptr);
		ASSERT_NE(c, nullptr);
		ASSERT_NE(w, nullptr);
		EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 16, 0u) << n;
		EXPECT_EQ(reinterpret_cast<uintptr_t>(c) % 64, 0u) << n;
		EXPECT_EQ(reinterpret_cast<uintptr_t>(w) % 64, 0u) << n;
		EXPECT_TRUE(AllBytes(c, n, 0));
		std::memset(a, 1, n);
		std::memset(c, 2, n);
		std::memset(w, 3, n);
		ASSERT_TRUE(NoReport([&] {
			ExFreePoolWithTag(a, kTag);
			ExFreePoolWithTag(c, kTag);
			ExFreePoolWithTag(w, kTag);
		}));
	}
	EXPECT_EQ(PoolBlocks(), 0u);
}

TEST_F(PoolTest, BlocksOfAPageOrMoreArePageAligned)
{
	// As on Windows (drivers rely on it for DMA and MDLs), from a platform
	// that only promises 8 bytes.
	const SIZE_T sizes[] = {PAGE_SIZE - 1, PAGE_SIZE, PAGE_SIZE + 1, 3 * PAGE_SIZE + 100, 5 << 20};
	for (SIZE_T n : sizes) {
		for (POOL_FLAGS f : {POOL_FLAG_NON_PAGED, POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED,
				     POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED}) {
			auto *p = static_cast<unsigned char *>(ExAllocatePool2(f, n, kTag));
			ASSERT_NE(p, nullptr);
			const auto addr = reinterpret_cast<uintptr_t>(p);
			if (n >= PAGE_SIZE) {
				EXPECT_EQ(addr % PAGE_SIZE, 0u) << "size " << n << " flags " << f;
			} else {
				EXPECT_EQ(addr % ((f & POOL_FLAG_CACHE_ALIGNED) ? 64 : 16), 0u) << n;
			}
			std::memset(p, 0x5c, n); // all of it is inside the block (ASan)
			ASSERT_TRUE(NoReport([&] { ExFreePoolWithTag(p, kTag); }));
		}
		auto *p = static_cast<unsigned char *>(ExAllocatePoolWithTag(PagedPool, n, kTag));
		ASSERT_NE(p, nullptr);
		if (n >= PAGE_SIZE) {
			EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % PAGE_SIZE, 0u) << n;
		}
		p[n - 1] = 1;
		ExFreePool(p);
	}
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, Pool2SupportedFlags)
{
	void *p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, 100, kTag);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(AllBytes(p, 100, 0));
	EXPECT_NO_REPORT(ExFreePool(p));

	// Unknown optional (high) bits are ignored, as on Windows.
	EXPECT_NO_REPORT(p = ExAllocatePool2(POOL_FLAG_NON_PAGED | (1ULL << 40) | POOL_FLAG_SPECIAL_POOL,
					     10, kTag));
	ASSERT_NE(p, nullptr);
	ExFreePool(p);
}

TEST_F(PoolTest, Pool2InvalidFlagsRefused)
{
	const POOL_FLAGS invalid[] = {
		0,
		POOL_FLAG_UNINITIALIZED,
		POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED,
		POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE,
		POOL_FLAG_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_NON_PAGED,
		POOL_FLAG_NON_PAGED | 0x10, // reserved required bit
		POOL_FLAG_PAGED | 0x400,
		POOL_FLAG_NON_PAGED | 0x80000000ULL,
		1ULL << 40, // optional bits alone name no pool type
	};
	for (POOL_FLAGS f : invalid) {
		void *p = reinterpret_cast<void *>(1);
		fake::Report r;
		EXPECT_REPORT_OUT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS, &r,
				  p = ExAllocatePool2(f, 64, kTag));
		EXPECT_EQ(p, nullptr) << std::hex << f;
		EXPECT_EQ(r.params[1], f);
		EXPECT_EQ(r.routine, "ExAllocatePool2");
	}
	EXPECT_EQ(fake::alloc_calls(), 0u);
}

TEST_F(PoolTest, Pool2UnsupportedFlagsRefused)
{
	const POOL_FLAGS unsupported[] = {
		POOL_FLAG_NON_PAGED_EXECUTE,
		POOL_FLAG_PAGED | POOL_FLAG_SESSION,
		POOL_FLAG_NON_PAGED | POOL_FLAG_SESSION,
	};
	for (POOL_FLAGS f : unsupported) {
		void *p = reinterpret_cast<void *>(1);
		EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, p = ExAllocatePool2(f, 64, kTag));
		EXPECT_EQ(p, nullptr) << std::hex << f;
	}
	EXPECT_EQ(fake::alloc_calls(), 0u);
}

TEST_F(PoolTest, WithTagPoolTypes)
{
	struct Case {
		POOL_TYPE type;
		bool cache_aligned;
	};
	const Case ok[] = {
		{NonPagedPool, false},
		{NonPagedPoolNx, false},
		{PagedPool, false},
		{NonPagedPoolCacheAligned, true},
		{PagedPoolCacheAligned, true},
		{NonPagedPoolNxCacheAligned, true},
	};
	for (const auto &c : ok) {
		unsigned char *p = nullptr;
		EXPECT_NO_REPORT(p = static_cast<unsigned char *>(ExAllocatePoolWithTag(c.type, 200, kTag)));
		ASSERT_NE(p, nullptr) << c.type;
		EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % (c.cache_aligned ? 64 : 16), 0u) << c.type;
		std::memset(p, 0x11, 200);
		EXPECT_NO_REPORT(ExFreePoolWithTag(p, kTag));
	}

	const POOL_TYPE bad[] = {
		DontUseThisType,
		MaxPoolType,
		static_cast<POOL_TYPE>(NonPagedPoolNx | PagedPool),
		static_cast<POOL_TYPE>(NonPagedPoolNx | PagedPoolCacheAligned),
		static_cast<POOL_TYPE>(NonPagedPoolNx | DontUseThisType),
		static_cast<POOL_TYPE>(8),
		static_cast<POOL_TYPE>(64),
		static_cast<POOL_TYPE>(640), // 512 | 128: not a modifier bit
	};
	for (POOL_TYPE t : bad) {
		void *p = reinterpret_cast<void *>(1);
		fake::Report r;
		EXPECT_REPORT_OUT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS, &r,
				  p = ExAllocatePoolWithTag(t, 200, kTag));
		EXPECT_EQ(p, nullptr) << t;
		EXPECT_EQ(r.params[1], static_cast<ULONG_PTR>(t));
		EXPECT_EQ(r.routine, "ExAllocatePoolWithTag");
	}
	// Must-succeed pool is gone from Windows: bug check 0xC2/0x9A, NULL.
	for (POOL_TYPE t : {NonPagedPoolMustSucceed, NonPagedPoolCacheAlignedMustS}) {
		void *p = reinterpret_cast<void *>(1);
		fake::Report r;
		EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_MUST_SUCCEED, &r,
				  p = ExAllocatePoolWithTag(t, 200, kTag));
		EXPECT_EQ(p, nullptr) << t;
		EXPECT_EQ(r.params[1], 200u);
		EXPECT_EQ(r.params[2], static_cast<ULONG_PTR>(t));
		EXPECT_NE(r.params[3], 0u);
	}
	EXPECT_EQ(fake::alloc_calls(), static_cast<unsigned long>(std::size(ok)));
	const POOL_TYPE session[] = {NonPagedPoolSession, PagedPoolSession, NonPagedPoolSessionNx};
	for (POOL_TYPE t : session) {
		void *p = reinterpret_cast<void *>(1);
		EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
			      p = ExAllocatePoolWithTag(t, 200, kTag));
		EXPECT_EQ(p, nullptr) << t;
	}
}

TEST_F(PoolTest, TagZeroRefused)
{
	void *p = reinterpret_cast<void *>(1);
	fake::Report r;
	// Windows' parameters: pool type, size, caller's address.
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_TAG_ZERO, &r,
			  p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 0));
	EXPECT_EQ(p, nullptr);
	EXPECT_EQ(r.params[1], static_cast<ULONG_PTR>(NonPagedPoolNx));
	EXPECT_EQ(r.params[2], 64u);
	EXPECT_EQ(r.params[3], reinterpret_cast<ULONG_PTR>(r.caller));
	EXPECT_NE(r.caller, nullptr);
	EXPECT_EQ(r.code_name, "BAD_POOL_CALLER");
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_TAG_ZERO, &r,
			  p = ExAllocatePoolWithTag(PagedPool, 65, 0));
	EXPECT_EQ(p, nullptr);
	EXPECT_EQ(r.params[1], static_cast<ULONG_PTR>(PagedPool));
	EXPECT_EQ(r.params[2], 65u);
	EXPECT_EQ(fake::alloc_calls(), 0u);
}

TEST_F(PoolTest, ZeroBytesRefused)
{
	void *p = reinterpret_cast<void *>(1);
	fake::Report r;
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_ZERO_BYTES, &r,
			  p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 0, kTag));
	EXPECT_EQ(p, nullptr);
	EXPECT_EQ(r.params[3], kTag);
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_ZERO_BYTES,
		      p = ExAllocatePoolWithTag(PagedPool, 0, kTag));
	EXPECT_EQ(p, nullptr);
	EXPECT_EQ(fake::alloc_calls(), 0u);
}

TEST_F(PoolTest, ImpossibleSizesFailQuietlyWithoutOverflow)
{
	const SIZE_T sizes[] = {
		SIZE_MAX,         SIZE_MAX - 1,       SIZE_MAX - 40,  SIZE_MAX - 47,
		SIZE_MAX - 55,    SIZE_MAX - 56,      SIZE_MAX - 100, SIZE_MAX - 4096,
		SIZE_MAX / 2 + 1, SIZE_T{1} << 40,    SIZE_T{1} << 33,
	};
	const POOL_FLAGS flags[] = {POOL_FLAG_NON_PAGED,
				    POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED,
				    POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED};
	for (POOL_FLAGS f : flags) {
		for (SIZE_T n : sizes) {
			const unsigned long calls = fake::alloc_calls();
			void *p = reinterpret_cast<void *>(1);
			EXPECT_NO_REPORT(p = ExAllocatePool2(f, n, kTag));
			EXPECT_EQ(p, nullptr) << std::hex << "size 0x" << n << " flags 0x" << f;
			// If the platform was asked at all, it was asked for at least
			// the driver's size: a wrapped size never reaches it.
			if (fake::alloc_calls() != calls) {
				EXPECT_GE(fake::last_alloc_size(), n) << std::hex << n;
			}
		}
		void *p = reinterpret_cast<void *>(1);
		EXPECT_NO_REPORT(p = ExAllocatePoolWithTag(NonPagedPoolCacheAligned, SIZE_MAX - 8, kTag));
		EXPECT_EQ(p, nullptr);
	}
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, WrongTagRefusedContentsIntact)
{
	auto *p = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, kTag));
	ASSERT_NE(p, nullptr);
	std::memset(p, 0x3c, 128);
	fake::Report r;
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_WRONG_TAG, &r, ExFreePoolWithTag(p, kOtherTag));
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(p));
	EXPECT_EQ(r.params[2], kTag);      // the block's tag
	EXPECT_EQ(r.params[3], kOtherTag); // the tag passed in
	EXPECT_EQ(r.routine, "ExFreePoolWithTag");

	MMSHIM_VERIFIER_REPORT last{};
	ASSERT_TRUE(MmshimVerifierLastReport(&last));
	EXPECT_EQ(last.BugCheckCode, static_cast<ULONG>(BAD_POOL_CALLER));
	EXPECT_EQ(last.Parameters[0], static_cast<ULONG_PTR>(MMSHIM_POOL_WRONG_TAG));
	EXPECT_EQ(last.Parameters[1], reinterpret_cast<ULONG_PTR>(p));
	EXPECT_EQ(last.Parameters[2], kTag);
	EXPECT_EQ(last.Parameters[3], kOtherTag);
	EXPECT_STREQ(last.Routine, "ExFreePoolWithTag");
	EXPECT_NE(last.Caller, nullptr);

	// Refused: still allocated, contents intact, still accounted.
	EXPECT_TRUE(AllBytes(p, 128, 0x3c));
	EXPECT_EQ(PoolBlocks(), 1u);
	EXPECT_EQ(PoolBytes(), 128u);
	EXPECT_EQ(fake::live_allocs(), 1u);
	EXPECT_NO_REPORT(ExFreePoolWithTag(p, kTag));
	EXPECT_EQ(PoolBlocks(), 0u);
}

TEST_F(PoolTest, FreeWithoutTagCheck)
{
	// ExFreePool and ExFreePoolWithTag(p, 0) do not check the tag.
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, kTag);
	ASSERT_NE(p, nullptr);
	EXPECT_NO_REPORT(ExFreePool(p));
	p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, kTag);
	ASSERT_NE(p, nullptr);
	EXPECT_NO_REPORT(ExFreePoolWithTag(p, 0));
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, DoubleFreeAndWildPointersAreTold)
{
	auto *p = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag));
	auto *keep = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag));
	ASSERT_NE(p, nullptr);
	ASSERT_NE(keep, nullptr);
	fake::Report r;

	// Interior and misaligned pointers into a live block: wild (0x42).
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, &r, ExFreePoolWithTag(p + 16, kTag));
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(p + 16));
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(p + 1));
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(p + 48));
	EXPECT_EQ(PoolBlocks(), 2u);

	EXPECT_NO_REPORT(ExFreePoolWithTag(p, kTag));
	// Freed once: a second free is a double free (0x07), not a wild pointer,
	// and the freed memory is not read (ASan would catch it).
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_DOUBLE_FREE, &r, ExFreePoolWithTag(p, kTag));
	EXPECT_EQ(r.params[3], reinterpret_cast<ULONG_PTR>(p));
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_DOUBLE_FREE, ExFreePool(p));
	EXPECT_EQ(PoolBlocks(), 1u);
	EXPECT_EQ(fake::live_allocs(), 1u);

	// Memory mmshim never handed out: its "header" lies outside the block,
	// so any read of it would be an ASan heap-buffer-overflow.
	void *foreign = std::malloc(128);
	ASSERT_NE(foreign, nullptr);
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(foreign));
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePoolWithTag(foreign, kTag));
	std::free(foreign);
	alignas(16) static unsigned char data[64];
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(data));
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL,
		      ExFreePool(reinterpret_cast<void *>(0xdead000000000000UL)));

	EXPECT_NO_REPORT(ExFreePoolWithTag(keep, kTag));
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, DoubleFreeLongAfterIsStillRefused)
{
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag);
	ASSERT_NE(p, nullptr);
	ExFreePool(p);
	// Many frees later the address has left the recent-frees history: the
	// free is still refused as a bad pool caller and nothing is touched.
	std::vector<void *> hold;
	for (int i = 0; i < 200; i++) {
		void *q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, kTag);
		ASSERT_NE(q, nullptr);
		hold.push_back(q);
	}
	for (void *q : hold)
		ExFreePool(q);
	if (std::find(hold.begin(), hold.end(), p) == hold.end()) {
		const ULONG before = MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_ANY_PARAMETER);
		ExFreePool(p);
		EXPECT_EQ(MmshimVerifierReportCount(BAD_POOL_CALLER, MMSHIM_ANY_PARAMETER), before + 1);
	}
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, NullAndUserAddressFrees)
{
	fake::Report r;
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, &r, ExFreePool(nullptr));
	EXPECT_EQ(r.params[1], 0u);
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePoolWithTag(nullptr, kTag));

	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_FREE_USER_ADDRESS, &r,
			  ExFreePoolWithTag(reinterpret_cast<void *>(0x8000), kTag));
	EXPECT_EQ(r.params[1], 0x8000u);
	EXPECT_EQ(r.params[2], fake::kHostKernelSpaceStart);

	// With Linux's real boundary, a (host heap) pool block is a user address:
	// refused, left allocated; freed once the boundary is back.
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag);
	ASSERT_NE(p, nullptr);
	fake::set_kernel_space_start(fake::kLinuxKernelSpaceStart);
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_FREE_USER_ADDRESS, &r, ExFreePool(p));
	EXPECT_EQ(r.params[1], reinterpret_cast<ULONG_PTR>(p));
	EXPECT_EQ(r.params[2], fake::kLinuxKernelSpaceStart);
	EXPECT_EQ(PoolBlocks(), 1u);
	EXPECT_EQ(fake::live_allocs(), 1u);
	fake::set_kernel_space_start(fake::kHostKernelSpaceStart);
	EXPECT_NO_REPORT(ExFreePool(p));
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, PagedPoolAtDispatchLevel)
{
	void *paged = ExAllocatePool2(POOL_FLAG_PAGED, 64, kTag);
	void *paged_wt = ExAllocatePoolWithTag(PagedPoolCacheAligned, 64, kTag);
	ASSERT_NE(paged, nullptr);
	ASSERT_NE(paged_wt, nullptr);
	std::memset(paged, 0x42, 64);

	fake::set_may_sleep(false);
	const unsigned long calls = fake::alloc_calls();
	void *p = reinterpret_cast<void *>(1);
	fake::Report r;
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_ALLOC, &r,
			  p = ExAllocatePool2(POOL_FLAG_PAGED, 100, kTag));
	EXPECT_EQ(p, nullptr);
	EXPECT_EQ(r.params[1], 2u); // DISPATCH_LEVEL
	EXPECT_EQ(r.params[2], static_cast<ULONG_PTR>(PagedPool));
	EXPECT_EQ(r.params[3], 100u);
	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_ALLOC, &r,
			  p = ExAllocatePoolWithTag(PagedPoolCacheAligned, 100, kTag));
	EXPECT_EQ(p, nullptr);
	EXPECT_EQ(r.params[2], static_cast<ULONG_PTR>(PagedPoolCacheAligned));
	EXPECT_EQ(fake::alloc_calls(), calls) << "the platform was asked for paged pool at DISPATCH";

	EXPECT_REPORT_OUT(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_FREE, &r, ExFreePoolWithTag(paged, kTag));
	EXPECT_EQ(r.params[1], 2u);
	EXPECT_EQ(r.params[2], static_cast<ULONG_PTR>(PagedPool));
	EXPECT_EQ(r.params[3], reinterpret_cast<ULONG_PTR>(paged));
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_BAD_IRQL_FREE, ExFreePool(paged_wt));
	// Refused: still allocated and intact.
	EXPECT_EQ(PoolBlocks(), 2u);
	EXPECT_TRUE(AllBytes(paged, 64, 0x42));

	// Nonpaged pool is fine at DISPATCH_LEVEL, with atomic allocations.
	void *np = nullptr;
	EXPECT_NO_REPORT(np = ExAllocatePool2(POOL_FLAG_NON_PAGED, 512, kTag));
	ASSERT_NE(np, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	EXPECT_NO_REPORT(ExFreePoolWithTag(np, kTag));

	fake::set_may_sleep(true);
	EXPECT_NO_REPORT(ExFreePoolWithTag(paged, kTag));
	EXPECT_NO_REPORT(ExFreePool(paged_wt));
	EXPECT_EQ(PoolBlocks(), 0u);
}

TEST_F(PoolTest, AtomicAllocationsAreLimitedLikeKmalloc)
{
	fake::set_may_sleep(false);
	void *p = reinterpret_cast<void *>(1);
	EXPECT_NO_REPORT(p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8 << 20, kTag));
	EXPECT_EQ(p, nullptr);
	fake::set_may_sleep(true);
	p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8 << 20, kTag);
	ASSERT_NE(p, nullptr);
	EXPECT_FALSE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	static_cast<unsigned char *>(p)[(8 << 20) - 1] = 1;
	ExFreePoolWithTag(p, kTag);
}

TEST_F(PoolTest, AllocationFailureGivesNullAndNoLeak)
{
	void *p = reinterpret_cast<void *>(1);
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, kTag));
	EXPECT_EQ(p, nullptr);
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(p = ExAllocatePoolWithTag(PagedPool, 100, kTag));
	EXPECT_EQ(p, nullptr);
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(PoolBytes(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);

	// A failure in the middle of a run leaves the rest intact.
	fake::fail_allocs(3, 1);
	std::vector<void *> got;
	for (int i = 0; i < 6; i++)
		got.push_back(ExAllocatePool2(POOL_FLAG_NON_PAGED, 10 + i, kTag));
	EXPECT_EQ(std::count(got.begin(), got.end(), nullptr), 1);
	EXPECT_EQ(got[3], nullptr);
	EXPECT_EQ(PoolBlocks(), 5u);
	EXPECT_EQ(PoolBytes(), 10u + 11 + 12 + 14 + 15);
	for (void *q : got)
		if (q)
			ExFreePoolWithTag(q, kTag);
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(PoolTest, UsageByTag)
{
	const ULONG a = Tag("AAAA"), b = Tag("BBBB");
	void *a1 = ExAllocatePool2(POOL_FLAG_NON_PAGED, 10, a);
	void *a2 = ExAllocatePool2(POOL_FLAG_PAGED, 20, a);
	void *b1 = ExAllocatePoolWithTag(NonPagedPoolNx, 300, b);
	ASSERT_TRUE(a1 && a2 && b1);
	mmshim_pool_row rows[8] = {};
	const unsigned n = mmshim_core_pool_rows(rows, 8);
	ASSERT_EQ(n, 2u);
	std::map<unsigned, std::pair<unsigned long, unsigned long>> by_tag;
	for (unsigned i = 0; i < n; i++)
		by_tag[rows[i].tag] = {rows[i].blocks, rows[i].bytes};
	EXPECT_EQ(by_tag[a], std::make_pair(2UL, 30UL));
	EXPECT_EQ(by_tag[b], std::make_pair(1UL, 300UL));
	// A short buffer gets at most what fits.
	EXPECT_EQ(mmshim_core_pool_rows(rows, 1), 1u);
	ExFreePool(a1);
	ExFreePool(a2);
	ExFreePool(b1);
	EXPECT_EQ(mmshim_core_pool_rows(rows, 8), 0u);
	SIZE_T blocks = 1;
	MmshimPoolUsage(&blocks, nullptr); // either pointer may be NULL
	EXPECT_EQ(blocks, 0u);
	MmshimPoolUsage(nullptr, nullptr);
}

TEST_F(PoolTest, ManyBlocksInAnyOrder)
{
	std::mt19937_64 rng(777);
	struct Live {
		unsigned char *p;
		SIZE_T n;
		ULONG tag;
		unsigned char fill;
	};
	std::vector<Live> live;
	SIZE_T bytes = 0;
	for (int i = 0; i < 5000; i++) {
		const SIZE_T n = 1 + rng() % 2000;
		const ULONG tag = Tag("Mny0") + static_cast<ULONG>(rng() % 4);
		auto *p = static_cast<unsigned char *>(ExAllocatePool2(
			(rng() & 1) ? POOL_FLAG_NON_PAGED : POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED,
			n, tag));
		ASSERT_NE(p, nullptr);
		const auto fill = static_cast<unsigned char>(i);
		std::memset(p, fill, n);
		live.push_back({p, n, tag, fill});
		bytes += n;
	}
	EXPECT_EQ(PoolBlocks(), 5000u);
	EXPECT_EQ(PoolBytes(), bytes);
	std::shuffle(live.begin(), live.end(), rng);
	for (size_t i = 0; i < live.size(); i++) {
		ASSERT_TRUE(AllBytes(live[i].p, live[i].n, live[i].fill)) << "block overwritten";
		ASSERT_TRUE(NoReport([&] { ExFreePoolWithTag(live[i].p, live[i].tag); })) << i;
		bytes -= live[i].n;
		ASSERT_EQ(PoolBytes(), bytes);
	}
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(fake::live_allocs(), 0u);
}

} // namespace
