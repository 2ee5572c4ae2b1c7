// SPDX-License-Identifier: GPL-2.0
/*
 * map_test.c - KUnit suite "mmshim_map": MmMapLockedPagesSpecifyCache,
 * MmMapLockedPages, MmGetSystemAddressForMdlSafe, MmUnmapLockedPages,
 * IoBuildPartialMdl and MmPrepareMdlForReuse on locked kernel memory and
 * hand-built MDLs, with data checked both ways through every mapping.
 */
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/delay.h>
#include <asm/pgtable.h>
#include "mmshim_kunit.h"

/* Bytes written through one address are read through the other, both ways. */
static void expect_same_memory(struct kunit *test, u8 *a, u8 *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += 512)
		a[i] = (u8)(i / 512 + 1);
	for (i = 0; i < len; i += 512)
		KUNIT_ASSERT_EQ_MSG(test, b[i], (u8)(i / 512 + 1), "offset %zu", i);
	b[len - 1] = 0x77;
	KUNIT_EXPECT_EQ(test, a[len - 1], 0x77);
}

static void map_contiguous_uses_linear_map(struct kunit *test)
{
	u8 *buf = kmalloc(4 * PAGE_SIZE, GFP_KERNEL);
	PMDL m;
	u8 *sys;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	m = locked_mdl(test, buf + 40, 3 * PAGE_SIZE);
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	/* kmalloc memory is in the linear map: the same address comes back. */
	KUNIT_EXPECT_PTR_EQ(test, sys, buf + 40);
	KUNIT_EXPECT_PTR_EQ(test, m->MappedSystemVa, (PVOID)sys);
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	/* Nothing to release later: no mapping record is kept. */
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	/* Repeated calls return the same mapping. */
	KUNIT_EXPECT_PTR_EQ(test, MmGetSystemAddressForMdlSafe(m, NormalPagePriority), (PVOID)sys);
	EXPECT_NO_REPORT(test, MmUnmapLockedPages(sys, m));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	release_mdl(m);
	kfree(buf);
}

static void map_scattered_pages(struct kunit *test)
{
	static const unsigned int sizes[] = { 1, 4, 16, 17, 64 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t len = sizes[i] * PAGE_SIZE;
		u8 *v = vmalloc(len);
		PMDL m;
		u8 *sys;

		KUNIT_ASSERT_NOT_NULL(test, v);
		m = locked_mdl(test, v + 16, len - 16);
		sys = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE,
						   NormalPagePriority | MdlMappingNoExecute);
		KUNIT_ASSERT_NOT_NULL(test, sys);
		KUNIT_EXPECT_EQ(test, (unsigned long)sys & ~PAGE_MASK, 16UL);
		expect_same_memory(test, v + 16, sys, len - 16);
		MmUnmapLockedPages(m->MappedSystemVa, m);
		release_mdl(m);
		vfree(v);
	}
}

static void map_hand_built_mdl(struct kunit *test)
{
	struct page *pages[3];
	u8 *store = kunit_kzalloc(test, sizeof(MDL) + 3 * sizeof(PFN_NUMBER), GFP_KERNEL);
	PMDL m = (PMDL)store;
	u8 *sys;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, store);
	for (i = 0; i < 3; i++) {
		pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL(test, pages[i]);
	}
	/* As the SystemDma sample does: no virtual address, PFNs by hand. */
	MmInitializeMdl(m, NULL, 3 * PAGE_SIZE);
	for (i = 0; i < 3; i++)
		MmGetMdlPfnArray(m)[i] = page_to_pfn(pages[2 - i]);
	m->MdlFlags |= MDL_PAGES_LOCKED;
	sys = MmGetSystemAddressForMdlSafe(m, HighPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	for (i = 0; i < 3; i++) {
		sys[i * PAGE_SIZE + 1] = 0x10 + i;
		KUNIT_EXPECT_EQ(test, ((u8 *)page_address(pages[2 - i]))[1], 0x10 + i);
	}
	EXPECT_NO_REPORT(test, MmUnmapLockedPages(sys, m));
	for (i = 0; i < 3; i++)
		__free_page(pages[i]);
}

