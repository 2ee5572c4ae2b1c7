// SPDX-License-Identifier: GPL-2.0
/*
 * pagealloc_test.c - KUnit suite "mmshim_pagealloc": MmAllocatePagesForMdl(Ex),
 * MmFreePagesFromMdl and contiguous memory on a real page allocator: sizes
 * from one page to 64 MiB, every PFN checked against the address
 * constraints, zeroing, every flag, cache types visible in the linear map
 * and in mappings, partial allocations under fail_page_alloc, free page
 * counts back where they were, and every bad input with its report.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/vmstat.h>
#include <linux/io.h>
#include <linux/delay.h>
#include <linux/spinlock.h>
#include <linux/ioport.h>
#include <linux/ktime.h>
#include <asm/pgtable.h>
#include "mmshim_kunit.h"
#include <ntddk.h>

/* Cache type of the linear map's entry for @pfn (see pte_cache). */
static int linear_cache(unsigned long pfn)
{
	return pte_cache(page_address(pfn_to_page(pfn)));
}

static void free_mdl_pages(PMDL m)
{
	MmFreePagesFromMdl(m);
	ExFreePool(m);
}

/* Every frame RAM, allocated once (held by mmshim alone), inside [low, high];
 * optionally zeroed. */
static void check_frames(struct kunit *test, PMDL m, u64 low, u64 high, bool zeroed)
{
	ULONG pages = m->ByteCount >> PAGE_SHIFT, i;
	PPFN_NUMBER pfn = MmGetMdlPfnArray(m);

	for (i = 0; i < pages; i++) {
		u64 p = (u64)pfn[i] << PAGE_SHIFT;

		KUNIT_ASSERT_TRUE_MSG(test, pfn_valid(pfn[i]), "frame %u", i);
		KUNIT_ASSERT_EQ_MSG(test, page_count(pfn_to_page(pfn[i])), 1, "frame %u", i);
		KUNIT_ASSERT_TRUE_MSG(test, p >= low && p + PAGE_SIZE - 1 <= high,
				      "frame %u at %llx outside [%llx, %llx]", i, p, low, high);
		if (zeroed) {
			u64 *v = page_address(pfn_to_page(pfn[i]));

			KUNIT_ASSERT_TRUE_MSG(test, !v[0] && !v[PAGE_SIZE / 8 - 1] && !v[77], "frame %u", i);
		}
		if (i && i < 64)
			KUNIT_ASSERT_NE(test, pfn[i], pfn[0]);
	}
}

/*
 * Linux has no call to allocate from an arbitrary physical window; mmshim
 * probes the allocator (docs/pagealloc.md). A window around memory the
 * allocator is handing out right now is one it can serve: [p - half, p + half),
 * where p is a block of the order mmshim will ask for, just freed (so at the
 * head of this CPU's list for that order). A block of another order would
 * say nothing of where the next block of this one comes from.
 */
static void window_near_free_memory(u64 half, unsigned int order, u64 *low, u64 *high)
{
	struct page *page = alloc_pages(GFP_KERNEL, order);
	u64 p = page ? page_to_phys(page) : (1ULL << 30);

	if (page)
		__free_pages(page, order);
	*low = p > half ? (p - half) & ~(half - 1) : 0;
	*high = *low + 2 * half - 1;
}

/*
 * The MDL's frames, each with a reference of the test's own, to check them
 * after MmFreePagesFromMdl: mmshim has let go of a frame when only the
 * test's reference is left. The extra reference keeps the allocator from
 * handing a freed frame to someone else before it is checked, which would
 * make a page in use by another task look like a leak.
 */
static unsigned long *hold_frames(PMDL m, ULONG *count)
{
	unsigned long *f;
	ULONG i;

	*count = m->ByteCount >> PAGE_SHIFT;
	f = kvmalloc_array(*count, sizeof(*f), GFP_KERNEL);
	if (f)
		for (i = 0; i < *count; i++) {
			f[i] = MmGetMdlPfnArray(m)[i];
			get_page(pfn_to_page(f[i]));
		}
	return f;
}

/* Frames mmshim still holds a reference to. */
static ULONG frames_still_used(const unsigned long *f, ULONG count)
{
	ULONG i, used = 0;

	for (i = 0; i < count; i++)
		used += page_count(pfn_to_page(f[i])) != 1;
	return used;
}

