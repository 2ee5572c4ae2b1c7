// SPDX-License-Identifier: GPL-2.0
// verifier.h - the core's side of verifier reports (see include/mmshim/verifier.h).
#pragma once

#include "support.h"

namespace mmshim::verifier {

// Distinct (code, parameter 1) pairs counted exactly; reports of further
// pairs are only in the total (MmshimVerifierReportCount returns 0 for
// them). Every mmshim subcode, the KUnit suites' exception codes and the
// address-keyed parameters of one module lifetime fit with room to spare
// (64 did not once all of issue 10's subcodes were merged).
inline constexpr unsigned kCounterRows = 512;

// Record and print one report: a Windows bug-check code with its four
// parameters (or MMSHIM_CALL_FAILED and a reason), the routine that caught it,
// a one-line explanation and the caller's return address. Atomic-safe.
void report(ULONG code, uptr p1, uptr p2, uptr p3, uptr p4, const char *routine,
	    const char *what, void *caller);

// Forget all counters (module load).
void reset();

} // namespace mmshim::verifier

// The driver's return address, for reports; used in every exported routine.
#define MMSHIM_CALLER() __builtin_return_address(0)
