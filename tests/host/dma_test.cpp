// SPDX-License-Identifier: GPL-2.0
// dma_test.cpp - DMA adapters over MDLs (src/core/dma.cpp, docs/dma.md)
// against the fake DMA platform (fake_dma.cpp): device objects,
// IoGetDmaAdapter's DEVICE_DESCRIPTION handling, scatter/gather lists over
// MDLs and MDL chains, common buffers, DISPATCH_LEVEL memory, every
// verifier check, failure injection, and release at unload.
#include "test_support.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "dma_header_check.h"
#include "fake_dma.h"
#include "fake_physmem.h"

using namespace mmshim_test;
using uptr = ULONG_PTR;

namespace {

// What an execution routine was called with.
struct Seen {
	int calls = 0;
	PDEVICE_OBJECT pdo = nullptr;
	PIRP irp = reinterpret_cast<PIRP>(1);
	PSCATTER_GATHER_LIST sgl = nullptr;
	std::vector<std::pair<unsigned long long, ULONG>> elements;
};

VOID Record(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather, PVOID Context)
{
	auto *s = static_cast<Seen *>(Context);
	s->calls++;
	s->pdo = DeviceObject;
	s->irp = Irp;
	s->sgl = ScatterGather;
	s->elements.clear();
	for (ULONG i = 0; i < ScatterGather->NumberOfElements; i++)
		s->elements.push_back({static_cast<unsigned long long>(ScatterGather->Elements[i].Address.QuadPart),
				       ScatterGather->Elements[i].Length});
}

class DmaTest : public CoreTest {
protected:
	void SetUp() override
	{
		CoreTest::SetUp();
		fake::dma_reset();
		fake::set_kernel_space_start(0x0000800000000000ULL);
		fake::map_direct(kKernel, 64 * 4096, kPfn);
		fake::map_vmalloc(kVmalloc, {0x900, 0x700, 0x701, 0x500});
		pdo_ = static_cast<PDEVICE_OBJECT>(mmshim_core_dma_device_object(&dev_, nullptr));
		ASSERT_NE(pdo_, nullptr);
	}
	void TearDown() override
	{
		CoreTest::TearDown();
		EXPECT_TRUE(fake::dma_mappings().empty()) << "mmshim_core_exit left DMA mappings";
		EXPECT_TRUE(fake::dma_ranges().empty()) << "mmshim_core_exit left MapTransfer mappings";
		EXPECT_EQ(fake::dma_live_coherent(), 0u) << "mmshim_core_exit left common buffers";
		EXPECT_EQ(fake::dma_device_refs(&dev_), 0) << "mmshim_core_exit left device references";
		fake::dma_reset();
	}

	static DEVICE_DESCRIPTION Desc(ULONG max = 0x100000)
	{
		DEVICE_DESCRIPTION d;
		std::memset(&d, 0, sizeof(d));
		d.Version = DEVICE_DESCRIPTION_VERSION3;
		d.Master = TRUE;
		d.ScatterGather = TRUE;
		d.Dma64BitAddresses = TRUE;
		d.InterfaceType = PCIBus;
		d.MaximumLength = max;
		return d;
	}
	PDMA_ADAPTER Adapter(ULONG max = 0x100000)
	{
		DEVICE_DESCRIPTION d = Desc(max);
		ULONG regs = 0;
		PDMA_ADAPTER a = IoGetDmaAdapter(pdo_, &d, &regs);
		EXPECT_NE(a, nullptr);
		return a;
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
	static DMA_OPERATIONS *Ops(PDMA_ADAPTER a) { return a->DmaOperations; }
	// PutDmaAdapter with nothing outstanding: no report.
	static void PutClean(PDMA_ADAPTER a) { EXPECT_NO_REPORT(Ops(a)->PutDmaAdapter(a)); }

	static constexpr uptr kKernel = 0xffff888000100000ULL;
	static constexpr unsigned long long kPfn = 0x100;
	static constexpr uptr kVmalloc = 0xffffc90000200000ULL;
	int dev_ = 0; // stands for a struct device
	PDEVICE_OBJECT pdo_ = nullptr;
};

TEST_F(DmaTest, HeaderLayoutsInC)
{
	dma_header_values v{};
	ASSERT_GT(mmshim_dma_header_check(&v), 0);
	EXPECT_EQ(v.sizeof_device_description, 64u);
	EXPECT_EQ(v.offsetof_max_length, 32u);
	EXPECT_EQ(v.offsetof_device_address, 56u);
	EXPECT_EQ(v.sizeof_dma_adapter, 16u);
	EXPECT_EQ(v.sizeof_dma_operations, 0x140u);
	EXPECT_EQ(v.offsetof_get_sgl, 0x58u);
	EXPECT_EQ(v.sizeof_sge, 24u);
	EXPECT_EQ(v.offsetof_elements, 16u);
	EXPECT_EQ(v.prototypes, 1);
}

TEST_F(DmaTest, DeviceObjectIsOnePerDevice)
{
	int other = 0;
	EXPECT_EQ(mmshim_core_dma_device_object(&dev_, nullptr), static_cast<void *>(pdo_));
	void *p2 = mmshim_core_dma_device_object(&other, nullptr);
	EXPECT_NE(p2, nullptr);
	EXPECT_NE(p2, static_cast<void *>(pdo_));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(mmshim_core_dma_device_object(nullptr, nullptr), nullptr));
}

TEST_F(DmaTest, AdapterFromADescription)
{
	DEVICE_DESCRIPTION d = Desc(0x10000);
	d.Version = DEVICE_DESCRIPTION_VERSION2; // version 3's table: V3Test
	ULONG regs = 0;
	PDMA_ADAPTER a;
	EXPECT_NO_REPORT(a = IoGetDmaAdapter(pdo_, &d, &regs));
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(regs, 17u); // 16 pages, plus one for an unaligned start
	EXPECT_EQ(a->Size, sizeof(DMA_ADAPTER));
	EXPECT_EQ(fake::dma_mask_bits(&dev_), 64u);
	EXPECT_EQ(fake::dma_device_refs(&dev_), 1);
	DMA_OPERATIONS *ops = Ops(a);
	EXPECT_EQ(ops->Size, offsetof(DMA_OPERATIONS, BuildMdlFromScatterGatherList));
	EXPECT_NE(ops->PutDmaAdapter, nullptr);
	EXPECT_NE(ops->AllocateCommonBuffer, nullptr);
	EXPECT_NE(ops->FreeCommonBuffer, nullptr);
	EXPECT_NE(ops->GetDmaAlignment, nullptr);
	EXPECT_NE(ops->GetScatterGatherList, nullptr);
	EXPECT_NE(ops->PutScatterGatherList, nullptr);
	EXPECT_NE(ops->CalculateScatterGatherList, nullptr);
	EXPECT_NE(ops->BuildScatterGatherList, nullptr);
	EXPECT_NE(ops->AllocateAdapterChannel, nullptr);
	EXPECT_NE(ops->FlushAdapterBuffers, nullptr);
	EXPECT_NE(ops->FreeAdapterChannel, nullptr);
	EXPECT_NE(ops->FreeMapRegisters, nullptr);
	EXPECT_NE(ops->MapTransfer, nullptr);
	// Not implemented: NULL, never a silent no-op.
	EXPECT_EQ(ops->ReadDmaCounter, nullptr);
	EXPECT_EQ(ops->BuildMdlFromScatterGatherList, nullptr);
	EXPECT_EQ(ops->GetDmaAdapterInfo, nullptr);
	EXPECT_EQ(ops->AllocateCommonBufferEx, nullptr);
	EXPECT_EQ(ops->CreateCommonBufferFromMdl, nullptr);
	EXPECT_EQ(ops->GetDmaAlignment(a), 64u);
	EXPECT_NO_REPORT(ops->PutDmaAdapter(a));
	EXPECT_EQ(fake::dma_device_refs(&dev_), 0);
}

TEST_F(DmaTest, AddressWidthSetsTheMask)
{
	struct Case {
		ULONG version;
		BOOLEAN dma32, dma64;
		ULONG width;
		unsigned bits;
	} cases[] = {
		{DEVICE_DESCRIPTION_VERSION3, FALSE, TRUE, 40, 40}, // DmaAddressWidth wins
		{DEVICE_DESCRIPTION_VERSION3, FALSE, TRUE, 0, 64},
		{DEVICE_DESCRIPTION_VERSION2, FALSE, TRUE, 40, 64}, // width only from version 3
		{DEVICE_DESCRIPTION_VERSION1, TRUE, FALSE, 0, 32},
		{DEVICE_DESCRIPTION_VERSION, FALSE, FALSE, 0, 32},  // bus-master default
		{DEVICE_DESCRIPTION_VERSION3, FALSE, FALSE, 28, 28},
	};
	for (const Case &c : cases) {
		DEVICE_DESCRIPTION d = Desc();
		d.Version = c.version;
		d.Dma32BitAddresses = c.dma32;
		d.Dma64BitAddresses = c.dma64;
		d.DmaAddressWidth = c.width;
		ULONG regs = 0;
		PDMA_ADAPTER a = IoGetDmaAdapter(pdo_, &d, &regs);
		ASSERT_NE(a, nullptr);
		EXPECT_EQ(fake::dma_mask_bits(&dev_), c.bits) << "version " << c.version << " width " << c.width;
		PutClean(a);
	}
}

TEST_F(DmaTest, WhatCannotBeHonouredIsRefused)
{
	ULONG regs = 0;
	DEVICE_DESCRIPTION d = Desc();
	d.Master = FALSE;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	d = Desc();
	d.InterfaceType = Isa;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	d = Desc();
	d.DmaAddressWidth = 16;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	d = Desc();
	d.Version = 4;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	d = Desc(0);
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH, EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	// The platform cannot address the device with 32 bits.
	fake::dma_refuse_masks_below(40);
	d = Desc();
	d.Dma64BitAddresses = FALSE;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED, EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	// A device object that is not mmshim's, and NULL arguments.
	int foreign[8] = {};
	d = Desc();
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      EXPECT_EQ(IoGetDmaAdapter(reinterpret_cast<PDEVICE_OBJECT>(foreign), &d, &regs), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(IoGetDmaAdapter(pdo_, nullptr, &regs), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, nullptr), nullptr));
	EXPECT_EQ(fake::dma_device_refs(&dev_), 0);
	SIZE_T adapters = 9;
	MmshimDmaUsage(&adapters, nullptr, nullptr);
	EXPECT_EQ(adapters, 0u);
}

TEST_F(DmaTest, ScatterGatherListOfALockedMdl)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel + 0x30, 3 * 4096);
	uptr start = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m));
	Seen seen;
	// From 0x100 into the MDL, 0x1800 bytes: the rest of page 0 (from 0x130), then page 1.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, reinterpret_cast<PVOID>(start + 0x100),
								0x1800, Record, &seen, TRUE),
				   STATUS_SUCCESS));
	ASSERT_EQ(seen.calls, 1);
	EXPECT_EQ(seen.pdo, pdo_);
	EXPECT_EQ(seen.irp, nullptr);
	ASSERT_EQ(seen.elements.size(), 2u);
	EXPECT_EQ(seen.elements[0].first, fake::iova(kPfn, 0x130));
	EXPECT_EQ(seen.elements[0].second, 0x1000u - 0x130);
	EXPECT_EQ(seen.elements[1].first, fake::iova(kPfn + 1, 0));
	EXPECT_EQ(seen.elements[1].second, 0x1800u - (0x1000 - 0x130));
	// Bus addresses, not the PFN array's physical addresses.
	EXPECT_NE(seen.elements[0].first, (kPfn << 12) + 0x130);
	ASSERT_EQ(fake::dma_mappings().size(), 1u);
	EXPECT_TRUE(fake::dma_mappings()[0].to_device);
	SIZE_T lists = 0;
	MmshimDmaUsage(nullptr, &lists, nullptr);
	EXPECT_EQ(lists, 1u);
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE));
	EXPECT_TRUE(fake::dma_mappings().empty());
	MmshimDmaUsage(nullptr, &lists, nullptr);
	EXPECT_EQ(lists, 0u);
	Release(m);
	PutClean(a);
}

TEST_F(DmaTest, ScatteredPagesAndMergingByTheIommu)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kVmalloc, 4 * 4096); // frames 0x900 0x700 0x701 0x500
	Seen seen;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 4 * 4096, Record, &seen, FALSE),
		  STATUS_SUCCESS);
	ASSERT_EQ(seen.elements.size(), 4u);
	EXPECT_EQ(seen.elements[1].first, fake::iova(0x700, 0));
	EXPECT_EQ(seen.elements[2].first, fake::iova(0x701, 0));
	EXPECT_FALSE(fake::dma_mappings()[0].to_device);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);
	fake::dma_merge(true);
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 4 * 4096, Record, &seen, FALSE),
		  STATUS_SUCCESS);
	ASSERT_EQ(seen.elements.size(), 3u);
	EXPECT_EQ(seen.elements[1].first, fake::iova(0x700, 0));
	EXPECT_EQ(seen.elements[1].second, 0x2000u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);
	Release(m);
	PutClean(a);
}

TEST_F(DmaTest, TransferRunsThroughAnMdlChain)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m1 = Locked(kKernel + 0x800, 0x1000);         // frames kPfn, kPfn+1
	PMDL m2 = Locked(kKernel + 10 * 4096 + 0x10, 0x100); // frame kPfn+10
	m1->Next = m2;
	Seen seen;
	const uptr cur = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m1)) + 0x400;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m1, reinterpret_cast<PVOID>(cur), 0xC00 + 0x80, Record, &seen,
					       TRUE),
		  STATUS_SUCCESS);
	ASSERT_EQ(seen.elements.size(), 3u);
	EXPECT_EQ(seen.elements[0].first, fake::iova(kPfn, 0xC00));
	EXPECT_EQ(seen.elements[0].second, 0x400u);
	EXPECT_EQ(seen.elements[1].first, fake::iova(kPfn + 1, 0));
	EXPECT_EQ(seen.elements[1].second, 0x800u);
	EXPECT_EQ(seen.elements[2].first, fake::iova(kPfn + 10, 0x10));
	EXPECT_EQ(seen.elements[2].second, 0x80u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	// One byte more than the chain holds from CurrentVa.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_TOO_LONG,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m1, reinterpret_cast<PVOID>(cur), 0xC00 + 0x101,
							     Record, &seen, TRUE),
				STATUS_BUFFER_TOO_SMALL));
	m1->Next = nullptr;
	Release(m1);
	Release(m2);
	PutClean(a);
	EXPECT_TRUE(fake::dma_mappings().empty());
}