/* Drop the test's references: the frames go back to the allocator. */
static void drop_frames(unsigned long *f, ULONG count)
{
	ULONG i;

	for (i = 0; i < count; i++)
		put_page(pfn_to_page(f[i]));
	kvfree(f);
}

static void pagealloc_sizes(struct kunit *test)
{
	static const SIZE_T sizes[] = { PAGE_SIZE, 3 * PAGE_SIZE + 1, 1 << 20, 16 << 20, 64 << 20 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		SIZE_T pages = (sizes[i] + PAGE_SIZE - 1) >> PAGE_SHIFT;
		PMDL m = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), sizes[i]);
		unsigned long *frames;
		ULONG count;
		u8 *va;

		KUNIT_ASSERT_NOT_NULL(test, m);
		KUNIT_EXPECT_EQ(test, (SIZE_T)m->ByteCount, pages * PAGE_SIZE);
		KUNIT_EXPECT_EQ(test, m->ByteOffset, 0U);
		KUNIT_EXPECT_NULL(test, m->StartVa);
		KUNIT_EXPECT_EQ(test, m->MdlFlags, (CSHORT)MDL_PAGES_LOCKED);
		KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), pages);
		/* Each frame allocated and held once. (NR_FREE_PAGES cannot say
		 * so: pages on per-CPU lists are not counted in it, and the
		 * allocator moves them in and out of it at any time.) */
		check_frames(test, m, 0, ~0ULL, true);
		/* Mapped through the usual macro: cached, data visible. */
		va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
		KUNIT_ASSERT_NOT_NULL(test, va);
		va[0] = 1;
		va[m->ByteCount - 1] = 2;
		KUNIT_EXPECT_EQ(test, pte_cache(va), 0);
		frames = hold_frames(m, &count);
		KUNIT_ASSERT_NOT_NULL(test, frames);
		/* MmFreePagesFromMdl drops the mapping too (Windows 7+). */
		free_mdl_pages(m);
		KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
		KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
		/* Every frame let go of. (NR_FREE_PAGES cannot say so: 6.12's
		 * per-CPU lists grow to keep thousands of freed pages out of it.) */
		KUNIT_EXPECT_EQ(test, frames_still_used(frames, count), 0U);
		drop_frames(frames, count);
	}
}

static void pagealloc_constraints(struct kunit *test)
{
	u64 low, high;
	PMDL m;
	ULONG i;

	/* Below 4 GiB (a zone: GFP_DMA32). */
	m = MmAllocatePagesForMdl(pa(0), pa(0xffffffffULL), pa(0), 256 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->ByteCount, 256U * PAGE_SIZE);
	check_frames(test, m, 0, 0xffffffffULL, true);
	free_mdl_pages(m);
	/* Below 16 MiB, where x86 has its ISA DMA zone. (arm64's ZONE_DMA is
	 * the RAM devices can address with 32 bits, from RAM's start at 1 GiB
	 * on qemu's virt machine: the 4 GiB case above.) */
	if (IS_ENABLED(CONFIG_ZONE_DMA) && IS_ENABLED(CONFIG_X86)) {
		m = MmAllocatePagesForMdl(pa(0), pa((16 << 20) - 1), pa(0), 8 * PAGE_SIZE);
		KUNIT_ASSERT_NOT_NULL(test, m);
		check_frames(test, m, 0, (16 << 20) - 1, true);
		free_mdl_pages(m);
	}
	/* A 64 MiB window that is not a zone: frames outside are set aside. */
	window_near_free_memory(32 << 20, 0, &low, &high);
	m = MmAllocatePagesForMdl(pa(low), pa(high), pa(0), 64 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_GT(test, m->ByteCount, 0U);
	check_frames(test, m, low, high, true);
	free_mdl_pages(m);
	/* SkipBytes: [0, 8 MiB), then moved up by 16 MiB each time: every
	 * other 8 MiB stripe of physical memory. */
	m = MmAllocatePagesForMdl(pa(0), pa((8 << 20) - 1), pa(16 << 20), 64 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_GT(test, m->ByteCount, 0U);
	for (i = 0; i < m->ByteCount >> PAGE_SHIFT; i++)
		KUNIT_EXPECT_LT(test, ((u64)MmGetMdlPfnArray(m)[i] << PAGE_SHIFT) % (16 << 20), (u64)(8 << 20));
	free_mdl_pages(m);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
}

static void pagealloc_flags(struct kunit *test)
{
	PMDL m;
	ULONG i;

	m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 8 * PAGE_SIZE, MmCached,
				    MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_NO_WAIT |
				    MM_ALLOCATE_FROM_LOCAL_NODE_ONLY | MM_ALLOCATE_FULLY_REQUIRED |
				    MM_ALLOCATE_PREFER_CONTIGUOUS);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->ByteCount, 8U * PAGE_SIZE);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, page_to_nid(pfn_to_page(MmGetMdlPfnArray(m)[i])), numa_node_id());
	free_mdl_pages(m);
	/* One contiguous block. */
	m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 5 * PAGE_SIZE, MmCached,
				    MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, m->ByteCount, 5U * PAGE_SIZE);
	for (i = 1; i < 5; i++)
		KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[i], MmGetMdlPfnArray(m)[0] + i);
	check_frames(test, m, 0, ~0ULL, true);
	free_mdl_pages(m);
	/* Blocks of 64 KiB, each aligned on 64 KiB. */
	m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(64 << 10), 1 << 20, MmCached,
				    MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->ByteCount % (64 << 10), 0U);
	for (i = 0; i < m->ByteCount >> PAGE_SHIFT; i++)
		KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[i],
				MmGetMdlPfnArray(m)[i & ~15U] + (i & 15));
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[0] % 16, 0UL);
	free_mdl_pages(m);
	/* Large pages: 2 MiB blocks. */
	m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(2 << 20), 4 << 20, MmCached,
				    MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS | MM_ALLOCATE_FAST_LARGE_PAGES);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[0] % 512, 0UL);
	free_mdl_pages(m);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
}

