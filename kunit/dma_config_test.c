// SPDX-License-Identifier: GPL-2.0
/*
 * dma_config_test.c - KUnit suite "mmshim_dma_config": which DMA
 * configuration the VM runs in, proven on the device, and what it means for
 * a driver that reads bus addresses from the PFN array (docs/dma.md).
 *
 * tests/vm/kunit.sh boots the 6.1 and 6.12 debug kernels three times:
 * - "none": qemu's pc machine, no IOMMU, no forced bouncing: a
 *   scatter/gather element's address is the page's physical address;
 * - "iommu": q35 with qemu's intel-iommu and intel_iommu=on: elements are
 *   IOVAs, and edu's DMA to the physical address (what a driver reading the
 *   PFN array would program) is blocked by the IOMMU;
 * - "swiotlb": swiotlb=force: elements are bounce slots; the device's data
 *   reaches the driver's pages only when PutScatterGatherList copies it
 *   back.
 * The configuration is named on the kernel command line
 * (mmshim_kunit.dma_config=, read from /proc/cmdline); the suite
 * asserts that the system really is in it, so a configuration that silently
 * did not take effect fails instead of passing as "none". mmshim_dma
 * (dma_test.c) runs in all three.
 */
#include <linux/pci.h>
#include <linux/io.h>
#include <linux/device.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/gfp.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <linux/sched.h>
#include "mmshim_kunit.h"
#include <mmshim/linux.h>

/* mmshim_kunit.dma_config= on the kernel command line; "none" without. */
static char dma_config[16] = "none";

static struct edu_dma cfg_dev;

static int dma_config_suite_init(struct kunit_suite *suite)
{
	if (!mmshim_kunit_cmdline("dma_config", dma_config, sizeof(dma_config)))
		strscpy(dma_config, "none", sizeof(dma_config));
	return edu_dma_open(&cfg_dev);
}

static void dma_config_suite_exit(struct kunit_suite *suite)
{
	edu_dma_close(&cfg_dev);
}

static bool cfg_edu_dma(u64 bus, u32 cnt, bool to_ram)
{
	return edu_dma_transfer(&cfg_dev, bus, 0, cnt, to_ram);
}

struct cfg_seen {
	int calls;
	PSCATTER_GATHER_LIST sgl;
};

static VOID cfg_record(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather,
		       PVOID Context)
{
	struct cfg_seen *s = Context;

	s->calls++;
	s->sgl = ScatterGather;
}

static PDMA_ADAPTER cfg_adapter(struct kunit *test, PDEVICE_OBJECT *pdo)
{
	ULONG regs;

	return edu_dma_adapter(test, &cfg_dev, TRUE, 0x40000, pdo, &regs);
}

static bool config_is(const char *name)
{
	return !strcmp(dma_config, name);
}

/*
 * The configuration the command line names is the one the device is in:
 * behind an IOMMU exactly in "iommu", and every element of a list over
 * three scattered pages has the page's physical address exactly in "none".
 */