static void map_read_only(struct kunit *test)
{
	u8 *buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	unsigned int level;
	PMDL m;
	u8 *sys;
	pte_t *pte;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	buf[5] = 0x99;
	m = locked_mdl(test, buf, 2 * PAGE_SIZE);
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoWrite);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	KUNIT_EXPECT_PTR_NE(test, sys, buf); /* not the (writable) linear map */
	KUNIT_EXPECT_EQ(test, sys[5], 0x99);
	pte = lookup_address((unsigned long)sys, &level);
	KUNIT_ASSERT_NOT_NULL(test, pte);
	KUNIT_EXPECT_FALSE(test, pte_write(*pte));
	KUNIT_EXPECT_TRUE(test, mmshim_kpte_nx(*pte));
	MmUnmapLockedPages(sys, m);
	release_mdl(m);
	kfree(buf);
}

static void map_misuse_is_reported(struct kunit *test)
{
	u8 *v = vmalloc(2 * PAGE_SIZE);
	PMDL m, pool;
	PVOID sys;

	KUNIT_ASSERT_NOT_NULL(test, v);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      sys = MmMapLockedPagesSpecifyCache(NULL, KernelMode, MmCached, NULL, FALSE, 0));
	KUNIT_EXPECT_NULL(test, sys);

	m = IoAllocateMdl(v, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED,
		      sys = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, 0));
	KUNIT_EXPECT_NULL(test, sys);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, KernelMode, IoReadAccess), STATUS_SUCCESS);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      sys = MmMapLockedPagesSpecifyCache(m, KernelMode, MmMaximumCacheType, NULL,
							 FALSE, 0));
	KUNIT_EXPECT_NULL(test, sys);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      sys = MmMapLockedPagesSpecifyCache(m, (KPROCESSOR_MODE)7, MmCached, NULL, FALSE, 0));
	KUNIT_EXPECT_NULL(test, sys);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED,
		      MmUnmapLockedPages(v, m));

	sys = MmMapLockedPages(m, KernelMode);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_ALREADY_MAPPED,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached,
									   NULL, FALSE, 0)));
	/* The wrong address is refused and the mapping stays usable. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_MAPPED,
		      MmUnmapLockedPages((u8 *)sys + PAGE_SIZE, m));
	expect_same_memory(test, v, sys, 2 * PAGE_SIZE);
	/* MmUnlockPages drops the mapping first. */
	EXPECT_NO_REPORT(test, MmUnlockPages(m));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);

	/* A nonpaged-pool MDL is already mapped: the macro returns that. */
	pool = IoAllocateMdl(v, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	MmBuildMdlForNonPagedPool(pool);
	KUNIT_EXPECT_PTR_EQ(test, MmGetSystemAddressForMdlSafe(pool, NormalPagePriority), (PVOID)v);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_WRONG_KIND,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesSpecifyCache(pool, KernelMode, MmCached,
									   NULL, FALSE, 0)));
	IoFreeMdl(pool);
	IoFreeMdl(m);
	vfree(v);
}

