// SPDX-License-Identifier: GPL-2.0
/*
 * driver.c - the Windows half of the ioctl example: a device-control
 * dispatch routine as a Windows driver writes it, including only <wdm.h>
 * (through driver.h). It moves data the three Windows ways:
 *   METHOD_BUFFERED   the I/O manager copies through SystemBuffer;
 *   METHOD_*_DIRECT   the I/O manager locks the output buffer in an MDL, the
 *                     driver maps it with MmGetSystemAddressForMdlSafe;
 *   METHOD_NEITHER    the driver gets raw user pointers and does the
 *                     IoAllocateMdl / MmProbeAndLockPages (__try) / map /
 *                     MmUnlockPages / IoFreeMdl dance itself;
 * and shares one nonpaged buffer with applications by mapping it into the
 * calling process (MmMapLockedPagesSpecifyCache with UserMode).
 * The Linux half (iomgr.c) calls these routines one request at a time per
 * handle.
 */
#include "driver.h"

#define EXAMPLE_TAG 'xEoI' /* bytes "IoEx" */
#define EXAMPLE_MAX_MAPPINGS 8
#define EXAMPLE_MAX_LOCKS 4

struct _EXAMPLE_FILE {
	PVOID Mappings[EXAMPLE_MAX_MAPPINGS]; /* user addresses of SharedMdl mapped by this handle */
	PMDL LockedMdls[EXAMPLE_MAX_LOCKS];   /* callers' buffers locked by LOCK_USER */
	PVOID LockedVas[EXAMPLE_MAX_LOCKS];   /* their last user mapping */
};

static PUCHAR SharedBuffer;
static PMDL SharedMdl;

NTSTATUS ExampleDriverEntry(VOID)
{
	/* Whole pages: mmshim maps only whole kernel pages into processes. */
	SharedBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, EXAMPLE_SHARED_BYTES, EXAMPLE_TAG);
	if (!SharedBuffer)
		return STATUS_INSUFFICIENT_RESOURCES;
	SharedMdl = IoAllocateMdl(SharedBuffer, EXAMPLE_SHARED_BYTES, FALSE, FALSE, NULL);
	if (!SharedMdl) {
		ExFreePoolWithTag(SharedBuffer, EXAMPLE_TAG);
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	MmBuildMdlForNonPagedPool(SharedMdl);
	DbgPrint("shared buffer: %u bytes of nonpaged pool, MDL flags 0x%04x\n",
		   (unsigned)EXAMPLE_SHARED_BYTES, (unsigned)(USHORT)SharedMdl->MdlFlags);
	return STATUS_SUCCESS;
}

VOID ExampleUnload(VOID)
{
	/* Every handle is closed by now: each one's mappings were removed at cleanup. */
	IoFreeMdl(SharedMdl);
	ExFreePoolWithTag(SharedBuffer, EXAMPLE_TAG);
}

NTSTATUS ExampleDispatchCreate(PEXAMPLE_FILE *Context)
{
	*Context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(EXAMPLE_FILE), EXAMPLE_TAG);
	return *Context ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}

/* IRP_MJ_CLEANUP: remove this handle's user mappings. On Windows this runs
 * in the process, before its address space goes away; on Linux, when a
 * process exits, the mapping is already gone and mmshim accepts the unmap
 * quietly. */
VOID ExampleDispatchCleanup(PEXAMPLE_FILE Context)
{
	ULONG i;

	for (i = 0; i < EXAMPLE_MAX_MAPPINGS; i++)
		if (Context->Mappings[i])
			MmUnmapLockedPages(Context->Mappings[i], SharedMdl);
	for (i = 0; i < EXAMPLE_MAX_LOCKS; i++) {
		if (!Context->LockedMdls[i])
			continue;
		if (Context->LockedVas[i])
			MmUnmapLockedPages(Context->LockedVas[i], Context->LockedMdls[i]);
		MmUnlockPages(Context->LockedMdls[i]);
		IoFreeMdl(Context->LockedMdls[i]);
	}
	ExFreePoolWithTag(Context, EXAMPLE_TAG);
}

