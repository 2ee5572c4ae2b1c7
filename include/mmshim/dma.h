/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/dma.h - DMA adapters over MDLs: IoGetDmaAdapter, DMA_ADAPTER,
 * DMA_OPERATIONS, DEVICE_DESCRIPTION and scatter/gather lists, with the WDK's
 * names, values and x64/arm64 layouts (checked below).
 *
 * Implemented over the Linux DMA API (dma_map_sg, dma_alloc_coherent ...),
 * so bus addresses are right behind an IOMMU and with bounce buffers. The
 * routines mmshim does not implement have NULL slots in DMA_OPERATIONS
 * (listed at the table); DmaOperations->Size covers the filled slots of
 * the table the adapter's DEVICE_DESCRIPTION version selects. The PDEVICE_OBJECT comes from the driver's Linux
 * half: MmshimDeviceObject() in <mmshim/linux.h>. See docs/dma.md.
 */
#ifndef MMSHIM_DMA_H
#define MMSHIM_DMA_H

#include <mmshim/types.h>
#include <mmshim/mdl.h>

/* Only an incomplete type and a pointer to it (as IRP): mmshim's stand-in
 * for a device's physical device object, from MmshimDeviceObject(). */
struct _DEVICE_OBJECT;
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;

typedef enum _INTERFACE_TYPE {
	InterfaceTypeUndefined = -1,
	Internal = 0,
	Isa = 1,
	Eisa = 2,
	MicroChannel = 3,
	TurboChannel = 4,
	PCIBus = 5,
	VMEBus = 6,
	NuBus = 7,
	PCMCIABus = 8,
	CBus = 9,
	MPIBus = 10,
	MPSABus = 11,
	ProcessorInternal = 12,
	InternalPowerBus = 13,
	PNPISABus = 14,
	PNPBus = 15,
	Vmcs = 16,
	ACPIBus = 17,
	MaximumInterfaceType
} INTERFACE_TYPE, *PINTERFACE_TYPE;

typedef enum _DMA_WIDTH {
	Width8Bits,
	Width16Bits,
	Width32Bits,
	Width64Bits,
	WidthNoWrap,
	MaximumDmaWidth
} DMA_WIDTH, *PDMA_WIDTH;

typedef enum _DMA_SPEED {
	Compatible,
	TypeA,
	TypeB,
	TypeC,
	TypeF,
	MaximumDmaSpeed
} DMA_SPEED, *PDMA_SPEED;

typedef enum _IO_ALLOCATION_ACTION {
	KeepObject = 1,
	DeallocateObject,
	DeallocateObjectKeepRegisters
} IO_ALLOCATION_ACTION, *PIO_ALLOCATION_ACTION;

#define DEVICE_DESCRIPTION_VERSION 0
#define DEVICE_DESCRIPTION_VERSION1 1
#define DEVICE_DESCRIPTION_VERSION2 2
#define DEVICE_DESCRIPTION_VERSION3 3

typedef struct _DEVICE_DESCRIPTION {
	ULONG Version;
	BOOLEAN Master;
	BOOLEAN ScatterGather;
	BOOLEAN DemandMode;
	BOOLEAN AutoInitialize;
	BOOLEAN Dma32BitAddresses;
	BOOLEAN IgnoreCount;
	BOOLEAN Reserved1;
	BOOLEAN Dma64BitAddresses;
	ULONG BusNumber;
	ULONG DmaChannel;
	INTERFACE_TYPE InterfaceType;
	DMA_WIDTH DmaWidth;
	DMA_SPEED DmaSpeed;
	ULONG MaximumLength;
	ULONG DmaPort;
	/* Version 3 on. */
	ULONG DmaAddressWidth;
	ULONG DmaControllerInstance;
	ULONG DmaRequestLine;
	PHYSICAL_ADDRESS DeviceAddress;
} DEVICE_DESCRIPTION, *PDEVICE_DESCRIPTION;