TEST_F(DmaTest, PartialAndNonPagedPoolMdls)
{
	PDMA_ADAPTER a = Adapter();
	PMDL src = Locked(kKernel, 4 * 4096);
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 4096 + 0x200), 0x1000, FALSE, FALSE, nullptr);
	ASSERT_NE(part, nullptr);
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kKernel + 4096 + 0x200), 0x1000);
	Seen seen;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, part, MmGetMdlVirtualAddress(part), 0x1000, Record, &seen, TRUE),
		  STATUS_SUCCESS);
	ASSERT_EQ(seen.elements.size(), 2u);
	EXPECT_EQ(seen.elements[0].first, fake::iova(kPfn + 1, 0x200));
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	IoFreeMdl(part);
	Release(src);

	PMDL np = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 0x10), 0x20, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(np);
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, np, MmGetMdlVirtualAddress(np), 0x20, Record, &seen, FALSE),
		  STATUS_SUCCESS);
	ASSERT_EQ(seen.elements.size(), 1u);
	EXPECT_EQ(seen.elements[0].first, fake::iova(kPfn, 0x10));
	EXPECT_EQ(seen.elements[0].second, 0x20u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);
	IoFreeMdl(np);
	PutClean(a);
}

TEST_F(DmaTest, BadTransfersAreRefused)
{
	PDMA_ADAPTER a = Adapter(0x2000);
	PMDL m = Locked(kKernel, 4 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	Seen seen;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_OVER_MAXIMUM,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 0x2001, Record, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_CURRENT_VA,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, reinterpret_cast<PVOID>(kKernel + 4 * 4096),
							     0x10, Record, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_CURRENT_VA,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, reinterpret_cast<PVOID>(kKernel - 1), 0x10,
							     Record, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 0, Record, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 0x10, nullptr, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, nullptr, va, 0x10, Record, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	// An MDL nobody locked.
	PMDL raw = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_NOT_LOCKED,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, raw, MmGetMdlVirtualAddress(raw), 0x10, Record,
							     &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	IoFreeMdl(raw);
	// A frame that is device memory (no struct page).
	fake::add_io_pfn(kPfn + 2);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_NOT_RAM,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, reinterpret_cast<PVOID>(kKernel + 0x1800),
							     0x1000, Record, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	// A foreign adapter pointer.
	DMA_ADAPTER fake_adapter = *a;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_ADAPTER,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(&fake_adapter, pdo_, m, va, 0x10, Record, &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(seen.calls, 0);
	EXPECT_TRUE(fake::dma_mappings().empty());
	Release(m);
	PutClean(a);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_ADAPTER, fake_adapter.DmaOperations->PutDmaAdapter(a));
}

TEST_F(DmaTest, ListPutTwiceOrForeignIsReported)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 4096);
	Seen seen;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 0x100, Record, &seen, TRUE),
		  STATUS_SUCCESS);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_LISTS_FREED,
		      Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE));
	SCATTER_GATHER_LIST bogus{};
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_LISTS_FREED,
		      Ops(a)->PutScatterGatherList(a, &bogus, TRUE));
	// A list of another adapter.
	PDMA_ADAPTER b = Adapter();
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 0x100, Record, &seen, TRUE),
		  STATUS_SUCCESS);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_LISTS_FREED,
		      Ops(b)->PutScatterGatherList(b, seen.sgl, TRUE));
	EXPECT_EQ(fake::dma_mappings().size(), 1u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	Release(m);
	PutClean(a);
	PutClean(b);
}

TEST_F(DmaTest, AdapterPutWithListsAndBuffersOutstanding)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 64 * 4096);
	Seen small, large;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 0x100, Record, &small, TRUE),
		  STATUS_SUCCESS);
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 40 * 4096, Record, &large, FALSE),
		  STATUS_SUCCESS);
	PHYSICAL_ADDRESS la{};
	ASSERT_NE(Ops(a)->AllocateCommonBuffer(a, 8192, &la, TRUE), nullptr);
	EXPECT_EQ(fake::dma_mappings().size(), 2u);
	DMA_OPERATIONS *ops = Ops(a);
	const size_t first = fake::reports().size();
	ops->PutDmaAdapter(a);
	ASSERT_EQ(fake::reports().size(), first + 2) << DescribeSince(first);
	EXPECT_EQ(fake::reports()[first].code, DRIVER_VERIFIER_DMA_VIOLATION);
	EXPECT_EQ(fake::reports()[first].code_name, "DRIVER_VERIFIER_DMA_VIOLATION");
	EXPECT_EQ(fake::reports()[first].params[0], MMSHIM_DMA_ADAPTER_LISTS_OUTSTANDING);
	EXPECT_EQ(fake::reports()[first].params[2], 2u);
	EXPECT_EQ(fake::reports()[first + 1].params[0], MMSHIM_DMA_ADAPTER_BUFFERS_OUTSTANDING);
	EXPECT_EQ(fake::reports()[first + 1].params[2], 1u);
	EXPECT_TRUE(fake::dma_mappings().empty());
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	EXPECT_EQ(fake::dma_device_refs(&dev_), 0);
	// The lists died with the adapter: putting one now names a dead adapter.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_ADAPTER, ops->PutScatterGatherList(a, small.sgl, TRUE));
	Release(m);
}

TEST_F(DmaTest, CommonBuffers)
{
	PDMA_ADAPTER a = Adapter();
	PHYSICAL_ADDRESS la{};
	PVOID va = Ops(a)->AllocateCommonBuffer(a, 5000, &la, FALSE);
	ASSERT_NE(va, nullptr);
	EXPECT_NE(la.QuadPart, 0);
	std::memset(va, 0x5c, 5000); // the whole length is usable
	SIZE_T buffers = 0;
	MmshimDmaUsage(nullptr, nullptr, &buffers);
	EXPECT_EQ(buffers, 1u);
	// Wrong length, wrong logical address: refused, still allocated.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_COMMON_BUFFER_MISMATCH,
		      Ops(a)->FreeCommonBuffer(a, 4096, la, va, FALSE));
	PHYSICAL_ADDRESS other = la;
	other.QuadPart += 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_COMMON_BUFFER_MISMATCH,
		      Ops(a)->FreeCommonBuffer(a, 5000, other, va, FALSE));
	EXPECT_EQ(fake::dma_live_coherent(), 1u);
	EXPECT_NO_REPORT(Ops(a)->FreeCommonBuffer(a, 5000, la, va, FALSE));
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_BUFFERS_FREED,
		      Ops(a)->FreeCommonBuffer(a, 5000, la, va, FALSE));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH,
		      EXPECT_EQ(Ops(a)->AllocateCommonBuffer(a, 0, &la, FALSE), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->AllocateCommonBuffer(a, 16, nullptr, FALSE), nullptr));
	// Failures leave nothing behind.
	fake::dma_fail_coherent(1);
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateCommonBuffer(a, 16, &la, FALSE), nullptr));
	fake::fail_next_allocs(1);
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateCommonBuffer(a, 16, &la, FALSE), nullptr));
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	PutClean(a);
}

TEST_F(DmaTest, DispatchLevelNeverSleeps)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 64 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	fake::set_may_sleep(false);
	// Small lists come from the adapter's preallocated blocks: no allocation.
	const unsigned long allocs = fake::alloc_calls();
	Seen s[5];
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 16 * 4096, Record, &s[i], TRUE), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), allocs);
	// The fifth, and a large one, allocate atomically.
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 4096, Record, &s[4], TRUE), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), allocs + 1);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	Seen big;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 60 * 4096, Record, &big, TRUE), STATUS_SUCCESS);
	EXPECT_TRUE(fake::last_alloc_flags() & MMSHIM_ALLOC_ATOMIC);
	EXPECT_EQ(big.elements.size(), 60u);
	// Allocation failure at DISPATCH_LEVEL: a clean failure.
	fake::fail_next_allocs(1);
	Seen none;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 60 * 4096, Record, &none, TRUE),
				   STATUS_INSUFFICIENT_RESOURCES));
	EXPECT_EQ(none.calls, 0);
	for (auto &x : s)
		Ops(a)->PutScatterGatherList(a, x.sgl, TRUE);
	Ops(a)->PutScatterGatherList(a, big.sgl, TRUE);
	// The large block comes back as the adapter's spare: the next large list
	// no larger than it allocates nothing; a larger one allocates again.
	const unsigned long before_big = fake::alloc_calls();
	Seen again, larger;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 50 * 4096, Record, &again, TRUE), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), before_big);
	EXPECT_EQ(again.elements.size(), 50u);
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 62 * 4096, Record, &larger, TRUE), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), before_big + 1);
	EXPECT_EQ(larger.elements.size(), 62u);
	Ops(a)->PutScatterGatherList(a, again.sgl, TRUE);
	Ops(a)->PutScatterGatherList(a, larger.sgl, TRUE);
	// Routines that may sleep are refused here.
	PHYSICAL_ADDRESS la{};
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      EXPECT_EQ(Ops(a)->AllocateCommonBuffer(a, 64, &la, TRUE), nullptr));
	DEVICE_DESCRIPTION d = Desc();
	ULONG regs;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, Ops(a)->PutDmaAdapter(a));
	fake::set_may_sleep(true);
	EXPECT_TRUE(fake::dma_mappings().empty());
	Release(m);
	PutClean(a);
}

TEST_F(DmaTest, MappingFailureReturnsTheBlock)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 64 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	Seen seen;
	for (int i = 0; i < 6; i++) {
		fake::dma_fail_maps(1);
		EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 4096, Record, &seen, TRUE),
					   STATUS_INSUFFICIENT_RESOURCES));
	}
	fake::dma_fail_maps(1);
	EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 40 * 4096, Record, &seen, TRUE),
		  STATUS_INSUFFICIENT_RESOURCES);
	EXPECT_EQ(seen.calls, 0);
	SIZE_T lists = 1;
	MmshimDmaUsage(nullptr, &lists, nullptr);
	EXPECT_EQ(lists, 0u);
	// All four preallocated blocks are still there.
	fake::set_may_sleep(false);
	const unsigned long allocs = fake::alloc_calls();
	Seen s[4];
	for (auto &x : s)
		ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 4096, Record, &x, TRUE), STATUS_SUCCESS);
	EXPECT_EQ(fake::alloc_calls(), allocs);
	for (auto &x : s)
		Ops(a)->PutScatterGatherList(a, x.sgl, TRUE);
	fake::set_may_sleep(true);
	// IoGetDmaAdapter out of memory.
	fake::fail_next_allocs(1);
	DEVICE_DESCRIPTION d = Desc();
	ULONG regs;
	EXPECT_NO_REPORT(EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	EXPECT_EQ(fake::dma_device_refs(&dev_), 1); // only a's
	Release(m);
	PutClean(a);
}

TEST_F(DmaTest, BuildScatterGatherListUsesTheCallersBuffer)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel + 0x10, 8 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	ULONG size = 0, regs = 0;
	ASSERT_EQ(Ops(a)->CalculateScatterGatherList(a, m, va, 8 * 4096, &size, &regs), STATUS_SUCCESS);
	EXPECT_EQ(regs, 9u);
	ULONG size_no_mdl = 0;
	ASSERT_EQ(Ops(a)->CalculateScatterGatherList(a, nullptr, va, 8 * 4096, &size_no_mdl, nullptr), STATUS_SUCCESS);
	EXPECT_EQ(size_no_mdl, size);
	std::vector<unsigned long long> buffer(size / 8 + 1);
	Seen seen;
	EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, m, va, 8 * 4096, Record, &seen, TRUE, buffer.data(), size - 8),
		  STATUS_BUFFER_TOO_SMALL);
	EXPECT_EQ(seen.calls, 0);
	fake::set_may_sleep(false);
	const unsigned long allocs = fake::alloc_calls();
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, m, va, 8 * 4096, Record, &seen, TRUE,
								  buffer.data(), size),
				   STATUS_SUCCESS));
	EXPECT_EQ(fake::alloc_calls(), allocs);
	EXPECT_EQ(static_cast<void *>(seen.sgl), static_cast<void *>(buffer.data()));
	EXPECT_EQ(seen.elements.size(), 9u);
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE));
	fake::set_may_sleep(true);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ALIGNMENT_ARGUMENT,
		      EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, m, va, 0x100, Record, &seen, TRUE,
							       reinterpret_cast<char *>(buffer.data()) + 4, size),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, m, va, 0x100, Record, &seen, TRUE, nullptr, size),
				STATUS_INVALID_PARAMETER));
	EXPECT_TRUE(fake::dma_mappings().empty());
	Release(m);
	PutClean(a);
}

// Adapters are found without a lock through a fixed set of 256 slots;
// more live adapters than that, and slots freed and reused, still find
// exactly the live ones, and a put adapter is reported as such.
TEST_F(DmaTest, ManyAdaptersAreFoundAndPutOnesAreNot)
{
	auto info_of = [](PDMA_ADAPTER caller_ops, PDMA_ADAPTER a) {
		DMA_ADAPTER_INFO info{};
		info.Version = DMA_ADAPTER_INFO_VERSION1;
		return Ops(caller_ops)->GetDmaAdapterInfo(a, &info);
	};
	std::vector<PDMA_ADAPTER> live;
	for (int i = 0; i < 300; i++) {
		live.push_back(Adapter());
		ASSERT_NE(live.back(), nullptr);
	}
	for (PDMA_ADAPTER a : live)
		EXPECT_NO_REPORT(EXPECT_EQ(info_of(a, a), STATUS_SUCCESS));
	// Put every other one (their slots become reusable), then make more.
	std::vector<PDMA_ADAPTER> put;
	for (size_t i = 0; i < live.size(); i += 2) {
		PutClean(live[i]);
		put.push_back(live[i]);
		live[i] = nullptr;
	}
	for (int i = 0; i < 100; i++)
		live.push_back(Adapter());
	for (PDMA_ADAPTER a : live) {
		if (a) {
			EXPECT_NO_REPORT(EXPECT_EQ(info_of(a, a), STATUS_SUCCESS));
		}
	}
	// A put adapter whose address no new adapter took is refused.
	int refused = 0;
	for (PDMA_ADAPTER p : put) {
		if (std::find(live.begin(), live.end(), p) != live.end())
			continue;
		EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_ADAPTER,
			      EXPECT_EQ(info_of(live[1], p), STATUS_INVALID_PARAMETER));
		refused++;
	}
	EXPECT_GT(refused, 0);
	for (PDMA_ADAPTER a : live) {
		if (a) {
			PutClean(a);
		}
	}
	SIZE_T adapters = 1;
	MmshimDmaUsage(&adapters, nullptr, nullptr);
	EXPECT_EQ(adapters, 0u);
}

