// SPDX-License-Identifier: GPL-2.0
// lifecycle_test.cpp - mmshim_core_init/exit: what unload releases and
// reports, what survives a reload, init failure; plus checks that the fake
// platform really is as strict as the other tests rely on.
#include <cstring>

#include "test_support.h"

namespace {

using namespace mmshim_test;

constexpr ULONG kTag = Tag("Life");
const PVOID kKva = reinterpret_cast<PVOID>(0xffff888000005000UL);

const fake::Report *FindReport(size_t first, unsigned code, unsigned long p1)
{
	const fake::Report *found = nullptr;
	for (size_t i = first; i < fake::reports().size(); i++) {
		const auto &r = fake::reports()[i];
		if (r.code == code && r.params[0] == p1) {
			EXPECT_EQ(found, nullptr) << "reported twice: " << Describe(r);
			found = &r;
		}
	}
	return found;
}

class LifecycleTest : public CoreTest {};

TEST_F(LifecycleTest, ExitReleasesAndReportsLeakedPoolAndMdls)
{
	ASSERT_NE(ExAllocatePool2(POOL_FLAG_NON_PAGED, 10, kTag), nullptr);
	ASSERT_NE(ExAllocatePool2(POOL_FLAG_PAGED, 20, kTag), nullptr);
	ASSERT_NE(ExAllocatePoolWithTag(NonPagedPoolCacheAligned, 30, Tag("Othr")), nullptr);
	ASSERT_NE(IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr), nullptr);
	ASSERT_NE(IoAllocateMdl(kKva, 100 * PAGE_SIZE, FALSE, FALSE, nullptr), nullptr);
	EXPECT_EQ(fake::live_allocs(), 4u);
	EXPECT_EQ(fake::live_cache_objects(), 1u);

	const size_t first = fake::reports().size();
	mmshim_core_exit();
	EXPECT_EQ(fake::live_allocs(), 0u);
	EXPECT_EQ(fake::live_cache_objects(), 0u);
	EXPECT_FALSE(fake::cache_exists());
	EXPECT_EQ(fake::reports().size(), first + 2) << DescribeSince(first);

	const fake::Report *pool = FindReport(first, DRIVER_VERIFIER_DETECTED_VIOLATION,
					      MMSHIM_VRF_POOL_LEAKED_AT_UNLOAD);
	ASSERT_NE(pool, nullptr) << DescribeSince(first);
	// Windows puts the number of allocations in parameter 4.
	EXPECT_EQ(pool->params[2], 60u); // bytes
	EXPECT_EQ(pool->params[3], 3u);  // blocks
	EXPECT_EQ(pool->routine, "mmshim unload");
	EXPECT_EQ(pool->code_name, "DRIVER_VERIFIER_DETECTED_VIOLATION");

	const fake::Report *mdls = FindReport(first, DRIVER_VERIFIER_DETECTED_VIOLATION,
					      MMSHIM_VRF_MDL_LEAKED_AT_UNLOAD);
	ASSERT_NE(mdls, nullptr) << DescribeSince(first);
	EXPECT_EQ(mdls->params[2], 2u);

	// The counters are readable after unload, until the next load.
	EXPECT_EQ(MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					    MMSHIM_VRF_POOL_LEAKED_AT_UNLOAD), 1u);
	EXPECT_EQ(MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					    MMSHIM_VRF_MDL_LEAKED_AT_UNLOAD), 1u);
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(PoolBytes(), 0u);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);

	ASSERT_EQ(mmshim_core_init(), 0);
	EXPECT_EQ(MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_ANY_PARAMETER), 0u);
	MMSHIM_VERIFIER_REPORT last;
	EXPECT_FALSE(MmshimVerifierLastReport(&last));
}

TEST_F(LifecycleTest, ExitWithNothingLeakedReportsNothing)
{
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 10, kTag);
	PMDL m = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr);
	ExFreePool(p);
	IoFreeMdl(m);
	EXPECT_NO_REPORT(mmshim_core_exit());
	EXPECT_FALSE(fake::cache_exists());
	ASSERT_EQ(mmshim_core_init(), 0);
}

