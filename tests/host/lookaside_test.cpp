// SPDX-License-Identifier: GPL-2.0
// lookaside_test.cpp - the pool variants (ExAllocatePool3, ...WithTagPriority,
// ...WithQuotaTag, ExAllocatePool, ExAllocatePoolZero, raising on failure)
// and lookaside lists: cache depth, hit and miss counters, custom routines,
// and every misuse report (uninitialised or deleted list, double free, wrong
// list, outstanding entries at delete, paged list in atomic context).
#include <cstring>
#include <vector>

#include "lookaside_c_check.h"
#include "test_support.h"

namespace {

using namespace mmshim_test;

constexpr ULONG kTag = Tag("Look");
constexpr ULONG kOtherTag = Tag("Othr");

class PoolVariantTest : public CoreTest {};
class LookasideTest : public CoreTest {};

ULONG PoolRowBlocks(ULONG tag)
{
	mmshim_pool_row rows[64];
	unsigned n = mmshim_core_pool_rows(rows, 64);
	for (unsigned i = 0; i < n; i++)
		if (rows[i].tag == tag)
			return static_cast<ULONG>(rows[i].blocks);
	return 0;
}

TEST_F(PoolVariantTest, CHeaderCheck)
{
	lookaside_c_values v{};
	EXPECT_EQ(mmshim_lookaside_c_check(&v), 23);
	EXPECT_EQ(v.sizeof_general_lookaside, 0x80u);
	EXPECT_EQ(v.sizeof_general_lookaside_pool, 0x60u);
	EXPECT_EQ(v.sizeof_npaged, 0x80u);
	EXPECT_EQ(v.sizeof_paged, 0x80u);
	EXPECT_EQ(v.sizeof_ex, 0x60u);
	EXPECT_EQ(v.sizeof_extended_parameter, 16u);
	EXPECT_EQ(v.offsetof_tag, 0x28u);
	EXPECT_EQ(v.offsetof_allocate_ex, 0x30u);
	EXPECT_EQ(v.offsetof_future, 0x58u);
	EXPECT_EQ(v.priority_high, 32u);
	EXPECT_EQ(v.raise_flag, 0x20u);
	EXPECT_EQ(v.zero_allocation, 1024u);
	EXPECT_EQ(v.ex_raise, 1u);
	EXPECT_TRUE(v.zero_allocated);
	EXPECT_TRUE(v.zero_is_zero);
	EXPECT_TRUE(v.untagged_allocated);
	EXPECT_TRUE(v.priority_allocated);
	EXPECT_TRUE(v.pool3_allocated);
	EXPECT_TRUE(v.npaged_hit);
	EXPECT_TRUE(v.custom_calls);
	EXPECT_TRUE(v.paged_ok);
	EXPECT_EQ(v.ex_status, STATUS_SUCCESS);
	EXPECT_TRUE(v.ex_ok);
	EXPECT_EQ(PoolBlocks(), 0u);
}

TEST_F(PoolVariantTest, CxxFunctionTypes)
{
	PALLOCATE_FUNCTION a = ExAllocatePoolWithTag;
	PFREE_FUNCTION f = ExFreePool;
	PVOID (*zero)(POOL_TYPE, SIZE_T, ULONG) = ExAllocatePoolZero;
	PVOID (*alloc)(PNPAGED_LOOKASIDE_LIST) = ExAllocateFromNPagedLookasideList;
	NTSTATUS (*init)(PLOOKASIDE_LIST_EX, PALLOCATE_FUNCTION_EX, PFREE_FUNCTION_EX, POOL_TYPE, ULONG, SIZE_T,
			 ULONG, USHORT) = ExInitializeLookasideListEx;
	EXPECT_NE(a, nullptr);
	EXPECT_NE(f, nullptr);
	EXPECT_NE(zero, nullptr);
	EXPECT_NE(alloc, nullptr);
	EXPECT_NE(init, nullptr);
	static_assert(alignof(NPAGED_LOOKASIDE_LIST) == 64);
	static_assert(alignof(LOOKASIDE_LIST_EX) == 16);
}

TEST_F(PoolVariantTest, ZeroAndUninitialized)
{
	void *p = ExAllocatePoolZero(NonPagedPoolNx, 200, kTag);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ZERO);
	ExFreePoolWithTag(p, kTag);
	p = ExAllocatePoolUninitialized(PagedPool, 200, kTag);
	ASSERT_NE(p, nullptr);
	EXPECT_FALSE(fake::last_alloc_flags() & MMSHIM_ALLOC_ZERO);
	ExFreePoolWithTag(p, kTag);
	// Cold allocations are a hint.
	EXPECT_NO_REPORT(p = ExAllocatePoolWithTag(static_cast<POOL_TYPE>(NonPagedPoolNx | POOL_COLD_ALLOCATION),
						   8, kTag));
	ASSERT_NE(p, nullptr);
	ExFreePool(p);
}

