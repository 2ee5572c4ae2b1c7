// SPDX-License-Identifier: GPL-2.0
/*
 * mmcopy_test.c - KUnit suite "mmshim_mmcopy": MmCopyMemory from good
 * kernel buffers, from unmapped kernel addresses (a vmalloc guard page, a
 * vunmap'ed area, a non-canonical address), from ranges that turn bad half
 * way (partial counts, no oops), from user memory of a borrowed address
 * space, from physical RAM and from device memory (refused, never read);
 * MmGetVirtualForPhysical round trips, MmIsNonPagedSystemAddressValid,
 * MmGetPhysicalMemoryRanges against the resource tree read independently,
 * and the NUMA-node / cache variants of contiguous and MDL page allocation.
 */
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/io.h>
#include <linux/uaccess.h>
#include <linux/ioport.h>
#include <linux/spinlock.h>
#include <linux/kthread.h>
#include <linux/nodemask.h>
#include "mmshim_kunit.h"
#include <ntddk.h>

static MM_COPY_ADDRESS virt(const void *va)
{
	MM_COPY_ADDRESS a;

	a.VirtualAddress = (PVOID)va;
	return a;
}

static MM_COPY_ADDRESS phys(u64 pa)
{
	MM_COPY_ADDRESS a;

	a.PhysicalAddress.QuadPart = (LONGLONG)pa;
	return a;
}

static const char mmcopy_module_data[] = "read through MmCopyMemory from module space";
static DEFINE_SPINLOCK(mmcopy_lock);

static void fill(u8 *p, size_t n, u8 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(seed + i * 7 + (i >> 8));
}

static void mmcopy_virtual_good_buffer(struct kunit *test)
{
	size_t n = 3 * PAGE_SIZE + 123;
	u8 *src = kmalloc(n, GFP_KERNEL), *dst = kzalloc(n + 16, GFP_KERNEL), *v = vmalloc(n);
	SIZE_T done = 0;

	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, v);
	fill(src, n, 1);
	fill(v, n, 9);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt(src + 5), n - 5,
								  MM_COPY_MEMORY_VIRTUAL, &done),
					       STATUS_SUCCESS));
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)(n - 5));
	KUNIT_EXPECT_EQ(test, memcmp(dst, src + 5, n - 5), 0);
	KUNIT_EXPECT_EQ(test, dst[n - 5], 0); /* nothing past NumberOfBytes */
	/* vmalloc memory: scattered frames, page by page. */
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt(v), n, MM_COPY_MEMORY_VIRTUAL, &done),
					       STATUS_SUCCESS));
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)n);
	KUNIT_EXPECT_EQ(test, memcmp(dst, v, n), 0);
	/* Module data (module space) is readable too. */
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt(mmcopy_module_data), sizeof(mmcopy_module_data),
					   MM_COPY_MEMORY_VIRTUAL, &done),
			STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, memcmp(dst, mmcopy_module_data, sizeof(mmcopy_module_data)), 0);
	vfree(v);
	kfree(dst);
	kfree(src);
}

/* An unmapped kernel address: a vmalloc guard page, a freed vmap area,
 * a non-canonical address. Failure, nothing copied, no oops. */
static void mmcopy_virtual_unmapped(struct kunit *test)
{
	u8 *v = vmalloc(2 * PAGE_SIZE), *dst = kzalloc(PAGE_SIZE, GFP_KERNEL), *mapped;
	struct page *page = alloc_page(GFP_KERNEL);
	SIZE_T done = 99;

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	KUNIT_ASSERT_NOT_NULL(test, page);
	/* The guard page right after the two mapped pages. */
	KUNIT_EXPECT_FALSE(test, MmIsAddressValid(v + 2 * PAGE_SIZE));
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt(v + 2 * PAGE_SIZE), 64,
								  MM_COPY_MEMORY_VIRTUAL, &done),
					       STATUS_ACCESS_VIOLATION));
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	/* A vmap area that was mapped and is gone. */
	mapped = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mapped);
	memset(mapped, 0x5a, PAGE_SIZE);
	vunmap(mapped);
	done = 99;
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt(mapped), 64, MM_COPY_MEMORY_VIRTUAL, &done),
			STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	/* Not canonical. */
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt((void *)0x8000000000001000UL), 8, MM_COPY_MEMORY_VIRTUAL, &done),
			STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	/* A user address in a kernel thread (no address space). */
	KUNIT_EXPECT_NULL(test, current->mm);
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt((void *)0x10000UL), 8, MM_COPY_MEMORY_VIRTUAL, &done),
			STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	__free_page(page);
	vfree(v);
	kfree(dst);
}