static void map_partial_mdls(struct kunit *test)
{
	u8 *v = vmalloc(8 * PAGE_SIZE);
	PMDL src, part;
	u8 *sys, *src_sys;
	ULONG_PTR mapped;

	KUNIT_ASSERT_NOT_NULL(test, v);
	src = locked_mdl(test, v + 100, 8 * PAGE_SIZE - 100);
	part = IoAllocateMdl(v + 100, 8 * PAGE_SIZE - 100, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);

	/* Pages 2..4 of the buffer, starting mid-page. */
	IoBuildPartialMdl(src, part, v + 2 * PAGE_SIZE + 8, 2 * PAGE_SIZE);
	KUNIT_EXPECT_TRUE(test, part->MdlFlags & MDL_PARTIAL);
	KUNIT_EXPECT_TRUE(test, part->MdlFlags & MDL_ALLOCATED_FIXED_SIZE); /* kept */
	KUNIT_EXPECT_FALSE(test, part->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	KUNIT_EXPECT_EQ(test, part->ByteOffset, 8U);
	KUNIT_EXPECT_EQ(test, part->ByteCount, (ULONG)(2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(part)[0], vmalloc_to_pfn(v + 2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(part)[2], vmalloc_to_pfn(v + 4 * PAGE_SIZE));
	sys = MmGetSystemAddressForMdlSafe(part, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	KUNIT_EXPECT_TRUE(test, part->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED);
	expect_same_memory(test, v + 2 * PAGE_SIZE + 8, sys, 2 * PAGE_SIZE);
	MmPrepareMdlForReuse(part);
	KUNIT_EXPECT_FALSE(test, part->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);

	/* Length 0 means "to the end of the source". */
	IoBuildPartialMdl(src, part, v + 6 * PAGE_SIZE, 0);
	KUNIT_EXPECT_EQ(test, part->ByteCount, (ULONG)(2 * PAGE_SIZE));
	sys = MmGetSystemAddressForMdlSafe(part, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, sys);
	expect_same_memory(test, v + 6 * PAGE_SIZE, sys, 2 * PAGE_SIZE);
	/* IoFreeMdl of a mapped partial MDL unmaps it, silently. */
	EXPECT_NO_REPORT(test, IoFreeMdl(part));
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);

	/* A partial MDL of a mapped source shares the source's mapping. */
	src_sys = MmGetSystemAddressForMdlSafe(src, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, src_sys);
	mapped = MmshimMappedMdlCount();
	part = IoAllocateMdl(v + 100, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	IoBuildPartialMdl(src, part, v + 3 * PAGE_SIZE, 100);
	KUNIT_EXPECT_TRUE(test, part->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
	KUNIT_EXPECT_PTR_EQ(test, MmGetSystemAddressForMdlSafe(part, NormalPagePriority),
			    (PVOID)(src_sys + 3 * PAGE_SIZE - 100));
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), mapped);

	/* Ranges outside the source: INVALID_MDL_RANGE, target untouched. */
	EXPECT_REPORT(test, INVALID_MDL_RANGE, (ULONG_PTR)src,
		      IoBuildPartialMdl(src, part, v, 100));
	EXPECT_REPORT(test, INVALID_MDL_RANGE, (ULONG_PTR)src,
		      IoBuildPartialMdl(src, part, v + 7 * PAGE_SIZE, 2 * PAGE_SIZE));
	EXPECT_REPORT(test, INVALID_MDL_RANGE, (ULONG_PTR)src,
		      IoBuildPartialMdl(src, part, src_sys, 100)); /* a system address */
	KUNIT_EXPECT_EQ(test, part->ByteCount, 100U);
	IoFreeMdl(part);
	/* A target whose PFN array is too small for the range. */
	part = kunit_kzalloc(test, MmSizeOfMdl(NULL, PAGE_SIZE), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	MmInitializeMdl(part, NULL, PAGE_SIZE);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      IoBuildPartialMdl(src, part, v + 100, 0));
	KUNIT_EXPECT_EQ(test, (int)part->MdlFlags, 0);
	release_mdl(src);
	vfree(v);
}

static DEFINE_SPINLOCK(map_test_lock);
/* Pages in mmshim's atomic-context VA pool (src/core/vapool.h). */
#define POOL_PAGES 4096

/* DISPATCH_LEVEL: contiguous MDLs map through the linear map; unmapping a
 * vmap'ed MDL is deferred; nothing sleeps. Checked after the lock drops. */
static void wait_for_pool(struct kunit *test)
{
	int i;

	for (i = 0; i < 1000 && MmshimAtomicMapFreePages() != POOL_PAGES; i++)
		msleep(10);
	KUNIT_EXPECT_EQ(test, MmshimAtomicMapFreePages(), (SIZE_T)POOL_PAGES);
}

static void map_atomic_context(struct kunit *test)
{
	u8 *buf = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	u8 *store = kunit_kzalloc(test, MmSizeOfMdl(NULL, (POOL_PAGES + 1) * PAGE_SIZE), GFP_KERNEL);
	struct page *p0 = alloc_page(GFP_KERNEL | __GFP_ZERO);
	u8 *contiguous, *scattered, *read_only, *atomic, *too_big;
	bool ro_writable = true, ro_nx = false;
	unsigned int level, cycles_ok = 0, i;
	unsigned long flags;
	u8 seen0 = 0, seen1 = 0;
	PMDL a, b = (PMDL)store;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, store);
	KUNIT_ASSERT_NOT_NULL(test, p0);
	a = locked_mdl(test, buf, 2 * PAGE_SIZE);
	/* The same page twice (FAT's zero-MDL trick): never contiguous. */
	MmInitializeMdl(b, NULL, 2 * PAGE_SIZE);
	MmGetMdlPfnArray(b)[0] = page_to_pfn(p0);
	MmGetMdlPfnArray(b)[1] = page_to_pfn(p0);
	b->MdlFlags |= MDL_PAGES_LOCKED;
	scattered = MmGetSystemAddressForMdlSafe(b, NormalPagePriority); /* vm_map_ram */
	KUNIT_ASSERT_NOT_NULL(test, scattered);

	spin_lock_irqsave(&map_test_lock, flags);
	/* Contiguous: the linear map. */
	contiguous = MmGetSystemAddressForMdlSafe(a, NormalPagePriority);
	if (contiguous)
		MmUnmapLockedPages(contiguous, a);
	/* Read-only: the VA pool. */
	read_only = MmGetSystemAddressForMdlSafe(a, NormalPagePriority | MdlMappingNoWrite);
	if (read_only) {
		pte_t *pte = lookup_address((unsigned long)read_only, &level);

		ro_writable = !pte || pte_write(*pte);
		ro_nx = pte && mmshim_kpte_nx(*pte);
		MmUnmapLockedPages(read_only, a);
	}
	/* Non-contiguous: the VA pool; both pages show the same memory. */
	MmUnmapLockedPages(scattered, b); /* vm_unmap_ram deferred to a worker */
	atomic = MmGetSystemAddressForMdlSafe(b, NormalPagePriority);
	if (atomic) {
		atomic[0] = 0x5a;
		atomic[PAGE_SIZE + 1] = 0xa5;
		seen0 = ((u8 *)page_address(p0))[0];
		seen1 = ((u8 *)page_address(p0))[1];
		MmUnmapLockedPages(atomic, b);
	}
	/* Map/unmap cycles reuse nothing that may still be in a TLB. */
	for (i = 0; i < 200; i++) {
		u8 *va = MmGetSystemAddressForMdlSafe(b, NormalPagePriority);

		if (!va)
			break;
		cycles_ok += va[0] == 0x5a && va[PAGE_SIZE + 1] == 0xa5;
		MmUnmapLockedPages(va, b);
	}
	MmUnlockPages(a);
	spin_unlock_irqrestore(&map_test_lock, flags);

	KUNIT_EXPECT_PTR_EQ(test, contiguous, buf);
	KUNIT_ASSERT_NOT_NULL(test, read_only);
	KUNIT_EXPECT_FALSE(test, ro_writable);
	KUNIT_EXPECT_TRUE(test, ro_nx);
	KUNIT_ASSERT_NOT_NULL(test, atomic);
	KUNIT_EXPECT_EQ(test, seen0, 0x5a);
	KUNIT_EXPECT_EQ(test, seen1, 0xa5);
	KUNIT_EXPECT_EQ(test, cycles_ok, 200U);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	wait_for_pool(test);

	/* More pages than the pool has: NULL (no report without BugCheckOnFailure). */
	MmInitializeMdl(b, NULL, (POOL_PAGES + 1) * PAGE_SIZE);
	for (i = 0; i < POOL_PAGES + 1; i++)
		MmGetMdlPfnArray(b)[i] = page_to_pfn(p0);
	b->MdlFlags |= MDL_PAGES_LOCKED;
	spin_lock_irqsave(&map_test_lock, flags);
	too_big = MmMapLockedPagesSpecifyCache(b, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
	spin_unlock_irqrestore(&map_test_lock, flags);
	KUNIT_EXPECT_NULL(test, too_big);
	IoFreeMdl(a);
	kfree(buf);
	__free_page(p0);
}

static struct kunit_case map_cases[] = {
	KUNIT_CASE(map_contiguous_uses_linear_map),
	KUNIT_CASE(map_scattered_pages),
	KUNIT_CASE(map_hand_built_mdl),
	KUNIT_CASE(map_read_only),
	KUNIT_CASE(map_misuse_is_reported),
	KUNIT_CASE(map_partial_mdls),
	KUNIT_CASE(map_atomic_context),
	{}
};

static struct kunit_suite map_suite = {
	.name = "mmshim_map",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = map_cases,
};
kunit_test_suite(map_suite);