TEST_F(PoolVariantTest, PriorityReachesThePlatform)
{
	void *p = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 64, kTag, LowPoolPriority);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_LOW_PRIORITY);
	ExFreePool(p);
	p = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 64, kTag, LowPoolPrioritySpecialPoolOverrun);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_LOW_PRIORITY);
	ExFreePool(p);
	p = ExAllocatePoolWithTagPriority(PagedPool, 64, kTag, NormalPoolPriority);
	EXPECT_FALSE(fake::last_alloc_flags() & (MMSHIM_ALLOC_LOW_PRIORITY | MMSHIM_ALLOC_HIGH_PRIORITY));
	ExFreePool(p);
	p = ExAllocatePoolWithTagPriority(NonPagedPool, 64, kTag, HighPoolPrioritySpecialPoolUnderrun);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_HIGH_PRIORITY);
	ExFreePool(p);
}

TEST_F(PoolVariantTest, UntaggedUsesTheNoneTag)
{
	void *p = ExAllocatePool(NonPagedPool, 64);
	ASSERT_NE(p, nullptr);
	EXPECT_EQ(PoolRowBlocks(Tag("None")), 1u);
	EXPECT_NO_REPORT(ExFreePoolWithTag(p, Tag("None")));
}

TEST_F(PoolVariantTest, Pool3Parameters)
{
	POOL_EXTENDED_PARAMETER x[2] = {};
	x[0].Type = PoolExtendedParameterPriority;
	x[0].Priority = LowPoolPriority;
	void *p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, kTag, x, 1);
	ASSERT_NE(p, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_LOW_PRIORITY);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ZERO);
	ExFreePool(p);
	// No parameters: ExAllocatePool2.
	p = ExAllocatePool3(POOL_FLAG_PAGED, 64, kTag, nullptr, 0);
	ASSERT_NE(p, nullptr);
	ExFreePool(p);
	// A required secure-pool parameter is refused, an optional one ignored.
	x[1].Type = PoolExtendedParameterSecurePool;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, kTag, x, 2));
	EXPECT_EQ(p, nullptr);
	x[1].Optional = 1;
	EXPECT_NO_REPORT(p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, kTag, x, 2));
	ASSERT_NE(p, nullptr);
	ExFreePool(p);
	// NUMA: a preference (MM_ANY_NODE_OK) is accepted, a requirement refused.
	x[1].Type = PoolExtendedParameterNumaNode;
	x[1].Optional = 0;
	x[1].PreferredNode = 0x80000000u | 1;
	EXPECT_NO_REPORT(p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, kTag, x, 2));
	ExFreePool(p);
	x[1].PreferredNode = 1;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, kTag, x, 2));
	// Unknown required type: invalid.
	x[1].Type = 77;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, kTag, x, 2));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 64, kTag, nullptr, 1));
	EXPECT_EQ(p, nullptr);
}