static void dma_config_is_in_effect(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = cfg_adapter(test, &pdo);
	struct cfg_seen s = {};
	PPFN_NUMBER pfns;
	ULONG i, k, same = 0;
	NTSTATUS st;
	u8 *buf;
	PMDL m;

	KUNIT_ASSERT_TRUE_MSG(test, config_is("none") || config_is("iommu") || config_is("swiotlb"),
			      "unknown mmshim_kunit.dma_config=%s", dma_config);
	kunit_info(test, "DMA configuration: %s", dma_config);
	KUNIT_EXPECT_EQ(test, device_iommu_mapped(&cfg_dev.pdev->dev), config_is("iommu"));

	buf = vmalloc(3 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	m = locked_mdl(test, buf, 3 * PAGE_SIZE);
	pfns = MmGetMdlPfnArray(m);
	st = a->DmaOperations->GetScatterGatherList(a, pdo, m, buf, 3 * PAGE_SIZE, cfg_record, &s, TRUE);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	if (st == STATUS_SUCCESS) {
		for (i = 0; i < s.sgl->NumberOfElements; i++)
			for (k = 0; k < 3; k++)
				if (s.sgl->Elements[i].Address.QuadPart == PFN_PHYS(pfns[k]))
					same++;
		if (config_is("none"))
			KUNIT_EXPECT_EQ_MSG(test, same, s.sgl->NumberOfElements,
					    "without IOMMU or bouncing a bus address is the frame's");
		else
			KUNIT_EXPECT_EQ_MSG(test, same, 0U,
					    "an element's bus address is a frame's physical address (%s)",
					    dma_config);
		kunit_info(test, "element 0: bus %#llx, frame %#llx",
			   (u64)s.sgl->Elements[0].Address.QuadPart, (u64)PFN_PHYS(pfns[0]));
		a->DmaOperations->PutScatterGatherList(a, s.sgl, TRUE);
	}
	release_mdl(m);
	vfree(buf);
	a->DmaOperations->PutDmaAdapter(a);
}

/* A one-element list over @len bytes of the page at @buf (an MDL built for
 * nonpaged memory), and its put. */
static PSCATTER_GATHER_LIST cfg_get(struct kunit *test, PDMA_ADAPTER a, PDEVICE_OBJECT pdo, u8 *buf, ULONG len,
				    bool to_device, PMDL *m)
{
	struct cfg_seen s = {};

	*m = IoAllocateMdl(buf, len, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, *m);
	MmBuildMdlForNonPagedPool(*m);
	KUNIT_ASSERT_EQ(test, a->DmaOperations->GetScatterGatherList(a, pdo, *m, buf, len, cfg_record, &s, to_device),
			STATUS_SUCCESS);
	KUNIT_ASSERT_EQ(test, s.calls, 1);
	KUNIT_ASSERT_EQ(test, s.sgl->NumberOfElements, 1U);
	return s.sgl;
}

static void cfg_put(PDMA_ADAPTER a, PSCATTER_GATHER_LIST sgl, PMDL m, bool to_device)
{
	a->DmaOperations->PutScatterGatherList(a, sgl, to_device);
	IoFreeMdl(m);
}

/* A source page whose first @len bytes are @pattern, a destination page
 * filled with @old. */
struct cfg_pages {
	u8 *src, *dst;
};

static void cfg_pages_get(struct kunit *test, struct cfg_pages *p, u8 pattern, u8 old, ULONG len)
{
	p->src = (u8 *)__get_free_page(GFP_KERNEL);
	p->dst = (u8 *)__get_free_page(GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, p->src && p->dst);
	memset(p->src, pattern, len);
	memset(p->dst, old, PAGE_SIZE);
}

/* The first @len bytes of dst are @pattern, the rest still @old. */
static void cfg_pages_check_put(struct kunit *test, struct cfg_pages *p, u8 pattern, u8 old, ULONG len)
{
	KUNIT_EXPECT_TRUE(test, !memchr_inv(p->dst, pattern, len));
	KUNIT_EXPECT_TRUE(test, !memchr_inv(p->dst + len, old, PAGE_SIZE - len));
	free_page((unsigned long)p->src);
	free_page((unsigned long)p->dst);
}

/*
 * The PFN array is a bus address only without an IOMMU: behind one, edu's
 * DMA to a page's physical address is blocked (the page keeps its contents;
 * the IOMMU logs a fault); without one it arrives. The same transfer
 * through the list's element arrives in every configuration.
 */
static void dma_config_physical_address_blocked_by_iommu(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = cfg_adapter(test, &pdo);
	PSCATTER_GATHER_LIST sgl;
	struct cfg_pages p;
	PMDL m;

	cfg_pages_get(test, &p, 0x5a, 0xc3, 256);
	/* Into the device through the list. */
	sgl = cfg_get(test, a, pdo, p.src, 256, true, &m);
	KUNIT_EXPECT_TRUE(test, cfg_edu_dma(sgl->Elements[0].Address.QuadPart, 256, false));
	cfg_put(a, sgl, m, true);

	/* Out of the device to dst's physical address, as a driver reading the
	 * PFN array would program it. */
	if (config_is("iommu"))
		kunit_info(test, "DMA to a physical address behind the IOMMU: the IOMMU logs a fault next");
	KUNIT_EXPECT_TRUE(test, cfg_edu_dma(virt_to_phys(p.dst), 256, true));
	if (config_is("iommu")) {
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(p.dst, 0xc3, PAGE_SIZE),
				      "the device wrote to a physical address the IOMMU should have blocked");
	} else {
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(p.dst, 0x5a, 256),
				      "without an IOMMU the physical address reaches the page");
		memset(p.dst, 0xc3, PAGE_SIZE);
	}

	/* The same through a list over dst arrives everywhere. */
	sgl = cfg_get(test, a, pdo, p.dst, 256, false, &m);
	if (config_is("iommu"))
		KUNIT_EXPECT_NE(test, (u64)sgl->Elements[0].Address.QuadPart, (u64)virt_to_phys(p.dst));
	KUNIT_EXPECT_TRUE(test, cfg_edu_dma(sgl->Elements[0].Address.QuadPart, 256, true));
	cfg_put(a, sgl, m, false);
	cfg_pages_check_put(test, &p, 0x5a, 0xc3, 256);
	a->DmaOperations->PutDmaAdapter(a);
}