/* A vmalloc area followed by its guard page: the bytes up to the guard. */
static void mmcopy_virtual_bad_halfway(struct kunit *test)
{
	u8 *v = vmalloc(2 * PAGE_SIZE), *dst = kzalloc(2 * PAGE_SIZE, GFP_KERNEL);
	SIZE_T done = 0;

	KUNIT_ASSERT_NOT_NULL(test, v);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	fill(v, 2 * PAGE_SIZE, 3);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt(v + PAGE_SIZE + 0x100), PAGE_SIZE,
								  MM_COPY_MEMORY_VIRTUAL, &done),
					       STATUS_ACCESS_VIOLATION));
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)(PAGE_SIZE - 0x100));
	KUNIT_EXPECT_EQ(test, memcmp(dst, v + PAGE_SIZE + 0x100, PAGE_SIZE - 0x100), 0);
	/* From the first page: a page and a half before the guard. */
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt(v + PAGE_SIZE / 2), 2 * PAGE_SIZE, MM_COPY_MEMORY_VIRTUAL,
					   &done),
			STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)(PAGE_SIZE + PAGE_SIZE / 2));
	KUNIT_EXPECT_EQ(test, memcmp(dst, v + PAGE_SIZE / 2, done), 0);
	vfree(v);
	kfree(dst);
}

/* Device memory behind a kernel virtual address is never read. */
static void mmcopy_virtual_device_memory(struct kunit *test)
{
	u64 len, bar = edu_bar0(test, &len);
	void __iomem *regs;
	u8 dst[16];
	SIZE_T done = 5;

	regs = ioremap(bar, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, regs);
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt((void __force *)regs), 4, MM_COPY_MEMORY_VIRTUAL, &done),
			STATUS_INVALID_ADDRESS);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, phys(bar), 4, MM_COPY_MEMORY_PHYSICAL, &done),
			STATUS_INVALID_ADDRESS);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	iounmap(regs);
}

static struct mm_struct *mmcopy_user_mm;

static int mmcopy_suite_init(struct kunit_suite *suite)
{
	mmcopy_user_mm = mmshim_user_mm_get();
	return 0;
}

static void mmcopy_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&mmcopy_user_mm);
}

/* User memory of the current process: copied, a hole stops it. */
static void mmcopy_virtual_user(struct kunit *test)
{
	u8 *src = kmalloc(3 * PAGE_SIZE, GFP_KERNEL), *dst = kzalloc(3 * PAGE_SIZE, GFP_KERNEL);
	unsigned long u;
	SIZE_T done = 0;

	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	if (!mmcopy_user_mm) {
		kfree(src);
		kfree(dst);
		kunit_skip(test, "the test module was not loaded by a user process");
		return;
	}
	fill(src, 3 * PAGE_SIZE, 11);
	mmshim_user_attach(test, mmcopy_user_mm);
	u = vm_mmap(NULL, 0, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_EXPECT_FALSE(test, IS_ERR_VALUE(u));
	if (IS_ERR_VALUE(u))
		goto out;
	KUNIT_EXPECT_EQ(test, copy_to_user((void __user *)u, src, 3 * PAGE_SIZE), 0UL);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt((void *)(u + 7)), 2 * PAGE_SIZE,
								  MM_COPY_MEMORY_VIRTUAL, &done),
					       STATUS_SUCCESS));
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)(2 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, memcmp(dst, src + 7, 2 * PAGE_SIZE), 0);
	/* Unmap the last page: a copy running into it stops there. */
	KUNIT_EXPECT_EQ(test, vm_munmap(u + 2 * PAGE_SIZE, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, virt((void *)(u + PAGE_SIZE + 0x10)), 2 * PAGE_SIZE,
					   MM_COPY_MEMORY_VIRTUAL, &done),
			STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)(PAGE_SIZE - 0x10));
	KUNIT_EXPECT_EQ(test, memcmp(dst, src + PAGE_SIZE + 0x10, PAGE_SIZE - 0x10), 0);
	vm_munmap(u, 2 * PAGE_SIZE);