TEST_F(PoolVariantTest, RaiseOnFailureRaisesInsufficientResources)
{
	// The fake refuses the jump, so the raise shows as a resume request
	// for the frame plus a "stale frame" report.
	MMSHIM_SEH_FRAME frame{};
	MmshimSehPush(&frame);
	fake::fail_next_allocs(1);
	void *p = nullptr;
	EXPECT_REPORT(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_INSUFFICIENT_RESOURCES),
		      p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 64, kTag));
	EXPECT_EQ(p, nullptr);
	ASSERT_EQ(fake::seh_resumes().size(), 1u);
	EXPECT_EQ(fake::seh_resumes()[0], frame.Context);
	EXPECT_EQ(frame.Code, STATUS_INSUFFICIENT_RESOURCES);
	MmshimSehPop(&frame);

	// Success does not raise; without RAISE a failure returns NULL quietly.
	EXPECT_NO_REPORT(p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 64, kTag));
	ASSERT_NE(p, nullptr);
	ExFreePool(p);
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag));
	EXPECT_EQ(p, nullptr);

	// Any NULL raises: here a refused tag (its own report, then the raise).
	const size_t before = fake::reports().size();
	p = ExAllocatePool3(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 64, 0, nullptr, 0);
	EXPECT_EQ(p, nullptr);
	ASSERT_EQ(fake::reports().size(), before + 2);
	EXPECT_EQ(fake::reports()[before].params[0], static_cast<unsigned long>(MMSHIM_POOL_TAG_ZERO));
	EXPECT_EQ(fake::reports()[before + 1].code, static_cast<unsigned>(KMODE_EXCEPTION_NOT_HANDLED));

	// Pool-type modifier, and the quota routine's opposite default.
	fake::fail_next_allocs(1);
	EXPECT_REPORT(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_INSUFFICIENT_RESOURCES),
		      ExAllocatePoolWithTag(static_cast<POOL_TYPE>(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE),
					    64, kTag));
	fake::fail_next_allocs(1);
	EXPECT_REPORT(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_INSUFFICIENT_RESOURCES),
		      ExAllocatePoolWithQuotaTag(PagedPool, 64, kTag));
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(p = ExAllocatePoolWithQuotaTag(
				 static_cast<POOL_TYPE>(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE), 64, kTag));
	EXPECT_EQ(p, nullptr);
	// The quota bit means nothing to ExAllocatePoolWithTag: invalid type.
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      p = ExAllocatePoolWithTag(static_cast<POOL_TYPE>(PagedPool | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE),
						64, kTag));
	p = ExAllocatePoolWithQuotaTag(NonPagedPoolNx, 64, kTag);
	ASSERT_NE(p, nullptr);
	ExFreePool(p);
}

// ---- lookaside lists ------------------------------------------------------

struct Counting {
	static inline int allocs, frees;
	static inline POOL_TYPE last_type;
	static inline SIZE_T last_size;
	static inline ULONG last_tag;
	static inline PLOOKASIDE_LIST_EX last_list;

	static PVOID Allocate(POOL_TYPE type, SIZE_T size, ULONG tag)
	{
		allocs++;
		last_type = type;
		last_size = size;
		last_tag = tag;
		return ExAllocatePoolWithTag(PagedPool, size, Tag("Cust"));
	}
	static VOID Free(PVOID p)
	{
		frees++;
		ExFreePool(p);
	}
	static PVOID AllocateEx(POOL_TYPE type, SIZE_T size, ULONG tag, PLOOKASIDE_LIST_EX list)
	{
		last_list = list;
		return Allocate(type, size, tag);
	}
	static VOID FreeEx(PVOID p, PLOOKASIDE_LIST_EX list)
	{
		last_list = list;
		Free(p);
	}
	static void Reset() { allocs = frees = 0; last_list = nullptr; }
};

