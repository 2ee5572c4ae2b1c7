// SPDX-License-Identifier: GPL-2.0
// routines.cpp - RtlInitUnicodeString and MmGetSystemRoutineAddress.
//
// The name table is generated from the one export table (src/exports.h),
// so every routine mmshim exports, including ones added later by other
// areas, can be found by name without touching this file.
#include <ntddk.h>
#include "exports.h"
#include "verifier.h"

namespace mmshim::routines {
namespace {

struct Entry {
	const char *name;
	void *address;
};

#define MMSHIM_ROUTINE_ENTRY(sym) {#sym, reinterpret_cast<void *>(&sym)},
constinit const Entry g_table[] = {MMSHIM_EXPORTED_ROUTINES(MMSHIM_ROUTINE_ENTRY)};
#undef MMSHIM_ROUTINE_ENTRY

// Exact, case-sensitive comparison of a counted UTF-16 name with an ASCII one.
bool same(const WCHAR *name, uptr chars, const char *ascii)
{
	uptr i = 0;
	for (; i < chars; i++)
		if (ascii[i] == '\0' || static_cast<unsigned>(name[i]) != static_cast<unsigned char>(ascii[i]))
			return false;
	return ascii[i] == '\0';
}

} // namespace
} // namespace mmshim::routines

using namespace mmshim;

extern "C" VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
	if (!DestinationString) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT, 0,
				 reinterpret_cast<uptr>(SourceString), 0, "RtlInitUnicodeString",
				 "NULL DestinationString", MMSHIM_CALLER());
		return;
	}
	// The largest even byte count a USHORT holds with room for the
	// terminator: longer strings are cut, as on Windows.
	constexpr uptr kMaxBytes = 0xFFFC;
	uptr chars = 0;
	if (SourceString)
		while (SourceString[chars] && (chars + 1) * sizeof(WCHAR) <= kMaxBytes)
			chars++;
	DestinationString->Length = static_cast<USHORT>(chars * sizeof(WCHAR));
	DestinationString->MaximumLength =
		SourceString ? static_cast<USHORT>(chars * sizeof(WCHAR) + sizeof(WCHAR)) : 0;
	DestinationString->Buffer = const_cast<PWCH>(SourceString);
}

extern "C" PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
	const char *routine = "MmGetSystemRoutineAddress";
	if (!SystemRoutineName || (SystemRoutineName->Length && !SystemRoutineName->Buffer)) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
				 reinterpret_cast<uptr>(SystemRoutineName), 0, 0, routine,
				 "NULL UNICODE_STRING or NULL Buffer", MMSHIM_CALLER());
		return nullptr;
	}
	const uptr chars = SystemRoutineName->Length / sizeof(WCHAR);
	for (const auto &e : routines::g_table)
		if (routines::same(SystemRoutineName->Buffer, chars, e.name))
			return e.address;
	return nullptr; // not exported: the caller falls back, as on Windows
}