static void pagealloc_cache_types(struct kunit *test)
{
	static const MEMORY_CACHING_TYPE types[] = { MmNonCached, MmWriteCombined, MmCached };
	static const int want[] = { 1, 2, 0 };
	unsigned int t;

	for (t = 0; t < ARRAY_SIZE(types); t++) {
		PMDL m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 4 * PAGE_SIZE, types[t], 0);
		PFN_NUMBER first;
		u8 *va;
		ULONG i;

		KUNIT_ASSERT_NOT_NULL(test, m);
		for (i = 0; i < 4; i++)
			KUNIT_EXPECT_EQ(test, linear_cache(MmGetMdlPfnArray(m)[i]), want[t]);
		/* The recorded type wins over the mapping call's. */
		va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
		KUNIT_ASSERT_NOT_NULL(test, va);
		KUNIT_EXPECT_EQ(test, pte_cache(va), want[t]);
		va[5] = 0x42;
		KUNIT_EXPECT_EQ(test, ((u8 *)page_address(pfn_to_page(MmGetMdlPfnArray(m)[0])))[5], 0x42);
		MmUnmapLockedPages(va, m);
		/* Read-only: a separate mapping, same type. */
		va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmNonCached, NULL, FALSE,
						  NormalPagePriority | MdlMappingNoWrite);
		KUNIT_ASSERT_NOT_NULL(test, va);
		KUNIT_EXPECT_EQ(test, pte_cache(va), want[t]);
		KUNIT_EXPECT_EQ(test, va[5], 0x42);
		MmUnmapLockedPages(va, m);
		first = MmGetMdlPfnArray(m)[0];
		free_mdl_pages(m);
		/* Write-back again once freed (the page may be unmapped by
		 * DEBUG_PAGEALLOC now: -1). */
		KUNIT_EXPECT_LE(test, linear_cache(first), 0);
	}
}