TEST_F(LookasideTest, HitsMissesAndDepth)
{
	alignas(64) NPAGED_LOOKASIDE_LIST l;
	std::memset(&l, 0xcc, sizeof(l));
	EXPECT_NO_REPORT(ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 100, kTag, 0));
	EXPECT_EQ(l.L.Depth, 4);
	EXPECT_EQ(l.L.MaximumDepth, 256);
	EXPECT_EQ(l.L.Size, 100u);
	EXPECT_EQ(l.L.Tag, kTag);
	EXPECT_EQ(l.L.Type, NonPagedPool);
	EXPECT_EQ(l.L.TotalAllocates, 0u);
	EXPECT_EQ(MmshimLookasideListCount(), 1u);

	void *e[6];
	for (auto &x : e) {
		x = ExAllocateFromNPagedLookasideList(&l);
		ASSERT_NE(x, nullptr);
	}
	EXPECT_EQ(l.L.TotalAllocates, 6u);
	EXPECT_EQ(l.L.AllocateMisses, 6u);
	EXPECT_EQ(PoolRowBlocks(kTag), 6u); // entries are pool blocks with the list's tag
	for (auto &x : e)
		EXPECT_NO_REPORT(ExFreeToNPagedLookasideList(&l, x));
	EXPECT_EQ(l.L.TotalFrees, 6u);
	EXPECT_EQ(l.L.FreeMisses, 2u); // depth 4: two went back to the pool
	EXPECT_EQ(PoolRowBlocks(kTag), 4u);
	// Hits come from the cache, last freed first.
	void *h = ExAllocateFromNPagedLookasideList(&l);
	EXPECT_EQ(h, e[3]);
	EXPECT_EQ(l.L.AllocateMisses, 6u);
	EXPECT_EQ(l.L.TotalAllocates, 7u);
	ExFreeToNPagedLookasideList(&l, h);
	EXPECT_NO_REPORT(ExDeleteNPagedLookasideList(&l));
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(MmshimLookasideListCount(), 0u);
}

TEST_F(LookasideTest, DepthGrowsWithMissesAndShrinksWhenIdle)
{
	LOOKASIDE_LIST_EX l;
	ASSERT_EQ(ExInitializeLookasideListEx(&l, nullptr, nullptr, PagedPool, 0, 32, kTag, 0), STATUS_SUCCESS);
	// 64 allocations, all misses: the depth grows by 64.
	std::vector<void *> v;
	for (int i = 0; i < 64; i++)
		v.push_back(ExAllocateFromLookasideListEx(&l));
	EXPECT_EQ(l.L.Depth, 4 + 64);
	EXPECT_EQ(l.L.LastTotalAllocates, 64u);
	for (void *p : v)
		ExFreeToLookasideListEx(&l, p);
	EXPECT_EQ(l.L.FreeMisses, 0u); // all 64 fit the grown cache
	// 64 hits: no misses, the depth shrinks by one.
	for (int i = 0; i < 64; i++)
		ExFreeToLookasideListEx(&l, ExAllocateFromLookasideListEx(&l));
	EXPECT_EQ(l.L.Depth, 4 + 64 - 1);
	EXPECT_EQ(l.L.AllocateMisses, 64u);
	// Flush releases the cache; counters stay.
	EXPECT_EQ(PoolBlocks(), 64u);
	ExFlushLookasideListEx(&l);
	EXPECT_EQ(PoolBlocks(), 0u);
	void *p = ExAllocateFromLookasideListEx(&l);
	EXPECT_EQ(l.L.AllocateMisses, 65u);
	ExFreeToLookasideListEx(&l, p);
	ExDeleteLookasideListEx(&l);
	EXPECT_EQ(PoolBlocks(), 0u);
}

TEST_F(LookasideTest, ExplicitDepthIsTheStartingDepth)
{
	NPAGED_LOOKASIDE_LIST l;
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 16, kTag, 10);
	EXPECT_EQ(l.L.Depth, 10);
	ExDeleteNPagedLookasideList(&l);
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 16, kTag, 1000);
	EXPECT_EQ(l.L.Depth, 256);
	ExDeleteNPagedLookasideList(&l);
}

