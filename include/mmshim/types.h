/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/types.h - Windows base types for ported driver code.
 *
 * Widths follow the Windows x64 (LLP64) data model, not Linux's LP64:
 * ULONG and LONG are 32-bit, ULONG_PTR/SIZE_T/PFN_NUMBER are 64-bit.
 * Only compiler built-ins are used, so this header is valid C and C++ and
 * needs no libc or Linux header.
 */
#ifndef MMSHIM_TYPES_H
#define MMSHIM_TYPES_H

#if !defined(__x86_64__) && !defined(__aarch64__)
#error "mmshim supports 64-bit x86_64 and arm64 only (the Windows x64 MDL layout)"
#endif

#ifdef __cplusplus
#define MMSHIM_EXTERN_C_BEGIN extern "C" {
#define MMSHIM_EXTERN_C_END }
#define MMSHIM_STATIC_ASSERT(expr, msg) static_assert(expr, msg)
#else
#define MMSHIM_EXTERN_C_BEGIN
#define MMSHIM_EXTERN_C_END
#define MMSHIM_STATIC_ASSERT(expr, msg) _Static_assert(expr, msg)
#endif

/* Calling-convention and SAL decorations: meaningless for a recompiled driver. */
#ifndef NTAPI
#define NTAPI
#endif
#ifndef NTKERNELAPI
#define NTKERNELAPI
#endif
#ifndef FASTCALL
#define FASTCALL
#endif
#ifndef IN
#define IN
#endif
#ifndef OUT
#define OUT
#endif
#ifndef OPTIONAL
#define OPTIONAL
#endif
#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif

typedef void VOID, *PVOID;
typedef char CHAR, *PCHAR;
typedef unsigned char UCHAR, *PUCHAR;
typedef short SHORT, *PSHORT;
typedef unsigned short USHORT, *PUSHORT;
typedef short CSHORT;
typedef int LONG, *PLONG;
typedef unsigned int ULONG, *PULONG;
typedef long long LONGLONG, *PLONGLONG;
typedef unsigned long long ULONGLONG, *PULONGLONG;
typedef unsigned long long ULONG64, *PULONG64;
typedef __INTPTR_TYPE__ LONG_PTR, *PLONG_PTR;
typedef __UINTPTR_TYPE__ ULONG_PTR, *PULONG_PTR;
typedef ULONG_PTR SIZE_T, *PSIZE_T;
typedef LONG_PTR SSIZE_T, *PSSIZE_T;
typedef UCHAR BOOLEAN, *PBOOLEAN;
typedef CHAR CCHAR;
typedef UCHAR KIRQL, *PKIRQL;
typedef LONG NTSTATUS;
typedef ULONG_PTR PFN_NUMBER, *PPFN_NUMBER;
typedef ULONG LOGICAL;
typedef const void *PCVOID;

typedef union _LARGE_INTEGER {
	struct {
		ULONG LowPart;
		LONG HighPart;
	} u;
	LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;
typedef LARGE_INTEGER PHYSICAL_ADDRESS, *PPHYSICAL_ADDRESS;

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef NULL
#ifdef __cplusplus
#define NULL nullptr
#else
#define NULL ((void *)0)
#endif
#endif

#define MAXULONG 0xFFFFFFFFU
#define MAXULONG_PTR (~(ULONG_PTR)0)

MMSHIM_STATIC_ASSERT(sizeof(CHAR) == 1 && sizeof(UCHAR) == 1, "8-bit char");
MMSHIM_STATIC_ASSERT(sizeof(SHORT) == 2 && sizeof(CSHORT) == 2, "16-bit SHORT");
MMSHIM_STATIC_ASSERT(sizeof(LONG) == 4 && sizeof(ULONG) == 4, "Windows LONG/ULONG are 32-bit");
MMSHIM_STATIC_ASSERT(sizeof(LONGLONG) == 8 && sizeof(ULONG64) == 8, "64-bit LONGLONG");
MMSHIM_STATIC_ASSERT(sizeof(ULONG_PTR) == 8 && sizeof(PVOID) == 8, "64-bit pointers");
MMSHIM_STATIC_ASSERT(sizeof(SIZE_T) == 8 && sizeof(PFN_NUMBER) == 8, "64-bit SIZE_T/PFN_NUMBER");
MMSHIM_STATIC_ASSERT(sizeof(LARGE_INTEGER) == 8, "LARGE_INTEGER is 8 bytes");

/* Processor modes (KPROCESSOR_MODE). */
typedef CCHAR KPROCESSOR_MODE;
typedef enum _MODE { KernelMode = 0, UserMode = 1, MaximumMode = 2 } MODE;

/* Opaque kernel objects that appear in signatures. */
struct _EPROCESS;
typedef struct _EPROCESS *PEPROCESS;
struct _IRP;
typedef struct _IRP IRP, *PIRP;

/* x64 page geometry. Linux's own PAGE_SIZE/PAGE_SHIFT (same values) win if
 * a Linux header came first. */
#ifndef PAGE_SIZE
#define PAGE_SIZE 0x1000
#endif
#ifndef PAGE_SHIFT
#define PAGE_SHIFT 12L
#endif
MMSHIM_STATIC_ASSERT(PAGE_SIZE == 4096 && (1L << PAGE_SHIFT) == 4096,
		     "mmshim assumes 4 KiB pages, as Windows x64 does");

#endif /* MMSHIM_TYPES_H */