// BuildScatterGatherList keeps mmshim's record of the list (with the links
// of its tables) in the driver's buffer until PutScatterGatherList, as
// Windows keeps the HAL's. Building into the buffer of a list not put yet,
// and ExFreePool of that buffer, would rewrite or free those links: both
// are refused, and the live list still puts cleanly.
TEST_F(DmaTest, BuildBufferOfALiveListIsNotReusedOrFreed)
{
	fake::set_kernel_space_start(0); // the host's heap stands for kernel pool
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel + 0x10, 2 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	ULONG size = 0;
	ASSERT_EQ(Ops(a)->CalculateScatterGatherList(a, m, va, 2 * 4096, &size, nullptr), STATUS_SUCCESS);
	constexpr ULONG kTag = Tag("SgBf");
	PVOID buf = ExAllocatePoolWithTag(NonPagedPoolNx, size, kTag);
	ASSERT_NE(buf, nullptr);
	const SIZE_T blocks = PoolBlocks();
	Seen seen;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, m, va, 2 * 4096, Record, &seen, TRUE, buf,
								  size),
				   STATUS_SUCCESS));
	ASSERT_EQ(seen.calls, 1);
	PSCATTER_GATHER_LIST live = seen.sgl;
	Seen again;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_LIST_BUFFER_IN_USE,
		      EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, m, va, 4096, Record, &again, FALSE, buf, size),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(again.calls, 0);
	EXPECT_EQ(fake::dma_mappings().size(), 1u);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_LIST_BUFFER_IN_USE, ExFreePoolWithTag(buf, kTag));
	EXPECT_EQ(PoolBlocks(), blocks); // still allocated
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, live, TRUE));
	EXPECT_TRUE(fake::dma_mappings().empty());
	// Put: the buffer is the driver's again.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, m, va, 4096, Record, &again, FALSE, buf,
								  size),
				   STATUS_SUCCESS));
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, again.sgl, FALSE));
	EXPECT_NO_REPORT(ExFreePoolWithTag(buf, kTag));
	EXPECT_EQ(PoolBlocks(), blocks - 1);
	Release(m);
	PutClean(a);
}

TEST_F(DmaTest, UnloadReleasesWhatDriversLeft)
{
	AllowLeaks();
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 4096);
	Seen seen;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 0x100, Record, &seen, TRUE),
		  STATUS_SUCCESS);
	PHYSICAL_ADDRESS la{};
	ASSERT_NE(Ops(a)->AllocateCommonBuffer(a, 100, &la, TRUE), nullptr);
	// Still mapped by the list: both refused, both left to unload.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(m));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, IoFreeMdl(m));
	const size_t first = fake::reports().size();
	mmshim_core_exit();
	bool saw = false;
	for (size_t i = first; i < fake::reports().size(); i++)
		saw |= fake::reports()[i].code == DRIVER_VERIFIER_DMA_VIOLATION &&
		       fake::reports()[i].params[0] == MMSHIM_DMA_ADAPTER_LEAKED_AT_UNLOAD &&
		       fake::reports()[i].params[1] == 1;
	EXPECT_TRUE(saw) << DescribeSince(first);
	EXPECT_TRUE(fake::dma_mappings().empty());
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	EXPECT_EQ(fake::dma_device_refs(&dev_), 0);
	EXPECT_EQ(fake::live_allocs(), 0u);
}


// ---- packet-based DMA --------------------------------------------------

// What an adapter-control execution routine was called with, and what it
// returns.
struct Control {
	int calls = 0;
	PDEVICE_OBJECT pdo = nullptr;
	PIRP irp = reinterpret_cast<PIRP>(1);
	PVOID base = nullptr;
	IO_ALLOCATION_ACTION action = KeepObject;
	KIRQL irql = HIGH_LEVEL; // at the last call
	int order = 0;           // value of g_order at the last call
};
int g_order = 0;

IO_ALLOCATION_ACTION Controlled(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID MapRegisterBase, PVOID Context)
{
	auto *c = static_cast<Control *>(Context);
	c->calls++;
	c->pdo = DeviceObject;
	c->irp = Irp;
	c->base = MapRegisterBase;
	c->irql = KeGetCurrentIrql();
	c->order = ++g_order;
	return c->action;
}

class PacketTest : public DmaTest {
protected:
	static constexpr int kDevs = 9; // one more device than an adapter queues
	PDMA_ADAPTER NonSg(ULONG max = 0x10000, ULONG *granted = nullptr)
	{
		DEVICE_DESCRIPTION d = Desc(max);
		d.ScatterGather = FALSE;
		ULONG regs = 0;
		PDMA_ADAPTER a = IoGetDmaAdapter(pdo_, &d, &regs);
		EXPECT_NE(a, nullptr);
		if (granted)
			*granted = regs;
		return a;
	}
	// AllocateAdapterChannel that must succeed and call the routine once.
	PVOID Channel(PDMA_ADAPTER a, ULONG regs, IO_ALLOCATION_ACTION action = KeepObject)
	{
		Control c;
		c.action = action;
		EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, pdo_, regs, Controlled, &c), STATUS_SUCCESS));
		EXPECT_EQ(c.calls, 1);
		EXPECT_EQ(c.pdo, pdo_);
		EXPECT_EQ(c.irp, nullptr);
		EXPECT_NE(c.base, nullptr);
		return c.base;
	}
	static SIZE_T Usage(int which)
	{
		SIZE_T v[3] = {};
		MmshimDmaPacketUsage(&v[0], &v[1], &v[2]);
		return v[which];
	}
	static size_t CountSince(size_t first, ULONG code, ULONG_PTR p1)
	{
		size_t n = 0;
		for (size_t i = first; i < fake::reports().size(); i++)
			n += fake::reports()[i].code == code && fake::reports()[i].params[0] == p1;
		return n;
	}
	static void FillFrame(unsigned long long pfn, unsigned char seed)
	{
		for (unsigned i = 0; i < 4096; i++)
			fake::dma_frame(pfn)[i] = static_cast<unsigned char>(seed + i * 7 + (i >> 8));
	}
};

TEST_F(PacketTest, SlotsAreFilledAndCoveredBySize)
{
	PDMA_ADAPTER a = Adapter();
	DMA_OPERATIONS *o = Ops(a);
	EXPECT_NE(o->AllocateAdapterChannel, nullptr);
	EXPECT_NE(o->FlushAdapterBuffers, nullptr);
	EXPECT_NE(o->FreeAdapterChannel, nullptr);
	EXPECT_NE(o->FreeMapRegisters, nullptr);
	EXPECT_NE(o->MapTransfer, nullptr);
	EXPECT_EQ(o->ReadDmaCounter, nullptr);
	EXPECT_GE(o->Size, offsetof(DMA_OPERATIONS, MapTransfer) + sizeof(void *));
	EXPECT_GE(o->Size, offsetof(DMA_OPERATIONS, BuildScatterGatherList) + sizeof(void *));
	PutClean(a);
}

TEST_F(PacketTest, ScatterGatherMapTransferRunByRun)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kVmalloc, 4 * 4096); // frames 0x900 0x700 0x701 0x500
	const uptr start = reinterpret_cast<uptr>(MmGetMdlVirtualAddress(m));
	PVOID base = Channel(a, 5);
	EXPECT_EQ(Usage(0), 1u);
	EXPECT_EQ(Usage(1), 1u);
	// From 0x100: the rest of frame 0x900, then 0x700-0x701 in one run, then 0x500.
	uptr cur = start + 0x100;
	ULONG left = 4 * 4096 - 0x100;
	const unsigned long long want_bus[] = {fake::iova(0x900, 0x100), fake::iova(0x700, 0), fake::iova(0x500, 0)};
	const ULONG want_len[] = {0x1000 - 0x100, 0x2000, 0x1000};
	for (int i = 0; i < 3; i++) {
		ULONG len = left;
		PHYSICAL_ADDRESS p;
		EXPECT_NO_REPORT(p = Ops(a)->MapTransfer(a, m, base, reinterpret_cast<PVOID>(cur), &len, FALSE));
		EXPECT_EQ(static_cast<unsigned long long>(p.QuadPart), want_bus[i]) << i;
		EXPECT_EQ(len, want_len[i]) << i;
		cur += len;
		left -= len;
	}
	EXPECT_EQ(left, 0u);
	ASSERT_EQ(fake::dma_ranges().size(), 3u);
	EXPECT_EQ(fake::dma_ranges()[1].length, 0x2000u);
	EXPECT_FALSE(fake::dma_ranges()[1].to_device);
	EXPECT_EQ(Usage(2), 3u);
	// Bus addresses, not the PFN array's.
	EXPECT_NE(want_bus[0], (0x900ULL << 12) + 0x100);
	BOOLEAN ok = FALSE;
	EXPECT_NO_REPORT(ok = Ops(a)->FlushAdapterBuffers(a, m, base, reinterpret_cast<PVOID>(start + 0x100),
							  4 * 4096 - 0x100, FALSE));
	EXPECT_TRUE(ok);
	EXPECT_TRUE(fake::dma_ranges().empty());
	EXPECT_EQ(Usage(2), 0u);
	// The registers are free again: a second transfer of the same size.
	ULONG len = 4096;
	EXPECT_NO_REPORT(Ops(a)->MapTransfer(a, m, base, reinterpret_cast<PVOID>(start), &len, TRUE));
	EXPECT_EQ(len, 4096u);
	EXPECT_TRUE(fake::dma_ranges()[0].to_device);
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, reinterpret_cast<PVOID>(start), 4096, TRUE));
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterChannel(a));
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 0u);
	Release(m);
	PutClean(a);
}

TEST_F(PacketTest, ContiguousPagesAreOneRunAndRunsStopAtTheMdl)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m1 = Locked(kKernel + 0x800, 0x1800);  // frames kPfn, kPfn+1 (contiguous)
	PMDL m2 = Locked(kKernel + 2 * 4096, 0x1000); // frame kPfn+2: contiguous too, but another MDL
	m1->Next = m2;
	PVOID base = Channel(a, 3);
	ULONG len = 0x2800;
	PHYSICAL_ADDRESS p = Ops(a)->MapTransfer(a, m1, base, MmGetMdlVirtualAddress(m1), &len, TRUE);
	EXPECT_EQ(static_cast<unsigned long long>(p.QuadPart), fake::iova(kPfn, 0x800));
	EXPECT_EQ(len, 0x1800u);
	len = 0x1000;
	p = Ops(a)->MapTransfer(a, m2, base, MmGetMdlVirtualAddress(m2), &len, TRUE);
	EXPECT_EQ(static_cast<unsigned long long>(p.QuadPart), fake::iova(kPfn + 2, 0));
	EXPECT_EQ(len, 0x1000u);
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m1, base, MmGetMdlVirtualAddress(m1), 0x2800, TRUE));
	EXPECT_TRUE(fake::dma_ranges().empty());
	Ops(a)->FreeAdapterChannel(a);
	m1->Next = nullptr;
	Release(m1);
	Release(m2);
	PutClean(a);
}

TEST_F(PacketTest, AllocationActions)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 4 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	// DeallocateObject: both released when the routine returns.
	PVOID base = Channel(a, 2, DeallocateObject);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 0u);
	ULONG len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_MAP_REGISTER_BASE,
		      EXPECT_EQ(Ops(a)->MapTransfer(a, m, base, va, &len, TRUE).QuadPart, 0));
	EXPECT_EQ(len, 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_CHANNELS_FREED, Ops(a)->FreeAdapterChannel(a));
	// DeallocateObjectKeepRegisters: the channel is free, the registers held.
	base = Channel(a, 2, DeallocateObjectKeepRegisters);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 1u);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_CHANNELS_FREED, Ops(a)->FreeAdapterChannel(a));
	len = 2 * 4096;
	EXPECT_NO_REPORT(Ops(a)->MapTransfer(a, m, base, va, &len, TRUE));
	EXPECT_EQ(len, 2 * 4096u);
	// Another channel while these registers are held: queued, as on
	// Windows; its routine runs when FreeMapRegisters gives them back.
	Control c;
	c.action = DeallocateObjectKeepRegisters;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, pdo_, 1, Controlled, &c), STATUS_SUCCESS));
	EXPECT_EQ(c.calls, 0);
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, va, 2 * 4096, TRUE));
	EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 2));
	EXPECT_EQ(c.calls, 1);
	EXPECT_EQ(c.base, base);
	EXPECT_EQ(c.irql, DISPATCH_LEVEL);
	EXPECT_EQ(KeGetCurrentIrql(), PASSIVE_LEVEL);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 1u); // the queued request kept its one register
	EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 1));
	EXPECT_EQ(Usage(1), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS_FREED,
		      Ops(a)->FreeMapRegisters(a, base, 2));
	// KeepObject: FreeMapRegisters is not the way to free them.
	base = Channel(a, 2, KeepObject);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS_FREED,
		      Ops(a)->FreeMapRegisters(a, base, 2));
	EXPECT_EQ(Usage(1), 1u);
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterChannel(a));
	EXPECT_EQ(Usage(1), 0u);
	// An execution routine returning no valid action: reported, kept.
	c = Control{};
	c.action = static_cast<IO_ALLOCATION_ACTION>(0); // (a valid value of the enum type, not an action)
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, pdo_, 1, Controlled, &c), STATUS_SUCCESS));
	EXPECT_EQ(Usage(0), 1u);
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterChannel(a));
	Release(m);
	PutClean(a);
}

