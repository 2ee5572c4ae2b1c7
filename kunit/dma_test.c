// SPDX-License-Identifier: GPL-2.0
/*
 * dma_test.c - KUnit suite "mmshim_dma": DMA adapters over MDLs with qemu's
 * edu device as a real bus master (docs/dma.md). The edu DMA engine copies
 * between a bus address and its 4 KiB buffer at device address 0x40000
 * (registers in BAR 0: 0x80 source, 0x88 destination, 0x90 count, 0x98
 * command: bit 0 start, bit 1 direction, 1 = device to RAM). Data goes both
 * ways through GetScatterGatherList and common buffers and every byte is
 * checked.
 *
 * edu's own DMA mask is 28 bits (qemu clamps higher bus addresses), which
 * the debug kernels (no ZONE_DMA, no swiotlb, no IOMMU in the VM) cannot
 * serve: dma_set_mask_and_coherent refuses it, so IoGetDmaAdapter does. The
 * test VMs therefore run edu with dma_mask=0xffffffff (tests/vm/lib.sh) and
 * the adapter asks for 32-bit addresses; all of the VM's 2 GiB is in reach.
 * The 28-bit mask with bounce buffering (swiotlb=force) and an IOMMU are
 * issue 13's next configurations.
 */
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/vmalloc.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/spinlock.h>
#include <linux/mman.h>
#include <linux/uaccess.h>
#include <linux/slab.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include "mmshim_kunit.h"
#include <mmshim/linux.h>

static struct edu_dma dma_dev;
static DEFINE_SPINLOCK(dma_test_lock);
static struct mm_struct *dma_test_user_mm;

static int dma_suite_init(struct kunit_suite *suite)
{
	dma_test_user_mm = mmshim_user_mm_get();
	return edu_dma_open(&dma_dev);
}

static void dma_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&dma_test_user_mm);
	edu_dma_close(&dma_dev);
}

/* One edu DMA (asserts it finishes). */
static bool edu_dma(struct kunit *test, u64 bus, u32 off, u32 cnt, bool to_ram)
{
	KUNIT_ASSERT_LT(test, off + cnt, EDU_DMA_BUF_SIZE);
	return edu_dma_transfer(&dma_dev, bus, off, cnt, to_ram);
}

/* Each element of @sgl in turn, packed from device buffer offset 0. */
static void edu_dma_list(struct kunit *test, PSCATTER_GATHER_LIST sgl, bool to_ram)
{
	u32 off = 0;
	ULONG i;

	for (i = 0; i < sgl->NumberOfElements; i++) {
		KUNIT_ASSERT_TRUE(test, edu_dma(test, sgl->Elements[i].Address.QuadPart, off,
						sgl->Elements[i].Length, to_ram));
		off += sgl->Elements[i].Length;
	}
}

struct seen {
	int calls;
	PSCATTER_GATHER_LIST sgl;
	PDEVICE_OBJECT pdo;
	bool atomic;
};

static VOID record(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather, PVOID Context)
{
	struct seen *s = Context;

	s->calls++;
	s->sgl = ScatterGather;
	s->pdo = DeviceObject;
	s->atomic = !preemptible();
}

static PDMA_ADAPTER edu_adapter_sg(struct kunit *test, PDEVICE_OBJECT *pdo, BOOLEAN sg)
{
	ULONG regs = 0;
	PDMA_ADAPTER a = edu_dma_adapter(test, &dma_dev, sg, 0x10000, pdo, &regs);

	KUNIT_EXPECT_EQ(test, regs, 17U);
	return a;
}

static PDMA_ADAPTER edu_adapter(struct kunit *test, PDEVICE_OBJECT *pdo)
{
	return edu_adapter_sg(test, pdo, TRUE);
}

static void fill(u8 *p, size_t n, u8 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (u8)(seed + i * 7 + (i >> 8));
}

static size_t first_mismatch(const u8 *p, size_t n, u8 seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != (u8)(seed + i * 7 + (i >> 8)))
			return i;
	return n;
}

/*
 * Move @len bytes of @m from @cur to the device and back through
 * GetScatterGatherList, the lists taken and put under a spinlock
 * (DISPATCH_LEVEL). @buf is the CPU view of the same bytes.
 */
static void round_trip(struct kunit *test, PDMA_ADAPTER a, PDEVICE_OBJECT pdo, PMDL m, PVOID cur, u8 *buf,
		       ULONG len, u8 seed)
{
	struct seen s = {};
	unsigned long flags;
	NTSTATUS st;

	fill(buf, len, seed);
	spin_lock_irqsave(&dma_test_lock, flags);
	st = a->DmaOperations->GetScatterGatherList(a, pdo, m, cur, len, record, &s, TRUE);
	spin_unlock_irqrestore(&dma_test_lock, flags);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_EQ(test, s.calls, 1);
	KUNIT_EXPECT_PTR_EQ(test, s.pdo, pdo);
	KUNIT_EXPECT_TRUE(test, s.atomic); /* called before Get returned, in the caller's context */
	edu_dma_list(test, s.sgl, false);
	spin_lock_irqsave(&dma_test_lock, flags);
	a->DmaOperations->PutScatterGatherList(a, s.sgl, TRUE);
	spin_unlock_irqrestore(&dma_test_lock, flags);

	memset(buf, 0, len);
	s.calls = 0;
	st = a->DmaOperations->GetScatterGatherList(a, pdo, m, cur, len, record, &s, FALSE);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_EQ(test, s.calls, 1);
	edu_dma_list(test, s.sgl, true);
	a->DmaOperations->PutScatterGatherList(a, s.sgl, FALSE);
	KUNIT_EXPECT_EQ(test, first_mismatch(buf, len, seed), (size_t)len);
}

/* Pages mapped in vmalloc space in reverse order, so that the buffer is
 * virtually but never physically contiguous. */
#define VPAGES 3
struct low_vbuf {
	struct page *pages[VPAGES];
	u8 *va;
};

static bool low_vbuf_alloc(struct low_vbuf *v)
{
	struct page *rev[VPAGES];
	int i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < VPAGES; i++) {
		v->pages[i] = alloc_page(GFP_KERNEL);
		if (!v->pages[i])
			goto fail;
		rev[VPAGES - 1 - i] = v->pages[i];
	}
	v->va = vmap(rev, VPAGES, VM_MAP, PAGE_KERNEL);
	if (v->va)
		return true;
fail:
	for (i = 0; i < VPAGES; i++)
		if (v->pages[i])
			__free_page(v->pages[i]);
	return false;
}

static void low_vbuf_free(struct low_vbuf *v)
{
	int i;

	vunmap(v->va);
	for (i = 0; i < VPAGES; i++)
		__free_page(v->pages[i]);
}