TEST_F(LifecycleTest, WhatUnloadFreedIsUnknownAfterReload)
{
	auto *p = static_cast<char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag));
	void *freed = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, kTag);
	PMDL m = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr);
	ASSERT_TRUE(p && freed && m);
	ExFreePool(freed);
	mmshim_core_exit();
	ASSERT_EQ(mmshim_core_init(), 0);
	EXPECT_EQ(PoolBlocks(), 0u);
	EXPECT_EQ(MmshimLiveMdlCount(), 0u);
	// The memory is gone: these must be refused without touching it (ASan)
	// or handing it to the platform again (the fake would complain).
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePoolWithTag(p, kTag));
	// The history of recent frees went with the unload too.
	EXPECT_REPORT(BAD_POOL_CALLER, MMSHIM_POOL_NOT_IN_POOL, ExFreePool(freed));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_ALLOCATED, IoFreeMdl(m));
}

TEST_F(LifecycleTest, ExitAndInitManyTimes)
{
	for (int i = 0; i < 20; i++) {
		void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100 + i, kTag);
		PMDL m = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr);
		ASSERT_TRUE(p && m);
		if (i % 2) {
			ExFreePool(p);
			IoFreeMdl(m);
		}
		mmshim_core_exit();
		ASSERT_EQ(fake::live_allocs(), 0u);
		ASSERT_EQ(fake::live_cache_objects(), 0u);
		ASSERT_EQ(mmshim_core_init(), 0);
	}
}

TEST_F(LifecycleTest, InitFailsWhenTheMdlCacheCannotBeCreated)
{
	mmshim_core_exit();
	fake::fail_cache_create();
	EXPECT_NE(mmshim_core_init(), 0);
	EXPECT_FALSE(fake::cache_exists());
	EXPECT_EQ(mmshim_core_init(), 0);
	EXPECT_TRUE(fake::cache_exists());
}

TEST_F(LifecycleTest, ExportedRoutinesReleaseEveryLock)
{
	const unsigned long before = fake::lock_acquisitions();
	void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 10, kTag);
	EXPECT_EQ(fake::locks_held(), 0u);
	ExFreePoolWithTag(p, Tag("Bad!"));
	EXPECT_EQ(fake::locks_held(), 0u);
	ExFreePool(p);
	PMDL m = IoAllocateMdl(kKva, 100, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(m);
	IoFreeMdl(m);
	IoFreeMdl(m);
	MmshimLiveMdlCount();
	EXPECT_EQ(fake::locks_held(), 0u);
	EXPECT_GT(fake::lock_acquisitions(), before);
}

// ---- the fake itself -----------------------------------------------------------

using FakePlatformTest = CoreTest;

TEST_F(FakePlatformTest, BlocksAreOnlyEightByteAlignedAndFilled)
{
	for (unsigned long n : {1UL, 8UL, 24UL, 100UL, 4096UL}) {
		auto *p = static_cast<unsigned char *>(mmshim_plat_alloc(n, 0));
		ASSERT_NE(p, nullptr);
		EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 8u);
		EXPECT_EQ(p[0], fake::kAllocFill);
		EXPECT_EQ(p[n - 1], fake::kAllocFill);
		mmshim_plat_free(p);
		p = static_cast<unsigned char *>(mmshim_plat_alloc(n, MMSHIM_ALLOC_ZERO));
		ASSERT_NE(p, nullptr);
		EXPECT_EQ(p[n - 1], 0);
		mmshim_plat_free(p);
	}
	EXPECT_EQ(fake::live_allocs(), 0u);
}