TEST_F(LookasideTest, CustomRoutinesGetTheListsParameters)
{
	Counting::Reset();
	NPAGED_LOOKASIDE_LIST l;
	ExInitializeNPagedLookasideList(&l, Counting::Allocate, Counting::Free, POOL_NX_ALLOCATION, 40, kTag, 4);
	EXPECT_EQ(l.L.Allocate, &Counting::Allocate);
	void *e[5];
	for (auto &x : e)
		x = ExAllocateFromNPagedLookasideList(&l);
	EXPECT_EQ(Counting::allocs, 5);
	EXPECT_EQ(Counting::last_type, NonPagedPoolNx);
	EXPECT_EQ(Counting::last_size, 40u);
	EXPECT_EQ(Counting::last_tag, kTag);
	for (auto &x : e)
		ExFreeToNPagedLookasideList(&l, x);
	EXPECT_EQ(Counting::frees, 1); // the fifth did not fit
	ExDeleteNPagedLookasideList(&l);
	EXPECT_EQ(Counting::frees, 5);

	Counting::Reset();
	LOOKASIDE_LIST_EX x;
	ASSERT_EQ(ExInitializeLookasideListEx(&x, Counting::AllocateEx, Counting::FreeEx, PagedPool,
					      EX_LOOKASIDE_LIST_EX_FLAGS_RAISE_ON_FAIL, 24, kTag, 0),
		  STATUS_SUCCESS);
	void *p = ExAllocateFromLookasideListEx(&x);
	EXPECT_EQ(Counting::last_list, &x);
	EXPECT_EQ(Counting::last_type, static_cast<POOL_TYPE>(PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE));
	ExFreeToLookasideListEx(&x, p);
	ExFlushLookasideListEx(&x);
	EXPECT_EQ(Counting::frees, 1);
	ExDeleteLookasideListEx(&x);
}

TEST_F(LookasideTest, DeleteWithOutstandingEntriesIsReported)
{
	NPAGED_LOOKASIDE_LIST l;
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 64, kTag, 0);
	void *a = ExAllocateFromNPagedLookasideList(&l);
	void *b = ExAllocateFromNPagedLookasideList(&l);
	ExFreeToNPagedLookasideList(&l, a);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_OUTSTANDING, &r,
			  ExDeleteNPagedLookasideList(&l));
	EXPECT_EQ(r.params[1], reinterpret_cast<unsigned long>(&l));
	EXPECT_EQ(r.params[2], 1u);
	EXPECT_EQ(r.params[3], kTag);
	// The outstanding entry is still the driver's: free it to the pool.
	EXPECT_EQ(PoolBlocks(), 1u);
	EXPECT_NO_REPORT(ExFreePoolWithTag(b, kTag));
}

TEST_F(LookasideTest, DoubleFreeAndWrongList)
{
	NPAGED_LOOKASIDE_LIST a, b, small;
	ExInitializeNPagedLookasideList(&a, nullptr, nullptr, 0, 64, kTag, 0);
	ExInitializeNPagedLookasideList(&b, nullptr, nullptr, 0, 64, kTag, 0);
	ExInitializeNPagedLookasideList(&small, nullptr, nullptr, 0, 8, kTag, 0);
	void *e = ExAllocateFromNPagedLookasideList(&a);
	void *e2 = ExAllocateFromNPagedLookasideList(&a);
	ExFreeToNPagedLookasideList(&a, e);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_DOUBLE_FREE,
		      ExFreeToNPagedLookasideList(&a, e));
	EXPECT_EQ(a.L.TotalFrees, 1u);
	// Free in a's cache, freed again to b.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_WRONG_LIST,
		      ExFreeToNPagedLookasideList(&b, e));
	// Outstanding from a, freed to b (same tag and size): b has nothing out.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_WRONG_LIST,
		      ExFreeToNPagedLookasideList(&b, e2));
	// Another size: wrong list too.
	void *s = ExAllocateFromNPagedLookasideList(&small);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_WRONG_LIST,
		      ExFreeToNPagedLookasideList(&a, s));
	// Small entries (no room for the cookie) still catch a double free.
	ExFreeToNPagedLookasideList(&small, s);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_DOUBLE_FREE,
		      ExFreeToNPagedLookasideList(&small, s));
	// Not pool at all, and NULL.
	alignas(16) unsigned char local[64];
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_ENTRY,
		      ExFreeToNPagedLookasideList(&a, local));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_ENTRY,
		      ExFreeToNPagedLookasideList(&a, nullptr));
	// A pool block of another tag.
	void *foreign = ExAllocatePoolWithTag(NonPagedPoolNx, 64, kOtherTag);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_WRONG_LIST,
		      ExFreeToNPagedLookasideList(&a, foreign));
	ExFreePool(foreign);
	EXPECT_NO_REPORT(ExFreeToNPagedLookasideList(&a, e2));
	// An entry released to the pool (the cache was full) and freed again.
	ExDeleteNPagedLookasideList(&b);
	ExDeleteNPagedLookasideList(&small);
	EXPECT_NO_REPORT(ExDeleteNPagedLookasideList(&a));
	EXPECT_EQ(PoolBlocks(), 0u);
}