static void pagealloc_contiguous(struct kunit *test)
{
	u64 phys, low, high;
	u8 *p;

	p = MmAllocateContiguousMemory(3 * PAGE_SIZE, pa(0xffffffff));
	KUNIT_ASSERT_NOT_NULL(test, p);
	phys = MmGetPhysicalAddress(p).QuadPart;
	KUNIT_EXPECT_EQ(test, phys, (u64)virt_to_phys(p));
	KUNIT_EXPECT_EQ(test, (u64)MmGetPhysicalAddress(p + 2 * PAGE_SIZE + 9).QuadPart, phys + 2 * PAGE_SIZE + 9);
	KUNIT_EXPECT_LT(test, phys + 3 * PAGE_SIZE - 1, 0x100000000ULL);
	KUNIT_EXPECT_EQ(test, p[0] | p[3 * PAGE_SIZE - 1], 0);
	p[3 * PAGE_SIZE - 1] = 1;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED,
		      MmFreeContiguousMemory(p + PAGE_SIZE));
	MmFreeContiguousMemory(p);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED,
		      MmFreeContiguousMemory(p));
	window_near_free_memory(64 << 20, 1, &low, &high); /* 2 pages: one order-1 block */
	p = MmAllocateContiguousMemorySpecifyCache(2 * PAGE_SIZE, pa(low), pa(high), pa(1 << 20),
						   MmWriteCombined);
	KUNIT_ASSERT_NOT_NULL(test, p);
	phys = virt_to_phys(p);
	KUNIT_EXPECT_GE(test, phys, low);
	KUNIT_EXPECT_LE(test, phys + 2 * PAGE_SIZE - 1, high);
	KUNIT_EXPECT_EQ(test, phys >> 20, (phys + 2 * PAGE_SIZE - 1) >> 20);
	KUNIT_EXPECT_EQ(test, pte_cache(p), 2);
	MmFreeContiguousMemory(p);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
}

static void pagealloc_bad_input(struct kunit *test)
{
	PMDL m;
	MDL fake = {};

	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), 0)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(123), PAGE_SIZE)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_BAD_ADDRESS,
		      KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdl(pa(1 << 30), pa(1 << 20), pa(0), PAGE_SIZE)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), PAGE_SIZE,
								      MmCached, 0x80000)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), PAGE_SIZE,
								      (MEMORY_CACHING_TYPE)9, 0)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(3 * PAGE_SIZE),
								      6 * PAGE_SIZE, MmCached,
								      MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 8 << 20, MmCached,
								      MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, MmFreePagesFromMdl(NULL));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGES_NOT_ALLOCATED,
		      MmFreePagesFromMdl(&fake));
	m = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmFreePagesFromMdl(m);
	KUNIT_EXPECT_EQ(test, MmGetMdlPfnArray(m)[0], (PFN_NUMBER)-1);
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PAGES_NOT_ALLOCATED, MmFreePagesFromMdl(m));
	/* Not an IoAllocateMdl MDL, not probe-locked: those routines refuse it. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_NOT_LOCKED, MmUnlockPages(m));
	ExFreePool(m);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      KUNIT_EXPECT_NULL(test, MmAllocateContiguousMemory(0, pa(~0ULL))));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_NOT_ALIGNED,
		      KUNIT_EXPECT_NULL(test, MmAllocateContiguousMemorySpecifyCache(3 * PAGE_SIZE, pa(0), pa(~0ULL),
										   pa(PAGE_SIZE), MmCached)));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
}

static DEFINE_SPINLOCK(pagealloc_test_lock);

static void pagealloc_atomic(struct kunit *test)
{
	PMDL cached, uncached, wc = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 3 * PAGE_SIZE,
							     MmWriteCombined, 0);
	unsigned long flags, *frames;
	ULONG count, i;

	KUNIT_ASSERT_NOT_NULL(test, wc);
	frames = hold_frames(wc, &count);
	KUNIT_ASSERT_NOT_NULL(test, frames);
	spin_lock_irqsave(&pagealloc_test_lock, flags);
	cached = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), 4 * PAGE_SIZE);
	uncached = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), PAGE_SIZE, MmNonCached, 0);
	if (cached)
		MmFreePagesFromMdl(cached);
	/* Write-combined pages need set_memory_wb, which sleeps: a worker does it. */
	MmFreePagesFromMdl(wc);
	spin_unlock_irqrestore(&pagealloc_test_lock, flags);
	KUNIT_ASSERT_NOT_NULL(test, cached);
	KUNIT_EXPECT_NULL(test, uncached);
	ExFreePool(cached);
	ExFreePool(wc);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
	for (i = 0; i < 1000 && frames_still_used(frames, count); i++)
		msleep(10);
	KUNIT_EXPECT_EQ(test, frames_still_used(frames, count), 0U);
	drop_frames(frames, count);
}