typedef struct _SCATTER_GATHER_ELEMENT {
	PHYSICAL_ADDRESS Address; /* bus address: an IOVA behind an IOMMU */
	ULONG Length;
	ULONG_PTR Reserved;
} SCATTER_GATHER_ELEMENT, *PSCATTER_GATHER_ELEMENT;

typedef struct _SCATTER_GATHER_LIST {
	ULONG NumberOfElements;
	ULONG_PTR Reserved;
	SCATTER_GATHER_ELEMENT Elements[];
} SCATTER_GATHER_LIST, *PSCATTER_GATHER_LIST;

struct _DMA_OPERATIONS;
typedef struct _DMA_ADAPTER {
	USHORT Version;
	USHORT Size;
	struct _DMA_OPERATIONS *DmaOperations;
} DMA_ADAPTER, *PDMA_ADAPTER;

/* Execution routines. mmshim calls them before Get/BuildScatterGatherList
 * returns, with Irp NULL (mmshim has no IRPs). */
typedef VOID DRIVER_LIST_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp,
				 PSCATTER_GATHER_LIST ScatterGather, PVOID Context);
typedef DRIVER_LIST_CONTROL *PDRIVER_LIST_CONTROL;
typedef IO_ALLOCATION_ACTION DRIVER_CONTROL(PDEVICE_OBJECT DeviceObject, PIRP Irp,
					    PVOID MapRegisterBase, PVOID Context);
typedef DRIVER_CONTROL *PDRIVER_CONTROL;

typedef VOID PUT_DMA_ADAPTER(PDMA_ADAPTER DmaAdapter);
typedef PUT_DMA_ADAPTER *PPUT_DMA_ADAPTER;
typedef PVOID ALLOCATE_COMMON_BUFFER(PDMA_ADAPTER DmaAdapter, ULONG Length,
				     PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled);
typedef ALLOCATE_COMMON_BUFFER *PALLOCATE_COMMON_BUFFER;
typedef VOID FREE_COMMON_BUFFER(PDMA_ADAPTER DmaAdapter, ULONG Length,
				PHYSICAL_ADDRESS LogicalAddress, PVOID VirtualAddress,
				BOOLEAN CacheEnabled);
typedef FREE_COMMON_BUFFER *PFREE_COMMON_BUFFER;
typedef NTSTATUS ALLOCATE_ADAPTER_CHANNEL(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
					  ULONG NumberOfMapRegisters,
					  PDRIVER_CONTROL ExecutionRoutine, PVOID Context);
typedef ALLOCATE_ADAPTER_CHANNEL *PALLOCATE_ADAPTER_CHANNEL;
typedef BOOLEAN FLUSH_ADAPTER_BUFFERS(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
				      PVOID CurrentVa, ULONG Length, BOOLEAN WriteToDevice);
typedef FLUSH_ADAPTER_BUFFERS *PFLUSH_ADAPTER_BUFFERS;
typedef VOID FREE_ADAPTER_CHANNEL(PDMA_ADAPTER DmaAdapter);
typedef FREE_ADAPTER_CHANNEL *PFREE_ADAPTER_CHANNEL;
typedef VOID FREE_MAP_REGISTERS(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase,
				ULONG NumberOfMapRegisters);
typedef FREE_MAP_REGISTERS *PFREE_MAP_REGISTERS;
typedef PHYSICAL_ADDRESS MAP_TRANSFER(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
				      PVOID CurrentVa, PULONG Length, BOOLEAN WriteToDevice);
typedef MAP_TRANSFER *PMAP_TRANSFER;
typedef ULONG GET_DMA_ALIGNMENT(PDMA_ADAPTER DmaAdapter);
typedef GET_DMA_ALIGNMENT *PGET_DMA_ALIGNMENT;
typedef ULONG READ_DMA_COUNTER(PDMA_ADAPTER DmaAdapter);
typedef READ_DMA_COUNTER *PREAD_DMA_COUNTER;
typedef NTSTATUS GET_SCATTER_GATHER_LIST(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
					 PMDL Mdl, PVOID CurrentVa, ULONG Length,
					 PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
					 BOOLEAN WriteToDevice);
