/* SPDX-License-Identifier: GPL-2.0 */
/*
 * driver.h - what the Windows half of the example (driver.c) and its Linux
 * half (iomgr.c, the stand-in for the I/O manager) share.
 *
 * mmshim has no IRP: the Linux half builds this request instead, with the
 * fields of an IRP and its IO_STACK_LOCATION that a DeviceIoControl
 * dispatch routine uses, under their Windows names.
 */
#ifndef EXAMPLE_DRIVER_H
#define EXAMPLE_DRIVER_H

#include <wdm.h>
#include "ioctl_example.h"

typedef struct _IO_STATUS_BLOCK {
	NTSTATUS Status;
	ULONG_PTR Information;
} IO_STATUS_BLOCK;

/* Per-open state: FileObject->FsContext in a Windows driver. */
typedef struct _EXAMPLE_FILE EXAMPLE_FILE, *PEXAMPLE_FILE;

typedef struct _EXAMPLE_IRP {
	PMDL MdlAddress;         /* Irp->MdlAddress: direct I/O's locked buffer */
	PVOID SystemBuffer;      /* Irp->AssociatedIrp.SystemBuffer */
	PVOID UserBuffer;        /* Irp->UserBuffer (METHOD_NEITHER output) */
	PVOID Type3InputBuffer;  /* Parameters.DeviceIoControl.Type3InputBuffer */
	ULONG IoControlCode;     /* Parameters.DeviceIoControl.IoControlCode */
	ULONG InputBufferLength;
	ULONG OutputBufferLength;
	KPROCESSOR_MODE RequestorMode;
	PEXAMPLE_FILE FileContext;
	IO_STATUS_BLOCK IoStatus;
} EXAMPLE_IRP, *PEXAMPLE_IRP;

/* Windows half (driver.c). */
NTSTATUS ExampleDriverEntry(VOID);
VOID ExampleUnload(VOID);
NTSTATUS ExampleDispatchCreate(PEXAMPLE_FILE *Context);
VOID ExampleDispatchCleanup(PEXAMPLE_FILE Context);
NTSTATUS ExampleDispatchDeviceControl(PEXAMPLE_IRP Irp);
/* DMA part (dma.c): start with the device's physical device object and
 * register BAR (what PnP hands a Windows driver), stop, and one transfer. */
NTSTATUS ExampleDmaStart(PDEVICE_OBJECT Pdo, PHYSICAL_ADDRESS Bar0, SIZE_T Length);
VOID ExampleDmaStop(VOID);
NTSTATUS ExampleDmaTransfer(PEXAMPLE_IRP Irp, BOOLEAN WriteToDevice);


#endif