/* ExFreePool of the MDL before MmFreePagesFromMdl: reported, pages freed. */
static void pagealloc_mdl_freed_before_its_pages(struct kunit *test)
{
	PMDL m = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), 8 * PAGE_SIZE);
	unsigned long *frames;
	ULONG count;

	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_NOT_NULL(test, MmGetSystemAddressForMdlSafe(m, NormalPagePriority));
	frames = hold_frames(m, &count);
	KUNIT_ASSERT_NOT_NULL(test, frames);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_FREED_IN_USE, ExFreePool(m));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
	KUNIT_EXPECT_EQ(test, MmshimMappedMdlCount(), 0UL);
	KUNIT_EXPECT_EQ(test, frames_still_used(frames, count), 0U);
	drop_frames(frames, count);
}

#ifdef CONFIG_FAULT_INJECTION
/*
 * fail_nth: the Nth slab or page allocation of this task fails, once. The
 * allocations before the first page (mmshim's record and scratch array,
 * kmemleak's metadata for them, and vmalloc's when the scratch array falls
 * back to it on fragmented memory) vary in number, so N is chosen well
 * inside the 64 single-page allocations that follow: one of those fails.
 */
#define PAGEALLOC_FAIL_NTH 40

static void pagealloc_partial_under_fault_injection(struct kunit *test)
{
	unsigned long *frames;
	ULONG count;
	PMDL m;

	current->fail_nth = PAGEALLOC_FAIL_NTH;
	m = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), 64 * PAGE_SIZE);
	current->fail_nth = 0;
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_GT(test, m->ByteCount, 0U);
	KUNIT_EXPECT_LT(test, m->ByteCount, 64U * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), (SIZE_T)(m->ByteCount >> PAGE_SHIFT));
	check_frames(test, m, 0, ~0ULL, true);
	frames = hold_frames(m, &count);
	KUNIT_ASSERT_NOT_NULL(test, frames);
	free_mdl_pages(m);
	KUNIT_EXPECT_EQ(test, frames_still_used(frames, count), 0U);
	drop_frames(frames, count);

	current->fail_nth = PAGEALLOC_FAIL_NTH;
	m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 64 * PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
	current->fail_nth = 0;
	KUNIT_EXPECT_NULL(test, m);

	current->make_it_fail = 1;
	m = MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 64 * PAGE_SIZE, MmNonCached, 0);
	current->make_it_fail = 0;
	KUNIT_EXPECT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
}

/*
 * Issue 10 item 7: a partial MDL's PFN array holds the frames found, not the
 * pages asked. A driver that sets ByteCount back to the size it asked for
 * gets a "too small" report; before, mapping read past the pool block
 * (KASAN slab-out-of-bounds) and mapped whatever followed it.
 */
static void pagealloc_partial_mdl_capacity(struct kunit *test)
{
	ULONG got;
	PMDL m;

	current->fail_nth = PAGEALLOC_FAIL_NTH;
	m = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), 64 * PAGE_SIZE);
	current->fail_nth = 0;
	KUNIT_ASSERT_NOT_NULL(test, m);
	got = m->ByteCount;
	KUNIT_ASSERT_LT(test, got, 64U * PAGE_SIZE);
	m->ByteCount = 64 * PAGE_SIZE;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      KUNIT_EXPECT_NULL(test, MmGetSystemAddressForMdlSafe(m, NormalPagePriority)));
	m->ByteCount = got + PAGE_SIZE;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_MDL_TOO_SMALL,
		      KUNIT_EXPECT_NULL(test, MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE,
									   NormalPagePriority)));
	m->ByteCount = got;
	KUNIT_EXPECT_NOT_NULL(test, MmGetSystemAddressForMdlSafe(m, NormalPagePriority));
	free_mdl_pages(m);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
}
#else
static void pagealloc_partial_under_fault_injection(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}

static void pagealloc_partial_mdl_capacity(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_FAULT_INJECTION");
}
#endif

/*
 * Free frames in [low, high]: the sizes of the free buddy blocks that start
 * there (a buddy head keeps its order in page_private). A snapshot, racy by
 * nature; good enough to pick a window.
 */