static void dma_sgl_locked_vmap_buffer(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	struct low_vbuf v;
	PMDL m;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	/* 3000 bytes from 0xc00 into the first page: three fragments. */
	m = locked_mdl(test, v.va + 0x400, 3 * PAGE_SIZE - 0x800);
	round_trip(test, a, pdo, m, v.va + 0xc00, v.va + 0xc00, 3000, 0x31);
	/* The whole described range, from its start. */
	round_trip(test, a, pdo, m, v.va + 0x400, v.va + 0x400, 4000, 0x7a);
	release_mdl(m);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

/* Pool memory (MmBuildMdlForNonPagedPool) and a vmalloc'ed buffer locked
 * with MmProbeAndLockPages. */
static void dma_sgl_pool_and_vmalloc(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	u8 *pool, *vbuf;
	PMDL m;

	pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 6000, 'AMDt');
	KUNIT_ASSERT_NOT_NULL(test, pool);
	m = IoAllocateMdl(pool, 6000, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	round_trip(test, a, pdo, m, pool + 1000, pool + 1000, 3500, 0x11);
	IoFreeMdl(m);
	ExFreePoolWithTag(pool, 'AMDt');

	vbuf = vmalloc(3 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, vbuf);
	m = locked_mdl(test, vbuf, 3 * PAGE_SIZE);
	round_trip(test, a, pdo, m, vbuf + PAGE_SIZE - 100, vbuf + PAGE_SIZE - 100, 4000, 0x2b);
	release_mdl(m);
	vfree(vbuf);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
}

static void dma_sgl_pages_and_partial_mdl(struct kunit *test)
{
	PHYSICAL_ADDRESS low = {}, high = {}, skip = {};
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	PMDL pages, part;
	u8 *va;

	high.QuadPart = 0xffffffffLL; /* edu's reach */
	pages = MmAllocatePagesForMdlEx(low, high, skip, 2 * PAGE_SIZE, MmCached, 0);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	va = MmGetSystemAddressForMdlSafe(pages, NormalPagePriority);
	KUNIT_ASSERT_NOT_NULL(test, va);
	/* Both pages: 4000 bytes from 0x100 (the device buffer is 4 KiB). */
	round_trip(test, a, pdo, pages, (u8 *)MmGetMdlVirtualAddress(pages) + 0x100, va + 0x100, 4000, 0x05);

	part = IoAllocateMdl((u8 *)MmGetMdlVirtualAddress(pages) + 0x900, 3000, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	IoBuildPartialMdl(pages, part, (u8 *)MmGetMdlVirtualAddress(pages) + 0x900, 3000);
	round_trip(test, a, pdo, part, MmGetMdlVirtualAddress(part), va + 0x900, 3000, 0xc3);
	IoFreeMdl(part);

	MmUnmapLockedPages(va, pages);
	MmFreePagesFromMdl(pages);
	ExFreePool(pages);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
}

/* A transfer that runs from one MDL into the next of the chain. */
static void dma_sgl_mdl_chain(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	struct low_vbuf v;
	struct seen s = {};
	PMDL m1, m2;
	u8 *expect;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	expect = kunit_kzalloc(test, 3000, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, expect);
	m1 = locked_mdl(test, v.va + 0x100, 1000);             /* first page */
	m2 = locked_mdl(test, v.va + 2 * PAGE_SIZE + 8, 2500);  /* third page */
	m1->Next = m2;
	fill(v.va + 0x100 + 200, 800, 0x61);
	fill(v.va + 2 * PAGE_SIZE + 8, 2000, 0x62);
	memcpy(expect, v.va + 0x100 + 200, 800);
	memcpy(expect + 800, v.va + 2 * PAGE_SIZE + 8, 2000);
	KUNIT_ASSERT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, m1, v.va + 0x100 + 200, 2800, record,
								     &s, TRUE),
			STATUS_SUCCESS);
	KUNIT_ASSERT_EQ(test, s.sgl->NumberOfElements, 2U);
	KUNIT_EXPECT_EQ(test, s.sgl->Elements[0].Length, 800U);
	KUNIT_EXPECT_EQ(test, s.sgl->Elements[1].Length, 2000U);
	edu_dma_list(test, s.sgl, false);
	a->DmaOperations->PutScatterGatherList(a, s.sgl, TRUE);
	memset(v.va, 0, 3 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, m1, v.va + 0x100 + 200, 2800, record,
								     &s, FALSE),
			STATUS_SUCCESS);
	edu_dma_list(test, s.sgl, true);
	a->DmaOperations->PutScatterGatherList(a, s.sgl, FALSE);
	KUNIT_EXPECT_EQ(test, memcmp(v.va + 0x100 + 200, expect, 800), 0);
	KUNIT_EXPECT_EQ(test, memcmp(v.va + 2 * PAGE_SIZE + 8, expect + 800, 2000), 0);
	m1->Next = NULL;
	release_mdl(m1);
	release_mdl(m2);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

/*
 * More lists at once under a spinlock than the adapter keeps preallocated:
 * the fifth is allocated atomically (a sleeping allocation would be caught
 * by DEBUG_ATOMIC_SLEEP), and its data still arrives.
 */
static void dma_sgl_beyond_the_preallocated_lists(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	struct low_vbuf v;
	struct seen s[5] = {};
	unsigned long flags;
	NTSTATUS st[5];
	PMDL m;
	int i;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va, 3 * PAGE_SIZE);
	fill(v.va, 3000, 0x3c);
	spin_lock_irqsave(&dma_test_lock, flags);
	for (i = 0; i < 5; i++)
		st[i] = a->DmaOperations->GetScatterGatherList(a, pdo, m, v.va, 3000, record, &s[i], TRUE);
	spin_unlock_irqrestore(&dma_test_lock, flags);
	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_EQ(test, st[i], STATUS_SUCCESS);
	edu_dma_list(test, s[4].sgl, false);
	spin_lock_irqsave(&dma_test_lock, flags);
	for (i = 0; i < 5; i++)
		a->DmaOperations->PutScatterGatherList(a, s[i].sgl, TRUE);
	spin_unlock_irqrestore(&dma_test_lock, flags);
	memset(v.va, 0, 3000);
	KUNIT_ASSERT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, m, v.va, 3000, record, &s[0], FALSE),
			STATUS_SUCCESS);
	edu_dma_list(test, s[0].sgl, true);
	a->DmaOperations->PutScatterGatherList(a, s[0].sgl, FALSE);
	KUNIT_EXPECT_EQ(test, first_mismatch(v.va, 3000, 0x3c), (size_t)3000);
	release_mdl(m);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

/* The direct-I/O case: a process's buffer locked with MmProbeAndLockPages
 * (UserMode) and DMAed both ways. */
static void dma_sgl_locked_user_buffer(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a;
	struct seen s = {};
	unsigned long u;
	u8 *k;
	PMDL m = NULL;

	if (!mmshim_user_attach(test, dma_test_user_mm))
		return;
	a = edu_adapter(test, &pdo);
	k = kmalloc(4000, GFP_KERNEL);
	u = vm_mmap(NULL, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (!k || IS_ERR_VALUE(u)) {
		KUNIT_FAIL(test, "no memory for the user buffer");
		goto out;
	}
	fill(k, 4000, 0x58);
	KUNIT_EXPECT_EQ(test, copy_to_user((void __user *)(u + 0x60), k, 4000), 0UL);
	m = IoAllocateMdl((PVOID)(u + 0x60), 4000, FALSE, FALSE, NULL);
	KUNIT_EXPECT_NOT_NULL(test, m);
	if (!m || MmshimProbeAndLockPages(m, UserMode, IoModifyAccess) != STATUS_SUCCESS) {
		KUNIT_FAIL(test, "could not lock the user buffer");
		goto out;
	}
	KUNIT_EXPECT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, m, (PVOID)(u + 0x60), 4000, record, &s,
								     TRUE),
			STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, s.calls, 1);
	if (s.calls == 1) {
		edu_dma_list(test, s.sgl, false);
		a->DmaOperations->PutScatterGatherList(a, s.sgl, TRUE);
	}
	KUNIT_EXPECT_EQ(test, clear_user((void __user *)(u + 0x60), 4000), 0UL);
	s.calls = 0;
	KUNIT_EXPECT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, m, (PVOID)(u + 0x60), 4000, record, &s,
								     FALSE),
			STATUS_SUCCESS);
	if (s.calls == 1) {
		edu_dma_list(test, s.sgl, true);
		a->DmaOperations->PutScatterGatherList(a, s.sgl, FALSE);
	}
	memset(k, 0, 4000);
	KUNIT_EXPECT_EQ(test, copy_from_user(k, (void __user *)(u + 0x60), 4000), 0UL);
	KUNIT_EXPECT_EQ(test, first_mismatch(k, 4000, 0x58), (size_t)4000);
	MmUnlockPages(m);
