// SPDX-License-Identifier: GPL-2.0
/*
 * dma_header_check.c - <wdm.h>'s DMA adapter declarations (mmshim/dma.h)
 * compiled as pedantic ISO C11: layouts (the header's static asserts run
 * here in C too), and IoGetDmaAdapter and the DMA_OPERATIONS slots assigned
 * to pointers of the types the WDK declares, spelled out.
 */
#include <wdm.h>
#include <stddef.h>

#include "dma_header_check.h"

typedef PDMA_ADAPTER (*wdk_IoGetDmaAdapter)(PDEVICE_OBJECT, PDEVICE_DESCRIPTION, PULONG);
typedef NTSTATUS (*wdk_GetScatterGatherList)(PDMA_ADAPTER, PDEVICE_OBJECT, PMDL, PVOID, ULONG,
					     PDRIVER_LIST_CONTROL, PVOID, BOOLEAN);
typedef VOID (*wdk_PutScatterGatherList)(PDMA_ADAPTER, PSCATTER_GATHER_LIST, BOOLEAN);
typedef PVOID (*wdk_AllocateCommonBuffer)(PDMA_ADAPTER, ULONG, PPHYSICAL_ADDRESS, BOOLEAN);
typedef VOID (*wdk_FreeCommonBuffer)(PDMA_ADAPTER, ULONG, PHYSICAL_ADDRESS, PVOID, BOOLEAN);
typedef NTSTATUS (*wdk_BuildScatterGatherList)(PDMA_ADAPTER, PDEVICE_OBJECT, PMDL, PVOID, ULONG,
					       PDRIVER_LIST_CONTROL, PVOID, BOOLEAN, PVOID, ULONG);
typedef PHYSICAL_ADDRESS (*wdk_MapTransfer)(PDMA_ADAPTER, PMDL, PVOID, PVOID, PULONG, BOOLEAN);

int mmshim_dma_header_check(struct dma_header_values *v)
{
	DMA_OPERATIONS ops = {0};
	wdk_IoGetDmaAdapter f1 = IoGetDmaAdapter;
	wdk_GetScatterGatherList f2 = ops.GetScatterGatherList;
	wdk_PutScatterGatherList f3 = ops.PutScatterGatherList;
	wdk_AllocateCommonBuffer f4 = ops.AllocateCommonBuffer;
	wdk_FreeCommonBuffer f5 = ops.FreeCommonBuffer;
	wdk_BuildScatterGatherList f6 = ops.BuildScatterGatherList;
	wdk_MapTransfer f7 = ops.MapTransfer;

	v->sizeof_device_description = sizeof(DEVICE_DESCRIPTION);
	v->offsetof_max_length = offsetof(DEVICE_DESCRIPTION, MaximumLength);
	v->offsetof_device_address = offsetof(DEVICE_DESCRIPTION, DeviceAddress);
	v->sizeof_dma_adapter = sizeof(DMA_ADAPTER);
	v->sizeof_dma_operations = sizeof(DMA_OPERATIONS);
	v->offsetof_get_sgl = offsetof(DMA_OPERATIONS, GetScatterGatherList);
	v->sizeof_sge = sizeof(SCATTER_GATHER_ELEMENT);
	v->offsetof_elements = offsetof(SCATTER_GATHER_LIST, Elements);
	v->prototypes = f1 != NULL && !f2 && !f3 && !f4 && !f5 && !f6 && !f7;
	return 9;
}