typedef GET_SCATTER_GATHER_LIST *PGET_SCATTER_GATHER_LIST;
typedef VOID PUT_SCATTER_GATHER_LIST(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
				     BOOLEAN WriteToDevice);
typedef PUT_SCATTER_GATHER_LIST *PPUT_SCATTER_GATHER_LIST;
typedef NTSTATUS CALCULATE_SCATTER_GATHER_LIST_SIZE(PDMA_ADAPTER DmaAdapter, PMDL Mdl,
						    PVOID CurrentVa, ULONG Length,
						    PULONG ScatterGatherListSize,
						    PULONG NumberOfMapRegisters);
typedef CALCULATE_SCATTER_GATHER_LIST_SIZE *PCALCULATE_SCATTER_GATHER_LIST_SIZE;
typedef NTSTATUS BUILD_SCATTER_GATHER_LIST(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
					   PMDL Mdl, PVOID CurrentVa, ULONG Length,
					   PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
					   BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
					   ULONG ScatterGatherLength);
typedef BUILD_SCATTER_GATHER_LIST *PBUILD_SCATTER_GATHER_LIST;
typedef NTSTATUS BUILD_MDL_FROM_SCATTER_GATHER_LIST(PDMA_ADAPTER DmaAdapter,
						    PSCATTER_GATHER_LIST ScatterGather,
						    PMDL OriginalMdl, PMDL *TargetMdl);
typedef BUILD_MDL_FROM_SCATTER_GATHER_LIST *PBUILD_MDL_FROM_SCATTER_GATHER_LIST;

/* Version 3 (DEVICE_DESCRIPTION_VERSION3): adapter and transfer information,
 * transfer contexts and the Ex routines. */
typedef ULONG NODE_REQUIREMENT;
#define MM_ANY_NODE_OK 0x80000000

#define DMA_ADAPTER_INFO_VERSION1 1
#define ADAPTER_INFO_SYNCHRONOUS_CALLBACK 0x0001
#define ADAPTER_INFO_API_BYPASS 0x0002

typedef struct _DMA_ADAPTER_INFO_V1 {
	ULONG ReadDmaCounterAvailable;
	ULONG ScatterGatherLimit;
	ULONG DmaAddressWidth;
	ULONG Flags;
	ULONG MinimumTransferUnit;
} DMA_ADAPTER_INFO_V1, *PDMA_ADAPTER_INFO_V1;

typedef struct _DMA_ADAPTER_INFO {
	ULONG Version;
	union {
		DMA_ADAPTER_INFO_V1 V1;
	};
} DMA_ADAPTER_INFO, *PDMA_ADAPTER_INFO;

#define DMA_TRANSFER_INFO_VERSION1 1
#define DMA_TRANSFER_INFO_VERSION2 2

typedef struct _DMA_TRANSFER_INFO_V1 {
	ULONG MapRegisterCount;
	ULONG ScatterGatherElementCount;
	ULONG ScatterGatherListSize;
} DMA_TRANSFER_INFO_V1, *PDMA_TRANSFER_INFO_V1;

typedef struct _DMA_TRANSFER_INFO_V2 {
	ULONG MapRegisterCount;
	ULONG ScatterGatherElementCount;
	ULONG ScatterGatherListSize;
	ULONG LogicalPageCount;
} DMA_TRANSFER_INFO_V2, *PDMA_TRANSFER_INFO_V2;

typedef struct _DMA_TRANSFER_INFO {
	ULONG Version;
	union {
		DMA_TRANSFER_INFO_V1 V1;
		DMA_TRANSFER_INFO_V2 V2;
	};
} DMA_TRANSFER_INFO, *PDMA_TRANSFER_INFO;

/* The opaque transfer context the Ex routines take (64-bit size). */
#define DMA_TRANSFER_CONTEXT_VERSION1 1
#define DMA_TRANSFER_CONTEXT_SIZE_V1 128