static NTSTATUS Buffered(PEXAMPLE_IRP Irp)
{
	PUCHAR Buffer = Irp->SystemBuffer; /* input and output share it */
	ULONG i;

	if (Irp->OutputBufferLength < Irp->InputBufferLength)
		return STATUS_BUFFER_TOO_SMALL;
	for (i = 0; i < Irp->InputBufferLength; i++)
		Buffer[i] ^= 0x5A;
	Irp->IoStatus.Information = Irp->InputBufferLength;
	return STATUS_SUCCESS;
}

static NTSTATUS DirectOut(PEXAMPLE_IRP Irp)
{
	PUCHAR Out;
	ULONG Seed, i;

	if (Irp->InputBufferLength < sizeof(ULONG) || !Irp->MdlAddress)
		return STATUS_INVALID_PARAMETER;
	Seed = *(PULONG)Irp->SystemBuffer;
	Out = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
	if (!Out)
		return STATUS_INSUFFICIENT_RESOURCES;
	for (i = 0; i < Irp->OutputBufferLength; i++)
		Out[i] = (UCHAR)(Seed + i);
	Irp->IoStatus.Information = Irp->OutputBufferLength;
	return STATUS_SUCCESS;
}

static NTSTATUS DirectIn(PEXAMPLE_IRP Irp)
{
	PUCHAR In;
	ULONG Sum = 0, i;

	if (Irp->InputBufferLength < sizeof(ULONG) || !Irp->MdlAddress)
		return STATUS_INVALID_PARAMETER;
	In = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoWrite);
	if (!In)
		return STATUS_INSUFFICIENT_RESOURCES;
	for (i = 0; i < MmGetMdlByteCount(Irp->MdlAddress); i++)
		Sum += In[i];
	/* Nothing is copied back for direct I/O: the sum travels in Information. */
	Irp->IoStatus.Information = Sum;
	return STATUS_SUCCESS;
}