// Requests that find the map registers kept (DeallocateObjectKeepRegisters)
// wait, in order, one per device object, and run when they come back.
TEST_F(PacketTest, RequestsWaitForKeptRegisters)
{
	PDMA_ADAPTER a = Adapter();
	PVOID base = Channel(a, 2, DeallocateObjectKeepRegisters);
	int dev[kDevs] = {};
	auto D = [&](int i) { return reinterpret_cast<PDEVICE_OBJECT>(&dev[i]); };
	Control first, second, again;
	first.action = DeallocateObject;               // gives everything back: the next one runs too
	second.action = DeallocateObjectKeepRegisters; // keeps them: the queue stops there
	g_order = 0;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, D(0), 3, Controlled, &first), STATUS_SUCCESS));
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, D(1), 1, Controlled, &second), STATUS_SUCCESS));
	// One waiting request per device object.
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_CHANNELS, &r,
			  EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, D(0), 1, Controlled, &again),
				    STATUS_INVALID_PARAMETER));
	EXPECT_EQ(r.params[1], 2u);
	EXPECT_EQ(r.params[3], reinterpret_cast<ULONG_PTR>(D(0)));
	EXPECT_EQ(first.calls + second.calls + again.calls, 0);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 1u);
	// A synchronous AllocateAdapterChannelEx does not wait (and does not
	// overtake the queue).
	alignas(8) unsigned char ctx[DMA_TRANSFER_CONTEXT_SIZE_V1] = {};
	ASSERT_EQ(Ops(a)->InitializeDmaTransferContext(a, ctx), STATUS_SUCCESS);
	PVOID sync_base = nullptr;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, D(2), ctx, 1, DMA_SYNCHRONOUS_CALLBACK, nullptr,
								    nullptr, &sync_base),
				   STATUS_INSUFFICIENT_RESOURCES));
	EXPECT_EQ(sync_base, nullptr);
	EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 2));
	EXPECT_EQ(first.calls, 1);
	EXPECT_EQ(second.calls, 1);
	EXPECT_EQ(first.order, 1);
	EXPECT_EQ(second.order, 2);
	EXPECT_EQ(first.pdo, D(0));
	EXPECT_EQ(second.pdo, D(1));
	EXPECT_EQ(first.base, base);
	EXPECT_EQ(first.irql, DISPATCH_LEVEL);
	EXPECT_EQ(second.irql, DISPATCH_LEVEL);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 1u); // second's one register
	EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 1));
	EXPECT_EQ(Usage(1), 0u);

	// A full queue refuses (a resource limit, not a driver bug); putting
	// the adapter with requests waiting is reported and none of them runs.
	base = Channel(a, 1, DeallocateObjectKeepRegisters);
	Control waiting[kDevs];
	for (int i = 0; i < kDevs - 1; i++)
		EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, D(i), 1, Controlled, &waiting[i]),
					   STATUS_SUCCESS));
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, D(kDevs - 1), 1, Controlled, &waiting[kDevs - 1]),
				   STATUS_INSUFFICIENT_RESOURCES));
	const size_t first_report = fake::reports().size();
	Ops(a)->PutDmaAdapter(a);
	EXPECT_EQ(CountSince(first_report, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_MAP_REGISTERS_OUTSTANDING),
		  1u);
	ASSERT_EQ(CountSince(first_report, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING), 1u);
	for (size_t i = first_report; i < fake::reports().size(); i++)
		if (fake::reports()[i].params[0] == MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING) {
			EXPECT_EQ(fake::reports()[i].params[2], 2u);
			EXPECT_EQ(fake::reports()[i].params[3], static_cast<ULONG_PTR>(kDevs - 1));
		}
	for (const Control &w : waiting)
		EXPECT_EQ(w.calls, 0);
	EXPECT_EQ(Usage(1), 0u);
}

TEST_F(PacketTest, ChannelAndRegisterMisuse)
{
	DEVICE_DESCRIPTION d = Desc(0x4000); // 5 map registers
	ULONG granted = 0;
	PDMA_ADAPTER a = IoGetDmaAdapter(pdo_, &d, &granted);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(granted, 5u);
	PMDL m = Locked(kKernel, 8 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	Control c;
	fake::Report r;
	// More registers than granted: parameter 2 required, 3 maximum.
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS, &r,
			  EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, pdo_, 6, Controlled, &c),
				    STATUS_INSUFFICIENT_RESOURCES));
	EXPECT_EQ(r.params[1], 6u);
	EXPECT_EQ(r.params[2], 5u);
	EXPECT_EQ(c.calls, 0);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, pdo_, 1, nullptr, &c), STATUS_INVALID_PARAMETER));
	PVOID base = Channel(a, 2);
	// One channel per adapter.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_CHANNELS,
		      EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, pdo_, 1, Controlled, &c),
				STATUS_INSUFFICIENT_RESOURCES));
	EXPECT_EQ(c.calls, 0);
	// A run of 3 contiguous pages with 2 registers allocated.
	ULONG len = 3 * 4096;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS, &r,
			  EXPECT_EQ(Ops(a)->MapTransfer(a, m, base, va, &len, TRUE).QuadPart, 0));
	EXPECT_EQ(r.params[1], 3u);
	EXPECT_EQ(r.params[2], 2u);
	EXPECT_EQ(len, 0u);
	EXPECT_TRUE(fake::dma_ranges().empty());
	// Two pages fit; a third page before the flush does not.
	len = 2 * 4096;
	EXPECT_NO_REPORT(Ops(a)->MapTransfer(a, m, base, va, &len, TRUE));
	len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS,
		      EXPECT_EQ(Ops(a)->MapTransfer(a, m, base, static_cast<char *>(va) + 2 * 4096, &len, TRUE).QuadPart,
				0));
	EXPECT_EQ(fake::dma_ranges().size(), 1u);
	// Bad MapRegisterBase, bad transfers.
	len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_MAP_REGISTER_BASE,
		      Ops(a)->MapTransfer(a, m, &len, va, &len, TRUE));
	EXPECT_EQ(len, 0u);
	len = 0x4001;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_OVER_MAXIMUM,
		      Ops(a)->MapTransfer(a, m, base, va, &len, TRUE));
	len = 0;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_ZERO_LENGTH, Ops(a)->MapTransfer(a, m, base, va, &len, TRUE));
	len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_CURRENT_VA,
		      Ops(a)->MapTransfer(a, m, base, static_cast<char *>(va) - 1, &len, TRUE));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      Ops(a)->MapTransfer(a, m, base, va, nullptr, TRUE));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_MAP_REGISTER_BASE,
		      EXPECT_FALSE(Ops(a)->FlushAdapterBuffers(a, m, nullptr, va, 4096, TRUE)));
	PMDL raw = IoAllocateMdl(va, 4096, FALSE, FALSE, nullptr);
	len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_NOT_LOCKED,
		      Ops(a)->MapTransfer(a, raw, base, va, &len, TRUE));
	IoFreeMdl(raw);
	EXPECT_EQ(fake::dma_ranges().size(), 1u);
	// Freed with a mapping never flushed: reported, unmapped.
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BUFFERS_NOT_FLUSHED, &r, Ops(a)->FreeAdapterChannel(a));
	EXPECT_EQ(r.params[2], 1u);
	EXPECT_TRUE(fake::dma_ranges().empty());
	EXPECT_EQ(Usage(2), 0u);
	// The same through FreeMapRegisters.
	base = Channel(a, 1, DeallocateObjectKeepRegisters);
	len = 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, FALSE);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BUFFERS_NOT_FLUSHED, Ops(a)->FreeMapRegisters(a, base, 1));
	EXPECT_TRUE(fake::dma_ranges().empty());
	// A foreign adapter pointer.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_ADAPTER,
		      Ops(a)->FreeAdapterChannel(reinterpret_cast<PDMA_ADAPTER>(&len)));
	Release(m);
	PutClean(a);
}

TEST_F(PacketTest, FlushThatDoesNotMatchIsReportedAndStillUnmaps)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 4 * 4096);
	PMDL other = Locked(kKernel + 8 * 4096, 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	PVOID base = Channel(a, 4);
	ULONG len = 2 * 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, TRUE);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_FLUSH_MISMATCH,
		      EXPECT_TRUE(Ops(a)->FlushAdapterBuffers(a, other, base, va, 2 * 4096, TRUE)));
	EXPECT_TRUE(fake::dma_ranges().empty());
	len = 2 * 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, TRUE);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_FLUSH_MISMATCH,
		      Ops(a)->FlushAdapterBuffers(a, m, base, static_cast<char *>(va) + 4096, 4096, TRUE));
	EXPECT_TRUE(fake::dma_ranges().empty());
	len = 2 * 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, TRUE);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_FLUSH_MISMATCH,
		      Ops(a)->FlushAdapterBuffers(a, m, base, va, 2 * 4096, FALSE));
	EXPECT_TRUE(fake::dma_ranges().empty());
	len = 2 * 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, TRUE);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_FLUSH_TOO_LONG, &r,
			  Ops(a)->FlushAdapterBuffers(a, m, base, va, 3 * 4096, TRUE));
	EXPECT_EQ(r.params[1], 1u);
	EXPECT_EQ(r.params[2], 2 * 4096u);
	EXPECT_EQ(r.params[3], 3 * 4096u);
	EXPECT_TRUE(fake::dma_ranges().empty());
	// A shorter flush is fine (Windows drivers flush what the device moved).
	len = 2 * 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, TRUE);
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, va, 100, TRUE));
	EXPECT_TRUE(fake::dma_ranges().empty());
	Ops(a)->FreeAdapterChannel(a);
	Release(other);
	Release(m);
	PutClean(a);
}

TEST_F(PacketTest, NonScatterGatherGoesThroughTheBounceBuffer)
{
	ULONG granted = 0;
	PDMA_ADAPTER big = NonSg(0x200000, &granted);
	EXPECT_EQ(granted, 256u); // capped: the bounce buffer is that many pages
	EXPECT_EQ(fake::dma_live_coherent(), 1u);
	PutClean(big);
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	PDMA_ADAPTER a = NonSg(0x10000, &granted);
	EXPECT_EQ(granted, 17u);
	PMDL m = Locked(kVmalloc, 4 * 4096); // frames 0x900 0x700 0x701 0x500
	const unsigned long long frames[] = {0x900, 0x700, 0x701, 0x500};
	for (int i = 0; i < 4; i++)
		FillFrame(frames[i], static_cast<unsigned char>(i * 50));
	auto *start = static_cast<unsigned char *>(MmGetMdlVirtualAddress(m));
	PVOID base = Channel(a, 5);
	// To the device: one bus range for the whole scattered transfer, the
	// data copied in, page offset kept.
	ULONG len = 4 * 4096 - 0x300;
	PHYSICAL_ADDRESS p;
	EXPECT_NO_REPORT(p = Ops(a)->MapTransfer(a, m, base, start + 0x100, &len, TRUE));
	EXPECT_EQ(len, 4 * 4096u - 0x300);
	EXPECT_EQ(p.QuadPart & 0xfff, 0x100);
	unsigned char *bounce = fake::dma_coherent_at(static_cast<unsigned long long>(p.QuadPart));
	ASSERT_NE(bounce, nullptr);
	ASSERT_NE(fake::dma_coherent_at(static_cast<unsigned long long>(p.QuadPart) + len - 1), nullptr);
	for (ULONG i = 0; i < len; i++) {
		const uptr at = 0x100 + i;
		ASSERT_EQ(bounce[i], fake::dma_frame(frames[at >> 12])[at & 0xfff]) << i;
	}
	EXPECT_TRUE(fake::dma_ranges().empty()); // nothing streaming-mapped
	EXPECT_EQ(Usage(2), 4u);
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, start + 0x100, len, TRUE));
	// From the device: written into the bounce buffer, copied back at the flush.
	len = 3 * 4096;
	p = Ops(a)->MapTransfer(a, m, base, start + 0x800, &len, FALSE);
	EXPECT_EQ(len, 3 * 4096u);
	bounce = fake::dma_coherent_at(static_cast<unsigned long long>(p.QuadPart));
	ASSERT_NE(bounce, nullptr);
	for (ULONG i = 0; i < len; i++)
		bounce[i] = static_cast<unsigned char>(0xA5 ^ i ^ (i >> 9));
	const unsigned char before = fake::dma_frame(0x900)[0x7ff];
	EXPECT_NE(fake::dma_frame(0x900)[0x800], static_cast<unsigned char>(0xA5)); // not yet
	EXPECT_NO_REPORT(EXPECT_TRUE(Ops(a)->FlushAdapterBuffers(a, m, base, start + 0x800, len, FALSE)));
	for (ULONG i = 0; i < len; i++) {
		const uptr at = 0x800 + i;
		ASSERT_EQ(fake::dma_frame(frames[at >> 12])[at & 0xfff], static_cast<unsigned char>(0xA5 ^ i ^ (i >> 9)))
			<< i;
	}
	EXPECT_EQ(fake::dma_frame(0x900)[0x7ff], before); // nothing outside the transfer
	// Registers count pages: 4 pages with 3 allocated is refused.
	Ops(a)->FreeAdapterChannel(a);
	base = Channel(a, 3);
	len = 4 * 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS,
		      EXPECT_EQ(Ops(a)->MapTransfer(a, m, base, start, &len, TRUE).QuadPart, 0));
	EXPECT_EQ(len, 0u);
	// Two transfers before one flush use consecutive bounce pages.
	len = 4096;
	PHYSICAL_ADDRESS p1 = Ops(a)->MapTransfer(a, m, base, start, &len, FALSE);
	len = 2 * 4096;
	PHYSICAL_ADDRESS p2 = Ops(a)->MapTransfer(a, m, base, start + 4096, &len, FALSE);
	EXPECT_EQ(p2.QuadPart - p1.QuadPart, 4096);
	fake::dma_coherent_at(static_cast<unsigned long long>(p2.QuadPart))[0] = 0x5A;
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, start, 3 * 4096, FALSE));
	EXPECT_EQ(fake::dma_frame(0x700)[0], 0x5A);
	Ops(a)->FreeAdapterChannel(a);
	Release(m);
	PutClean(a);
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
}

TEST_F(PacketTest, DispatchLevelAllocatesNothing)
{
	PDMA_ADAPTER sg = Adapter();
	PDMA_ADAPTER nsg = NonSg();
	PMDL m = Locked(kVmalloc, 4 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	fake::set_may_sleep(false);
	const unsigned long allocs = fake::alloc_calls();
	for (PDMA_ADAPTER a : {sg, nsg}) {
		PVOID base = Channel(a, 5);
		uptr cur = reinterpret_cast<uptr>(va);
		ULONG left = 4 * 4096;
		while (left) {
			ULONG len = left;
			ASSERT_NE(Ops(a)->MapTransfer(a, m, base, reinterpret_cast<PVOID>(cur), &len, TRUE).QuadPart, 0);
			cur += len;
			left -= len;
		}
		EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, va, 4 * 4096, TRUE));
		EXPECT_NO_REPORT(Ops(a)->FreeAdapterChannel(a));
		base = Channel(a, 5, DeallocateObjectKeepRegisters);
		EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 5));
	}
	EXPECT_EQ(fake::alloc_calls(), allocs);
	fake::set_may_sleep(true);
	Release(m);
	PutClean(sg);
	PutClean(nsg);
}