out:
	if (m)
		IoFreeMdl(m);
	if (!IS_ERR_VALUE(u))
		vm_munmap(u, 2 * PAGE_SIZE);
	kfree(k);
	mmshim_user_detach();
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
}

static void dma_build_list_in_callers_buffer(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	struct low_vbuf v;
	struct seen s = {};
	ULONG size = 0, regs = 0;
	PSCATTER_GATHER_LIST live;
	void *buffer, *pool;
	PMDL m;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va, 2 * PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, a->DmaOperations->CalculateScatterGatherList(a, m, v.va + 0x100, 2000, &size, &regs),
			STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, regs, 1U);
	buffer = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buffer);
	fill(v.va + 0x100, 2000, 0x44);
	KUNIT_ASSERT_EQ(test, a->DmaOperations->BuildScatterGatherList(a, pdo, m, v.va + 0x100, 2000, record, &s,
								       TRUE, buffer, size),
			STATUS_SUCCESS);
	KUNIT_EXPECT_PTR_EQ(test, (void *)s.sgl, buffer);
	KUNIT_ASSERT_EQ(test, s.sgl->NumberOfElements, 1U);
	edu_dma_list(test, s.sgl, false);
	a->DmaOperations->PutScatterGatherList(a, s.sgl, TRUE);
	memset(v.va + 0x100, 0, 2000);
	KUNIT_ASSERT_EQ(test, a->DmaOperations->BuildScatterGatherList(a, pdo, m, v.va + 0x100, 2000, record, &s,
								       FALSE, buffer, size),
			STATUS_SUCCESS);
	edu_dma_list(test, s.sgl, true);
	a->DmaOperations->PutScatterGatherList(a, s.sgl, FALSE);
	KUNIT_EXPECT_EQ(test, first_mismatch(v.va + 0x100, 2000, 0x44), (size_t)2000);

	/* A pool buffer holding a live list is neither built into again nor
	 * freed (mmshim's record of the list lives there until the put). */
	pool = ExAllocatePoolWithTag(NonPagedPoolNx, size, 'fBgS');
	KUNIT_ASSERT_NOT_NULL(test, pool);
	s.calls = 0;
	KUNIT_ASSERT_EQ(test, a->DmaOperations->BuildScatterGatherList(a, pdo, m, v.va + 0x100, 2000, record, &s,
								       TRUE, pool, size),
			STATUS_SUCCESS);
	live = s.sgl;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_LIST_BUFFER_IN_USE,
		      KUNIT_EXPECT_EQ(test, a->DmaOperations->BuildScatterGatherList(a, pdo, m, v.va + 0x100, 100,
										     record, &s, FALSE, pool, size),
				      STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_LIST_BUFFER_IN_USE,
		      ExFreePoolWithTag(pool, 'fBgS'));
	KUNIT_EXPECT_EQ(test, s.calls, 1);
	edu_dma_list(test, live, false); /* the live list is intact */
	EXPECT_NO_REPORT(test, a->DmaOperations->PutScatterGatherList(a, live, TRUE));
	EXPECT_NO_REPORT(test, ExFreePoolWithTag(pool, 'fBgS'));
	release_mdl(m);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

static void dma_common_buffers(struct kunit *test)
{
	PHYSICAL_ADDRESS la1 = {}, la2 = {};
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	u8 *b1, *b2;

	b1 = a->DmaOperations->AllocateCommonBuffer(a, 4000, &la1, TRUE);
	b2 = a->DmaOperations->AllocateCommonBuffer(a, 4000, &la2, FALSE);
	KUNIT_ASSERT_NOT_NULL(test, b1);
	KUNIT_ASSERT_NOT_NULL(test, b2);
	KUNIT_EXPECT_LT(test, (u64)la1.QuadPart + 4000, 1ULL << 32);
	fill(b1, 4000, 0x99);
	memset(b2, 0, 4000);
	KUNIT_ASSERT_TRUE(test, edu_dma(test, la1.QuadPart, 0, 4000, false));
	KUNIT_ASSERT_TRUE(test, edu_dma(test, la2.QuadPart, 0, 4000, true));
	KUNIT_EXPECT_EQ(test, first_mismatch(b2, 4000, 0x99), (size_t)4000);
	/* A wrong length is refused: the buffer stays. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_COMMON_BUFFER_MISMATCH,
		      a->DmaOperations->FreeCommonBuffer(a, 4096, la2, b2, FALSE));
	EXPECT_NO_REPORT(test, a->DmaOperations->FreeCommonBuffer(a, 4000, la1, b1, TRUE));
	EXPECT_NO_REPORT(test, a->DmaOperations->FreeCommonBuffer(a, 4000, la2, b2, FALSE));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_BUFFERS_FREED,
		      a->DmaOperations->FreeCommonBuffer(a, 4000, la2, b2, FALSE));
	KUNIT_EXPECT_GE(test, a->DmaOperations->GetDmaAlignment(a), 1U);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
}

static void dma_misuse_is_reported(struct kunit *test)
{
	PHYSICAL_ADDRESS la = {};
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	DEVICE_DESCRIPTION slave = { .Version = DEVICE_DESCRIPTION_VERSION, .Master = FALSE,
				     .InterfaceType = Isa, .MaximumLength = 4096 };
	struct low_vbuf v;
	struct seen s = {};
	SIZE_T adapters, lists, buffers, adapters0, lists0, buffers0;
	ULONG regs, before_lists, before_buffers;
	PMDL m, raw;

	/* Counts relative to what earlier (failed) tests may have left. */
	MmshimDmaUsage(&adapters0, &lists0, &buffers0);
	EXPECT_REPORT(test, MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      KUNIT_EXPECT_NULL(test, IoGetDmaAdapter(pdo, &slave, &regs)));
	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va, PAGE_SIZE);
	raw = IoAllocateMdl(v.va, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, raw);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_NOT_LOCKED,
		      KUNIT_EXPECT_EQ(test, ops->GetScatterGatherList(a, pdo, raw, v.va, 64, record, &s, TRUE),
				      STATUS_INVALID_PARAMETER));
	IoFreeMdl(raw);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_TOO_LONG,
		      KUNIT_EXPECT_EQ(test, ops->GetScatterGatherList(a, pdo, m, v.va, PAGE_SIZE + 1, record, &s,
								      TRUE),
				      STATUS_BUFFER_TOO_SMALL));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_OVER_MAXIMUM,
		      KUNIT_EXPECT_EQ(test, ops->GetScatterGatherList(a, pdo, m, v.va, 0x10001, record, &s, TRUE),
				      STATUS_INVALID_PARAMETER));
	KUNIT_EXPECT_EQ(test, s.calls, 0);
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, m, v.va, 64, record, &s, TRUE), STATUS_SUCCESS);
	ops->PutScatterGatherList(a, s.sgl, TRUE);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_LISTS_FREED,
		      ops->PutScatterGatherList(a, s.sgl, TRUE));
	/* Put with a list and a common buffer outstanding: both reported,
	 * both released. */
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, m, v.va, 64, record, &s, FALSE), STATUS_SUCCESS);
	KUNIT_ASSERT_NOT_NULL(test, ops->AllocateCommonBuffer(a, 100, &la, TRUE));
	MmshimDmaUsage(&adapters, &lists, &buffers);
	KUNIT_EXPECT_EQ(test, lists, lists0 + 1);
	KUNIT_EXPECT_EQ(test, buffers, buffers0 + 1);
	before_lists = MmshimVerifierReportCount(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_LISTS_OUTSTANDING);
	before_buffers = MmshimVerifierReportCount(DRIVER_VERIFIER_DMA_VIOLATION,
						   MMSHIM_DMA_ADAPTER_BUFFERS_OUTSTANDING);
	ops->PutDmaAdapter(a);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DMA_VIOLATION,
							MMSHIM_DMA_ADAPTER_LISTS_OUTSTANDING), before_lists + 1);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DMA_VIOLATION,
							MMSHIM_DMA_ADAPTER_BUFFERS_OUTSTANDING), before_buffers + 1);
	MmshimDmaUsage(&adapters, &lists, &buffers);
	KUNIT_EXPECT_EQ(test, adapters, adapters0 - 1);
	KUNIT_EXPECT_EQ(test, lists, lists0);
	KUNIT_EXPECT_EQ(test, buffers, buffers0);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_ADAPTER, ops->PutDmaAdapter(a));
	release_mdl(m);
	low_vbuf_free(&v);
}