/* Flags of AllocateAdapterChannelEx, GetScatterGatherListEx and
 * BuildScatterGatherListEx. */
#define DMA_SYNCHRONOUS_CALLBACK 0x01

typedef enum _DMA_COMPLETION_STATUS {
	DmaComplete,
	DmaAborted,
	DmaError,
	DmaCancelled
} DMA_COMPLETION_STATUS;

/* System-DMA completion routines: mmshim has no system DMA, so the Ex
 * routines refuse a non-NULL one (docs/dma.md). */
typedef VOID DMA_COMPLETION_ROUTINE(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
				    PVOID CompletionContext, DMA_COMPLETION_STATUS Status);
typedef DMA_COMPLETION_ROUTINE *PDMA_COMPLETION_ROUTINE;

typedef NTSTATUS GET_DMA_ADAPTER_INFO(PDMA_ADAPTER DmaAdapter, PDMA_ADAPTER_INFO AdapterInfo);
typedef GET_DMA_ADAPTER_INFO *PGET_DMA_ADAPTER_INFO;
typedef NTSTATUS GET_DMA_TRANSFER_INFO(PDMA_ADAPTER DmaAdapter, PMDL Mdl, ULONGLONG Offset, ULONG Length,
				       BOOLEAN WriteOnly, PDMA_TRANSFER_INFO TransferInfo);
typedef GET_DMA_TRANSFER_INFO *PGET_DMA_TRANSFER_INFO;
typedef NTSTATUS INITIALIZE_DMA_TRANSFER_CONTEXT(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext);
typedef INITIALIZE_DMA_TRANSFER_CONTEXT *PINITIALIZE_DMA_TRANSFER_CONTEXT;
typedef PVOID ALLOCATE_COMMON_BUFFER_EX(PDMA_ADAPTER DmaAdapter, PPHYSICAL_ADDRESS MaximumAddress,
					ULONG Length, PPHYSICAL_ADDRESS LogicalAddress, BOOLEAN CacheEnabled,
					NODE_REQUIREMENT PreferredNode);
typedef ALLOCATE_COMMON_BUFFER_EX *PALLOCATE_COMMON_BUFFER_EX;
typedef NTSTATUS ALLOCATE_ADAPTER_CHANNEL_EX(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
					     PVOID DmaTransferContext, ULONG NumberOfMapRegisters, ULONG Flags,
					     PDRIVER_CONTROL ExecutionRoutine, PVOID ExecutionContext,
					     PVOID *MapRegisterBase);
typedef ALLOCATE_ADAPTER_CHANNEL_EX *PALLOCATE_ADAPTER_CHANNEL_EX;
typedef NTSTATUS CONFIGURE_ADAPTER_CHANNEL(PDMA_ADAPTER DmaAdapter, ULONG FunctionNumber, PVOID Context);
typedef CONFIGURE_ADAPTER_CHANNEL *PCONFIGURE_ADAPTER_CHANNEL;
typedef BOOLEAN CANCEL_ADAPTER_CHANNEL(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
				       PVOID DmaTransferContext);
typedef CANCEL_ADAPTER_CHANNEL *PCANCEL_ADAPTER_CHANNEL;
typedef NTSTATUS MAP_TRANSFER_EX(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, ULONGLONG Offset,
				 ULONG DeviceOffset, PULONG Length, BOOLEAN WriteToDevice,
				 PSCATTER_GATHER_LIST ScatterGatherBuffer, ULONG ScatterGatherBufferLength,
				 PDMA_COMPLETION_ROUTINE DmaCompletionRoutine, PVOID CompletionContext);
typedef MAP_TRANSFER_EX *PMAP_TRANSFER_EX;
typedef NTSTATUS GET_SCATTER_GATHER_LIST_EX(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
					    PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset, ULONG Length,
					    ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
					    BOOLEAN WriteToDevice, PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
					    PVOID CompletionContext, PSCATTER_GATHER_LIST *ScatterGatherList);
