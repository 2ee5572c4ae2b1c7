/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ioctl_example.h - the contract between the example driver and its
 * user-space client: control codes built the Windows way (CTL_CODE), and
 * the request block the client passes to ioctl(2), which plays the part of
 * DeviceIoControl's arguments. Included by the kernel module (after
 * <wdm.h>) and by the client (plain C: only mmshim's standalone devioctl.h).
 */
#ifndef IOCTL_EXAMPLE_H
#define IOCTL_EXAMPLE_H

/* CTL_CODE, METHOD_*, FILE_*_ACCESS: mmshim's devioctl.h, standalone, so
 * the client (no Windows header) builds its codes exactly as the driver. */
#include <devioctl.h>

#define EXAMPLE_DEVICE_TYPE 0x8000 /* customer range */

/* in: bytes; out: the same bytes, each XOR 0x5A (buffered both ways) */
#define IOCTL_EXAMPLE_BUFFERED CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* in: ULONG seed (buffered); out: filled with (seed + i) & 0xff through an MDL */
#define IOCTL_EXAMPLE_DIRECT_OUT CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x801, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
/* in: ULONG (unused); "out" buffer: read by the driver through an MDL;
 * returned (IoStatus.Information): the sum of its bytes */
#define IOCTL_EXAMPLE_DIRECT_IN CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x802, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
/* in: bytes (user pointer); out: them reversed (user pointer); the driver locks both */
#define IOCTL_EXAMPLE_NEITHER CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x803, METHOD_NEITHER, FILE_ANY_ACCESS)
/* in: ULONG flags (EXAMPLE_MAP_READ_ONLY); out: ULONG64 user address of the shared buffer */
#define IOCTL_EXAMPLE_MAP_SHARED CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x804, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* in: ULONG64 address this handle mapped */
#define IOCTL_EXAMPLE_UNMAP_SHARED CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x805, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* in: ULONG seed: the driver writes (seed + i) & 0xff over the shared buffer */
#define IOCTL_EXAMPLE_SHARED_STAMP CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x806, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* out: ULONG sum of the shared buffer's bytes as the driver sees them */
#define IOCTL_EXAMPLE_SHARED_SUM CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x807, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* out: struct example_stats */
#define IOCTL_EXAMPLE_STATS CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x808, METHOD_BUFFERED, FILE_ANY_ACCESS)
/* A deliberate bug, to show the verifier: in: ULONG64 address; the driver
 * calls MmUnmapLockedPages on it without checking which process mapped it. */
#define IOCTL_EXAMPLE_UNMAP_ANY CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x809, METHOD_BUFFERED, FILE_ANY_ACCESS)

/*
 * A caller's buffer locked by the driver and shared back into a process,
 * the common Windows pattern: MmProbeAndLockPages(UserMode, IoReadAccess
 * or IoWriteAccess), then MmMapLockedPagesSpecifyCache(UserMode) without
 * MdlMappingNoWrite. Slots belong to the handle (a forked child shares
 * them). The hostile-process checks of the client use these.
 * LOCK_USER in: struct example_lock; out: ULONG slot.
 * MAP_LOCKED in: ULONG slot; out: ULONG64 user address (into the caller).
 * UNMAP_LOCKED in: ULONG slot: MmUnmapLockedPages of the last mapping.
 * UNLOCK in: ULONG slot: unmap (if mapped), MmUnlockPages, IoFreeMdl.
 */
#define IOCTL_EXAMPLE_LOCK_USER CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x80A, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_EXAMPLE_MAP_LOCKED CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x80B, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_EXAMPLE_UNMAP_LOCKED CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x80C, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_EXAMPLE_UNLOCK CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x80D, METHOD_BUFFERED, FILE_ANY_ACCESS)

/*
 * DMA through qemu's edu device (dma.c): the direct-I/O buffer ("out") goes
 * to the device's 4 KiB buffer (TO_DEVICE, METHOD_IN_DIRECT: the device
 * reads it) or comes from it (FROM_DEVICE, METHOD_OUT_DIRECT: the device
 * writes it), through GetScatterGatherList. At most EXAMPLE_DMA_MAX bytes.
 */
#define IOCTL_EXAMPLE_DMA_TO_DEVICE CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x80E, METHOD_IN_DIRECT, FILE_ANY_ACCESS)
#define IOCTL_EXAMPLE_DMA_FROM_DEVICE CTL_CODE(EXAMPLE_DEVICE_TYPE, 0x80F, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)
#define EXAMPLE_DMA_MAX 4000u /* inside edu's buffer, never up to its last byte (qemu 7.2 aborts there) */

struct example_lock {
	unsigned long long address;
	unsigned int length;
	unsigned int write; /* IoWriteAccess if non-zero, else IoReadAccess */
};

#define EXAMPLE_MAP_READ_ONLY 1u
#define EXAMPLE_SHARED_BYTES (4 * 4096)
#define EXAMPLE_MAX_TRANSFER (64 * 1024)

/* What the client passes to ioctl(fd, code, &request). */
struct example_request {
	unsigned long long in;   /* input buffer (user address) */
	unsigned long long out;  /* output buffer (user address) */
	unsigned int in_len;
	unsigned int out_len;
	unsigned int returned;   /* out: IoStatus.Information */
	int status;              /* out: the NTSTATUS the request completed with */
};

struct example_stats {
	unsigned long long user_mappings;  /* MmshimUserMappingCount */
	unsigned long long locked_mdls;    /* MmshimLockedMdlCount */
	unsigned long long live_mdls;      /* MmshimLiveMdlCount */
	unsigned int wrong_process;        /* verifier reports: unmap from the wrong process */
	unsigned int unhandled;            /* verifier reports: exceptions no __try caught */
	unsigned int reports;              /* all verifier reports of code 0xC4 */
	unsigned int driver_mappings;      /* user mappings the driver has recorded */
	unsigned int read_only_mappings;   /* verifier reports: user mappings made read-only */
	unsigned int live_revoked;         /* verifier reports: unlocked while a process mapped it */
};

#endif
