// SPDX-License-Identifier: GPL-2.0
/*
 * dma.c - the Windows half of the example's DMA part: a caller's buffer,
 * locked by the I/O manager for direct I/O (Irp->MdlAddress), moved to and
 * from a bus-mastering device through a DMA adapter, as a Windows driver
 * does it:
 *   start device    IoGetDmaAdapter with a DEVICE_DESCRIPTION (32-bit
 *                   scatter/gather bus master), MmMapIoSpace of the registers;
 *   each transfer   GetScatterGatherList over the MDL; the execution routine
 *                   gets the list of bus addresses (IOVAs behind an IOMMU,
 *                   bounce slots with swiotlb); the driver programs one
 *                   device transfer per element; PutScatterGatherList
 *                   (which copies bounce buffers back for reads);
 *   stop device     PutDmaAdapter, MmUnmapIoSpace.
 * The device is qemu's "edu": its DMA engine copies between a bus address
 * and its own 4 KiB buffer (registers 0x80 source, 0x88 destination, 0x90
 * count, 0x98 command: bit 0 start, bit 1 device-to-RAM). A real driver
 * would wait for the completion interrupt; this one polls, sleeping.
 */
#include "driver.h"

#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_BUFFER 0x40000ULL /* the device's buffer, in its own address space */

static PDEVICE_OBJECT DevicePdo;
static PDMA_ADAPTER Adapter;
static PUCHAR Registers;
static SIZE_T RegistersLength;
static LONG Transfers;

NTSTATUS ExampleDmaStart(PDEVICE_OBJECT Pdo, PHYSICAL_ADDRESS Bar0, SIZE_T Length)
{
	DEVICE_DESCRIPTION Description;
	ULONG MapRegisters = 0;

	RtlZeroMemory(&Description, sizeof(Description));
	Description.Version = DEVICE_DESCRIPTION_VERSION3;
	Description.Master = TRUE;
	Description.ScatterGather = TRUE;
	Description.Dma32BitAddresses = TRUE;
	Description.DmaAddressWidth = 32;
	Description.InterfaceType = PCIBus;
	Description.MaximumLength = EXAMPLE_DMA_MAX;
	Registers = (PUCHAR)MmMapIoSpace(Bar0, Length, MmNonCached);
	if (!Registers)
		return STATUS_INSUFFICIENT_RESOURCES;
	RegistersLength = Length;
	Adapter = IoGetDmaAdapter(Pdo, &Description, &MapRegisters);
	if (!Adapter) {
		MmUnmapIoSpace(Registers, Length);
		Registers = NULL;
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	DevicePdo = Pdo;
	DbgPrint("dma: IoGetDmaAdapter: adapter %px (DMA_OPERATIONS %u bytes), %lu map registers\n", Adapter,
		 (unsigned)Adapter->DmaOperations->Size, (unsigned long)MapRegisters);
	return STATUS_SUCCESS;
}

VOID ExampleDmaStop(VOID)
{
	if (!Adapter)
		return;
	Adapter->DmaOperations->PutDmaAdapter(Adapter);
	Adapter = NULL;
	MmUnmapIoSpace(Registers, RegistersLength);
	Registers = NULL;
}

/* The execution routine: the list is ready (called before
 * GetScatterGatherList returns). The dispatch routine programs it. */
static VOID ListReady(PDEVICE_OBJECT DeviceObject, PIRP Irp, PSCATTER_GATHER_LIST ScatterGather, PVOID Context)
{
	UNREFERENCED_PARAMETER(DeviceObject);
	UNREFERENCED_PARAMETER(Irp);
	*(PSCATTER_GATHER_LIST *)Context = ScatterGather;
}

/* One device transfer between a bus address and the device buffer. */
static NTSTATUS EduTransfer(ULONG64 Bus, ULONG Offset, ULONG Count, BOOLEAN ToDevice)
{
	LARGE_INTEGER Interval;
	ULONG Waited;

	WRITE_REGISTER_ULONG64((PULONG64)(Registers + EDU_DMA_SRC), ToDevice ? Bus : EDU_BUFFER + Offset);
	WRITE_REGISTER_ULONG64((PULONG64)(Registers + EDU_DMA_DST), ToDevice ? EDU_BUFFER + Offset : Bus);
	WRITE_REGISTER_ULONG64((PULONG64)(Registers + EDU_DMA_CNT), Count);
	WRITE_REGISTER_ULONG64((PULONG64)(Registers + EDU_DMA_CMD), EDU_DMA_START | (ToDevice ? 0 : EDU_DMA_TO_RAM));
	Interval.QuadPart = -10 * 1000 * 10; /* 10 ms, relative */
	for (Waited = 0; READ_REGISTER_ULONG64((PULONG64)(Registers + EDU_DMA_CMD)) & EDU_DMA_START; Waited += 10) {
		if (Waited >= 5000)
			return STATUS_IO_TIMEOUT;
		KeDelayExecutionThread(KernelMode, FALSE, &Interval);
	}
	return STATUS_SUCCESS;
}

/* IOCTL_EXAMPLE_DMA_TO_DEVICE / _FROM_DEVICE: the direct-I/O buffer to or
 * from the device's buffer, through the adapter's scatter/gather list. */
NTSTATUS ExampleDmaTransfer(PEXAMPLE_IRP Irp, BOOLEAN WriteToDevice)
{
	PMDL Mdl = Irp->MdlAddress;
	ULONG Length = Irp->OutputBufferLength, Offset = 0, i;
	PSCATTER_GATHER_LIST List = NULL;
	NTSTATUS Status;

	if (!Adapter)
		return STATUS_DEVICE_NOT_READY;
	if (!Mdl || Length > EXAMPLE_DMA_MAX)
		return STATUS_INVALID_PARAMETER;
	Status = Adapter->DmaOperations->GetScatterGatherList(Adapter, DevicePdo, Mdl, MmGetMdlVirtualAddress(Mdl),
							      Length, ListReady, &List, WriteToDevice);
	if (!NT_SUCCESS(Status))
		return Status;
	if (InterlockedIncrement(&Transfers) <= 2)
		DbgPrint("dma: %lu bytes %s the device in %lu element(s); element 0 at bus address 0x%llx, "
			 "its page's physical address is 0x%llx\n",
			 (unsigned long)Length, WriteToDevice ? "to" : "from",
			 (unsigned long)List->NumberOfElements, (unsigned long long)List->Elements[0].Address.QuadPart,
			 (unsigned long long)MmGetMdlPfnArray(Mdl)[0] << PAGE_SHIFT);
	for (i = 0; i < List->NumberOfElements && NT_SUCCESS(Status); i++) {
		Status = EduTransfer(List->Elements[i].Address.QuadPart, Offset, List->Elements[i].Length,
				     WriteToDevice);
		Offset += List->Elements[i].Length;
	}
	Adapter->DmaOperations->PutScatterGatherList(Adapter, List, WriteToDevice);
	if (NT_SUCCESS(Status))
		Irp->IoStatus.Information = Length;
	return Status;
}