typedef GET_SCATTER_GATHER_LIST_EX *PGET_SCATTER_GATHER_LIST_EX;
/* ScatterGatherList: a PSCATTER_GATHER_LIST * (PVOID in the WDK). */
typedef NTSTATUS BUILD_SCATTER_GATHER_LIST_EX(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
					      PVOID DmaTransferContext, PMDL Mdl, ULONGLONG Offset, ULONG Length,
					      ULONG Flags, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
					      BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
					      ULONG ScatterGatherLength, PDMA_COMPLETION_ROUTINE DmaCompletionRoutine,
					      PVOID CompletionContext, PVOID ScatterGatherList);
typedef BUILD_SCATTER_GATHER_LIST_EX *PBUILD_SCATTER_GATHER_LIST_EX;
typedef NTSTATUS FLUSH_ADAPTER_BUFFERS_EX(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase,
					  ULONGLONG Offset, ULONG Length, BOOLEAN WriteToDevice);
typedef FLUSH_ADAPTER_BUFFERS_EX *PFLUSH_ADAPTER_BUFFERS_EX;
typedef VOID FREE_ADAPTER_OBJECT(PDMA_ADAPTER DmaAdapter, IO_ALLOCATION_ACTION AllocationAction);
typedef FREE_ADAPTER_OBJECT *PFREE_ADAPTER_OBJECT;
typedef NTSTATUS CANCEL_MAPPED_TRANSFER(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext);
typedef CANCEL_MAPPED_TRANSFER *PCANCEL_MAPPED_TRANSFER;

/*
 * The type of the slots from AllocateDomainCommonBuffer on (Windows 10's
 * additions), which mmshim does not implement (always NULL): their WDK
 * types are not declared, so a driver that calls one fails to compile
 * instead of calling NULL.
 */
typedef VOID MMSHIM_DMA_NOT_PROVIDED(VOID);
typedef MMSHIM_DMA_NOT_PROVIDED *PMMSHIM_DMA_NOT_PROVIDED;

/*
 * Every slot in WDK order. The table an adapter gets depends on
 * DEVICE_DESCRIPTION.Version, as on Windows:
 * - versions 0 to 2: PutDmaAdapter to BuildScatterGatherList (packet-based
 *   DMA included) are filled; ReadDmaCounter (system DMA, never) and
 *   BuildMdlFromScatterGatherList are NULL, and so is every later slot.
 *   Size = FIELD_OFFSET(DMA_OPERATIONS, BuildMdlFromScatterGatherList).
 * - version 3: the same, plus every version-3 slot from GetDmaAdapterInfo
 *   to CancelMappedTransfer. Size = FIELD_OFFSET(DMA_OPERATIONS,
 *   AllocateDomainCommonBuffer), Windows 8's version-3 table; Windows 10's
 *   later slots are NULL.
 */
