// SPDX-License-Identifier: GPL-2.0
// probe.cpp - ProbeForRead and ProbeForWrite: user-buffer checks that raise.
#include "seh.h"
#include "verifier.h"

namespace mmshim::probe {
namespace {

// Shared range and alignment rules; false once it has raised (or reported
// an unhandled raise), true if the range is a valid user range.
bool check_user_range(uptr addr, SIZE_T length, ULONG alignment, const char *routine, void *caller)
{
	if (alignment != 1 && alignment != 2 && alignment != 4 && alignment != 8 && alignment != 16) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ALIGNMENT_ARGUMENT,
				 alignment, addr, length, routine,
				 "Alignment must be 1, 2, 4, 8 or 16; checking with 1", caller);
		alignment = 1;
	}
	if (addr & (alignment - 1)) {
		seh::raise(STATUS_DATATYPE_MISALIGNMENT, routine, caller);
		return false;
	}
	uptr last;
	if (!checked_add<uptr>(addr, length - 1, &last) || last >= mmshim_plat_kernel_space_start()) {
		seh::raise(STATUS_ACCESS_VIOLATION, routine, caller);
		return false;
	}
	return true;
}

} // namespace
} // namespace mmshim::probe

using namespace mmshim;

extern "C" VOID ProbeForRead(const volatile VOID *Address, SIZE_T Length, ULONG Alignment)
{
	if (Length == 0)
		return;
	probe::check_user_range(reinterpret_cast<uptr>(Address), Length, Alignment, "ProbeForRead",
				MMSHIM_CALLER());
}

extern "C" VOID ProbeForWrite(volatile VOID *Address, SIZE_T Length, ULONG Alignment)
{
	void *caller = MMSHIM_CALLER();
	const char *routine = "ProbeForWrite";
	const uptr addr = reinterpret_cast<uptr>(Address);
	if (Length == 0)
		return;
	if (!probe::check_user_range(addr, Length, Alignment, routine, caller))
		return;
	if (!mmshim_plat_may_sleep()) {
		verifier::report(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH, addr, Length, 0,
				 routine, "ProbeForWrite needs IRQL <= APC_LEVEL; pages not checked", caller);
		return;
	}
	if (!mmshim_plat_user_range_writable(addr, Length))
		seh::raise(STATUS_ACCESS_VIOLATION, routine, caller);
}
