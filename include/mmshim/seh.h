/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmshim/seh.h - structured exception handling for ported code:
 * __try / __except / __leave, GetExceptionCode(), ExRaiseStatus().
 *
 * Windows routines such as MmProbeAndLockPages and ProbeForRead report
 * failure by raising an exception, and drivers catch it with
 *
 *     __try {
 *         MmProbeAndLockPages(Mdl, UserMode, IoWriteAccess);
 *     } __except (EXCEPTION_EXECUTE_HANDLER) {
 *         Status = GetExceptionCode();
 *     }
 *
 * That pattern compiles unchanged. mmshim implements it with a saved
 * register context per __try (like setjmp) and a per-thread chain of active
 * frames: a raise resumes execution at the innermost __try of the current
 * thread, which then evaluates its filter. Differences from real SEH (see
 * docs/exceptions.md):
 *  - only mmshim raises: ExRaiseStatus and the routines documented as
 *    raising. A bad pointer dereference in driver code is still an oops.
 *  - __try must be used inside a function body as a statement (it expands
 *    to a for loop). `break` and `continue` written directly in the __try
 *    body leave the __try (as __leave does), not an enclosing loop.
 *  - as with setjmp, a local variable modified inside __try and read in
 *    __except must be volatile.
 *  - EXCEPTION_CONTINUE_EXECUTION cannot resume: it is reported and treated
 *    as "handled, skip the handler". __finally and GetExceptionInformation()
 *    are not provided (using them does not compile).
 *  - a raise with no __try on the thread is reported
 *    (KMODE_EXCEPTION_NOT_HANDLED) and the raising routine returns normally
 *    after cleaning up, where Windows would bug-check.
 */
#ifndef MMSHIM_SEH_H
#define MMSHIM_SEH_H

#include <mmshim/types.h>
#include <mmshim/ntstatus.h>

#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

/* Words of saved registers: x86_64 rip, rsp, rbx, rbp, r12-r15; arm64 x30
 * (signed with pointer authentication), sp, x19-x29, x18
 * (src/glue/seh_x86_64.S, src/glue/seh_arm64.S). */
#if defined(__aarch64__)
#define MMSHIM_SEH_CONTEXT_WORDS 14
#else
#define MMSHIM_SEH_CONTEXT_WORDS 8
#endif

/* One active __try. Lives in the driver's stack frame; fields are mmshim's. */
typedef struct _MMSHIM_SEH_FRAME {
	ULONG_PTR Context[MMSHIM_SEH_CONTEXT_WORDS]; /* registers saved by MmshimSehSave */
	struct _MMSHIM_SEH_FRAME *Next;   /* mmshim's per-thread chain */
	ULONG_PTR Owner;                  /* thread (and interrupt level) */
	NTSTATUS Code;                    /* the exception, for GetExceptionCode() */
	LONG State;
} MMSHIM_SEH_FRAME, *PMMSHIM_SEH_FRAME;

MMSHIM_EXTERN_C_BEGIN

/* Runtime behind the macros; not for direct use. */
int MmshimSehSave(PMMSHIM_SEH_FRAME Frame) __attribute__((returns_twice));
VOID MmshimSehPush(PMMSHIM_SEH_FRAME Frame);
VOID MmshimSehPop(PMMSHIM_SEH_FRAME Frame);
LONG MmshimSehFilter(PMMSHIM_SEH_FRAME Frame, LONG Disposition);

/* Raise Status to the innermost __try of this thread. */
VOID ExRaiseStatus(NTSTATUS Status);

MMSHIM_EXTERN_C_END

/*
 * The statement macros. In C++ they are opt-in (define MMSHIM_CXX_SEH before
 * including <wdm.h>): libstdc++ defines __try itself for -fno-exceptions
 * builds, and mmshim's own C++ core does not need them.
 */
#if !defined(__cplusplus) || defined(MMSHIM_CXX_SEH)

#define __try                                                                        \
	for (MMSHIM_SEH_FRAME __mmshim_seh __attribute__((cleanup(MmshimSehPop))) =     \
		     { { 0 }, NULL, 0, 0, 0 },                                           \
		     *__mmshim_seh_run = (MmshimSehPush(&__mmshim_seh), &__mmshim_seh); \
	     __mmshim_seh_run; __mmshim_seh_run = NULL)                                  \
		if (MmshimSehSave(&__mmshim_seh) == 0)

#define __except(Filter) \
		else if (MmshimSehFilter(&__mmshim_seh, (LONG)(Filter)) == EXCEPTION_EXECUTE_HANDLER)

#define __leave break

#define GetExceptionCode() (__mmshim_seh.Code)

#endif /* !__cplusplus || MMSHIM_CXX_SEH */

#endif /* MMSHIM_SEH_H */