typedef struct _DMA_OPERATIONS {
	ULONG Size;
	PPUT_DMA_ADAPTER PutDmaAdapter;
	PALLOCATE_COMMON_BUFFER AllocateCommonBuffer;
	PFREE_COMMON_BUFFER FreeCommonBuffer;
	PALLOCATE_ADAPTER_CHANNEL AllocateAdapterChannel;
	PFLUSH_ADAPTER_BUFFERS FlushAdapterBuffers;
	PFREE_ADAPTER_CHANNEL FreeAdapterChannel;
	PFREE_MAP_REGISTERS FreeMapRegisters;
	PMAP_TRANSFER MapTransfer;
	PGET_DMA_ALIGNMENT GetDmaAlignment;
	PREAD_DMA_COUNTER ReadDmaCounter;
	PGET_SCATTER_GATHER_LIST GetScatterGatherList;
	PPUT_SCATTER_GATHER_LIST PutScatterGatherList;
	PCALCULATE_SCATTER_GATHER_LIST_SIZE CalculateScatterGatherList;
	PBUILD_SCATTER_GATHER_LIST BuildScatterGatherList;
	PBUILD_MDL_FROM_SCATTER_GATHER_LIST BuildMdlFromScatterGatherList;
	PGET_DMA_ADAPTER_INFO GetDmaAdapterInfo;
	PGET_DMA_TRANSFER_INFO GetDmaTransferInfo;
	PINITIALIZE_DMA_TRANSFER_CONTEXT InitializeDmaTransferContext;
	PALLOCATE_COMMON_BUFFER_EX AllocateCommonBufferEx;
	PALLOCATE_ADAPTER_CHANNEL_EX AllocateAdapterChannelEx;
	PCONFIGURE_ADAPTER_CHANNEL ConfigureAdapterChannel;
	PCANCEL_ADAPTER_CHANNEL CancelAdapterChannel;
	PMAP_TRANSFER_EX MapTransferEx;
	PGET_SCATTER_GATHER_LIST_EX GetScatterGatherListEx;
	PBUILD_SCATTER_GATHER_LIST_EX BuildScatterGatherListEx;
	PFLUSH_ADAPTER_BUFFERS_EX FlushAdapterBuffersEx;
	PFREE_ADAPTER_OBJECT FreeAdapterObject;
	PCANCEL_MAPPED_TRANSFER CancelMappedTransfer;
	PMMSHIM_DMA_NOT_PROVIDED AllocateDomainCommonBuffer;
	PMMSHIM_DMA_NOT_PROVIDED FlushDmaBuffer;
	PMMSHIM_DMA_NOT_PROVIDED JoinDmaDomain;
	PMMSHIM_DMA_NOT_PROVIDED LeaveDmaDomain;
	PMMSHIM_DMA_NOT_PROVIDED GetDmaDomain;
	PMMSHIM_DMA_NOT_PROVIDED AllocateCommonBufferWithBounds;
	PMMSHIM_DMA_NOT_PROVIDED AllocateCommonBufferVector;
	PMMSHIM_DMA_NOT_PROVIDED GetCommonBufferFromVectorByIndex;
	PMMSHIM_DMA_NOT_PROVIDED FreeCommonBufferFromVector;
	PMMSHIM_DMA_NOT_PROVIDED FreeCommonBufferVector;
	PMMSHIM_DMA_NOT_PROVIDED CreateCommonBufferFromMdl;
} DMA_OPERATIONS, *PDMA_OPERATIONS;

/* Layouts of the WDK (x64; arm64 is the same LP64 layout). */
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, Master) == 4, "DD.Master at 4");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, Dma32BitAddresses) == 8, "DD.Dma32BitAddresses at 8");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, Dma64BitAddresses) == 11, "DD.Dma64BitAddresses at 11");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, BusNumber) == 12, "DD.BusNumber at 12");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, InterfaceType) == 20, "DD.InterfaceType at 20");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, MaximumLength) == 32, "DD.MaximumLength at 32");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, DmaAddressWidth) == 40, "DD.DmaAddressWidth at 40");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, DmaRequestLine) == 48, "DD.DmaRequestLine at 48");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DEVICE_DESCRIPTION, DeviceAddress) == 56, "DD.DeviceAddress at 56");
MMSHIM_STATIC_ASSERT(sizeof(DEVICE_DESCRIPTION) == 64, "DEVICE_DESCRIPTION is 64 bytes");
MMSHIM_STATIC_ASSERT(sizeof(INTERFACE_TYPE) == 4 && sizeof(DMA_WIDTH) == 4 && sizeof(DMA_SPEED) == 4,
		     "the enums are 32-bit");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(SCATTER_GATHER_ELEMENT, Length) == 8, "SGE.Length at 8");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(SCATTER_GATHER_ELEMENT, Reserved) == 16, "SGE.Reserved at 16");
