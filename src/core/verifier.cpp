// SPDX-License-Identifier: GPL-2.0
// verifier.cpp - verifier reports: counters, the last report, and printing.
//
// Every routine that refuses an operation Windows would bug-check on calls
// verifier::report(). The report is counted per (code, parameter 1) and
// printed by the glue; the operation itself has already been refused by the
// caller, which leaves memory as it was.
#include "verifier.h"

namespace mmshim::verifier {
namespace {

constexpr unsigned kRows = kCounterRows;

struct State {
	mmshim_counter_row rows[kRows];
	unsigned used;
	unsigned long total;
	MMSHIM_VERIFIER_REPORT last;
};

constinit State g_state{};

const char *code_name(ULONG code, uptr p1)
{
	switch (code) {
	case MMSHIM_CALL_FAILED:
		return p1 == MMSHIM_FAIL_UNSUPPORTED ? "refused: mmshim does not support this (Windows would)"
						     : "failed, as it does on Windows";
	case KMODE_EXCEPTION_NOT_HANDLED:
		return "KMODE_EXCEPTION_NOT_HANDLED";
	case BAD_POOL_CALLER:
		return "BAD_POOL_CALLER";
	case DRIVER_VERIFIER_DETECTED_VIOLATION:
		return "DRIVER_VERIFIER_DETECTED_VIOLATION";
	case SYSTEM_PTE_MISUSE:
		return "SYSTEM_PTE_MISUSE";
	case NO_MORE_SYSTEM_PTES:
		return "NO_MORE_SYSTEM_PTES";
	case INVALID_MDL_RANGE:
		return "INVALID_MDL_RANGE";
	case DRIVER_VERIFIER_DMA_VIOLATION:
		return "DRIVER_VERIFIER_DMA_VIOLATION";
	default:
		return "bug check";
	}
}

// Caller holds MMSHIM_LOCK_VERIFIER.
void count(ULONG code, uptr p1)
{
	for (unsigned i = 0; i < g_state.used; i++) {
		if (g_state.rows[i].code == code && g_state.rows[i].param1 == p1) {
			g_state.rows[i].count++;
			return;
		}
	}
	if (g_state.used == kRows)
		return; // still counted in total
	g_state.rows[g_state.used++] = {code, p1, 1};
}

} // namespace

void report(ULONG code, uptr p1, uptr p2, uptr p3, uptr p4, const char *routine,
	    const char *what, void *caller)
{
	struct mmshim_plat_report r{};
	{
		LockGuard guard(MMSHIM_LOCK_VERIFIER);
		count(code, p1);
		g_state.total++;
		auto &last = g_state.last;
		last.BugCheckCode = code;
		last.Sequence = static_cast<ULONG>(g_state.total);
		last.Parameters[0] = p1;
		last.Parameters[1] = p2;
		last.Parameters[2] = p3;
		last.Parameters[3] = p4;
		last.Routine = routine;
		last.Caller = caller;
		r.sequence = last.Sequence;
	}
	r.code = code;
	r.code_name = code_name(code, p1);
	r.params[0] = p1;
	r.params[1] = p2;
	r.params[2] = p3;
	r.params[3] = p4;
	r.routine = routine;
	r.what = what;
	r.caller = caller;
	mmshim_plat_report(&r);
}

void reset()
{
	LockGuard guard(MMSHIM_LOCK_VERIFIER);
	// In place: a State{} temporary would be kCounterRows rows on the stack.
	__builtin_memset(&g_state, 0, sizeof(g_state));
}

} // namespace mmshim::verifier

using namespace mmshim;

extern "C" ULONG MmshimVerifierReportCount(ULONG BugCheckCode, ULONG_PTR Parameter1)
{
	LockGuard guard(MMSHIM_LOCK_VERIFIER);
	unsigned long n = 0;
	for (unsigned i = 0; i < verifier::g_state.used; i++) {
		const auto &row = verifier::g_state.rows[i];
		if (row.code == BugCheckCode &&
		    (Parameter1 == MMSHIM_ANY_PARAMETER || row.param1 == Parameter1))
			n += row.count;
	}
	return static_cast<ULONG>(n);
}

extern "C" BOOLEAN MmshimVerifierLastReport(PMMSHIM_VERIFIER_REPORT Report)
{
	if (!Report)
		return FALSE;
	LockGuard guard(MMSHIM_LOCK_VERIFIER);
	if (verifier::g_state.total == 0)
		return FALSE;
	*Report = verifier::g_state.last;
	return TRUE;
}

extern "C" unsigned int mmshim_core_verifier_rows(mmshim_counter_row *rows, unsigned int max)
{
	LockGuard guard(MMSHIM_LOCK_VERIFIER);
	unsigned n = verifier::g_state.used < max ? verifier::g_state.used : max;
	for (unsigned i = 0; i < n; i++)
		rows[i] = verifier::g_state.rows[i];
	return n;
}

extern "C" unsigned long mmshim_core_verifier_total(void)
{
	LockGuard guard(MMSHIM_LOCK_VERIFIER);
	return verifier::g_state.total;
}