/* ---- packet-based DMA: AllocateAdapterChannel, MapTransfer, FlushAdapterBuffers ---- */

struct control {
	int calls;
	PVOID base;
	PDEVICE_OBJECT pdo;
	IO_ALLOCATION_ACTION action;
	bool atomic;
	KIRQL irql;
};

static IO_ALLOCATION_ACTION controlled(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID MapRegisterBase, PVOID Context)
{
	struct control *c = Context;

	c->calls++;
	c->base = MapRegisterBase;
	c->pdo = DeviceObject;
	c->atomic = !preemptible();
	c->irql = KeGetCurrentIrql();
	return c->action;
}

/* Physically contiguous runs in [va, va + len) of a vmap'ed buffer. */
static int phys_runs(u8 *va, size_t len)
{
	unsigned long prev = 0, pfn;
	u8 *p = (u8 *)((unsigned long)va & PAGE_MASK);
	int runs = 0;

	for (; p < va + len; p += PAGE_SIZE) {
		pfn = vmalloc_to_pfn(p);
		if (!runs || pfn != prev + 1)
			runs++;
		prev = pfn;
	}
	return runs;
}

/*
 * Move @len bytes of @m from @cur to edu and back through packet-based DMA:
 * the channel allocated, each MapTransfer and the flush under a spinlock
 * (DISPATCH_LEVEL), each mapped range programmed into edu separately.
 * Returns the number of MapTransfer calls of the last direction.
 */
static int packet_round_trip(struct kunit *test, PDMA_ADAPTER a, PDEVICE_OBJECT pdo, PMDL m, u8 *cur, u8 *buf,
			     ULONG len, u8 seed, ULONG regs, u64 *first_bus)
{
	DMA_OPERATIONS *ops = a->DmaOperations;
	unsigned long flags;
	int dir, calls = 0;

	for (dir = 0; dir < 2; dir++) {
		BOOLEAN to_device = dir == 0;
		struct control c = { .action = KeepObject };
		ULONG off = 0;
		BOOLEAN ok;
		NTSTATUS st;

		if (to_device)
			fill(buf, len, seed);
		else
			memset(buf, 0, len);
		spin_lock_irqsave(&dma_test_lock, flags);
		st = ops->AllocateAdapterChannel(a, pdo, regs, controlled, &c);
		spin_unlock_irqrestore(&dma_test_lock, flags);
		KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
		KUNIT_ASSERT_EQ(test, c.calls, 1);
		KUNIT_EXPECT_PTR_EQ(test, c.pdo, pdo);
		KUNIT_EXPECT_TRUE(test, c.atomic);
		KUNIT_ASSERT_NOT_NULL(test, c.base);
		calls = 0;
		while (off < len) {
			ULONG l = len - off;
			PHYSICAL_ADDRESS p;

			spin_lock_irqsave(&dma_test_lock, flags);
			p = ops->MapTransfer(a, m, c.base, cur + off, &l, to_device);
			spin_unlock_irqrestore(&dma_test_lock, flags);
			KUNIT_ASSERT_GT(test, l, 0U);
			KUNIT_ASSERT_LE(test, l, len - off);
			KUNIT_ASSERT_NE(test, p.QuadPart, 0LL);
			if (!calls && first_bus)
				*first_bus = p.QuadPart;
			KUNIT_ASSERT_TRUE(test, edu_dma(test, p.QuadPart, off, l, !to_device));
			off += l;
			calls++;
		}
		spin_lock_irqsave(&dma_test_lock, flags);
		ok = ops->FlushAdapterBuffers(a, m, c.base, cur, len, to_device);
		ops->FreeAdapterChannel(a);
		spin_unlock_irqrestore(&dma_test_lock, flags);
		KUNIT_EXPECT_TRUE(test, ok);
	}
	KUNIT_EXPECT_EQ(test, first_mismatch(buf, len, seed), (size_t)len);
	return calls;
}

/* A scatter/gather adapter: one MapTransfer per physically contiguous run. */
static void dma_packet_scatter_gather(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	SIZE_T channels, sets, mappings;
	struct low_vbuf v;
	PMDL m;
	int calls;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va + 0x400, 3 * PAGE_SIZE - 0x800);
	/* 4000 bytes from 0x900: two pages, scattered (vmap'ed in reverse). */
	calls = packet_round_trip(test, a, pdo, m, v.va + 0x900, v.va + 0x900, 4000, 0x4d, 3, NULL);
	KUNIT_EXPECT_EQ(test, calls, phys_runs(v.va + 0x900, 4000));
	KUNIT_EXPECT_GE(test, calls, 1);
	/* 3000 bytes from 0xc00 with two registers: runs of at most 2 pages. */
	calls = packet_round_trip(test, a, pdo, m, v.va + 0xc00, v.va + 0xc00, 3000, 0x93, 2, NULL);
	KUNIT_EXPECT_EQ(test, calls, phys_runs(v.va + 0xc00, 3000));
	MmshimDmaPacketUsage(&channels, &sets, &mappings);
	KUNIT_EXPECT_EQ(test, channels, (SIZE_T)0);
	KUNIT_EXPECT_EQ(test, sets, (SIZE_T)0);
	KUNIT_EXPECT_EQ(test, mappings, (SIZE_T)0);
	release_mdl(m);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