MMSHIM_STATIC_ASSERT(sizeof(SCATTER_GATHER_ELEMENT) == 24, "SCATTER_GATHER_ELEMENT is 24 bytes");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(SCATTER_GATHER_LIST, Elements) == 16, "SGL.Elements at 16");
MMSHIM_STATIC_ASSERT(sizeof(SCATTER_GATHER_LIST) == 16, "SCATTER_GATHER_LIST header is 16 bytes");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_ADAPTER, Size) == 2, "DMA_ADAPTER.Size at 2");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_ADAPTER, DmaOperations) == 8, "DMA_ADAPTER.DmaOperations at 8");
MMSHIM_STATIC_ASSERT(sizeof(DMA_ADAPTER) == 16, "DMA_ADAPTER is 16 bytes");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, PutDmaAdapter) == 0x08, "PutDmaAdapter at 0x08");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, MapTransfer) == 0x40, "MapTransfer at 0x40");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, GetScatterGatherList) == 0x58, "GetScatterGatherList at 0x58");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, BuildScatterGatherList) == 0x70, "BuildScatterGatherList at 0x70");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, BuildMdlFromScatterGatherList) == 0x78,
		     "BuildMdlFromScatterGatherList at 0x78");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, AllocateCommonBufferEx) == 0x98, "AllocateCommonBufferEx at 0x98");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, GetScatterGatherListEx) == 0xC0, "GetScatterGatherListEx at 0xC0");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, CreateCommonBufferFromMdl) == 0x138,
		     "CreateCommonBufferFromMdl at 0x138");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, FreeAdapterObject) == 0xD8, "FreeAdapterObject at 0xD8");
MMSHIM_STATIC_ASSERT(__builtin_offsetof(DMA_OPERATIONS, AllocateDomainCommonBuffer) == 0xE8,
		     "AllocateDomainCommonBuffer at 0xE8");
MMSHIM_STATIC_ASSERT(sizeof(DMA_ADAPTER_INFO) == 24, "DMA_ADAPTER_INFO is 24 bytes");
MMSHIM_STATIC_ASSERT(sizeof(DMA_TRANSFER_INFO) == 20, "DMA_TRANSFER_INFO is 20 bytes");
MMSHIM_STATIC_ASSERT(sizeof(DMA_OPERATIONS) == 0x140, "DMA_OPERATIONS is 0x140 bytes (39 slots)");

/* DRIVER_VERIFIER_DMA_VIOLATION and its parameter 1: Windows' values, then
 * mmshim's own (0x4D53xxxx) for checks Windows has no code for. */
#define DRIVER_VERIFIER_DMA_VIOLATION 0x000000E6
#define MMSHIM_DMA_TOO_MANY_BUFFERS_FREED 0x03        /* common buffer freed twice or never allocated */
#define MMSHIM_DMA_TOO_MANY_LISTS_FREED 0x06          /* scatter/gather list put twice or never built */
#define MMSHIM_DMA_ADAPTER_BUFFERS_OUTSTANDING 0x07   /* PutDmaAdapter with common buffers left */
#define MMSHIM_DMA_ADAPTER_LISTS_OUTSTANDING 0x0A     /* PutDmaAdapter with scatter/gather lists left */
#define MMSHIM_DMA_BAD_ADAPTER 0x4D5300D0             /* not an adapter from IoGetDmaAdapter (or put) */
#define MMSHIM_DMA_TRANSFER_TOO_LONG 0x4D5300D1       /* Length beyond the MDL chain from CurrentVa */
#define MMSHIM_DMA_TRANSFER_OVER_MAXIMUM 0x4D5300D2   /* Length above DEVICE_DESCRIPTION.MaximumLength */
#define MMSHIM_DMA_MDL_NOT_LOCKED 0x4D5300D3          /* an MDL of the chain holds no locked frames */
#define MMSHIM_DMA_COMMON_BUFFER_MISMATCH 0x4D5300D4  /* FreeCommonBuffer: length or logical address differ */
#define MMSHIM_DMA_ADAPTER_LEAKED_AT_UNLOAD 0x4D5300D5 /* adapters never put when mmshim unloads */
#define MMSHIM_DMA_BAD_CURRENT_VA 0x4D5300D6          /* CurrentVa outside the first MDL's range */
#define MMSHIM_DMA_NOT_RAM 0x4D5300D7                 /* a frame without a struct page (I/O space) */
/* Packet-based DMA (AllocateAdapterChannel, MapTransfer, FlushAdapterBuffers ...). */
#define MMSHIM_DMA_FLUSH_TOO_LONG 0x00                /* Windows' "misc" code, parameter 2 = 1: flushed more than mapped */
#define MMSHIM_DMA_TOO_MANY_CHANNELS_FREED 0x04       /* FreeAdapterChannel without a channel held */
#define MMSHIM_DMA_TOO_MANY_MAP_REGISTERS_FREED 0x05  /* FreeMapRegisters of registers not held that way */
#define MMSHIM_DMA_ADAPTER_CHANNEL_OUTSTANDING 0x08   /* PutDmaAdapter with the adapter channel held (parameter
							 3 = 1) or requests waiting for map registers (2) */