TEST_F(PacketTest, FailuresAreClean)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 4 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	PVOID base = Channel(a, 2);
	// dma_map_page fails: no address, nothing held, no report.
	fake::dma_fail_ranges(1);
	ULONG len = 4096;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->MapTransfer(a, m, base, va, &len, TRUE).QuadPart, 0));
	EXPECT_EQ(len, 0u);
	EXPECT_EQ(Usage(2), 0u);
	len = 2 * 4096;
	EXPECT_NO_REPORT(Ops(a)->MapTransfer(a, m, base, va, &len, TRUE)); // both registers still free
	EXPECT_EQ(len, 2 * 4096u);
	Ops(a)->FlushAdapterBuffers(a, m, base, va, len, TRUE);
	Ops(a)->FreeAdapterChannel(a);
	// IoGetDmaAdapter: the run array, then the bounce buffer, fail.
	DEVICE_DESCRIPTION d = Desc(0x10000);
	d.ScatterGather = FALSE;
	ULONG regs = 0;
	const size_t allocs = fake::live_allocs();
	for (unsigned skip = 0; skip < 2; skip++) {
		fake::fail_allocs(skip, 1);
		EXPECT_NO_REPORT(EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr)) << skip;
		EXPECT_EQ(fake::live_allocs(), allocs);
	}
	fake::dma_fail_coherent(1);
	EXPECT_NO_REPORT(EXPECT_EQ(IoGetDmaAdapter(pdo_, &d, &regs), nullptr));
	EXPECT_EQ(fake::live_allocs(), allocs);
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	EXPECT_EQ(fake::dma_device_refs(&dev_), 1); // only a's
	Release(m);
	PutClean(a);
}

TEST_F(PacketTest, AboveDispatchIsRefused)
{
	PDMA_ADAPTER a = Adapter();
	KIRQL old;
	KeRaiseIrql(HIGH_LEVEL, &old);
	Control c;
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      EXPECT_EQ(Ops(a)->AllocateAdapterChannel(a, pdo_, 1, Controlled, &c), STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, Ops(a)->FreeAdapterChannel(a));
	KeLowerIrql(old);
	EXPECT_EQ(c.calls, 0);
	PutClean(a);
}

TEST_F(PacketTest, PutAdapterWithChannelOrRegistersHeld)
{
	PMDL m = Locked(kKernel, 4 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	PDMA_ADAPTER a = Adapter();
	PVOID base = Channel(a, 2);
	ULONG len = 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, TRUE);
	size_t first = fake::reports().size();
	Ops(a)->PutDmaAdapter(a);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING), 1u)
		<< DescribeSince(first);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BUFFERS_NOT_FLUSHED), 1u);
	EXPECT_TRUE(fake::dma_ranges().empty());
	EXPECT_EQ(fake::dma_device_refs(&dev_), 0);
	a = NonSg();
	base = Channel(a, 2, DeallocateObjectKeepRegisters);
	first = fake::reports().size();
	Ops(a)->PutDmaAdapter(a);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_MAP_REGISTERS_OUTSTANDING), 1u)
		<< DescribeSince(first);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING), 0u);
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	EXPECT_EQ(Usage(1), 0u);
	Release(m);
}

TEST_F(PacketTest, UnloadReleasesChannelsRegistersAndMappings)
{
	AllowLeaks();
	PMDL m = Locked(kKernel, 4 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	PDMA_ADAPTER a = Adapter();
	PVOID base = Channel(a, 2);
	ULONG len = 2 * 4096;
	Ops(a)->MapTransfer(a, m, base, va, &len, FALSE);
	PDMA_ADAPTER b = NonSg();
	base = Channel(b, 2, DeallocateObjectKeepRegisters);
	len = 4096;
	Ops(b)->MapTransfer(b, m, base, va, &len, FALSE);
	ASSERT_EQ(fake::dma_ranges().size(), 1u);
	const size_t first = fake::reports().size();
	mmshim_core_exit();
	EXPECT_GE(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_LEAKED_AT_UNLOAD), 1u)
		<< DescribeSince(first);
	EXPECT_TRUE(fake::dma_ranges().empty());
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	EXPECT_EQ(fake::dma_device_refs(&dev_), 0);
	EXPECT_EQ(fake::live_allocs(), 0u);
}


// ---- an MDL unlocked or freed while DMA maps it --------------------------

TEST_F(PacketTest, MdlMappedByAListIsNotReleased)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m1 = Locked(kKernel, 2 * 4096);
	PMDL m2 = Locked(kKernel + 4 * 4096, 4096);
	m1->Next = m2;
	Seen seen;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m1, MmGetMdlVirtualAddress(m1), 3 * 4096, Record, &seen, TRUE),
		  STATUS_SUCCESS);
	const SIZE_T locked = MmshimLockedMdlCount();
	for (PMDL m : {m1, m2}) {
		EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(m));
		EXPECT_TRUE(m->MdlFlags & MDL_PAGES_LOCKED);
		EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, IoFreeMdl(m));
	}
	EXPECT_EQ(MmshimLockedMdlCount(), locked);
	EXPECT_EQ(fake::dma_mappings().size(), 1u);
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE));
	m1->Next = nullptr;
	EXPECT_NO_REPORT(Release(m1));
	EXPECT_NO_REPORT(Release(m2));
	// A nonpaged-pool MDL: IoFreeMdl is refused while a list maps it.
	PMDL np = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 0x10), 0x20, FALSE, FALSE, nullptr);
	MmBuildMdlForNonPagedPool(np);
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, np, MmGetMdlVirtualAddress(np), 0x20, Record, &seen, FALSE),
		  STATUS_SUCCESS);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, IoFreeMdl(np));
	EXPECT_EQ(np->ByteCount, 0x20u); // still a valid MDL
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);
	EXPECT_NO_REPORT(IoFreeMdl(np));
	// A partial MDL: its source holds the frames, so neither may go.
	PMDL src = Locked(kKernel, 4 * 4096);
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 4096), 0x1000, FALSE, FALSE, nullptr);
	IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kKernel + 4096), 0x1000);
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, part, MmGetMdlVirtualAddress(part), 0x1000, Record, &seen,
					       TRUE),
		  STATUS_SUCCESS);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(src));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, IoFreeMdl(part));
	// Nor may it be rebuilt onto other pages meanwhile.
	const PFN_NUMBER before = MmGetMdlPfnArray(part)[0];
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED,
		      IoBuildPartialMdl(src, part, reinterpret_cast<PVOID>(kKernel + 3 * 4096), 0x1000));
	EXPECT_EQ(MmGetMdlPfnArray(part)[0], before);
	EXPECT_EQ(MmGetMdlVirtualAddress(part), reinterpret_cast<PVOID>(kKernel + 4096));
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	// The same through MapTransfer.
	PVOID base = Channel(a, 1);
	ULONG len = 0x1000;
	ASSERT_NE(Ops(a)->MapTransfer(a, part, base, MmGetMdlVirtualAddress(part), &len, FALSE).QuadPart, 0);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(src));
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, part, base, MmGetMdlVirtualAddress(part), len, FALSE));
	Ops(a)->FreeAdapterChannel(a);
	EXPECT_NO_REPORT(Release(src));
	// Its source gone, the partial cannot be DMA-mapped any more.
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_PARTIAL_SOURCE_RELEASED,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, part, MmGetMdlVirtualAddress(part), 0x1000, Record,
							     &seen, TRUE),
				STATUS_INVALID_PARAMETER));
	EXPECT_NO_REPORT(IoFreeMdl(part));
	PutClean(a);
}

TEST_F(PacketTest, MdlMappedByMapTransferIsNotReleased)
{
	PHYSICAL_ADDRESS low{}, high{}, skip{};
	high.QuadPart = -1;
	for (bool sg : {true, false}) {
		PDMA_ADAPTER a = sg ? Adapter() : NonSg();
		PMDL m = Locked(kVmalloc, 4 * 4096);
		PVOID va = MmGetMdlVirtualAddress(m);
		PVOID base = Channel(a, 4);
		ULONG len = 4 * 4096;
		Ops(a)->MapTransfer(a, m, base, va, &len, FALSE);
		ASSERT_GT(len, 0u);
		EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(m));
		EXPECT_TRUE(m->MdlFlags & MDL_PAGES_LOCKED);
		EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, va, len, FALSE));
		EXPECT_NO_REPORT(Release(m)); // unmapped at the flush: allowed
		// Pages from MmAllocatePagesForMdl: MmFreePagesFromMdl refused while mapped.
		PMDL pages = MmAllocatePagesForMdl(low, high, skip, 2 * 4096);
		ASSERT_NE(pages, nullptr);
		len = 2 * 4096;
		ASSERT_NE(Ops(a)->MapTransfer(a, pages, base, MmGetMdlVirtualAddress(pages), &len, TRUE).QuadPart, 0);
		EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmFreePagesFromMdl(pages));
		EXPECT_TRUE(pages->MdlFlags & MDL_PAGES_LOCKED);
		// Freed with the mapping unflushed: reported, unmapped; then allowed.
		EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BUFFERS_NOT_FLUSHED, Ops(a)->FreeAdapterChannel(a));
		EXPECT_NO_REPORT(MmFreePagesFromMdl(pages));
		fake::set_kernel_space_start(0); // the MDL is host heap memory
		EXPECT_NO_REPORT(ExFreePool(pages));
		fake::set_kernel_space_start(0x0000800000000000ULL);
		EXPECT_EQ(fake::live_pages(), 0u);
		PutClean(a);
	}
}

// A transfer from the device writes the MDL's frames: never frames their
// owner could not write (docs/security.md). A read lock of read-only
// kernel data, a nonpaged-pool MDL over it, a writable lock whose PFN the
// driver rewrote to it, and a chain ending in it are refused for
// transfers from the device, with nothing mapped; transfers to the device
// (the device only reads) are not.
// Run `fn` inside the nth call from now of mmshim_plat_pfn_is_ram (1: the
// next): the glue's RAM check inside dma_map_sg, dma_map_page or a bounce
// copy, standing in for another CPU acting at that moment.
void AtPfnIsRam(int nth, std::function<void()> fn)
{
	if (nth <= 1) {
		fake::during_next_pfn_is_ram(std::move(fn));
		return;
	}
	fake::during_next_pfn_is_ram([nth, fn = std::move(fn)]() mutable { AtPfnIsRam(nth - 1, std::move(fn)); });
}

// An unlock racing a DMA mapping of the same MDL (a driver's cancel path
// against its start path, on another CPU): from the walk that found the MDL
// locked until the mapping is gone (put, flushed), every unlock is refused,
// so no device reaches frames that were given back meanwhile - not while
// the list is being built, not while a bounce buffer is copied back.
TEST_F(PacketTest, UnlockRacingADmaMappingIsRefusedUntilItIsGone)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 2 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	int fired = 0;
	size_t first = fake::reports().size();
	auto unlock_refused = [&] {
		fired++;
		MmUnlockPages(m);
		EXPECT_TRUE(m->MdlFlags & MDL_PAGES_LOCKED);
		EXPECT_EQ(fake::page_refs(kPfn), 1);
	};

	// GetScatterGatherList: inside its dma_map_sg, after the walk.
	Seen seen;
	AtPfnIsRam(1, unlock_refused);
	EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 2 * 4096, Record, &seen, TRUE), STATUS_SUCCESS);
	ASSERT_EQ(fired, 1);
	ASSERT_EQ(seen.calls, 1);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED), 1u);
	EXPECT_EQ(fake::reports().size(), first + 1);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_EQ(fake::page_refs(kPfn), 0);

	// A partial MDL's list: its source's unlock is refused the same way.
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	PMDL part = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 4096), 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(part, nullptr);
	IoBuildPartialMdl(m, part, reinterpret_cast<PVOID>(kKernel + 4096), 4096);
	seen = Seen{};
	first = fake::reports().size();
	AtPfnIsRam(1, unlock_refused);
	EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, part, MmGetMdlVirtualAddress(part), 4096, Record, &seen,
					       FALSE),
		  STATUS_SUCCESS);
	ASSERT_EQ(fired, 2);
	ASSERT_EQ(seen.calls, 1);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED), 1u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);
	IoFreeMdl(part);

	// MapTransfer (scatter/gather): inside its dma_map_page, after the
	// count's RAM check; then until FlushAdapterBuffers.
	PVOID base = Channel(a, 4);
	ULONG len = 4096;
	first = fake::reports().size();
	AtPfnIsRam(2, unlock_refused);
	PHYSICAL_ADDRESS p = Ops(a)->MapTransfer(a, m, base, va, &len, FALSE);
	EXPECT_NE(p.QuadPart, 0);
	ASSERT_EQ(fired, 3);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED), 1u);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, MmUnlockPages(m));
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffers(a, m, base, va, 4096, FALSE));
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterChannel(a));
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_EQ(fake::page_refs(kPfn), 0);
	PutClean(a);

	// A bounced MapTransfer from the device: the flush copies the bounce
	// buffer back into the frames, so they stay locked through that copy.
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	PDMA_ADAPTER b = NonSg();
	base = Channel(b, 2);
	len = 4096;
	EXPECT_NO_REPORT(p = Ops(b)->MapTransfer(b, m, base, va, &len, FALSE));
	EXPECT_EQ(len, 4096u);
	first = fake::reports().size();
	AtPfnIsRam(1, unlock_refused); // the copy back's RAM check
	EXPECT_TRUE(Ops(b)->FlushAdapterBuffers(b, m, base, va, 4096, FALSE));
	ASSERT_EQ(fired, 4);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED), 1u);
	EXPECT_NO_REPORT(Ops(b)->FreeAdapterChannel(b));
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_EQ(fake::page_refs(kPfn), 0);
	IoFreeMdl(m);
	PutClean(b);
}

// A driver that marks an MDL it locked as nonpaged pool does not get past
// the hold: the walk holds whatever lock the MDL has.
TEST_F(PacketTest, UnlockRacingAListOfARelabelledMdlIsRefused)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 4096);
	m->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
	m->MappedSystemVa = MmGetMdlVirtualAddress(m);
	int fired = 0;
	AtPfnIsRam(1, [&] {
		fired++;
		MmUnlockPages(m);
		EXPECT_EQ(fake::page_refs(kPfn), 1);
	});
	Seen seen;
	const size_t first = fake::reports().size();
	EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 4096, Record, &seen, FALSE),
		  STATUS_SUCCESS);
	ASSERT_EQ(fired, 1);
	ASSERT_EQ(seen.calls, 1);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED), 1u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);
	m->MdlFlags &= ~MDL_SOURCE_IS_NONPAGED_POOL;
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_EQ(fake::page_refs(kPfn), 0);
	IoFreeMdl(m);
	PutClean(a);
}