out:
	mmshim_user_detach();
	kfree(src);
	kfree(dst);
}

/* Physical RAM: a page's frame reads back what the page holds. */
static void mmcopy_physical_ram(struct kunit *test)
{
	struct page *pages = alloc_pages(GFP_KERNEL, 1);
	u8 *dst = kzalloc(2 * PAGE_SIZE, GFP_KERNEL), *va;
	u64 pa;
	SIZE_T done = 0;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	va = page_address(pages);
	fill(va, 2 * PAGE_SIZE, 21);
	pa = page_to_phys(pages);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, phys(pa + 0x321), 2 * PAGE_SIZE - 0x321,
								  MM_COPY_MEMORY_PHYSICAL, &done),
					       STATUS_SUCCESS));
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)(2 * PAGE_SIZE - 0x321));
	KUNIT_EXPECT_EQ(test, memcmp(dst, va + 0x321, done), 0);
	/* The local APIC's page is not RAM: refused, never read. */
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, phys(0xfee00000ULL), 4, MM_COPY_MEMORY_PHYSICAL, &done),
			STATUS_INVALID_ADDRESS);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	/* Beyond what the CPU can address. */
	KUNIT_EXPECT_EQ(test, MmCopyMemory(dst, phys(1ULL << 60), 4, MM_COPY_MEMORY_PHYSICAL, &done),
			STATUS_INVALID_ADDRESS);
	__free_pages(pages, 1);
	kfree(dst);
}

static void mmcopy_bad_input(struct kunit *test)
{
	u8 buf[8], src[8] = { 1, 2, 3 };
	SIZE_T done = 7;

	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_EQ(test, MmCopyMemory(buf, virt(src), 8, 0, &done), STATUS_INVALID_PARAMETER));
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_EQ(test, MmCopyMemory(buf, virt(src), 8, 3, &done), STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, MmCopyMemory(NULL, virt(src), 8, MM_COPY_MEMORY_VIRTUAL, &done),
				      STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, MmCopyMemory(buf, virt(src), 8, MM_COPY_MEMORY_VIRTUAL, NULL),
				      STATUS_INVALID_PARAMETER));
	/* DISPATCH_LEVEL (a spinlock held): refused with a report. */
	done = 7;
	spin_lock(&mmcopy_lock);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      KUNIT_EXPECT_EQ(test, MmCopyMemory(buf, virt(src), 8, MM_COPY_MEMORY_VIRTUAL, &done),
				      STATUS_UNSUCCESSFUL));
	spin_unlock(&mmcopy_lock);
	KUNIT_EXPECT_EQ(test, done, (SIZE_T)0);
}