/*
 * With bounce buffering the device writes a bounce slot: the driver's page
 * has the data only once PutScatterGatherList copied it back (which is why
 * a driver must put the list before it reads what a device wrote); without
 * bouncing it is there as soon as the device is done.
 */
static void dma_config_data_before_put_unless_bounced(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = cfg_adapter(test, &pdo);
	PSCATTER_GATHER_LIST sgl;
	struct cfg_pages p;
	PMDL m;

	cfg_pages_get(test, &p, 0x96, 0x11, 512);
	sgl = cfg_get(test, a, pdo, p.src, 512, true, &m);
	if (config_is("swiotlb"))
		KUNIT_EXPECT_NE(test, (u64)sgl->Elements[0].Address.QuadPart, (u64)virt_to_phys(p.src));
	KUNIT_EXPECT_TRUE(test, cfg_edu_dma(sgl->Elements[0].Address.QuadPart, 512, false));
	cfg_put(a, sgl, m, true);

	sgl = cfg_get(test, a, pdo, p.dst, 512, false, &m);
	KUNIT_EXPECT_TRUE(test, cfg_edu_dma(sgl->Elements[0].Address.QuadPart, 512, true));
	/* The device is done, the list not yet put. */
	if (config_is("swiotlb"))
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(p.dst, 0x11, PAGE_SIZE),
				      "the device's data reached the page before PutScatterGatherList");
	else
		KUNIT_EXPECT_TRUE_MSG(test, !memchr_inv(p.dst, 0x96, 512),
				      "without bouncing the device writes the page itself");
	cfg_put(a, sgl, m, false);
	cfg_pages_check_put(test, &p, 0x96, 0x11, 512);
	a->DmaOperations->PutDmaAdapter(a);
}

#ifdef CONFIG_FAULT_INJECTION
/*
 * Every slab and page allocation of this thread failing (failslab and
 * fail_page_alloc, task-filtered: kunit-init.sh): IoGetDmaAdapter returns
 * NULL, AllocateCommonBuffer NULL, a list beyond the adapter's preallocated
 * blocks STATUS_INSUFFICIENT_RESOURCES without calling the execution
 * routine; a small list comes from the preallocated blocks and needs no
 * allocation at all, except behind the IOMMU, whose IOVA allocation may
 * fail too (then cleanly). Nothing leaks (the suite's leak check and the
 * adapter/list/buffer counts).
 */