// The same for pages from MmAllocatePagesForMdl: MmFreePagesFromMdl on
// another CPU while a list over them (or over a partial MDL of them) is
// being built is refused until the put, and the pages stay allocated.
TEST_F(PacketTest, FreeRacingADmaMappingOfAllocatedPagesIsRefused)
{
	PHYSICAL_ADDRESS low, high, skip;
	low.QuadPart = skip.QuadPart = 0;
	high.QuadPart = -1;
	PDMA_ADAPTER a = Adapter();
	PMDL pages = MmAllocatePagesForMdl(low, high, skip, 2 * 4096);
	ASSERT_NE(pages, nullptr);
	const size_t live = fake::live_pages();
	int fired = 0;
	auto free_refused = [&] {
		fired++;
		MmFreePagesFromMdl(pages);
		EXPECT_TRUE(pages->MdlFlags & MDL_PAGES_LOCKED);
		EXPECT_EQ(fake::live_pages(), live);
	};
	Seen seen;
	size_t first = fake::reports().size();
	AtPfnIsRam(1, free_refused);
	EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, pages, MmGetMdlVirtualAddress(pages), 2 * 4096, Record,
					       &seen, FALSE),
		  STATUS_SUCCESS);
	ASSERT_EQ(fired, 1);
	ASSERT_EQ(seen.calls, 1);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED), 1u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);

	// A partial MDL of them.
	PMDL part = IoAllocateMdl(MmGetMdlVirtualAddress(pages), 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(part, nullptr);
	IoBuildPartialMdl(pages, part, MmGetMdlVirtualAddress(pages), 4096);
	seen = Seen{};
	first = fake::reports().size();
	AtPfnIsRam(1, free_refused);
	EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, part, MmGetMdlVirtualAddress(part), 4096, Record, &seen,
					       TRUE),
		  STATUS_SUCCESS);
	ASSERT_EQ(fired, 2);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED), 1u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	IoFreeMdl(part);
	EXPECT_NO_REPORT(MmFreePagesFromMdl(pages));
	EXPECT_LT(fake::live_pages(), live);
	fake::set_kernel_space_start(0); // the MDL is host heap memory
	EXPECT_NO_REPORT(ExFreePool(pages));
	fake::set_kernel_space_start(0x0000800000000000ULL);
	PutClean(a);
}

// A walk that refuses the transfer keeps no hold: the MDL unlocks at once.
TEST_F(PacketTest, RefusedDmaKeepsNoHold)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = Locked(kKernel, 2 * 4096);
	PVOID va = MmGetMdlVirtualAddress(m);
	Seen seen;
	// Beyond the chain (the second MDL missing), after the first was held.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_TOO_LONG,
		      EXPECT_NE(Ops(a)->GetScatterGatherList(a, pdo_, m, static_cast<char *>(va) + 4096, 0x1000 + 1,
							     Record, &seen, TRUE),
				STATUS_SUCCESS));
	// CurrentVa outside the MDL.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_CURRENT_VA,
		      EXPECT_NE(Ops(a)->GetScatterGatherList(a, pdo_, m, static_cast<char *>(va) + 3 * 4096, 0x100,
							     Record, &seen, TRUE),
				STATUS_SUCCESS));
	// The map failing (out of IOVA space).
	fake::dma_fail_maps(1);
	EXPECT_NE(Ops(a)->GetScatterGatherList(a, pdo_, m, va, 0x100, Record, &seen, TRUE), STATUS_SUCCESS);
	// MapTransfer: more pages than registers granted; the map failing.
	PVOID base = Channel(a, 1);
	ULONG len = 0x1000;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS,
		      EXPECT_EQ(Ops(a)->MapTransfer(a, m, base, static_cast<char *>(va) + 0x800, &len, TRUE).QuadPart, 0));
	fake::dma_fail_ranges(1);
	len = 0x100;
	EXPECT_EQ(Ops(a)->MapTransfer(a, m, base, va, &len, TRUE).QuadPart, 0);
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterChannel(a));
	EXPECT_EQ(seen.calls, 0);
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_EQ(fake::page_refs(kPfn), 0);
	IoFreeMdl(m);
	PutClean(a);
}

TEST_F(PacketTest, DeviceNeverWritesFramesTheOwnerCannotWrite)
{
	fake::set_kva_read_only(kKernel + 4096, kKernel + 2 * 4096); // frame kPfn + 1
	PDMA_ADAPTER a = Adapter();
	PMDL ro = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel + 4096), 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(ro, nullptr);
	ASSERT_EQ(MmshimProbeAndLockPages(ro, KernelMode, IoReadAccess), STATUS_SUCCESS);
	PVOID rva = MmGetMdlVirtualAddress(ro);
	Seen seen;
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES, &r,
			  EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, ro, rva, 4096, Record, &seen, FALSE),
				    STATUS_INVALID_PARAMETER));
	EXPECT_EQ(r.params[1], reinterpret_cast<uptr>(ro));
	EXPECT_EQ(seen.calls, 0);
	EXPECT_TRUE(fake::dma_mappings().empty());
	unsigned char buf[512] __attribute__((aligned(8)));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      EXPECT_EQ(Ops(a)->BuildScatterGatherList(a, pdo_, ro, rva, 4096, Record, &seen, FALSE, buf,
							       sizeof(buf)),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(seen.calls, 0);
	// The device reading them is fine.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, ro, rva, 4096, Record, &seen, TRUE),
				   STATUS_SUCCESS));
	ASSERT_EQ(seen.calls, 1);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);

	// Nonpaged pool over a writable page and the read-only one.
	PMDL np = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 2 * 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(np, nullptr);
	MmBuildMdlForNonPagedPool(np);
	seen.calls = 0;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, np, MmGetMdlVirtualAddress(np), 0x100, Record,
							     &seen, FALSE),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(seen.calls, 0);

	// A writable lock, its frame rewritten by the driver to the read-only one.
	PMDL w = Locked(kKernel + 2 * 4096, 4096);
	PVOID wva = MmGetMdlVirtualAddress(w);
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, w, wva, 4096, Record, &seen, FALSE),
				   STATUS_SUCCESS));
	ASSERT_EQ(seen.calls, 1);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);
	const PFN_NUMBER own = MmGetMdlPfnArray(w)[0];
	MmGetMdlPfnArray(w)[0] = kPfn + 1;
	seen.calls = 0;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, w, wva, 4096, Record, &seen, FALSE),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(seen.calls, 0);
	MmGetMdlPfnArray(w)[0] = own;

	// A chain whose second MDL is the read lock: refused, nothing mapped.
	w->Next = ro;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, w, wva, 2 * 4096, Record, &seen, FALSE),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(seen.calls, 0);
	EXPECT_TRUE(fake::dma_mappings().empty());
	w->Next = nullptr;

	// MapTransfer from the device: refused on both kinds of adapter; the
	// registers stay free.
	PVOID base = Channel(a, 1);
	ULONG len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      EXPECT_EQ(Ops(a)->MapTransfer(a, ro, base, rva, &len, FALSE).QuadPart, 0));
	EXPECT_EQ(len, 0u);
	EXPECT_TRUE(fake::dma_ranges().empty());
	len = 4096;
	EXPECT_NO_REPORT(EXPECT_NE(Ops(a)->MapTransfer(a, ro, base, rva, &len, TRUE).QuadPart, 0));
	EXPECT_TRUE(Ops(a)->FlushAdapterBuffers(a, ro, base, rva, 4096, TRUE));
	Ops(a)->FreeAdapterChannel(a);
	PDMA_ADAPTER b = NonSg();
	base = Channel(b, 1);
	len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_READ_ONLY_FRAMES,
		      EXPECT_EQ(Ops(b)->MapTransfer(b, ro, base, rva, &len, FALSE).QuadPart, 0));
	EXPECT_EQ(len, 0u);
	EXPECT_EQ(Usage(2), 0u);
	Ops(b)->FreeAdapterChannel(b);
	PutClean(b);

	Release(w);
	IoFreeMdl(np);
	Release(ro);
	PutClean(a);
}

TEST_F(PacketTest, PagesLockedFlagWithoutALockIsRefused)
{
	PDMA_ADAPTER a = Adapter();
	PMDL m = IoAllocateMdl(reinterpret_cast<PVOID>(kKernel), 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	MmGetMdlPfnArray(m)[0] = kPfn;
	m->MdlFlags |= MDL_PAGES_LOCKED; // by hand: nothing holds the page
	Seen seen;
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_NOT_LOCKED, &r,
			  EXPECT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 4096, Record,
								 &seen, TRUE),
				    STATUS_INVALID_PARAMETER));
	EXPECT_EQ(r.params[3], 1u);
	EXPECT_EQ(seen.calls, 0);
	PVOID base = Channel(a, 1);
	ULONG len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_NOT_LOCKED,
		      Ops(a)->MapTransfer(a, m, base, MmGetMdlVirtualAddress(m), &len, TRUE));
	EXPECT_EQ(len, 0u);
	Ops(a)->FreeAdapterChannel(a);
	m->MdlFlags &= ~MDL_PAGES_LOCKED;
	IoFreeMdl(m);
	PutClean(a);
}


TEST_F(PacketTest, PoolBlockHoldingADmaMappedMdlStaysAllocated)
{
	fake::set_kernel_space_start(0); // pool blocks are host heap memory
	PDMA_ADAPTER a = Adapter();
	const SIZE_T bytes = 64 + MmSizeOfMdl(reinterpret_cast<PVOID>(kKernel), 2 * 4096);
	auto *block = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, bytes, 0x416d4474));
	ASSERT_NE(block, nullptr);
	auto *m = reinterpret_cast<PMDL>(block + 64); // embedded in a driver structure
	MmInitializeMdl(m, reinterpret_cast<PVOID>(kKernel), 2 * 4096);
	ASSERT_EQ(MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	Seen seen;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, MmGetMdlVirtualAddress(m), 2 * 4096, Record, &seen, TRUE),
		  STATUS_SUCCESS);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, &r, ExFreePool(block));
	EXPECT_EQ(r.params[1], reinterpret_cast<uptr>(m));
	EXPECT_TRUE(m->MdlFlags & MDL_PAGES_LOCKED); // memory intact, still locked
	EXPECT_EQ(fake::dma_mappings().size(), 1u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	EXPECT_NO_REPORT(MmUnlockPages(m));
	EXPECT_NO_REPORT(ExFreePool(block));
	PutClean(a);
}


// Pool memory a live DMA mapping moves (a nonpaged-pool MDL over it, or a
// lock of it) is not freed under the device: ExFreePool of the block is
// refused until the list is put or the runs are flushed. Other blocks free
// normally meanwhile.
TEST_F(PacketTest, PoolMemoryUnderALiveDmaMappingStaysAllocated)
{
	fake::set_kernel_space_start(0); // pool blocks are host heap memory
	PDMA_ADAPTER a = Adapter();
	auto *block = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 2 * 4096, 0x416d4474));
	auto *other = static_cast<unsigned char *>(ExAllocatePool2(POOL_FLAG_NON_PAGED, 4096, 0x416d4474));
	ASSERT_TRUE(block && other);
	ASSERT_EQ(reinterpret_cast<uptr>(block) % 4096, 0u);
	fake::map_direct(reinterpret_cast<uptr>(block), 2 * 4096, 0x3000);
	PMDL m = IoAllocateMdl(block, 2 * 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(m, nullptr);
	MmBuildMdlForNonPagedPool(m);
	// A list over the second page only: the block overlaps it.
	Seen seen;
	ASSERT_EQ(Ops(a)->GetScatterGatherList(a, pdo_, m, block + 4096 + 0x10, 0x100, Record, &seen, FALSE),
		  STATUS_SUCCESS);
	EXPECT_NO_REPORT(ExFreePool(other));
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, &r, ExFreePool(block));
	EXPECT_EQ(r.params[1], reinterpret_cast<uptr>(m));
	EXPECT_EQ(r.params[2], reinterpret_cast<uptr>(block));
	EXPECT_EQ(r.params[3], 1u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, FALSE);

	// A kernel lock of the block mapped by MapTransfer (scatter/gather, and
	// through the bounce buffer), until the flush.
	PMDL l = IoAllocateMdl(block, 2 * 4096, FALSE, FALSE, nullptr);
	ASSERT_NE(l, nullptr);
	ASSERT_EQ(MmshimProbeAndLockPages(l, KernelMode, IoWriteAccess), STATUS_SUCCESS);
	for (PDMA_ADAPTER x : {a, NonSg()}) {
		PVOID base = Channel(x, 2);
		ULONG len = 0x200;
		ASSERT_NE(Ops(x)->MapTransfer(x, l, base, block + 4096, &len, TRUE).QuadPart, 0);
		EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MDL_STILL_MAPPED, ExFreePool(block));
		EXPECT_NO_REPORT(Ops(x)->FlushAdapterBuffers(x, l, base, block + 4096, len, TRUE));
		EXPECT_NO_REPORT(Ops(x)->FreeAdapterChannel(x));
		if (x != a)
			PutClean(x);
	}
	EXPECT_NO_REPORT(MmUnlockPages(l));
	IoFreeMdl(l);
	IoFreeMdl(m);
	EXPECT_NO_REPORT(ExFreePool(block)); // nothing maps it any more
	fake::set_kernel_space_start(0x0000800000000000ULL);
	PutClean(a);
}

// ---- version 3: adapter/transfer information, transfer contexts, Ex -----

// A SCATTER_GATHER_LIST with room for N elements (h), and its elements (e).
template <unsigned N> struct SgBuffer {
	alignas(8) unsigned char raw[sizeof(SCATTER_GATHER_LIST) + N * sizeof(SCATTER_GATHER_ELEMENT)] = {};
	SCATTER_GATHER_LIST &h = *reinterpret_cast<SCATTER_GATHER_LIST *>(raw);
	SCATTER_GATHER_ELEMENT *e = h.Elements;
};

class V3Test : public PacketTest {
protected:
	// An initialized transfer context for adapter a.
	static void Init(PDMA_ADAPTER a, void *ctx)
	{
		EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->InitializeDmaTransferContext(a, ctx), STATUS_SUCCESS));
	}
	alignas(8) unsigned char ctx_[DMA_TRANSFER_CONTEXT_SIZE_V1] = {};
};