TEST_F(LookasideTest, ReleasedEntryFreedAgainIsReported)
{
	NPAGED_LOOKASIDE_LIST l;
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 32, kTag, 4);
	void *e[5];
	for (auto &x : e)
		x = ExAllocateFromNPagedLookasideList(&l);
	for (auto &x : e)
		ExFreeToNPagedLookasideList(&l, x); // e[4] goes back to the pool
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_ENTRY,
		      ExFreeToNPagedLookasideList(&l, e[4]));
	ExDeleteNPagedLookasideList(&l);
}

TEST_F(LookasideTest, UninitialisedAndDeletedListsAreReported)
{
	NPAGED_LOOKASIDE_LIST l;
	std::memset(&l, 0, sizeof(l));
	void *p = reinterpret_cast<void *>(1);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      p = ExAllocateFromNPagedLookasideList(&l));
	EXPECT_EQ(p, nullptr);
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 32, kTag, 0);
	p = ExAllocateFromNPagedLookasideList(&l);
	ExFreeToNPagedLookasideList(&l, p);
	ExDeleteNPagedLookasideList(&l);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      ExDeleteNPagedLookasideList(&l));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      p = ExAllocateFromNPagedLookasideList(&l));
	void *q = ExAllocatePoolWithTag(NonPagedPoolNx, 32, kTag);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      ExFreeToNPagedLookasideList(&l, q));
	ExFreePool(q);
	LOOKASIDE_LIST_EX x;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      ExFlushLookasideListEx(&x));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_NOT_INITIALIZED,
		      p = ExAllocateFromLookasideListEx(nullptr));
}

TEST_F(LookasideTest, ReinitialisingALiveListIsReported)
{
	NPAGED_LOOKASIDE_LIST l;
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 32, kTag, 0);
	ExFreeToNPagedLookasideList(&l, ExAllocateFromNPagedLookasideList(&l));
	EXPECT_EQ(PoolBlocks(), 1u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_REINITIALIZED,
		      ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 32, kTag, 0));
	EXPECT_EQ(PoolBlocks(), 0u); // the old cache was released
	EXPECT_EQ(MmshimLookasideListCount(), 1u);
	ExDeleteNPagedLookasideList(&l);
}

TEST_F(LookasideTest, BadParameters)
{
	NPAGED_LOOKASIDE_LIST l;
	LOOKASIDE_LIST_EX x;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
		      ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 4, kTag, 0));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
		      ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0x4000, 32, kTag, 0));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
		      ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 1ULL << 33, kTag, 0));
	EXPECT_EQ(MmshimLookasideListCount(), 0u);
	NTSTATUS s = 0;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
		      s = ExInitializeLookasideListEx(&x, nullptr, nullptr, NonPagedPool, 3, 32, kTag, 0));
	EXPECT_EQ(s, STATUS_INVALID_PARAMETER);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
		      s = ExInitializeLookasideListEx(&x, nullptr, nullptr, NonPagedPoolMustSucceed, 0, 32,
						      kTag, 0));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOOKASIDE_BAD_PARAMETER,
		      s = ExInitializeLookasideListEx(&x, nullptr, nullptr, PagedPoolSession, 0, 32, kTag, 0));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      s = ExInitializeLookasideListEx(nullptr, nullptr, nullptr, NonPagedPool, 0, 32, kTag, 0));
	EXPECT_EQ(s, STATUS_INVALID_PARAMETER);
	fake::fail_next_allocs(1);
	EXPECT_EQ(ExInitializeLookasideListEx(&x, nullptr, nullptr, NonPagedPool, 0, 32, kTag, 0),
		  STATUS_INSUFFICIENT_RESOURCES);
	EXPECT_EQ(MmshimLookasideListCount(), 0u);
}