/* A physically contiguous pool buffer: one MapTransfer covers it all. */
static void dma_packet_contiguous_is_one_run(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	u8 *pool;
	PMDL m;

	pool = kmalloc(2 * PAGE_SIZE, GFP_KERNEL); /* physically contiguous */
	KUNIT_ASSERT_NOT_NULL(test, pool);
	m = IoAllocateMdl(pool, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	KUNIT_EXPECT_EQ(test, packet_round_trip(test, a, pdo, m, pool + 0x200, pool + 0x200, 4000, 0x17, 3, NULL), 1);
	IoFreeMdl(m);
	kfree(pool);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
}

/* A non-scatter/gather adapter: one MapTransfer covers the scattered
 * buffer through the adapter's bounce buffer, copied back at the flush. */
static void dma_packet_non_scatter_gather(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter_sg(test, &pdo, FALSE);
	struct low_vbuf v;
	u64 bus = 0;
	PMDL m;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va, 3 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, packet_round_trip(test, a, pdo, m, v.va + 0x900, v.va + 0x900, 4000, 0x66, 2, &bus), 1);
	/* The bounce buffer's bus address, keeping the page offset; not the page's. */
	KUNIT_EXPECT_EQ(test, bus & ~PAGE_MASK, 0x900ULL);
	KUNIT_EXPECT_NE(test, bus, (u64)PFN_PHYS(vmalloc_to_pfn(v.va)) + 0x900);
	/* From the last 100 bytes of the first page into the second: still one. */
	KUNIT_EXPECT_EQ(test, packet_round_trip(test, a, pdo, m, v.va + PAGE_SIZE - 100, v.va + PAGE_SIZE - 100, 300,
						0x21, 2, NULL), 1);
	release_mdl(m);
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

/* Packet-based misuse on the real device. */
static void dma_packet_misuse(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	struct control c = { .action = KeepObject }, c2 = { .action = KeepObject };
	struct low_vbuf v;
	ULONG len;
	PMDL m, pm;
	u8 *pool;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va, 3 * PAGE_SIZE);
	pool = kmalloc(2 * PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pool);
	pm = IoAllocateMdl(pool, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, pm);
	MmBuildMdlForNonPagedPool(pm);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS,
		      KUNIT_EXPECT_EQ(test, ops->AllocateAdapterChannel(a, pdo, 18, controlled, &c),
				      STATUS_INSUFFICIENT_RESOURCES));
	KUNIT_ASSERT_EQ(test, ops->AllocateAdapterChannel(a, pdo, 1, controlled, &c), STATUS_SUCCESS);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_CHANNELS,
		      KUNIT_EXPECT_EQ(test, ops->AllocateAdapterChannel(a, pdo, 1, controlled, &c2),
				      STATUS_INSUFFICIENT_RESOURCES));
	KUNIT_EXPECT_EQ(test, c2.calls, 0);
	/* A physically contiguous run of two pages with one register. */
	len = 2 * PAGE_SIZE;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS,
		      KUNIT_EXPECT_EQ(test, ops->MapTransfer(a, pm, c.base, pool, &len, TRUE).QuadPart, 0LL));
	KUNIT_EXPECT_EQ(test, len, 0U);
	len = 100;
	KUNIT_EXPECT_NE(test, ops->MapTransfer(a, m, c.base, v.va, &len, TRUE).QuadPart, 0LL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BUFFERS_NOT_FLUSHED, ops->FreeAdapterChannel(a));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_CHANNELS_FREED,
		      ops->FreeAdapterChannel(a));
	c.action = DeallocateObjectKeepRegisters;
	KUNIT_ASSERT_EQ(test, ops->AllocateAdapterChannel(a, pdo, 1, controlled, &c), STATUS_SUCCESS);
	/* A request for the kept register waits; FreeMapRegisters (here at
	 * PASSIVE_LEVEL) runs its routine at DISPATCH_LEVEL, which gives
	 * everything back (DeallocateObject). */
	c2.action = DeallocateObject;
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, ops->AllocateAdapterChannel(a, pdo, 1, controlled, &c2),
					       STATUS_SUCCESS));
	KUNIT_EXPECT_EQ(test, c2.calls, 0);
	EXPECT_NO_REPORT(test, ops->FreeMapRegisters(a, c.base, 1));
	KUNIT_EXPECT_EQ(test, c2.calls, 1);
	KUNIT_EXPECT_PTR_EQ(test, c2.base, c.base);
	KUNIT_EXPECT_EQ(test, c2.irql, (KIRQL)DISPATCH_LEVEL);
	KUNIT_EXPECT_TRUE(test, c2.atomic);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), (KIRQL)PASSIVE_LEVEL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS_FREED,
		      ops->FreeMapRegisters(a, c.base, 1));
	c.action = KeepObject;
	KUNIT_ASSERT_EQ(test, ops->AllocateAdapterChannel(a, pdo, 1, controlled, &c), STATUS_SUCCESS);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING,
		      ops->PutDmaAdapter(a));
	IoFreeMdl(pm);
	kfree(pool);
	release_mdl(m);
	low_vbuf_free(&v);
}

/* An MDL a list or a MapTransfer still maps can be neither unlocked nor
 * freed: refused, the pages stay locked and the device still reaches them. */
/*
 * The attack a hostile process can stage: map a file it may only read
 * (O_RDONLY, PROT_READ) and hand it to a driver that locks it with
 * IoReadAccess and then has the device write into it (a METHOD_IN_DIRECT
 * buffer used the wrong way). A transfer from the device is a write: it is
 * refused before anything is mapped, for lists and MapTransfer, and the
 * file's page cache keeps its bytes. The device may still read the buffer.
 */
#define DMA_RO_FILE "/mmshim-dma-ro-test"
static void dma_device_never_writes_read_only_frames(struct kunit *test)
{
	static const char text[] = "the device must not write this";
	char back[sizeof(text)] = "";
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a;
	struct seen s = {};
	struct file *ro;
	unsigned long user;
	loff_t pos = 0;
	PVOID base = NULL;
	ULONG len;
	PMDL m, part;

	ro = mmshim_read_only_file(test, DMA_RO_FILE, text, sizeof(text));
	if (!ro)
		return;
	if (!mmshim_user_attach(test, dma_test_user_mm)) {
		filp_close(ro, NULL);
		return;
	}
	a = edu_adapter(test, &pdo);
	user = vm_mmap(ro, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(user));
	m = IoAllocateMdl((PVOID)user, 256, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	KUNIT_ASSERT_EQ(test, MmshimProbeAndLockPages(m, UserMode, IoReadAccess), STATUS_SUCCESS);

	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      KUNIT_EXPECT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, m, (PVOID)user, 256,
										   record, &s, FALSE),
				      STATUS_INVALID_PARAMETER));
	KUNIT_EXPECT_EQ(test, s.calls, 0);
	/* The device reading the file is fine. */
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, a->DmaOperations->GetScatterGatherList(
								     a, pdo, m, (PVOID)user, 256, record, &s, TRUE),
					       STATUS_SUCCESS));
	if (s.calls == 1) {
		edu_dma_list(test, s.sgl, false);
		a->DmaOperations->PutScatterGatherList(a, s.sgl, TRUE);
	}
	/* A partial MDL of the read lock carries the rule with it. */
	part = IoAllocateMdl((PVOID)user, 256, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	IoBuildPartialMdl(m, part, (PVOID)user, 256);
	s.calls = 0;
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      KUNIT_EXPECT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, part, (PVOID)user, 256,
										   record, &s, FALSE),
				      STATUS_INVALID_PARAMETER));
	KUNIT_EXPECT_EQ(test, s.calls, 0);
	IoFreeMdl(part);
	/* Packet-based DMA from the device: refused too, nothing mapped. */
	{
		struct control c = { .action = KeepObject };

		KUNIT_EXPECT_EQ(test, a->DmaOperations->AllocateAdapterChannel(a, pdo, 1, controlled, &c),
				STATUS_SUCCESS);
		base = c.base;
	}
	if (base) {
		len = 256;
		EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
			      KUNIT_EXPECT_EQ(test, a->DmaOperations->MapTransfer(a, m, base, (PVOID)user, &len, FALSE)
							    .QuadPart,
					      0LL));
		KUNIT_EXPECT_EQ(test, len, 0U);
		a->DmaOperations->FreeAdapterChannel(a);
	}
	MmUnlockPages(m);
	IoFreeMdl(m);
	vm_munmap(user, PAGE_SIZE);
	mmshim_user_detach();
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
	pos = 0;
	KUNIT_EXPECT_EQ(test, kernel_read(ro, back, sizeof(back), &pos), (ssize_t)sizeof(text));
	KUNIT_EXPECT_STREQ(test, back, text);
	filp_close(ro, NULL);
}

