// SPDX-License-Identifier: GPL-2.0
// dma_test.cpp - DMA adapters over MDLs (src/core/dma.cpp, docs/dma.md)
// against the fake DMA platform (fake_dma.cpp): device objects,
// IoGetDmaAdapter's DEVICE_DESCRIPTION handling, scatter/gather lists over
// MDLs and MDL chains, common buffers, DISPATCH_LEVEL memory, every
// verifier check, failure injection, and release at unload.
#include "test_support.h"

#include <cstring>
#include <vector>

#include "dma_header_check.h"
#include "fake_dma.h"

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
	// Not implemented: NULL, never a silent no-op.
	EXPECT_EQ(ops->AllocateAdapterChannel, nullptr);
	EXPECT_EQ(ops->FlushAdapterBuffers, nullptr);
	EXPECT_EQ(ops->FreeAdapterChannel, nullptr);
	EXPECT_EQ(ops->FreeMapRegisters, nullptr);
	EXPECT_EQ(ops->MapTransfer, nullptr);
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
	Release(m); // (not yet reported: see docs/dma.md, not done)
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

} // namespace