static void dma_config_every_allocation_fails_cleanly(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = cfg_adapter(test, &pdo), b;
	DEVICE_DESCRIPTION d = {
		.Version = DEVICE_DESCRIPTION_VERSION3, .Master = TRUE, .ScatterGather = TRUE,
		.Dma32BitAddresses = TRUE, .DmaAddressWidth = 32, .InterfaceType = PCIBus,
		.MaximumLength = 0x40000,
	};
	SIZE_T adapters0, lists0, buffers0, adapters, lists, buffers;
	struct cfg_seen small = {}, big = {};
	PHYSICAL_ADDRESS logical = { .QuadPart = 0x1234 };
	NTSTATUS st_small, st_big;
	PVOID common;
	ULONG regs = 0;
	u8 *buf;
	PMDL m;

	buf = vmalloc(20 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	m = locked_mdl(test, buf, 20 * PAGE_SIZE);
	MmshimDmaUsage(&adapters0, &lists0, &buffers0);

	current->make_it_fail = true;
	b = IoGetDmaAdapter(pdo, &d, &regs);
	common = a->DmaOperations->AllocateCommonBuffer(a, PAGE_SIZE, &logical, TRUE);
	st_big = a->DmaOperations->GetScatterGatherList(a, pdo, m, buf, 20 * PAGE_SIZE, cfg_record, &big, TRUE);
	st_small = a->DmaOperations->GetScatterGatherList(a, pdo, m, buf, PAGE_SIZE, cfg_record, &small, TRUE);
	current->make_it_fail = false;

	KUNIT_EXPECT_NULL(test, b);
	KUNIT_EXPECT_NULL(test, common);
	KUNIT_EXPECT_EQ(test, st_big, STATUS_INSUFFICIENT_RESOURCES);
	KUNIT_EXPECT_EQ(test, big.calls, 0);
	if (config_is("iommu")) {
		KUNIT_EXPECT_TRUE(test, st_small == STATUS_SUCCESS || st_small == STATUS_INSUFFICIENT_RESOURCES);
	} else {
		KUNIT_EXPECT_EQ_MSG(test, st_small, STATUS_SUCCESS,
				    "a one-page list needs no allocation (preallocated block)");
	}
	KUNIT_EXPECT_EQ(test, small.calls, st_small == STATUS_SUCCESS ? 1 : 0);
	if (st_small == STATUS_SUCCESS)
		a->DmaOperations->PutScatterGatherList(a, small.sgl, TRUE);
	MmshimDmaUsage(&adapters, &lists, &buffers);
	KUNIT_EXPECT_EQ(test, adapters, adapters0);
	KUNIT_EXPECT_EQ(test, lists, lists0);
	KUNIT_EXPECT_EQ(test, buffers, buffers0);
	release_mdl(m);
	vfree(buf);
	a->DmaOperations->PutDmaAdapter(a);
}
#endif

/*
 * Behind the IOMMU a common buffer's bus address is an IOVA allocated below
 * the mask, wherever its pages are: an AllocateCommonBufferEx maximum of 30
 * bits is always met there. Without an IOMMU it depends on where RAM is
 * (arm64 virt has none below 1 GiB): then the call may also fail cleanly.
 * Whatever it returns lies below the maximum and the device reaches it.
 */
static void dma_config_common_buffer_below_30_bits(struct kunit *test)
{
	PDEVICE_OBJECT pdo;
	PDMA_ADAPTER a = cfg_adapter(test, &pdo);
	PHYSICAL_ADDRESS max, src_la = {}, la = {};
	u8 *src, *b;
	u32 i, bad = 0;

	max.QuadPart = 0x3fffffffLL;
	EXPECT_NO_REPORT(test, b = a->DmaOperations->AllocateCommonBufferEx(a, &max, 3000, &la, TRUE, MM_ANY_NODE_OK));
	if (!b && !config_is("iommu")) {
		kunit_info(test, "no memory below 1 GiB for the device without an IOMMU (%s)", dma_config);
		EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
		return;
	}
	KUNIT_ASSERT_NOT_NULL_MSG(test, b, "behind the IOMMU a 30-bit maximum is always met");
	KUNIT_EXPECT_LE(test, (u64)la.QuadPart + 2999, 0x3fffffffULL);
	src = a->DmaOperations->AllocateCommonBuffer(a, 3000, &src_la, TRUE);
	KUNIT_ASSERT_NOT_NULL(test, src);
	for (i = 0; i < 3000; i++)
		src[i] = (u8)(0x5a + i * 13);
	memset(b, 0, 3000);
	KUNIT_ASSERT_TRUE(test, cfg_edu_dma(src_la.QuadPart, 3000, false));
	KUNIT_ASSERT_TRUE(test, cfg_edu_dma(la.QuadPart, 3000, true));
	for (i = 0; i < 3000; i++)
		bad += b[i] != (u8)(0x5a + i * 13);
	KUNIT_EXPECT_EQ(test, bad, 0U);
	EXPECT_NO_REPORT(test, a->DmaOperations->FreeCommonBuffer(a, 3000, la, b, TRUE));
	EXPECT_NO_REPORT(test, a->DmaOperations->FreeCommonBuffer(a, 3000, src_la, src, TRUE));
	EXPECT_NO_REPORT(test, a->DmaOperations->PutDmaAdapter(a));
}

static struct kunit_case dma_config_cases[] = {
	KUNIT_CASE(dma_config_is_in_effect),
	KUNIT_CASE(dma_config_physical_address_blocked_by_iommu),
	KUNIT_CASE(dma_config_data_before_put_unless_bounced),
	KUNIT_CASE(dma_config_common_buffer_below_30_bits),
#ifdef CONFIG_FAULT_INJECTION
	KUNIT_CASE(dma_config_every_allocation_fails_cleanly),
#endif
	{}
};

static struct kunit_suite dma_config_suite = {
	.name = "mmshim_dma_config",
	.init = mmshim_dma_test_init,
	.exit = mmshim_test_exit,
	MMSHIM_SUITE_HOOKS(dma_config_suite)
	.test_cases = dma_config_cases,
};
mmshim_kunit_suite_with_hooks(dma_config_suite);
