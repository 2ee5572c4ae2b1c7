// SPDX-License-Identifier: GPL-2.0
// seh.cpp - __try/__except emulation: the per-thread chain of active
// frames, raising, and filter dispositions.
//
// A __try pushes its frame (which lives in the driver's stack frame) and
// saves a register context in it (MmshimSehSave, glue assembly). A raise
// takes the innermost active frame of the current thread off the chain and
// resumes at its MmshimSehSave with return value 1; the __except filter is
// then evaluated and passed to MmshimSehFilter. Frames are keyed by the
// platform's thread key (task plus interrupt level), kept in a small hash
// of intrusive lists, newest first, so a thread's innermost frame is the
// first one with its key.
#include "seh.h"
#include "verifier.h"

namespace mmshim::seh {
namespace {

enum : LONG { kIdle = 0, kActive = 1, kRaised = 2, kDone = 3 };

constexpr unsigned kBuckets = 64;
constinit MMSHIM_SEH_FRAME *g_chains[kBuckets] = {};

unsigned bucket(uptr key)
{
	return static_cast<unsigned>((key >> 6) * 0x9E3779B97F4A7C15ULL >> 58) & (kBuckets - 1);
}

// Unlink `frame` from its chain; caller holds MMSHIM_LOCK_SEH.
bool unlink(MMSHIM_SEH_FRAME *frame)
{
	for (MMSHIM_SEH_FRAME **pp = &g_chains[bucket(frame->Owner)]; *pp; pp = &(*pp)->Next) {
		if (*pp == frame) {
			*pp = frame->Next;
			frame->Next = nullptr;
			return true;
		}
	}
	return false;
}

// Take the current thread's innermost frame off the chain, or nullptr.
MMSHIM_SEH_FRAME *take_innermost(uptr key)
{
	LockGuard guard(MMSHIM_LOCK_SEH);
	for (MMSHIM_SEH_FRAME **pp = &g_chains[bucket(key)]; *pp; pp = &(*pp)->Next) {
		MMSHIM_SEH_FRAME *f = *pp;
		if (f->Owner == key) {
			*pp = f->Next;
			f->Next = nullptr;
			return f;
		}
	}
	return nullptr;
}

void report_unhandled(NTSTATUS status, const char *routine, void *caller, const char *what)
{
	verifier::report(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(status), 0, 0, 0, routine,
			 what, caller);
}

} // namespace

void raise(NTSTATUS status, const char *routine, void *caller)
{
	const uptr key = mmshim_plat_thread_key();
	MMSHIM_SEH_FRAME *f = take_innermost(key);
	if (!f) {
		report_unhandled(status, routine, caller,
				 "exception raised with no __try on this thread; the routine returns instead");
		return;
	}
	f->Code = status;
	f->State = kRaised;
	// Only returns if the frame is not a live frame above us on this stack.
	mmshim_plat_seh_resume(f->Context);
	// Not touched again: the frame's memory may belong to a dead function.
	report_unhandled(status, routine, caller,
			 "the innermost __try frame is stale (its function returned without leaving it)");
}

} // namespace mmshim::seh

using namespace mmshim;

extern "C" VOID MmshimSehPush(PMMSHIM_SEH_FRAME Frame)
{
	Frame->Owner = mmshim_plat_thread_key();
	Frame->State = seh::kActive;
	Frame->Code = 0;
	LockGuard guard(MMSHIM_LOCK_SEH);
	MMSHIM_SEH_FRAME **head = &seh::g_chains[seh::bucket(Frame->Owner)];
	Frame->Next = *head;
	*head = Frame;
}

extern "C" VOID MmshimSehPop(PMMSHIM_SEH_FRAME Frame)
{
	if (Frame->State != seh::kActive) {
		Frame->State = seh::kDone;
		return;
	}
	{
		LockGuard guard(MMSHIM_LOCK_SEH);
		seh::unlink(Frame);
	}
	Frame->State = seh::kDone;
}

extern "C" LONG MmshimSehFilter(PMMSHIM_SEH_FRAME Frame, LONG Disposition)
{
	void *caller = MMSHIM_CALLER();
	Frame->State = seh::kDone; // the raise already took it off the chain
	if (Disposition > 0)
		return EXCEPTION_EXECUTE_HANDLER;
	if (Disposition < 0) {
		verifier::report(KMODE_EXCEPTION_NOT_HANDLED, static_cast<ULONG>(Frame->Code), 0, 0, 0,
				 "__except", "EXCEPTION_CONTINUE_EXECUTION cannot resume in mmshim; "
				 "execution continues after the __except block", caller);
		return EXCEPTION_CONTINUE_SEARCH;
	}
	// EXCEPTION_CONTINUE_SEARCH: on to the next frame out.
	seh::raise(Frame->Code, "__except", caller);
	return EXCEPTION_CONTINUE_SEARCH; // no outer frame: reported, skip the handler
}

extern "C" VOID ExRaiseStatus(NTSTATUS Status)
{
	seh::raise(Status, "ExRaiseStatus", MMSHIM_CALLER());
}