static void mmcopy_virtual_for_physical(struct kunit *test)
{
	u8 *k = kmalloc(100, GFP_KERNEL);
	struct page *page = alloc_page(GFP_KERNEL);
	u8 *v = vmalloc(PAGE_SIZE);
	PHYSICAL_ADDRESS p;

	KUNIT_ASSERT_NOT_NULL(test, k);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_NOT_NULL(test, v);
	/* kmalloc memory is the linear map: the round trip is exact. */
	p = MmGetPhysicalAddress(k + 17);
	KUNIT_EXPECT_EQ(test, (u64)p.QuadPart, (u64)virt_to_phys(k + 17));
	KUNIT_EXPECT_PTR_EQ(test, (u8 *)MmGetVirtualForPhysical(p), k + 17);
	p.QuadPart = page_to_phys(page) + 0xabc;
	KUNIT_EXPECT_PTR_EQ(test, (u8 *)MmGetVirtualForPhysical(p), (u8 *)page_address(page) + 0xabc);
	/* vmalloc memory: the frame's linear-map alias, same bytes. */
	v[5] = 0x77;
	p = MmGetPhysicalAddress(v + 5);
	KUNIT_EXPECT_PTR_EQ(test, (u8 *)MmGetVirtualForPhysical(p),
			    (u8 *)page_address(vmalloc_to_page(v)) + 5);
	KUNIT_EXPECT_EQ(test, *(u8 *)MmGetVirtualForPhysical(p), 0x77);
	/* Not RAM: NULL. */
	p.QuadPart = 0xfee00000LL;
	KUNIT_EXPECT_NULL(test, MmGetVirtualForPhysical(p));
	p.QuadPart = 1LL << 60;
	KUNIT_EXPECT_NULL(test, MmGetVirtualForPhysical(p));
	/* MmIsNonPagedSystemAddressValid: mapped kernel memory only. */
	KUNIT_EXPECT_TRUE(test, MmIsNonPagedSystemAddressValid(k));
	KUNIT_EXPECT_TRUE(test, MmIsNonPagedSystemAddressValid(v));
	KUNIT_EXPECT_FALSE(test, MmIsNonPagedSystemAddressValid(v + PAGE_SIZE)); /* guard page */
	KUNIT_EXPECT_FALSE(test, MmIsNonPagedSystemAddressValid((PVOID)0x10000UL));
	KUNIT_EXPECT_FALSE(test, MmIsNonPagedSystemAddressValid(NULL));
	vfree(v);
	__free_page(page);
	kfree(k);
}

struct ram_list {
	u64 start[64], end[64];
	int n;
	bool overflow;
};

/*
 * The top-level "System RAM" entries of the resource tree, as /proc/iomem
 * lists them, read directly (not through walk_iomem_res_desc, which mmshim
 * uses), whole pages only, touching ones merged.
 */
static void read_iomem_ram(struct ram_list *l)
{
	struct resource *r;

	l->n = 0;
	l->overflow = false;
	for (r = iomem_resource.child; r; r = r->sibling) {
		u64 s = PFN_UP(r->start) << PAGE_SHIFT, e = PFN_DOWN(r->end + 1) << PAGE_SHIFT;

		if (!r->name || strcmp(r->name, "System RAM") || e <= s)
			continue;
		if (l->n && l->end[l->n - 1] == s) {
			l->end[l->n - 1] = e;
			continue;
		}
		if (l->n == ARRAY_SIZE(l->start)) {
			l->overflow = true;
			return;
		}
		l->start[l->n] = s;
		l->end[l->n++] = e;
	}
}