/* METHOD_NEITHER: nothing was checked or locked for us. */
static NTSTATUS Neither(PEXAMPLE_IRP Irp)
{
	PMDL volatile InMdl = NULL, OutMdl = NULL;
	volatile BOOLEAN InLocked = FALSE, OutLocked = FALSE;
	volatile NTSTATUS Status = STATUS_SUCCESS;
	ULONG Length = Irp->InputBufferLength, i;
	PUCHAR In, Out;

	if (Length == 0 || Length > EXAMPLE_MAX_TRANSFER)
		return STATUS_INVALID_PARAMETER;
	if (Irp->OutputBufferLength < Length)
		return STATUS_BUFFER_TOO_SMALL;
	InMdl = IoAllocateMdl(Irp->Type3InputBuffer, Length, FALSE, FALSE, NULL);
	OutMdl = IoAllocateMdl(Irp->UserBuffer, Length, FALSE, FALSE, NULL);
	if (!InMdl || !OutMdl) {
		Status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	__try {
		MmProbeAndLockPages(InMdl, Irp->RequestorMode, IoReadAccess);
		InLocked = TRUE;
		MmProbeAndLockPages(OutMdl, Irp->RequestorMode, IoWriteAccess);
		OutLocked = TRUE;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		Status = GetExceptionCode();
	}
	if (!NT_SUCCESS(Status))
		goto out;
	In = MmGetSystemAddressForMdlSafe(InMdl, NormalPagePriority | MdlMappingNoWrite);
	Out = MmGetSystemAddressForMdlSafe(OutMdl, NormalPagePriority | MdlMappingNoExecute);
	if (!In || !Out) {
		Status = STATUS_INSUFFICIENT_RESOURCES;
		goto out;
	}
	for (i = 0; i < Length; i++)
		Out[i] = In[Length - 1 - i];
	Irp->IoStatus.Information = Length;
out:
	/* MmUnlockPages also removes the system mappings made above. */
	if (OutLocked)
		MmUnlockPages(OutMdl);
	if (InLocked)
		MmUnlockPages(InMdl);
	if (OutMdl)
		IoFreeMdl(OutMdl);
	if (InMdl)
		IoFreeMdl(InMdl);
	return Status;
}

/* UserMode mappings raise on failure: keep the __try small, with nothing
 * live across it but volatile locals. */
static NTSTATUS MapIntoCaller(ULONG Priority, PVOID *UserVa)
{
	volatile NTSTATUS Status = STATUS_SUCCESS;
	PVOID volatile Va = NULL;

	__try {
		Va = MmMapLockedPagesSpecifyCache(SharedMdl, UserMode, MmCached, NULL, FALSE, Priority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		Status = GetExceptionCode();
	}
	if (NT_SUCCESS(Status) && !Va)
		Status = STATUS_UNSUCCESSFUL; /* refused: mmshim filed a verifier report */
	*UserVa = Va;
	return Status;
}

static NTSTATUS MapShared(PEXAMPLE_IRP Irp)
{
	PEXAMPLE_FILE File = Irp->FileContext;
	ULONG Priority = NormalPagePriority | MdlMappingNoExecute, Slot;
	PVOID UserVa;
	NTSTATUS Status;

	if (Irp->InputBufferLength < sizeof(ULONG) || Irp->OutputBufferLength < sizeof(ULONG64))
		return STATUS_BUFFER_TOO_SMALL;
	if (*(PULONG)Irp->SystemBuffer & EXAMPLE_MAP_READ_ONLY)
		Priority |= MdlMappingNoWrite;
	for (Slot = 0; Slot < EXAMPLE_MAX_MAPPINGS && File->Mappings[Slot]; Slot++)
		;
	if (Slot == EXAMPLE_MAX_MAPPINGS)
		return STATUS_INSUFFICIENT_RESOURCES;
	Status = MapIntoCaller(Priority, &UserVa);
	if (!NT_SUCCESS(Status))
		return Status;
	File->Mappings[Slot] = UserVa;
	*(PULONG64)Irp->SystemBuffer = (ULONG64)(ULONG_PTR)UserVa;
	Irp->IoStatus.Information = sizeof(ULONG64);
	return STATUS_SUCCESS;
}

static NTSTATUS UnmapShared(PEXAMPLE_IRP Irp, BOOLEAN OnlyMine)
{
	PEXAMPLE_FILE File = Irp->FileContext;
	PVOID UserVa;
	ULONG Slot;

	if (Irp->InputBufferLength < sizeof(ULONG64))
		return STATUS_BUFFER_TOO_SMALL;
	UserVa = (PVOID)(ULONG_PTR) * (PULONG64)Irp->SystemBuffer;
	if (!OnlyMine) {
		/* The deliberate bug: no check of who mapped it. */
		MmUnmapLockedPages(UserVa, SharedMdl);
		return STATUS_SUCCESS;
	}
	for (Slot = 0; Slot < EXAMPLE_MAX_MAPPINGS; Slot++) {
		if (UserVa && File->Mappings[Slot] == UserVa) {
			MmUnmapLockedPages(UserVa, SharedMdl);
			File->Mappings[Slot] = NULL;
			return STATUS_SUCCESS;
		}
	}
	return STATUS_INVALID_PARAMETER;
}

/* MmProbeAndLockPages and MmMapLockedPagesSpecifyCache(UserMode) raise:
 * each __try in a function of its own, nothing live across it but volatile
 * locals. */
static NTSTATUS ProbeAndLockUser(PMDL Mdl, LOCK_OPERATION Operation)
{
	volatile NTSTATUS Status = STATUS_SUCCESS;

	__try {
		MmProbeAndLockPages(Mdl, UserMode, Operation);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		Status = GetExceptionCode();
	}
	return Status;
}

static NTSTATUS MapMdlIntoCaller(PMDL Mdl, PVOID *UserVa)
{
	volatile NTSTATUS Status = STATUS_SUCCESS;
	PVOID volatile Va = NULL;

	__try {
		Va = MmMapLockedPagesSpecifyCache(Mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		Status = GetExceptionCode();
	}
	if (NT_SUCCESS(Status) && !Va)
		Status = STATUS_UNSUCCESSFUL; /* refused: mmshim filed a verifier report */
	*UserVa = Va;
	return Status;
}

/* LOCK_USER: lock a caller's buffer, as a driver does before sharing it. */
static NTSTATUS LockUser(PEXAMPLE_IRP Irp)
{
	PEXAMPLE_FILE File = Irp->FileContext;
	struct example_lock *In = Irp->SystemBuffer;
	NTSTATUS Status;
	PMDL Mdl;
	ULONG Slot;

	if (Irp->InputBufferLength < sizeof(*In) || Irp->OutputBufferLength < sizeof(ULONG))
		return STATUS_BUFFER_TOO_SMALL;
	for (Slot = 0; Slot < EXAMPLE_MAX_LOCKS && File->LockedMdls[Slot]; Slot++)
		;
	if (Slot == EXAMPLE_MAX_LOCKS)
		return STATUS_INSUFFICIENT_RESOURCES;
	Mdl = IoAllocateMdl((PVOID)(ULONG_PTR)In->address, In->length, FALSE, FALSE, NULL);
	if (!Mdl)
		return STATUS_INSUFFICIENT_RESOURCES;
	Status = ProbeAndLockUser(Mdl, In->write ? IoWriteAccess : IoReadAccess);
	if (!NT_SUCCESS(Status)) {
		IoFreeMdl(Mdl);
		return Status;
	}
	File->LockedMdls[Slot] = Mdl;
	File->LockedVas[Slot] = NULL;
	*(PULONG)Irp->SystemBuffer = Slot;
	Irp->IoStatus.Information = sizeof(ULONG);
	return STATUS_SUCCESS;
}

static PMDL LockedSlot(PEXAMPLE_IRP Irp, ULONG *Slot)
{
	PEXAMPLE_FILE File = Irp->FileContext;

	if (Irp->InputBufferLength < sizeof(ULONG))
		return NULL;
	*Slot = *(PULONG)Irp->SystemBuffer;
	return *Slot < EXAMPLE_MAX_LOCKS ? File->LockedMdls[*Slot] : NULL;
}

/* MAP_LOCKED: share the locked buffer back, without MdlMappingNoWrite. */
static NTSTATUS MapLocked(PEXAMPLE_IRP Irp)
{
	NTSTATUS Status;
	PVOID Va;
	ULONG Slot;
	PMDL Mdl = LockedSlot(Irp, &Slot);

	if (!Mdl || Irp->OutputBufferLength < sizeof(ULONG64))
		return STATUS_INVALID_PARAMETER;
	Status = MapMdlIntoCaller(Mdl, &Va);
	if (!NT_SUCCESS(Status))
		return Status;
	if (Irp->FileContext->LockedVas[Slot])
		MmUnmapLockedPages(Irp->FileContext->LockedVas[Slot], Mdl);
	Irp->FileContext->LockedVas[Slot] = Va;
	*(PULONG64)Irp->SystemBuffer = (ULONG64)(ULONG_PTR)Va;
	Irp->IoStatus.Information = sizeof(ULONG64);
	return STATUS_SUCCESS;
}

/* UNMAP_LOCKED / UNLOCK: no check of which process asks (the handle's). */
static NTSTATUS UnlockUser(PEXAMPLE_IRP Irp, BOOLEAN Unlock)
{
	ULONG Slot;
	PMDL Mdl = LockedSlot(Irp, &Slot);

	if (!Mdl)
		return STATUS_INVALID_PARAMETER;
	if (Irp->FileContext->LockedVas[Slot])
		MmUnmapLockedPages(Irp->FileContext->LockedVas[Slot], Mdl);
	Irp->FileContext->LockedVas[Slot] = NULL;
	if (Unlock) {
		MmUnlockPages(Mdl);
		IoFreeMdl(Mdl);
		Irp->FileContext->LockedMdls[Slot] = NULL;
	}
	return STATUS_SUCCESS;
}

static NTSTATUS SharedStamp(PEXAMPLE_IRP Irp)
{
	ULONG Seed, i;

	if (Irp->InputBufferLength < sizeof(ULONG))
		return STATUS_BUFFER_TOO_SMALL;
	Seed = *(PULONG)Irp->SystemBuffer;
	for (i = 0; i < EXAMPLE_SHARED_BYTES; i++)
		SharedBuffer[i] = (UCHAR)(Seed + i);
	return STATUS_SUCCESS;
}

static NTSTATUS SharedSum(PEXAMPLE_IRP Irp)
{
	ULONG Sum = 0, i;

	if (Irp->OutputBufferLength < sizeof(ULONG))
		return STATUS_BUFFER_TOO_SMALL;
	for (i = 0; i < EXAMPLE_SHARED_BYTES; i++)
		Sum += SharedBuffer[i];
	*(PULONG)Irp->SystemBuffer = Sum;
	Irp->IoStatus.Information = sizeof(ULONG);
	return STATUS_SUCCESS;
}

static NTSTATUS Stats(PEXAMPLE_IRP Irp)
{
	struct example_stats *S = Irp->SystemBuffer;
	PEXAMPLE_FILE File = Irp->FileContext;
	ULONG i;

	if (Irp->OutputBufferLength < sizeof(*S))
		return STATUS_BUFFER_TOO_SMALL;
	S->user_mappings = MmshimUserMappingCount();
	S->locked_mdls = MmshimLockedMdlCount();
	S->live_mdls = MmshimLiveMdlCount();
	S->wrong_process = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
						     MMSHIM_VRF_USER_MAPPING_WRONG_PROCESS);
	S->unhandled = MmshimVerifierReportCount(KMODE_EXCEPTION_NOT_HANDLED, MMSHIM_ANY_PARAMETER);
	S->reports = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_ANY_PARAMETER);
	S->read_only_mappings = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							  MMSHIM_VRF_USER_MAPPING_READ_ONLY);
	S->live_revoked = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
						    MMSHIM_VRF_USER_MAPPING_LIVE);
	S->driver_mappings = 0;
	for (i = 0; i < EXAMPLE_MAX_MAPPINGS; i++)
		S->driver_mappings += File->Mappings[i] != NULL;
	Irp->IoStatus.Information = sizeof(*S);
	return STATUS_SUCCESS;
}