#define MMSHIM_DMA_ADAPTER_MAP_REGISTERS_OUTSTANDING 0x09 /* PutDmaAdapter with map registers held */
#define MMSHIM_DMA_TOO_MANY_CHANNELS 0x0B             /* AllocateAdapterChannel while the channel is held
							 (parameter 2 = 1), or a second request of one
							 device object waiting for map registers (2) */
#define MMSHIM_DMA_TOO_MANY_MAP_REGISTERS 0x0C        /* more map registers than granted or allocated */
#define MMSHIM_DMA_BUFFERS_NOT_FLUSHED 0x0D           /* registers freed with MapTransfer mappings not flushed */
#define MMSHIM_DMA_BAD_MAP_REGISTER_BASE 0x4D5300D8   /* MapRegisterBase not this adapter's held registers */
#define MMSHIM_DMA_FLUSH_MISMATCH 0x4D5300D9          /* FlushAdapterBuffers: another MDL, CurrentVa or direction */
#define MMSHIM_DMA_BAD_TRANSFER_CONTEXT 0x4D5300DB    /* DmaTransferContext not from InitializeDmaTransferContext
							 for this adapter */
#define MMSHIM_DMA_MAP_REGISTER_COUNT_MISMATCH 0x4D5300DC /* FreeMapRegisters: NumberOfMapRegisters is not
							 the number allocated (all are freed) */
#define MMSHIM_DMA_MDL_STILL_MAPPED 0x4D5300DA        /* MmUnlockPages/IoFreeMdl/MmFreePagesFromMdl of an MDL a
							 scatter/gather list or MapTransfer still maps: refused */
#define MMSHIM_DMA_LIST_BUFFER_IN_USE 0x4D5300DE      /* BuildScatterGatherList into, or ExFreePool of, memory
							 a live scatter/gather list still keeps its record in */
#define MMSHIM_DMA_READ_ONLY_FRAMES 0x4D5300DD        /* a transfer from the device into frames the MDL's owner
							 cannot write (read-only lock, kernel read-only data) */

MMSHIM_EXTERN_C_BEGIN

/*
 * The DMA adapter of a bus-master device described by DeviceDescription
 * (versions 0-3), its DMA mask set from it; *NumberOfMapRegisters receives
 * the most pages one transfer may span. NULL, with a report, for slave/ISA
 * DMA, a PhysicalDeviceObject not from MmshimDeviceObject(), or a mask the
 * platform refuses. PASSIVE_LEVEL.
 */
PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject,
			     PDEVICE_DESCRIPTION DeviceDescription, PULONG NumberOfMapRegisters);

/* mmshim extension: live adapters, scatter/gather lists and common buffers
 * (any pointer may be NULL). */
VOID MmshimDmaUsage(PSIZE_T Adapters, PSIZE_T Lists, PSIZE_T CommonBuffers);

/* mmshim extension: adapter channels held, map register sets held, and
 * MapTransfer mappings not yet flushed, over every adapter (any pointer
 * may be NULL). */
VOID MmshimDmaPacketUsage(PSIZE_T Channels, PSIZE_T MapRegisterSets, PSIZE_T Mappings);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_DMA_H */