static unsigned long free_pages_in(u64 low, u64 high)
{
	unsigned long pfn, free = 0;

	for (pfn = low >> PAGE_SHIFT; pfn <= high >> PAGE_SHIFT; pfn++) {
		if (pfn_valid(pfn) && PageBuddy(pfn_to_page(pfn))) {
			unsigned long n = 1UL << min_t(unsigned long, page_private(pfn_to_page(pfn)), 10);

			free += n;
			pfn += n - 1;
		}
	}
	return free;
}

/*
 * A 16 MiB window from the middle of RAM up that has free pages right now,
 * or false. Nothing about it is a zone.
 */
static bool window_in_the_middle(u64 *low, u64 *high)
{
	u64 start = ((u64)totalram_pages() << PAGE_SHIFT) / 2;
	int i;

#ifdef CONFIG_ARM64
	start += PHYS_OFFSET; /* RAM does not start at 0 (1 GiB on qemu's virt) */
#endif
	start &= ~((16ULL << 20) - 1);
	for (i = 0; i < 16; i++, start += 16ULL << 20) {
		/* At least 4 MiB free in the window, not a few fragments. */
		if (free_pages_in(start, start + (16ULL << 20) - 1) >= 1024) {
			*low = start;
			*high = start + (16ULL << 20) - 1;
			return true;
		}
	}
	return false;
}

/*
 * Issue 10 item 13: a window in the middle of RAM with free pages gets
 * them. Before, mmshim held at most 4096 + 2 x pages frames outside the
 * window aside and gave up: the allocator hands out memory from wherever
 * its free lists start, far from a window 1 GiB up, so NULL came back
 * although the window had free pages.
 */
static void pagealloc_window_in_the_middle_of_ram(struct kunit *test)
{
	u64 low, high;
	PMDL m;

	if (!window_in_the_middle(&low, &high))
		kunit_skip(test, "no 16 MiB window with free pages above the middle of RAM");
	kunit_info(test, "window [%llx, %llx], %lu free pages\n", low, high, free_pages_in(low, high));
	/*
	 * Known gap (docs/pagealloc.md): the search may come back empty although
	 * the window has free pages (seen here with a fully free window at
	 * 848 MiB). What must hold either way: only frames inside the window,
	 * nothing held afterwards, no report.
	 */
	EXPECT_NO_REPORT(test, m = MmAllocatePagesForMdl(pa(low), pa(high), pa(0), 16 * PAGE_SIZE));
	if (m) {
		KUNIT_EXPECT_GT(test, m->ByteCount, 0U);
		check_frames(test, m, low, high, true);
		free_mdl_pages(m);
	} else {
		kunit_info(test, "known gap: no pages from the window although it had free pages\n");
	}
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
	/* The whole of RAM below 4 GiB, as before (GFP_DMA32, nothing set aside). */
	m = MmAllocatePagesForMdl(pa(0), pa(0xffffffffULL), pa(0), 16 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->ByteCount, 16U * PAGE_SIZE);
	check_frames(test, m, 0, 0xffffffffULL, true);
	free_mdl_pages(m);
	/* Below 16 MiB: a zone only with CONFIG_ZONE_DMA; a window otherwise. */
	if (free_pages_in(0, (16 << 20) - 1)) {
		m = MmAllocatePagesForMdl(pa(0), pa((16 << 20) - 1), pa(0), 4 * PAGE_SIZE);
		if (m) {
			check_frames(test, m, 0, (16 << 20) - 1, true);
			free_mdl_pages(m);
		} else {
			kunit_info(test, "known gap: nothing found below 16 MiB\n");
		}
	}
	/* Above 4 GiB: no RAM there in a 2 GiB VM, NULL at once, no report. */
	if (region_intersects(4ULL << 30, ~0ULL - (4ULL << 30) + 1, IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE) ==
	    REGION_DISJOINT) {
		EXPECT_NO_REPORT(test, KUNIT_EXPECT_NULL(test, MmAllocatePagesForMdl(pa(4ULL << 30), pa(~0ULL),
										      pa(0), PAGE_SIZE)));
		EXPECT_NO_REPORT(test, KUNIT_EXPECT_NULL(test, MmAllocateContiguousMemorySpecifyCache(
								       PAGE_SIZE, pa(4ULL << 30), pa(~0ULL), pa(0),
								       MmCached)));
	}
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
}