static void dma_mdl_unlock_while_mapped_is_refused(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	struct control c = { .action = KeepObject };
	struct seen s = {};
	SIZE_T locked;
	ULONG len;
	u8 *vbuf;
	PMDL m;

	vbuf = vmalloc(2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, vbuf);
	m = locked_mdl(test, vbuf, 2 * PAGE_SIZE);
	fill(vbuf, 3000, 0x3c);
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, m, vbuf, 3000, record, &s, TRUE), STATUS_SUCCESS);
	locked = MmshimLockedMdlCount();
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(m));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, IoFreeMdl(m));
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), locked);
	/* The list still works: to the device, then back into the zeroed buffer. */
	edu_dma_list(test, s.sgl, false);
	ops->PutScatterGatherList(a, s.sgl, TRUE);
	memset(vbuf, 0, 3000);
	s.calls = 0;
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, m, vbuf, 3000, record, &s, FALSE), STATUS_SUCCESS);
	edu_dma_list(test, s.sgl, true);
	ops->PutScatterGatherList(a, s.sgl, FALSE);
	KUNIT_EXPECT_EQ(test, first_mismatch(vbuf, 3000, 0x3c), (size_t)3000);

	/* The same while a MapTransfer is not yet flushed. */
	KUNIT_ASSERT_EQ(test, ops->AllocateAdapterChannel(a, pdo, 2, controlled, &c), STATUS_SUCCESS);
	len = 100;
	KUNIT_ASSERT_NE(test, ops->MapTransfer(a, m, c.base, vbuf, &len, TRUE).QuadPart, 0LL);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(m));
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_TRUE(test, ops->FlushAdapterBuffers(a, m, c.base, vbuf, len, TRUE)));
	EXPECT_NO_REPORT(test, ops->FreeAdapterChannel(a));
	/* Unmapped: released normally. */
	EXPECT_NO_REPORT(test, MmUnlockPages(m));
	EXPECT_NO_REPORT(test, IoFreeMdl(m));
	vfree(vbuf);
	EXPECT_NO_REPORT(test, ops->PutDmaAdapter(a));
}

/* A partial MDL's source holds its frames: while a list maps the partial,
 * the source can be neither unlocked nor freed; afterwards the partial of a
 * released source cannot be DMA-mapped. */
/*
 * ExFreePool of pool memory a live list moves is refused, whatever MDL maps
 * it: the block stays allocated while the device may write it, so the next
 * allocation never gets the device's bytes. The device's write lands in the
 * block, which frees normally after the put.
 */
static void dma_pool_memory_stays_allocated_while_mapped(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	struct seen s = {};
	u8 *pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, 3000, 'AMDt');
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, pool);
	m = IoAllocateMdl(pool, 3000, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	MmBuildMdlForNonPagedPool(m);
	fill(pool, 3000, 0x51);
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, m, pool, 3000, record, &s, TRUE), STATUS_SUCCESS);
	edu_dma_list(test, s.sgl, false); /* the pool's bytes to the device */
	ops->PutScatterGatherList(a, s.sgl, TRUE);
	memset(pool, 0, 3000);
	s.calls = 0;
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, m, pool, 3000, record, &s, FALSE), STATUS_SUCCESS);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, ExFreePool(pool));
	edu_dma_list(test, s.sgl, true); /* and back into the block, still allocated */
	ops->PutScatterGatherList(a, s.sgl, FALSE);
	KUNIT_EXPECT_EQ(test, first_mismatch(pool, 3000, 0x51), (size_t)3000);
	IoFreeMdl(m);
	EXPECT_NO_REPORT(test, ExFreePool(pool));
	EXPECT_NO_REPORT(test, ops->PutDmaAdapter(a));
}

static void dma_partial_source_stays_locked_while_mapped(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	struct seen s = {};
	u8 *vbuf;
	PMDL src, part;

	vbuf = vmalloc(3 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, vbuf);
	src = locked_mdl(test, vbuf, 3 * PAGE_SIZE);
	part = IoAllocateMdl(vbuf + PAGE_SIZE, 2000, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, part);
	IoBuildPartialMdl(src, part, vbuf + PAGE_SIZE, 2000);
	fill(vbuf + PAGE_SIZE, 2000, 0x58);
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, part, vbuf + PAGE_SIZE, 2000, record, &s, TRUE),
			STATUS_SUCCESS);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(src));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, IoFreeMdl(src));
	KUNIT_EXPECT_TRUE(test, src->MdlFlags & MDL_PAGES_LOCKED);
	edu_dma_list(test, s.sgl, false);
	ops->PutScatterGatherList(a, s.sgl, TRUE);
	memset(vbuf + PAGE_SIZE, 0, 2000);
	KUNIT_ASSERT_EQ(test, ops->GetScatterGatherList(a, pdo, part, vbuf + PAGE_SIZE, 2000, record, &s, FALSE),
			STATUS_SUCCESS);
	edu_dma_list(test, s.sgl, true);
	ops->PutScatterGatherList(a, s.sgl, FALSE);
	KUNIT_EXPECT_EQ(test, first_mismatch(vbuf + PAGE_SIZE, 2000, 0x58), (size_t)2000);
	EXPECT_NO_REPORT(test, release_mdl(src));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      KUNIT_EXPECT_EQ(test, ops->GetScatterGatherList(a, pdo, part, vbuf + PAGE_SIZE, 2000, record,
								      &s, TRUE),
				      STATUS_INVALID_PARAMETER));
	IoFreeMdl(part);
	vfree(vbuf);
	EXPECT_NO_REPORT(test, ops->PutDmaAdapter(a));
}

/*
 * Version 3: GetScatterGatherListEx (synchronous, no execution routine: the
 * driver holds the adapter object until FreeAdapterObject) to the device,
 * BuildScatterGatherListEx into a buffer GetDmaTransferInfo sized back from
 * it, both at DISPATCH_LEVEL, from an Offset into a scattered buffer.
 */
