/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/routines.h - finding routines by name: UNICODE_STRING,
 * RtlInitUnicodeString, RTL_CONSTANT_STRING, MmGetSystemRoutineAddress.
 *
 * WCHAR is 16 bits, as on Windows. The kernel compiles with -fshort-wchar,
 * so L"MmMapIoSpaceEx" literals have 16-bit characters in a driver's C code.
 */
#ifndef MMSHIM_ROUTINES_H
#define MMSHIM_ROUTINES_H

#include <mmshim/types.h>

#if defined(__cplusplus) && defined(__SIZEOF_WCHAR_T__) && __SIZEOF_WCHAR_T__ == 2
typedef wchar_t WCHAR;
#elif defined(__cplusplus)
typedef char16_t WCHAR; /* hosted C++ with 32-bit wchar_t: use u"..." literals */
#else
typedef unsigned short WCHAR; /* what L"..." is with -fshort-wchar */
#endif
typedef WCHAR *PWCHAR, *PWCH, *PWSTR;
typedef const WCHAR *PCWSTR, *PCWCH;
MMSHIM_STATIC_ASSERT(sizeof(WCHAR) == 2, "WCHAR is 16 bits");

typedef struct _UNICODE_STRING {
	USHORT Length;        /* bytes, without a terminator */
	USHORT MaximumLength; /* bytes of Buffer */
	PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

/* A UNICODE_STRING for a string literal (the terminator is not counted). */
#define RTL_CONSTANT_STRING(s) \
	{ (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (PWCH)(s) }

MMSHIM_EXTERN_C_BEGIN

/* Point DestinationString at SourceString (NULL gives an empty string).
 * Lengths are capped at 65532 bytes, as on Windows. */
VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString);

/*
 * The address of the routine mmshim exports under SystemRoutineName, or
 * NULL if there is none: the Windows idiom "use MmMapIoSpaceEx if the
 * system has it" works. Names are compared exactly (case-sensitive).
 */
PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName);

MMSHIM_EXTERN_C_END

#endif /* MMSHIM_ROUTINES_H */