static void mmcopy_physical_memory_ranges(struct kunit *test)
{
	struct ram_list *l = kunit_kzalloc(test, sizeof(*l), GFP_KERNEL);
	PPHYSICAL_MEMORY_RANGE r;
	u64 total = 0;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, l);
	EXPECT_NO_REPORT(test, r = MmGetPhysicalMemoryRanges());
	KUNIT_ASSERT_NOT_NULL(test, r);
	read_iomem_ram(l);
	KUNIT_EXPECT_FALSE(test, l->overflow);
	for (i = 0; r[i].BaseAddress.QuadPart || r[i].NumberOfBytes.QuadPart; i++) {
		if (i >= l->n) {
			KUNIT_FAIL(test, "range %d [%llx +%llx] is not System RAM in /proc/iomem", i,
				   r[i].BaseAddress.QuadPart, r[i].NumberOfBytes.QuadPart);
			break;
		}
		KUNIT_EXPECT_EQ_MSG(test, (u64)r[i].BaseAddress.QuadPart, l->start[i], "range %d", i);
		KUNIT_EXPECT_EQ_MSG(test, (u64)(r[i].BaseAddress.QuadPart + r[i].NumberOfBytes.QuadPart), l->end[i],
				    "range %d", i);
		KUNIT_EXPECT_EQ(test, (u64)r[i].BaseAddress.QuadPart & (PAGE_SIZE - 1), (u64)0);
		total += r[i].NumberOfBytes.QuadPart;
	}
	KUNIT_EXPECT_EQ(test, i, l->n);
	/* All the RAM the kernel manages is in there (and what it reserved). */
	KUNIT_EXPECT_GE(test, total, (u64)totalram_pages() << PAGE_SHIFT);
	kunit_info(test, "%d ranges, %llu MiB (totalram %lu MiB)\n", i, total >> 20, totalram_pages() >> 8);
	/* Freed with ExFreePool (the per-test pool balance and kmemleak check it). */
	EXPECT_NO_REPORT(test, ExFreePool(r));
}

static void mmcopy_contiguous_nodes(struct kunit *test)
{
	SIZE_T pages = MmshimAllocatedPageCount();
	u8 *p;

	KUNIT_ASSERT_TRUE(test, node_online(0));
	p = MmAllocateContiguousMemorySpecifyCacheNode(3 * PAGE_SIZE, pa(0), pa(~0ULL), pa(0), MmCached, 0);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, page_to_nid(virt_to_page(p)), 0);
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), pages + 3);
	KUNIT_EXPECT_EQ(test, p[0] | p[3 * PAGE_SIZE - 1], 0); /* zeroed */
	/* Freed with another size: refused, the memory stays. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_FREE_MISMATCH,
		      MmFreeContiguousMemorySpecifyCache(p, PAGE_SIZE, MmCached));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_FREE_MISMATCH,
		      MmFreeContiguousMemorySpecifyCache(p, 3 * PAGE_SIZE, MmNonCached));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), pages + 3);
	p[5] = 1; /* still ours */
	EXPECT_NO_REPORT(test, MmFreeContiguousMemorySpecifyCache(p, 3 * PAGE_SIZE, MmCached));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), pages);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_CONTIGUOUS_NOT_ALLOCATED,
		      MmFreeContiguousMemorySpecifyCache(p, 3 * PAGE_SIZE, MmCached));

	/* MM_ANY_NODE_OK, and a node this one-node VM does not have: any node. */
	p = MmAllocateContiguousMemorySpecifyCacheNode(PAGE_SIZE, pa(0), pa(0xffffffffULL), pa(0), MmCached,
						       MM_ANY_NODE_OK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_LE(test, (u64)virt_to_phys(p), 0xffffffffULL);
	MmFreeContiguousMemorySpecifyCache(p, PAGE_SIZE, MmCached);
	KUNIT_EXPECT_FALSE(test, node_online(5));
	EXPECT_NO_REPORT(test, p = MmAllocateContiguousMemorySpecifyCacheNode(PAGE_SIZE, pa(0), pa(~0ULL), pa(0),
									       MmCached, 5));
	KUNIT_ASSERT_NOT_NULL(test, p);
	MmFreeContiguousMemory(p);

	/* MmAllocateContiguousNodeMemory: the cache type from Protect, in the
	 * linear map's page-table entry. */
	p = MmAllocateContiguousNodeMemory(2 * PAGE_SIZE, pa(0), pa(~0ULL), pa(0), PAGE_READWRITE | PAGE_NOCACHE, 0);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, pte_cache(p), 1);
	KUNIT_EXPECT_EQ(test, pte_cache(p + PAGE_SIZE), 1);
	MmFreeContiguousMemorySpecifyCache(p, 2 * PAGE_SIZE, MmNonCached);
	p = MmAllocateContiguousNodeMemory(PAGE_SIZE, pa(0), pa(~0ULL), pa(0), PAGE_READWRITE | PAGE_WRITECOMBINE,
					   MM_ANY_NODE_OK);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, pte_cache(p), 2);
	MmFreeContiguousMemorySpecifyCache(p, PAGE_SIZE, MmWriteCombined);
	p = MmAllocateContiguousNodeMemory(PAGE_SIZE, pa(0), pa(~0ULL), pa(0), PAGE_READWRITE, 0);
	KUNIT_ASSERT_NOT_NULL(test, p);
	KUNIT_EXPECT_EQ(test, pte_cache(p), 0);
	MmFreeContiguousMemorySpecifyCache(p, PAGE_SIZE, MmCached);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      KUNIT_EXPECT_NULL(test, MmAllocateContiguousNodeMemory(PAGE_SIZE, pa(0), pa(~0ULL), pa(0),
									      PAGE_EXECUTE_READWRITE, 0)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmAllocateContiguousNodeMemory(PAGE_SIZE, pa(0), pa(~0ULL), pa(0),
									      PAGE_READONLY, 0)));
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_INVALID_FLAGS,
		      KUNIT_EXPECT_NULL(test, MmAllocateContiguousNodeMemory(
						      PAGE_SIZE, pa(0), pa(~0ULL), pa(0),
						      PAGE_READWRITE | PAGE_NOCACHE | PAGE_WRITECOMBINE, 0)));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), pages);
}