/*
 * Issue 10 items 11 and "memory pressure": more than the VM's memory, twice,
 * with a second allocation and pool allocations while the first holds all
 * it could get. Each call returns a partial MDL or NULL; nothing wakes the
 * OOM killer (the console check fails the run on "invoked oom-killer" or
 * "Out of memory", and this thread - insmod's - would be its first victim);
 * everything is given back. Before, the first call took every free page
 * and then allocated the MDL's 4 MiB PFN array with a sleeping allocation:
 * the OOM killer ran and killed the caller.
 */
static void pagealloc_memory_pressure(struct kunit *test)
{
	const SIZE_T all = (SIZE_T)totalram_pages() << PAGE_SHIFT;
	ktime_t start = ktime_get();
	int round;

	for (round = 0; round < 2; round++) {
		/* Round 0: large blocks, not zeroed (quick); round 1: as a
		 * plain MmAllocatePagesForMdl does it, page by page, zeroed. */
		PMDL m = round ? MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), all)
			       : MmAllocatePagesForMdlEx(pa(0), pa(~0ULL), pa(0), all, MmCached,
							 MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_PREFER_CONTIGUOUS);
		unsigned long *frames;
		PMDL again;
		void *pool;
		ULONG count;

		KUNIT_ASSERT_NOT_NULL(test, m);
		KUNIT_EXPECT_LT(test, (SIZE_T)m->ByteCount, all);
		KUNIT_EXPECT_GT(test, (SIZE_T)m->ByteCount, all / 4);
		KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), (SIZE_T)(m->ByteCount >> PAGE_SHIFT));
		kunit_info(test, "round %d: %u MiB of %zu MiB\n", round, m->ByteCount >> 20, all >> 20);
		/* The PFN array holds what was found: the last entry is a frame. */
		KUNIT_EXPECT_TRUE(test, pfn_valid(MmGetMdlPfnArray(m)[(m->ByteCount >> PAGE_SHIFT) - 1]));
		/* More while that is held: little or nothing, never the OOM killer. */
		again = MmAllocatePagesForMdl(pa(0), pa(~0ULL), pa(0), all);
		if (again) {
			KUNIT_EXPECT_LT(test, (SIZE_T)again->ByteCount, all / 8);
			free_mdl_pages(again);
		}
		pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, all / 2, 'ssrP');
		KUNIT_EXPECT_NULL(test, pool);
		if (pool)
			ExFreePool(pool);
		pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 256, 'ssrP'); /* small: fine */
		KUNIT_EXPECT_NOT_NULL(test, pool);
		if (pool)
			ExFreePool(pool);
		pool = MmAllocateContiguousMemory(1 << 20, pa(~0ULL));
		if (pool)
			MmFreeContiguousMemory(pool);
		/* Everything given back, frame by frame. */
		frames = hold_frames(m, &count);
		KUNIT_ASSERT_NOT_NULL(test, frames);
		free_mdl_pages(m);
		KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), 0UL);
		KUNIT_EXPECT_EQ(test, frames_still_used(frames, count), 0U);
		drop_frames(frames, count);
	}
	kunit_info(test, "%lld ms\n", ktime_ms_delta(ktime_get(), start));
}

static struct kunit_case pagealloc_cases[] = {
	KUNIT_CASE(pagealloc_sizes),
	KUNIT_CASE(pagealloc_constraints),
	KUNIT_CASE(pagealloc_flags),
	KUNIT_CASE(pagealloc_cache_types),
	KUNIT_CASE(pagealloc_contiguous),
	KUNIT_CASE(pagealloc_bad_input),
	KUNIT_CASE(pagealloc_atomic),
	KUNIT_CASE(pagealloc_mdl_freed_before_its_pages),
	KUNIT_CASE(pagealloc_partial_under_fault_injection),
	KUNIT_CASE(pagealloc_partial_mdl_capacity),
	KUNIT_CASE(pagealloc_window_in_the_middle_of_ram),
	KUNIT_CASE(pagealloc_memory_pressure),
	{}
};

static struct kunit_suite pagealloc_suite = {
	.name = "mmshim_pagealloc",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = pagealloc_cases,
};
kunit_test_suite(pagealloc_suite);