TEST_F(V3Test, TheTableFollowsTheDescriptionVersion)
{
	PDMA_ADAPTER a = Adapter(); // DEVICE_DESCRIPTION_VERSION3
	DMA_OPERATIONS *o = Ops(a);
	EXPECT_EQ(o->Size, offsetof(DMA_OPERATIONS, AllocateDomainCommonBuffer));
	const void *const v3[] = {
		reinterpret_cast<void *>(o->GetDmaAdapterInfo),	       reinterpret_cast<void *>(o->GetDmaTransferInfo),
		reinterpret_cast<void *>(o->InitializeDmaTransferContext), reinterpret_cast<void *>(o->AllocateCommonBufferEx),
		reinterpret_cast<void *>(o->AllocateAdapterChannelEx),   reinterpret_cast<void *>(o->ConfigureAdapterChannel),
		reinterpret_cast<void *>(o->CancelAdapterChannel),	       reinterpret_cast<void *>(o->MapTransferEx),
		reinterpret_cast<void *>(o->GetScatterGatherListEx),     reinterpret_cast<void *>(o->BuildScatterGatherListEx),
		reinterpret_cast<void *>(o->FlushAdapterBuffersEx),      reinterpret_cast<void *>(o->FreeAdapterObject),
		reinterpret_cast<void *>(o->CancelMappedTransfer)};
	for (const void *slot : v3)
		EXPECT_NE(slot, nullptr);
	EXPECT_EQ(o->AllocateDomainCommonBuffer, nullptr);
	EXPECT_EQ(o->BuildMdlFromScatterGatherList, nullptr);
	PutClean(a);
	// Version 2: no version-3 slot, and Size stops before them.
	DEVICE_DESCRIPTION d = Desc();
	d.Version = DEVICE_DESCRIPTION_VERSION2;
	ULONG regs = 0;
	PDMA_ADAPTER v2 = IoGetDmaAdapter(pdo_, &d, &regs);
	ASSERT_NE(v2, nullptr);
	EXPECT_EQ(Ops(v2)->Size, offsetof(DMA_OPERATIONS, BuildMdlFromScatterGatherList));
	EXPECT_EQ(Ops(v2)->GetDmaAdapterInfo, nullptr);
	EXPECT_EQ(Ops(v2)->GetScatterGatherListEx, nullptr);
	EXPECT_NE(Ops(v2)->GetScatterGatherList, nullptr);
	PutClean(v2);
}

// CancelAdapterChannel takes a request still waiting for map registers out:
// its routine never runs. One already granted cannot be cancelled.
TEST_F(V3Test, CancelAdapterChannelTakesAWaitingRequestOut)
{
	PDMA_ADAPTER a = Adapter();
	Init(a, ctx_);
	PVOID base = Channel(a, 1, DeallocateObjectKeepRegisters);
	Control c;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 1, 0, Controlled, &c, nullptr),
				   STATUS_SUCCESS));
	EXPECT_EQ(c.calls, 0);
	alignas(8) unsigned char other[DMA_TRANSFER_CONTEXT_SIZE_V1] = {};
	Init(a, other);
	EXPECT_NO_REPORT(EXPECT_FALSE(Ops(a)->CancelAdapterChannel(a, pdo_, other)));
	EXPECT_NO_REPORT(EXPECT_TRUE(Ops(a)->CancelAdapterChannel(a, pdo_, ctx_)));
	EXPECT_NO_REPORT(EXPECT_FALSE(Ops(a)->CancelAdapterChannel(a, pdo_, ctx_)));
	EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 1));
	EXPECT_EQ(c.calls, 0);
	EXPECT_EQ(Usage(0) + Usage(1), 0u);
	// Granted at once: nothing to cancel.
	c.action = KeepObject;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 1, 0, Controlled, &c, nullptr),
				   STATUS_SUCCESS));
	EXPECT_EQ(c.calls, 1);
	EXPECT_NO_REPORT(EXPECT_FALSE(Ops(a)->CancelAdapterChannel(a, pdo_, ctx_)));
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterChannel(a));
	PutClean(a);
}

TEST_F(V3Test, AdapterAndTransferInformation)
{
	DEVICE_DESCRIPTION d = Desc(0x10000);
	d.DmaAddressWidth = 40;
	ULONG regs = 0;
	PDMA_ADAPTER a = IoGetDmaAdapter(pdo_, &d, &regs);
	ASSERT_NE(a, nullptr);
	DMA_ADAPTER_INFO info;
	std::memset(&info, 0xAB, sizeof(info));
	info.Version = DMA_ADAPTER_INFO_VERSION1;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetDmaAdapterInfo(a, &info), STATUS_SUCCESS));
	EXPECT_EQ(info.V1.DmaAddressWidth, 40u);
	EXPECT_EQ(info.V1.ScatterGatherLimit, regs);
	EXPECT_EQ(info.V1.ReadDmaCounterAvailable, 0u);
	EXPECT_EQ(info.V1.Flags, ULONG{ADAPTER_INFO_SYNCHRONOUS_CALLBACK});
	EXPECT_EQ(info.V1.MinimumTransferUnit, 0u);
	info.Version = 2;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(Ops(a)->GetDmaAdapterInfo(a, &info), STATUS_NOT_SUPPORTED));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->GetDmaAdapterInfo(a, nullptr), STATUS_INVALID_PARAMETER));

	// 2 pages from 0x100 into a 4-page scattered MDL: 3 fragments.
	PMDL m = Locked(kVmalloc, 4 * 4096);
	DMA_TRANSFER_INFO t;
	std::memset(&t, 0xAB, sizeof(t));
	t.Version = DMA_TRANSFER_INFO_VERSION2;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetDmaTransferInfo(a, m, 0x100, 2 * 4096, TRUE, &t), STATUS_SUCCESS));
	EXPECT_EQ(t.V2.MapRegisterCount, 3u);
	EXPECT_EQ(t.V2.ScatterGatherElementCount, 3u);
	EXPECT_EQ(t.V2.LogicalPageCount, 3u);
	ULONG size = 0, calc_regs = 0;
	const PVOID cur = static_cast<char *>(MmGetMdlVirtualAddress(m)) + 0x100;
	ASSERT_EQ(Ops(a)->CalculateScatterGatherList(a, m, cur, 2 * 4096, &size, &calc_regs), STATUS_SUCCESS);
	EXPECT_EQ(t.V2.ScatterGatherListSize, size);
	EXPECT_EQ(calc_regs, 3u);
	// Beyond the MDL, and unknown versions.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_CURRENT_VA,
		      EXPECT_EQ(Ops(a)->GetDmaTransferInfo(a, m, 4 * 4096, 1, TRUE, &t), STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_TOO_LONG,
		      Ops(a)->GetDmaTransferInfo(a, m, 0x100, 4 * 4096, TRUE, &t));
	t.Version = 3;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(Ops(a)->GetDmaTransferInfo(a, m, 0, 4096, TRUE, &t), STATUS_NOT_SUPPORTED));
	Release(m);
	PutClean(a);
}

TEST_F(V3Test, TransferContextsAreChecked)
{
	PDMA_ADAPTER a = Adapter();
	PDMA_ADAPTER b = Adapter();
	PMDL m = Locked(kKernel, 4096);
	Seen seen;
	auto get = [&](PDMA_ADAPTER on, PVOID ctx) {
		return Ops(on)->GetScatterGatherListEx(on, pdo_, ctx, m, 0, 4096, 0, Record, &seen, TRUE, nullptr,
						       nullptr, nullptr);
	};
	// Never initialized (zeroes), NULL, and another adapter's.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_TRANSFER_CONTEXT,
		      EXPECT_EQ(get(a, ctx_), STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(get(a, nullptr), STATUS_INVALID_PARAMETER));
	Init(b, ctx_);
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_TRANSFER_CONTEXT,
		      EXPECT_EQ(get(a, ctx_), STATUS_INVALID_PARAMETER));
	EXPECT_EQ(seen.calls, 0);
	EXPECT_TRUE(fake::dma_mappings().empty());
	// Initialized for a: works, and any alignment is fine.
	unsigned char odd[DMA_TRANSFER_CONTEXT_SIZE_V1 + 1];
	Init(a, odd + 1);
	EXPECT_NO_REPORT(EXPECT_EQ(get(a, odd + 1), STATUS_SUCCESS));
	ASSERT_EQ(seen.calls, 1);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	// Cancelling finds nothing pending; CancelMappedTransfer and
	// ConfigureAdapterChannel are system-DMA routines.
	EXPECT_NO_REPORT(EXPECT_FALSE(Ops(a)->CancelAdapterChannel(a, pdo_, odd + 1)));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_TRANSFER_CONTEXT,
		      EXPECT_FALSE(Ops(a)->CancelAdapterChannel(a, pdo_, ctx_)));
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->CancelMappedTransfer(a, odd + 1), STATUS_NOT_SUPPORTED));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(Ops(a)->ConfigureAdapterChannel(a, 1, nullptr), STATUS_NOT_SUPPORTED));
	Release(m);
	PutClean(a);
	PutClean(b);
}

TEST_F(V3Test, GetScatterGatherListExFromAnOffsetThroughAChain)
{
	PDMA_ADAPTER a = Adapter();
	Init(a, ctx_);
	PMDL m1 = Locked(kKernel + 0x800, 0x1000);         // frames kPfn, kPfn+1
	PMDL m2 = Locked(kKernel + 10 * 4096 + 0x10, 0x100); // frame kPfn+10
	m1->Next = m2;
	Seen seen;
	PSCATTER_GATHER_LIST out = nullptr;
	// Offset 0x400: as GetScatterGatherList from MDL start + 0x400.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m1, 0x400, 0xC00 + 0x80, 0, Record,
								  &seen, FALSE, nullptr, nullptr, &out),
				   STATUS_SUCCESS));
	ASSERT_EQ(seen.calls, 1);
	EXPECT_EQ(out, seen.sgl);
	ASSERT_EQ(seen.elements.size(), 3u);
	EXPECT_EQ(seen.elements[0].first, fake::iova(kPfn, 0xC00));
	EXPECT_EQ(seen.elements[1].first, fake::iova(kPfn + 1, 0));
	EXPECT_EQ(seen.elements[2].first, fake::iova(kPfn + 10, 0x10));
	EXPECT_EQ(seen.elements[2].second, 0x80u);
	EXPECT_FALSE(fake::dma_mappings()[0].to_device);
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, out, FALSE));
	// An offset in the second MDL starts there.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m1, 0x1000 + 0x20, 0x40, 0, Record,
								  &seen, TRUE, nullptr, nullptr, nullptr),
				   STATUS_SUCCESS));
	ASSERT_EQ(seen.elements.size(), 1u);
	EXPECT_EQ(seen.elements[0].first, fake::iova(kPfn + 10, 0x30));
	EXPECT_EQ(seen.elements[0].second, 0x40u);
	Ops(a)->PutScatterGatherList(a, seen.sgl, TRUE);
	// Past the chain, or longer than it.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_CURRENT_VA,
		      EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m1, 0x1100, 1, 0, Record, &seen, TRUE,
							       nullptr, nullptr, nullptr),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TRANSFER_TOO_LONG,
		      EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m1, 0x400, 0xC00 + 0x101, 0, Record,
							       &seen, TRUE, nullptr, nullptr, nullptr),
				STATUS_BUFFER_TOO_SMALL));
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_BAD_CURRENT_VA,
		      Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m1, ~0ULL, 1, 0, Record, &seen, TRUE, nullptr,
						     nullptr, nullptr));
	EXPECT_TRUE(fake::dma_mappings().empty());
	m1->Next = nullptr;
	Release(m1);
	Release(m2);
	PutClean(a);
}

VOID DmaDone(PDMA_ADAPTER, PDEVICE_OBJECT, PVOID, DMA_COMPLETION_STATUS) {}

TEST_F(V3Test, SynchronousListWithoutARoutineHoldsTheAdapterObject)
{
	PDMA_ADAPTER a = Adapter();
	Init(a, ctx_);
	PMDL m = Locked(kKernel, 2 * 4096);
	PSCATTER_GATHER_LIST l1 = nullptr, l2 = nullptr;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 0, 4096, DMA_SYNCHRONOUS_CALLBACK,
								  nullptr, nullptr, TRUE, nullptr, nullptr, &l1),
				   STATUS_SUCCESS));
	ASSERT_NE(l1, nullptr);
	EXPECT_EQ(l1->NumberOfElements, 1u);
	EXPECT_EQ(static_cast<unsigned long long>(l1->Elements[0].Address.QuadPart), fake::iova(kPfn, 0));
	EXPECT_EQ(Usage(0), 1u); // the adapter object (channel) is the driver's now
	// A second one finds it taken: synchronous means fail now, no report.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 4096, 4096,
								  DMA_SYNCHRONOUS_CALLBACK, nullptr, nullptr, TRUE,
								  nullptr, nullptr, &l2),
				   STATUS_INSUFFICIENT_RESOURCES));
	EXPECT_EQ(l2, nullptr);
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterObject(a, DeallocateObject));
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 4096, 4096,
								  DMA_SYNCHRONOUS_CALLBACK, nullptr, nullptr, TRUE,
								  nullptr, nullptr, &l2),
				   STATUS_SUCCESS));
	EXPECT_EQ(static_cast<unsigned long long>(l2->Elements[0].Address.QuadPart), fake::iova(kPfn + 1, 0));
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterObject(a, DeallocateObject));
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, l1, TRUE));
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, l2, TRUE));
	// Freed once too often; a KeepObject action; bad argument mixes.
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_CHANNELS_FREED,
		      Ops(a)->FreeAdapterObject(a, DeallocateObject));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      Ops(a)->FreeAdapterObject(a, KeepObject));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 0, 4096, 0, nullptr, nullptr, TRUE,
							       nullptr, nullptr, &l1),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 0, 4096, DMA_SYNCHRONOUS_CALLBACK,
							       nullptr, nullptr, TRUE, nullptr, nullptr, nullptr),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 0, 4096, 0x80, Record, nullptr, TRUE,
							       nullptr, nullptr, nullptr),
				STATUS_INVALID_PARAMETER));
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 0, 4096, 0, Record, nullptr, TRUE,
							       DmaDone, nullptr, nullptr),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_TRUE(fake::dma_mappings().empty());
	Release(m);
	PutClean(a);
}