static void mmcopy_node_pages_for_mdl(struct kunit *test)
{
	SIZE_T pages = MmshimAllocatedPageCount();
	PMDL m;
	ULONG i;

	m = MmAllocateNodePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 8 * PAGE_SIZE, MmCached, 0,
					MM_ALLOCATE_FROM_LOCAL_NODE_ONLY);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_EXPECT_EQ(test, m->ByteCount, (ULONG)(8 * PAGE_SIZE));
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, page_to_nid(pfn_to_page(MmGetMdlPfnArray(m)[i])), 0);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	m = MmAllocateNodePagesForMdlEx(pa(0), pa(~0ULL), pa(0), 2 * PAGE_SIZE, MmCached, MM_ANY_NODE_OK, 0);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	/* Node 5 does not exist: any node, unless the caller insists on it. */
	EXPECT_NO_REPORT(test, m = MmAllocateNodePagesForMdlEx(pa(0), pa(~0ULL), pa(0), PAGE_SIZE, MmCached, 5, 0));
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmFreePagesFromMdl(m);
	ExFreePool(m);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_NO_SUCH_NODE,
		      KUNIT_EXPECT_NULL(test, MmAllocateNodePagesForMdlEx(pa(0), pa(~0ULL), pa(0), PAGE_SIZE, MmCached,
									   5, MM_ALLOCATE_FROM_LOCAL_NODE_ONLY)));
	KUNIT_EXPECT_EQ(test, MmshimAllocatedPageCount(), pages);
}

static struct kunit_case mmcopy_cases[] = {
	KUNIT_CASE(mmcopy_virtual_good_buffer),
	KUNIT_CASE(mmcopy_virtual_unmapped),
	KUNIT_CASE(mmcopy_virtual_bad_halfway),
	KUNIT_CASE(mmcopy_virtual_device_memory),
	KUNIT_CASE(mmcopy_virtual_user),
	KUNIT_CASE(mmcopy_physical_ram),
	KUNIT_CASE(mmcopy_bad_input),
	KUNIT_CASE(mmcopy_virtual_for_physical),
	KUNIT_CASE(mmcopy_physical_memory_ranges),
	KUNIT_CASE(mmcopy_contiguous_nodes),
	KUNIT_CASE(mmcopy_node_pages_for_mdl),
	{}
};

static struct kunit_suite mmcopy_suite = {
	.name = "mmshim_mmcopy",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	MMSHIM_SUITE_HOOKS(mmcopy_suite)
	.test_cases = mmcopy_cases,
};
mmshim_kunit_suite_with_hooks(mmcopy_suite);