TEST_F(LookasideTest, PagedListsAreRefusedInAtomicContext)
{
	PAGED_LOOKASIDE_LIST l;
	ExInitializePagedLookasideList(&l, nullptr, nullptr, 0, 32, kTag, 0);
	void *e = ExAllocateFromPagedLookasideList(&l);
	ASSERT_NE(e, nullptr);
	fake::set_may_sleep(false);
	void *p = reinterpret_cast<void *>(1);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      p = ExAllocateFromPagedLookasideList(&l));
	EXPECT_EQ(p, nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      ExFreeToPagedLookasideList(&l, e));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      ExDeletePagedLookasideList(&l));
	PAGED_LOOKASIDE_LIST m;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      ExInitializePagedLookasideList(&m, nullptr, nullptr, 0, 32, kTag, 0));
	fake::set_may_sleep(true);
	EXPECT_NO_REPORT(ExFreeToPagedLookasideList(&l, e));
	EXPECT_NO_REPORT(ExDeletePagedLookasideList(&l));
}

TEST_F(LookasideTest, NonPagedListsWorkInAtomicContext)
{
	NPAGED_LOOKASIDE_LIST l;
	fake::set_may_sleep(false);
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 32, kTag, 0);
	void *e = nullptr;
	EXPECT_NO_REPORT(e = ExAllocateFromNPagedLookasideList(&l));
	ASSERT_NE(e, nullptr);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	EXPECT_NO_REPORT(ExFreeToNPagedLookasideList(&l, e));
	EXPECT_NO_REPORT(ExDeleteNPagedLookasideList(&l));
	fake::set_may_sleep(true);
}

TEST_F(LookasideTest, RaiseOnFailureFlags)
{
	NPAGED_LOOKASIDE_LIST l;
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, POOL_RAISE_IF_ALLOCATION_FAILURE, 32, kTag, 0);
	fake::fail_next_allocs(1);
	void *p = reinterpret_cast<void *>(1);
	EXPECT_REPORT(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(STATUS_INSUFFICIENT_RESOURCES),
		      p = ExAllocateFromNPagedLookasideList(&l));
	EXPECT_EQ(p, nullptr);
	ExDeleteNPagedLookasideList(&l);

	LOOKASIDE_LIST_EX x;
	ExInitializeLookasideListEx(&x, nullptr, nullptr, NonPagedPoolNx, EX_LOOKASIDE_LIST_EX_FLAGS_FAIL_NO_RAISE,
				    32, kTag, 0);
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(p = ExAllocateFromLookasideListEx(&x));
	EXPECT_EQ(p, nullptr);
	ExDeleteLookasideListEx(&x);
}

TEST_F(LookasideTest, ListsLeftAtUnloadAreReportedAndReleased)
{
	AllowLeaks();
	static NPAGED_LOOKASIDE_LIST l;
	ExInitializeNPagedLookasideList(&l, nullptr, nullptr, 0, 32, kTag, 0);
	ExFreeToNPagedLookasideList(&l, ExAllocateFromNPagedLookasideList(&l));
	const size_t first = fake::reports().size();
	mmshim_core_exit();
	bool seen = false;
	for (size_t i = first; i < fake::reports().size(); i++)
		if (fake::reports()[i].params[0] == MMSHIM_VRF_LOOKASIDE_LEAKED_AT_UNLOAD)
			seen = fake::reports()[i].params[1] == 1;
	EXPECT_TRUE(seen);
	EXPECT_EQ(fake::live_allocs(), 0u);
	ASSERT_EQ(mmshim_core_init(), 0); // for TearDown
}

} // namespace