TEST_F(FakePlatformTest, ContextRulesAreChecked)
{
	const size_t before = fake::violations().size();
	fake::set_may_sleep(false);
	EXPECT_EQ(mmshim_plat_may_sleep(), 0);
	void *p = mmshim_plat_alloc(10, 0); // sleeping allocation in atomic context
	fake::set_may_sleep(true);
	EXPECT_EQ(mmshim_plat_may_sleep(), 1);
	const unsigned long flags = mmshim_plat_lock(MMSHIM_LOCK_MDL);
	EXPECT_EQ(mmshim_plat_may_sleep(), 0) << "a held spinlock makes the caller atomic";
	mmshim_plat_unlock(MMSHIM_LOCK_MDL, flags);
	mmshim_plat_unlock(MMSHIM_LOCK_MDL, flags); // not held
	int local;
	mmshim_plat_free(&local); // never allocated
	EXPECT_EQ(fake::violations().size(), before + 3);
	mmshim_plat_free(p);
	fake::reset(); // forget the violations this test made on purpose
	ASSERT_EQ(mmshim_core_init(), 0);
}

TEST_F(FakePlatformTest, RecursiveLockingAborts)
{
	GTEST_FLAG_SET(death_test_style, "threadsafe");
	EXPECT_DEATH(
		{
			mmshim_plat_lock(MMSHIM_LOCK_POOL);
			mmshim_plat_lock(MMSHIM_LOCK_POOL);
		},
		"recursive locking");
}

TEST_F(FakePlatformTest, KernelRanges)
{
	unsigned long long pfn = 0;
	fake::map_direct(0xffff888000000000UL, 2 * PAGE_SIZE, 100);
	fake::map_vmalloc(0xffffc90000000000UL, {7, 3});
	fake::map_stack(0xffffc90000100000UL, PAGE_SIZE);
	fake::add_io_pfn(3);
	EXPECT_EQ(mmshim_plat_kva_to_pfn(reinterpret_cast<void *>(0xffff888000001fffUL), &pfn),
		  MMSHIM_KVA_DIRECT);
	EXPECT_EQ(pfn, 101u);
	EXPECT_EQ(mmshim_plat_kva_to_pfn(reinterpret_cast<void *>(0xffff888000002000UL), &pfn),
		  MMSHIM_KVA_INVALID);
	EXPECT_EQ(mmshim_plat_kva_to_pfn(reinterpret_cast<void *>(0xffffc90000001000UL), &pfn),
		  MMSHIM_KVA_VMALLOC);
	EXPECT_EQ(pfn, 3u);
	EXPECT_EQ(mmshim_plat_kva_to_pfn(reinterpret_cast<void *>(0xffffc90000100010UL), &pfn),
		  MMSHIM_KVA_STACK);
	EXPECT_EQ(mmshim_plat_pfn_is_ram(7), 1);
	EXPECT_EQ(mmshim_plat_pfn_is_ram(3), 0);
	// Below kernel space nothing is valid, whatever was mapped there.
	fake::map_direct(0x1000, PAGE_SIZE, 5);
	EXPECT_EQ(mmshim_plat_kva_to_pfn(reinterpret_cast<void *>(0x1000), &pfn), MMSHIM_KVA_INVALID);
	EXPECT_EQ(mmshim_plat_kernel_space_start(), fake::kHostKernelSpaceStart);
	fake::set_kernel_space_start(fake::kLinuxKernelSpaceStart);
	EXPECT_EQ(mmshim_plat_kernel_space_start(), 0x0000800000000000UL);
}

TEST_F(FakePlatformTest, FaultInjection)
{
	fake::fail_allocs(1, 2);
	void *a = mmshim_plat_alloc(8, 0);
	void *b = mmshim_plat_mdl_cache_alloc(0);
	void *c = mmshim_plat_alloc(8, 0);
	void *d = mmshim_plat_alloc(8, 0);
	EXPECT_NE(a, nullptr);
	EXPECT_EQ(b, nullptr);
	EXPECT_EQ(c, nullptr);
	EXPECT_NE(d, nullptr);
	EXPECT_EQ(fake::live_allocs(), 2u);
	mmshim_plat_free(a);
	mmshim_plat_free(d);
	EXPECT_EQ(fake::live_allocs(), 0u);
}

} // namespace