static void dma_v3_lists_round_trip(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	u64 ctx[DMA_TRANSFER_CONTEXT_SIZE_V1 / 8];
	DMA_TRANSFER_INFO t = { .Version = DMA_TRANSFER_INFO_VERSION1 };
	PSCATTER_GATHER_LIST sgl = NULL;
	struct low_vbuf v;
	unsigned long flags;
	void *buf;
	NTSTATUS st;
	PMDL m;

	KUNIT_ASSERT_NOT_NULL(test, ops->GetScatterGatherListEx);
	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va + 0x400, 3 * PAGE_SIZE - 0x800);
	KUNIT_ASSERT_EQ(test, ops->InitializeDmaTransferContext(a, ctx), STATUS_SUCCESS);
	fill(v.va + 0x900, 4000, 0x5e);
	spin_lock_irqsave(&dma_test_lock, flags);
	st = ops->GetScatterGatherListEx(a, pdo, ctx, m, 0x500, 4000, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, TRUE,
					 NULL, NULL, &sgl);
	spin_unlock_irqrestore(&dma_test_lock, flags);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_ASSERT_NOT_NULL(test, sgl);
	/* Two pages: one element each, or one if an IOMMU merged them. */
	KUNIT_EXPECT_GE(test, sgl->NumberOfElements, 1U);
	KUNIT_EXPECT_LE(test, sgl->NumberOfElements, 2U);
	edu_dma_list(test, sgl, false);
	spin_lock_irqsave(&dma_test_lock, flags);
	ops->PutScatterGatherList(a, sgl, TRUE);
	ops->FreeAdapterObject(a, DeallocateObject);
	spin_unlock_irqrestore(&dma_test_lock, flags);

	memset(v.va + 0x900, 0, 4000);
	KUNIT_ASSERT_EQ(test, ops->GetDmaTransferInfo(a, m, 0x500, 4000, FALSE, &t), STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, t.V1.MapRegisterCount, 2U);
	buf = kmalloc(t.V1.ScatterGatherListSize, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	sgl = NULL;
	spin_lock_irqsave(&dma_test_lock, flags);
	st = ops->BuildScatterGatherListEx(a, pdo, ctx, m, 0x500, 4000, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, FALSE,
					   buf, t.V1.ScatterGatherListSize, NULL, NULL, &sgl);
	spin_unlock_irqrestore(&dma_test_lock, flags);
	KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_EXPECT_PTR_EQ(test, (void *)sgl, buf);
	edu_dma_list(test, sgl, true);
	ops->PutScatterGatherList(a, sgl, FALSE);
	ops->FreeAdapterObject(a, DeallocateObject);
	KUNIT_EXPECT_EQ(test, first_mismatch(v.va + 0x900, 4000, 0x5e), (size_t)4000);
	kfree(buf);
	release_mdl(m);
	EXPECT_NO_REPORT(test, ops->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

/* Version 3 packet-based DMA: AllocateAdapterChannelEx without a routine,
 * one MapTransferEx for the whole transfer (one element per run),
 * FlushAdapterBuffersEx, FreeAdapterObject. */
static void dma_v3_map_transfer_ex(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	u64 ctx[DMA_TRANSFER_CONTEXT_SIZE_V1 / 8];
	u64 sgbuf[(sizeof(SCATTER_GATHER_LIST) + 4 * sizeof(SCATTER_GATHER_ELEMENT)) / 8];
	PSCATTER_GATHER_LIST sg = (PSCATTER_GATHER_LIST)sgbuf;
	struct low_vbuf v;
	unsigned long flags;
	int dir;
	PMDL m;

	KUNIT_ASSERT_TRUE(test, low_vbuf_alloc(&v));
	m = locked_mdl(test, v.va + 0x400, 3 * PAGE_SIZE - 0x800);
	KUNIT_ASSERT_EQ(test, ops->InitializeDmaTransferContext(a, ctx), STATUS_SUCCESS);
	for (dir = 0; dir < 2; dir++) {
		BOOLEAN to_device = dir == 0;
		PVOID base = NULL;
		ULONG len = 4000, i, off = 0;
		NTSTATUS st;

		if (to_device)
			fill(v.va + 0x900, 4000, 0xa7);
		else
			memset(v.va + 0x900, 0, 4000);
		spin_lock_irqsave(&dma_test_lock, flags);
		st = ops->AllocateAdapterChannelEx(a, pdo, ctx, 3, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, &base);
		if (st == STATUS_SUCCESS)
			st = ops->MapTransferEx(a, m, base, 0x500, 0, &len, to_device, sg, sizeof(sgbuf), NULL, NULL);
		spin_unlock_irqrestore(&dma_test_lock, flags);
		KUNIT_ASSERT_EQ(test, st, STATUS_SUCCESS);
		KUNIT_ASSERT_EQ(test, len, 4000U);
		KUNIT_EXPECT_EQ(test, (int)sg->NumberOfElements, phys_runs(v.va + 0x900, 4000));
		for (i = 0; i < sg->NumberOfElements; i++) {
			KUNIT_ASSERT_TRUE(test, edu_dma(test, sg->Elements[i].Address.QuadPart, off,
							sg->Elements[i].Length, !to_device));
			off += sg->Elements[i].Length;
		}
		KUNIT_EXPECT_EQ(test, off, 4000U);
		spin_lock_irqsave(&dma_test_lock, flags);
		st = ops->FlushAdapterBuffersEx(a, m, base, 0x500, 4000, to_device);
		ops->FreeAdapterObject(a, DeallocateObject);
		spin_unlock_irqrestore(&dma_test_lock, flags);
		KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	}
	KUNIT_EXPECT_EQ(test, first_mismatch(v.va + 0x900, 4000, 0xa7), (size_t)4000);
	release_mdl(m);
	EXPECT_NO_REPORT(test, ops->PutDmaAdapter(a));
	low_vbuf_free(&v);
}

/* AllocateCommonBufferEx: never above MaximumAddress (behind the IOMMU the
 * narrowed mask picks the IOVA), the device's mask restored, data moves. */
static void dma_v3_common_buffer_below(struct kunit *test)
{
	static const u64 maxima[] = { 0xffffffffULL, 0x7fffffffULL, 0x3fffffffULL, 0xffffffULL };
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = edu_adapter(test, &pdo);
	DMA_OPERATIONS *ops = a->DmaOperations;
	PHYSICAL_ADDRESS src_la = {}, la = {}, max;
	u8 *src, *b;
	int i, got = 0;

	src = ops->AllocateCommonBuffer(a, 3000, &src_la, TRUE);
	KUNIT_ASSERT_NOT_NULL(test, src);
	for (i = 0; i < ARRAY_SIZE(maxima); i++) {
		max.QuadPart = maxima[i];
		b = ops->AllocateCommonBufferEx(a, &max, 3000, &la, TRUE, MM_ANY_NODE_OK);
		KUNIT_EXPECT_EQ(test, dma_dev.pdev->dev.coherent_dma_mask, DMA_BIT_MASK(32));
		if (!b) /* the platform may have nothing that low (no ZONE_DMA) */
			continue;
		got++;
		KUNIT_EXPECT_LE(test, (u64)la.QuadPart + 2999, maxima[i]);
		fill(src, 3000, (u8)(0x20 + i));
		memset(b, 0, 3000);
		KUNIT_ASSERT_TRUE(test, edu_dma(test, src_la.QuadPart, 0, 3000, false));
		KUNIT_ASSERT_TRUE(test, edu_dma(test, la.QuadPart, 0, 3000, true));
		KUNIT_EXPECT_EQ(test, first_mismatch(b, 3000, (u8)(0x20 + i)), (size_t)3000);
		EXPECT_NO_REPORT(test, ops->FreeCommonBuffer(a, 3000, la, b, TRUE));
	}
	/* At least the adapter's own 32-bit reach; lower maxima depend on where
	 * the platform's RAM is (x86 VMs: all below 2 GiB; arm64 virt: from 1 GiB). */
	KUNIT_EXPECT_GE(test, got, 1);
	ops->FreeCommonBuffer(a, 3000, src_la, src, TRUE);
	EXPECT_NO_REPORT(test, ops->PutDmaAdapter(a));
}

/*
 * MmUnlockPages on one CPU while another CPU maps the same MDL with
 * GetScatterGatherList (a driver's cancel path against its start path).
 * Each round the two threads meet, then one takes a list (the device would
 * write the pages) while the other unlocks after a delay that varies from
 * round to round, so the unlock lands before, during and after the list's
 * walk. Whenever a list was handed out, the unlock must have been refused
 * (the frames stay pinned until the put); otherwise the list is refused.
 */
struct dma_race {
	PDMA_ADAPTER a;
	PDEVICE_OBJECT pdo;
	u8 *buf;
	PMDL volatile mdl; /* this round's, made by the unlocker */
	unsigned int rounds, window_ns;
	struct mmshim_meet meet;
	struct completion done[2];
	unsigned int listed, refused, bad; /* read after both threads finished */
};

#define DMA_RACE_PAGES 2

static int dma_race_lister(void *data)
{
	struct dma_race *r = data;
	unsigned int i;

	for (i = 0; i < r->rounds; i++) {
		struct seen s = {};
		PMDL m;

		if (!mmshim_meet(&r->meet, 3 * i + 1))
			break;
		m = r->mdl;
		if (i % 4 == 3)
			ndelay(r->window_ns / 2); /* now and then the unlock goes first */
		if (r->a->DmaOperations->GetScatterGatherList(r->a, r->pdo, m, r->buf,
							      DMA_RACE_PAGES * PAGE_SIZE - 100, record, &s,
							      FALSE) == STATUS_SUCCESS && s.calls == 1)
			r->listed++;
		else
			r->refused++;
		if (!mmshim_meet(&r->meet, 3 * i + 2)) /* the unlock has been tried */
			break;
		if (s.calls == 1) {
			/* The list is live: the unlock was refused, the pages are pinned. */
			if (!(m->MdlFlags & MDL_PAGES_LOCKED))
				r->bad++;
			r->a->DmaOperations->PutScatterGatherList(r->a, s.sgl, FALSE);
		}
		if (!mmshim_meet(&r->meet, 3 * i + 3))
			break;
	}
	return mmshim_thread_done(&r->done[0]);
}

static int dma_race_unlocker(void *data)
{
	struct dma_race *r = data;
	unsigned int i;

	for (i = 0; i < r->rounds; i++) {
		PMDL m = mmshim_meet_locked_mdl(&r->meet, r->buf, DMA_RACE_PAGES * PAGE_SIZE);

		if (!m)
			break;
		r->mdl = m;
		if (!mmshim_meet(&r->meet, 3 * i + 1)) {
			release_mdl(m);
			break;
		}
		ndelay((i * 7919U) % r->window_ns);
		MmUnlockPages(m); /* refused while a list holds the MDL */
		if (!mmshim_meet(&r->meet, 3 * i + 2) || !mmshim_meet(&r->meet, 3 * i + 3)) {
			if (m->MdlFlags & MDL_PAGES_LOCKED)
				MmUnlockPages(m);
			IoFreeMdl(m);
			break;
		}
		/* The list is put by now: an unlock refused before goes through. */
		if (m->MdlFlags & MDL_PAGES_LOCKED)
			MmUnlockPages(m);
		if (m->MdlFlags & MDL_PAGES_LOCKED)
			r->bad++;
		IoFreeMdl(m);
	}
	return mmshim_thread_done(&r->done[1]);
}

static void dma_unlock_racing_a_list_on_another_cpu(struct kunit *test)
{
	struct dma_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	int (*const fn[2])(void *) = { dma_race_lister, dma_race_unlocker };
	void *arg[2];
	struct completion *done[2];
	SIZE_T locked = MmshimLockedMdlCount();

	KUNIT_ASSERT_NOT_NULL(test, r);
	if (num_online_cpus() < 2)
		kunit_skip(test, "needs two CPUs");
	r->a = edu_adapter(test, &r->pdo);
	KUNIT_ASSERT_NOT_NULL(test, r->a);
	r->rounds = 300;
	r->window_ns = 997; /* under TCG a list's walk and map take a few microseconds */
	r->buf = vmalloc(DMA_RACE_PAGES * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, r->buf);
	arg[0] = arg[1] = r;
	done[0] = &r->done[0];
	done[1] = &r->done[1];
	mmshim_run_on_two_cpus(test, fn, arg, done, "mmshim_dmarace");
	kunit_info(test, "%u rounds: %u lists, %u refused\n", r->rounds, r->listed, r->refused);
	KUNIT_EXPECT_EQ(test, r->meet.timeouts, 0U);
	KUNIT_EXPECT_FALSE(test, r->meet.abort);
	KUNIT_EXPECT_EQ(test, r->listed + r->refused, r->rounds);
	KUNIT_EXPECT_EQ_MSG(test, r->bad, 0U, "an MDL was unlocked while a list still mapped it");
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), locked);
	vfree(r->buf);
	EXPECT_NO_REPORT(test, r->a->DmaOperations->PutDmaAdapter(r->a));
}