/* IRP_MJ_DEVICE_CONTROL */
NTSTATUS ExampleDispatchDeviceControl(PEXAMPLE_IRP Irp)
{
	NTSTATUS Status;

	Irp->IoStatus.Information = 0;
	switch (Irp->IoControlCode) {
	case IOCTL_EXAMPLE_BUFFERED:
		Status = Buffered(Irp);
		break;
	case IOCTL_EXAMPLE_DIRECT_OUT:
		Status = DirectOut(Irp);
		break;
	case IOCTL_EXAMPLE_DIRECT_IN:
		Status = DirectIn(Irp);
		break;
	case IOCTL_EXAMPLE_NEITHER:
		Status = Neither(Irp);
		break;
	case IOCTL_EXAMPLE_MAP_SHARED:
		Status = MapShared(Irp);
		break;
	case IOCTL_EXAMPLE_UNMAP_SHARED:
		Status = UnmapShared(Irp, TRUE);
		break;
	case IOCTL_EXAMPLE_UNMAP_ANY:
		Status = UnmapShared(Irp, FALSE);
		break;
	case IOCTL_EXAMPLE_SHARED_STAMP:
		Status = SharedStamp(Irp);
		break;
	case IOCTL_EXAMPLE_SHARED_SUM:
		Status = SharedSum(Irp);
		break;
	case IOCTL_EXAMPLE_STATS:
		Status = Stats(Irp);
		break;
	case IOCTL_EXAMPLE_LOCK_USER:
		Status = LockUser(Irp);
		break;
	case IOCTL_EXAMPLE_MAP_LOCKED:
		Status = MapLocked(Irp);
		break;
	case IOCTL_EXAMPLE_UNMAP_LOCKED:
		Status = UnlockUser(Irp, FALSE);
		break;
	case IOCTL_EXAMPLE_UNLOCK:
		Status = UnlockUser(Irp, TRUE);
		break;
	case IOCTL_EXAMPLE_DMA_TO_DEVICE:
		Status = ExampleDmaTransfer(Irp, TRUE);
		break;
	case IOCTL_EXAMPLE_DMA_FROM_DEVICE:
		Status = ExampleDmaTransfer(Irp, FALSE);
		break;
	default:
		Status = STATUS_INVALID_DEVICE_REQUEST;
		break;
	}
	Irp->IoStatus.Status = Status;
	if (!NT_SUCCESS(Status))
		Irp->IoStatus.Information = 0;
	return Status;
}
