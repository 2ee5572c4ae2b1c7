/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seh_arm64.S - save and restore the register context behind __try
 * (include/mmshim/seh.h) on arm64: a minimal setjmp/longjmp, the
 * counterpart of seh_x86_64.S.
 *
 * MmshimSehSave(frame) stores the callee-saved registers x19-x29 (the
 * kernel is built -mgeneral-regs-only: no FP/SIMD register is live across
 * calls), the stack pointer, the return address (x30) and x18 (the shadow
 * call stack pointer when CONFIG_SHADOW_CALL_STACK), then returns 0.
 * mmshim_seh_jump(context) restores them and returns to the saved x30 with
 * 1, so MmshimSehSave appears to return a second time.
 *
 * Pointer authentication (ARM64_PTR_AUTH_KERNEL): the return address is
 * stored signed, with the APIA key and the stack pointer it returns to as
 * the modifier (PACIASP on entry, when SP is exactly that), and
 * authenticated against the restored SP (AUTIASP) just before the RET of
 * the jump. A frame whose saved x30 was overwritten therefore faults on the
 * RET instead of branching anywhere; the kernel's keys are per task and
 * the jump only happens on the task (and stack) that saved the frame
 * (seh.c). PACIASP/AUTIASP are HINT-space instructions: on CPUs without
 * PAC, or a kernel that does not enable its keys, they do nothing.
 *
 * BTI (ARM64_BTI_KERNEL): SYM_FUNC_START emits "bti c", the landing pad for
 * indirect calls. The second return is a RET, which BTI does not check, so
 * the instruction after the call needs no "bti j".
 *
 * KASAN: the shadow of the abandoned stack is cleared by the C caller
 * (mmshim_plat_seh_resume) before the jump, as on x86_64.
 */
#include <linux/linkage.h>
#include <asm/assembler.h>

/* Byte offsets in MMSHIM_SEH_FRAME.Context[14] (context[1] is the SP
 * seh.c checks; keep it there). */
#define SEH_X30	0
#define SEH_SP	8
#define SEH_X19	16
#define SEH_X21	32
#define SEH_X23	48
#define SEH_X25	64
#define SEH_X27	80
#define SEH_X29	96	/* x29, then x18 */

/* int MmshimSehSave(MMSHIM_SEH_FRAME *frame) */
SYM_FUNC_START(MmshimSehSave)
	hint	#25			/* paciasp: sign x30, modifier SP */
	mov	x9, sp
	stp	x30, x9, [x0, #SEH_X30]
	hint	#29			/* autiasp: x30 plain again for our RET */
	stp	x19, x20, [x0, #SEH_X19]
	stp	x21, x22, [x0, #SEH_X21]
	stp	x23, x24, [x0, #SEH_X23]
	stp	x25, x26, [x0, #SEH_X25]
	stp	x27, x28, [x0, #SEH_X27]
	stp	x29, x18, [x0, #SEH_X29]
	mov	w0, #0
	ret
SYM_FUNC_END(MmshimSehSave)

/* void mmshim_seh_jump(const unsigned long *context): does not return */
SYM_FUNC_START(mmshim_seh_jump)
	ldp	x19, x20, [x0, #SEH_X19]
	ldp	x21, x22, [x0, #SEH_X21]
	ldp	x23, x24, [x0, #SEH_X23]
	ldp	x25, x26, [x0, #SEH_X25]
	ldp	x27, x28, [x0, #SEH_X27]
#ifdef CONFIG_SHADOW_CALL_STACK
	ldp	x29, x18, [x0, #SEH_X29]
#else
	ldr	x29, [x0, #SEH_X29]
#endif
	ldp	x30, x9, [x0, #SEH_X30]
	mov	sp, x9
	hint	#29			/* autiasp: check x30 against the SP restored */
	mov	w0, #1
	ret
SYM_FUNC_END(mmshim_seh_jump)

#ifdef GNU_PROPERTY_AARCH64_FEATURE_1_DEFAULT
emit_aarch64_feature_1_and
#endif