static struct kunit_case dma_cases[] = {
	KUNIT_CASE(dma_sgl_locked_vmap_buffer),
	KUNIT_CASE(dma_sgl_pool_and_vmalloc),
	KUNIT_CASE(dma_sgl_pages_and_partial_mdl),
	KUNIT_CASE(dma_sgl_mdl_chain),
	KUNIT_CASE(dma_sgl_beyond_the_preallocated_lists),
	KUNIT_CASE(dma_sgl_locked_user_buffer),
	KUNIT_CASE(dma_device_never_writes_read_only_frames),
	KUNIT_CASE(dma_build_list_in_callers_buffer),
	KUNIT_CASE(dma_common_buffers),
	KUNIT_CASE(dma_misuse_is_reported),
	KUNIT_CASE(dma_packet_scatter_gather),
	KUNIT_CASE(dma_packet_contiguous_is_one_run),
	KUNIT_CASE(dma_packet_non_scatter_gather),
	KUNIT_CASE(dma_packet_misuse),
	KUNIT_CASE(dma_mdl_unlock_while_mapped_is_refused),
	KUNIT_CASE(dma_partial_source_stays_locked_while_mapped),
	KUNIT_CASE(dma_pool_memory_stays_allocated_while_mapped),
	KUNIT_CASE(dma_unlock_racing_a_list_on_another_cpu),
	KUNIT_CASE(dma_v3_lists_round_trip),
	KUNIT_CASE(dma_v3_map_transfer_ex),
	KUNIT_CASE(dma_v3_common_buffer_below),
	{}
};

static struct kunit_suite dma_suite = {
	.name = "mmshim_dma",
	MMSHIM_SUITE_HOOKS(dma_suite)
	.init = mmshim_dma_test_init,
	.exit = mmshim_test_exit,
	.test_cases = dma_cases,
};
mmshim_kunit_suite_with_hooks(dma_suite);