TEST_F(V3Test, BuildScatterGatherListExUsesTheCallersBuffer)
{
	PDMA_ADAPTER a = Adapter();
	Init(a, ctx_);
	PMDL m = Locked(kVmalloc, 4 * 4096); // frames 0x900 0x700 0x701 0x500
	DMA_TRANSFER_INFO t{};
	t.Version = DMA_TRANSFER_INFO_VERSION1;
	ASSERT_EQ(Ops(a)->GetDmaTransferInfo(a, m, 0, 4 * 4096, FALSE, &t), STATUS_SUCCESS);
	std::vector<unsigned long long> buf(t.V1.ScatterGatherListSize / 8 + 1);
	PSCATTER_GATHER_LIST out = nullptr;
	EXPECT_EQ(Ops(a)->BuildScatterGatherListEx(a, pdo_, ctx_, m, 0, 4 * 4096, DMA_SYNCHRONOUS_CALLBACK, nullptr,
						   nullptr, FALSE, buf.data(), t.V1.ScatterGatherListSize - 8, nullptr,
						   nullptr, &out),
		  STATUS_BUFFER_TOO_SMALL);
	EXPECT_EQ(out, nullptr);
	EXPECT_EQ(Usage(0), 0u); // a failed call gives the adapter object back
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->BuildScatterGatherListEx(a, pdo_, ctx_, m, 0, 4 * 4096,
								    DMA_SYNCHRONOUS_CALLBACK, nullptr, nullptr, FALSE,
								    buf.data(), t.V1.ScatterGatherListSize, nullptr,
								    nullptr, &out),
				   STATUS_SUCCESS));
	EXPECT_EQ(static_cast<void *>(out), static_cast<void *>(buf.data()));
	ASSERT_EQ(out->NumberOfElements, 4u);
	EXPECT_EQ(static_cast<unsigned long long>(out->Elements[3].Address.QuadPart), fake::iova(0x500, 0));
	Ops(a)->FreeAdapterObject(a, DeallocateObject);
	EXPECT_NO_REPORT(Ops(a)->PutScatterGatherList(a, out, FALSE));
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      Ops(a)->BuildScatterGatherListEx(a, pdo_, ctx_, m, 0, 4096, 0, Record, nullptr, FALSE, nullptr,
						       0, nullptr, nullptr, nullptr));
	Release(m);
	PutClean(a);
}

TEST_F(V3Test, AdapterChannelExAndMapTransferEx)
{
	PDMA_ADAPTER a = Adapter();
	Init(a, ctx_);
	PMDL m = Locked(kVmalloc, 4 * 4096); // frames 0x900 0x700 0x701 0x500
	PVOID base = nullptr;
	// Synchronous, no routine: the registers come back in MapRegisterBase.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 5, DMA_SYNCHRONOUS_CALLBACK, nullptr,
								    nullptr, &base),
				   STATUS_SUCCESS));
	ASSERT_NE(base, nullptr);
	EXPECT_EQ(Usage(0), 1u);
	EXPECT_EQ(Usage(1), 1u);
	// Taken: a second synchronous request fails at once.
	PVOID other = nullptr;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 1, DMA_SYNCHRONOUS_CALLBACK,
								    nullptr, nullptr, &other),
				   STATUS_INSUFFICIENT_RESOURCES));
	// The whole MDL from 0x100 in one call: one element per run.
	SgBuffer<4> sg;
	ULONG len = 4 * 4096 - 0x100;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->MapTransferEx(a, m, base, 0x100, 0, &len, TRUE, &sg.h, sizeof(sg.raw), nullptr,
							 nullptr),
				   STATUS_SUCCESS));
	EXPECT_EQ(len, 4 * 4096u - 0x100);
	ASSERT_EQ(sg.h.NumberOfElements, 3u);
	EXPECT_EQ(static_cast<unsigned long long>(sg.e[0].Address.QuadPart), fake::iova(0x900, 0x100));
	EXPECT_EQ(sg.e[0].Length, 0x1000u - 0x100);
	EXPECT_EQ(static_cast<unsigned long long>(sg.e[1].Address.QuadPart), fake::iova(0x700, 0));
	EXPECT_EQ(sg.e[1].Length, 0x2000u);
	EXPECT_EQ(sg.e[2].Length, 0x1000u);
	EXPECT_EQ(fake::dma_ranges().size(), 3u);
	EXPECT_TRUE(fake::dma_ranges()[0].to_device);
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->FlushAdapterBuffersEx(a, m, base, 0x100, len, TRUE), STATUS_SUCCESS));
	EXPECT_TRUE(fake::dma_ranges().empty());
	// Room for two elements: *Length says how far it got.
	len = 4 * 4096;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->MapTransferEx(a, m, base, 0, 0, &len, FALSE, &sg.h,
							 sizeof(SCATTER_GATHER_LIST) + 2 * sizeof(SCATTER_GATHER_ELEMENT),
							 nullptr, nullptr),
				   STATUS_SUCCESS));
	EXPECT_EQ(sg.h.NumberOfElements, 2u);
	EXPECT_EQ(len, 3 * 4096u);
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffersEx(a, m, base, 0, len, FALSE));
	// No room at all.
	len = 4096;
	EXPECT_EQ(Ops(a)->MapTransferEx(a, m, base, 0, 0, &len, FALSE, &sg.h, sizeof(SCATTER_GATHER_LIST), nullptr,
					nullptr),
		  STATUS_BUFFER_TOO_SMALL);
	EXPECT_EQ(len, 0u);
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterObject(a, DeallocateObject));
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 0u);

	// Two registers for four pages: the first run (one page) and one page
	// of the second, no report; a third MapTransferEx finds none left.
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 2, DMA_SYNCHRONOUS_CALLBACK,
								    nullptr, nullptr, &base),
				   STATUS_SUCCESS));
	len = 4 * 4096;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->MapTransferEx(a, m, base, 0, 0, &len, TRUE, &sg.h, sizeof(sg.raw), nullptr,
							 nullptr),
				   STATUS_SUCCESS));
	EXPECT_EQ(sg.h.NumberOfElements, 2u);
	EXPECT_EQ(len, 2 * 4096u);
	len = 4096;
	EXPECT_REPORT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_TOO_MANY_MAP_REGISTERS,
		      EXPECT_EQ(Ops(a)->MapTransferEx(a, m, base, 2 * 4096, 0, &len, TRUE, &sg.h, sizeof(sg.raw), nullptr,
						      nullptr),
				STATUS_INSUFFICIENT_RESOURCES));
	// FreeAdapterObject keeping the registers: FreeMapRegisters later.
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffersEx(a, m, base, 0, 2 * 4096, TRUE));
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterObject(a, DeallocateObjectKeepRegisters));
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_EQ(Usage(1), 1u);
	EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 2));
	EXPECT_EQ(Usage(1), 0u);

	// With a routine: as AllocateAdapterChannel.
	Control c;
	c.action = DeallocateObject;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 1, 0, Controlled, &c, nullptr),
				   STATUS_SUCCESS));
	EXPECT_EQ(c.calls, 1);
	EXPECT_NE(c.base, nullptr);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_REPORT(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      EXPECT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 1, 0, nullptr, nullptr, &base),
				STATUS_INVALID_PARAMETER));
	// A system-DMA completion routine is refused.
	ASSERT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 1, DMA_SYNCHRONOUS_CALLBACK, nullptr, nullptr, &base),
		  STATUS_SUCCESS);
	len = 4096;
	EXPECT_REPORT(MMSHIM_CALL_FAILED, MMSHIM_FAIL_UNSUPPORTED,
		      EXPECT_EQ(Ops(a)->MapTransferEx(a, m, base, 0, 0, &len, TRUE, &sg.h, sizeof(sg.raw), DmaDone,
						      nullptr),
				STATUS_INVALID_PARAMETER));
	EXPECT_EQ(len, 0u);
	EXPECT_TRUE(fake::dma_ranges().empty());
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterObject(a, DeallocateObject));
	Release(m);
	PutClean(a);
}

TEST_F(V3Test, MapTransferExOnANonScatterGatherAdapterBounces)
{
	ULONG granted = 0;
	PDMA_ADAPTER a = NonSg(0x10000, &granted);
	Init(a, ctx_);
	PMDL m = Locked(kVmalloc, 4 * 4096);
	FillFrame(0x700, 9);
	PVOID base = nullptr;
	ASSERT_EQ(Ops(a)->AllocateAdapterChannelEx(a, pdo_, ctx_, 5, DMA_SYNCHRONOUS_CALLBACK, nullptr, nullptr, &base),
		  STATUS_SUCCESS);
	SgBuffer<1> sg;
	ULONG len = 2 * 4096;
	EXPECT_NO_REPORT(EXPECT_EQ(Ops(a)->MapTransferEx(a, m, base, 4096, 0, &len, TRUE, &sg.h, sizeof(sg.raw), nullptr,
							 nullptr),
				   STATUS_SUCCESS));
	EXPECT_EQ(len, 2 * 4096u);
	ASSERT_EQ(sg.h.NumberOfElements, 1u);
	EXPECT_EQ(sg.e[0].Length, 2 * 4096u);
	unsigned char *bounce = fake::dma_coherent_at(static_cast<unsigned long long>(sg.e[0].Address.QuadPart));
	ASSERT_NE(bounce, nullptr);
	EXPECT_EQ(std::memcmp(bounce, fake::dma_frame(0x700), 4096), 0); // copied in for the device
	EXPECT_NO_REPORT(Ops(a)->FlushAdapterBuffersEx(a, m, base, 4096, len, TRUE));
	EXPECT_NO_REPORT(Ops(a)->FreeAdapterObject(a, DeallocateObject));
	Release(m);
	PutClean(a);
}

TEST_F(V3Test, CommonBufferBelowAMaximumAddress)
{
	PDMA_ADAPTER a = Adapter();
	PHYSICAL_ADDRESS la{}, max{};
	// No maximum: as AllocateCommonBuffer.
	PVOID v0 = nullptr;
	EXPECT_NO_REPORT(v0 = Ops(a)->AllocateCommonBufferEx(a, nullptr, 8192, &la, TRUE, MM_ANY_NODE_OK));
	ASSERT_NE(v0, nullptr);
	const PHYSICAL_ADDRESS la0 = la;
	// 1 GiB - 1: a 30-bit coherent mask for this one allocation.
	max.QuadPart = 0x3FFFFFFF;
	PVOID v1 = Ops(a)->AllocateCommonBufferEx(a, &max, 8192, &la, TRUE, 0);
	ASSERT_NE(v1, nullptr);
	EXPECT_EQ(fake::dma_coherent_below_bits(), 30u);
	EXPECT_LE(static_cast<unsigned long long>(la.QuadPart) + 8191, 0x3FFFFFFFULL);
	const PHYSICAL_ADDRESS la1 = la;
	// Not a power of two: the widest mask under it.
	max.QuadPart = 0x12345678;
	PVOID v2 = Ops(a)->AllocateCommonBufferEx(a, &max, 4096, &la, FALSE, 0);
	ASSERT_NE(v2, nullptr);
	EXPECT_EQ(fake::dma_coherent_below_bits(), 28u);
	EXPECT_LE(static_cast<unsigned long long>(la.QuadPart) + 4095, 0x12345678ULL);
	const PHYSICAL_ADDRESS la2 = la;
	// A platform that gives memory above the mask: caught, nothing leaks.
	fake::dma_coherent_below_ignores_mask(true);
	max.QuadPart = 0xFFFFFFFF;
	EXPECT_EQ(Ops(a)->AllocateCommonBufferEx(a, &max, 4096, &la, TRUE, 0), nullptr);
	fake::dma_coherent_below_ignores_mask(false);
	// Too low for any DMA mask.
	max.QuadPart = 0xFFFF;
	EXPECT_EQ(Ops(a)->AllocateCommonBufferEx(a, &max, 4096, &la, TRUE, 0), nullptr);
	EXPECT_EQ(fake::dma_live_coherent(), 3u);
	SIZE_T buffers = 0;
	MmshimDmaUsage(nullptr, nullptr, &buffers);
	EXPECT_EQ(buffers, 3u);
	EXPECT_NO_REPORT(Ops(a)->FreeCommonBuffer(a, 8192, la0, v0, TRUE));
	EXPECT_NO_REPORT(Ops(a)->FreeCommonBuffer(a, 8192, la1, v1, TRUE));
	EXPECT_NO_REPORT(Ops(a)->FreeCommonBuffer(a, 4096, la2, v2, FALSE));
	EXPECT_EQ(fake::dma_live_coherent(), 0u);
	PutClean(a);
}

TEST_F(PacketTest, FreeMapRegistersChecksTheCount)
{
	PDMA_ADAPTER a = Adapter();
	PVOID base = Channel(a, 3, DeallocateObjectKeepRegisters);
	fake::Report r;
	EXPECT_REPORT_OUT(DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_MAP_REGISTER_COUNT_MISMATCH, &r,
			  Ops(a)->FreeMapRegisters(a, base, 2));
	EXPECT_EQ(r.params[1], 2u);
	EXPECT_EQ(r.params[2], 3u);
	EXPECT_EQ(Usage(1), 0u); // all three freed all the same
	base = Channel(a, 3, DeallocateObjectKeepRegisters);
	EXPECT_NO_REPORT(Ops(a)->FreeMapRegisters(a, base, 3));
	PutClean(a);
}

TEST_F(V3Test, UnloadReleasesAnAdapterObjectHeldByAnExList)
{
	PDMA_ADAPTER a = Adapter();
	Init(a, ctx_);
	PMDL m = Locked(kKernel, 4096);
	PSCATTER_GATHER_LIST l = nullptr;
	ASSERT_EQ(Ops(a)->GetScatterGatherListEx(a, pdo_, ctx_, m, 0, 4096, DMA_SYNCHRONOUS_CALLBACK, nullptr, nullptr,
						 TRUE, nullptr, nullptr, &l),
		  STATUS_SUCCESS);
	// Put with the list and the adapter object still held: both reported and released.
	const size_t first = fake::reports().size();
	Ops(a)->PutDmaAdapter(a);
	EXPECT_EQ(fake::reports().size(), first + 2);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING), 1u);
	EXPECT_EQ(CountSince(first, DRIVER_VERIFIER_DMA_VIOLATION, MMSHIM_DMA_ADAPTER_LISTS_OUTSTANDING), 1u);
	EXPECT_EQ(Usage(0), 0u);
	EXPECT_TRUE(fake::dma_mappings().empty());
	Release(m);
}

} // namespace
