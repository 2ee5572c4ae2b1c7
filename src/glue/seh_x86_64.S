/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seh_x86_64.S - save and restore the register context behind __try
 * (include/mmshim/seh.h): a minimal setjmp/longjmp.
 *
 * MmshimSehSave(frame) stores the callee-saved registers, the stack pointer
 * the caller will have after it returns, and the return address, then
 * returns 0. mmshim_seh_jump(context) puts the return address back into its
 * stack slot, restores the registers and stack pointer and returns there
 * with 1, so MmshimSehSave appears to return a second time. The jump ends in
 * an ordinary RET (return thunk), so retpoline, rethunk and IBT builds need
 * nothing special; gcc places an ENDBR after calls to returns_twice
 * functions anyway.
 */
#include <linux/linkage.h>
#include <linux/objtool.h>
#include <asm/nospec-branch.h>

/* Layout of MMSHIM_SEH_FRAME.Context[8] */
#define SEH_RIP	0
#define SEH_RSP	8
#define SEH_RBX	16
#define SEH_RBP	24
#define SEH_R12	32
#define SEH_R13	40
#define SEH_R14	48
#define SEH_R15	56

/*
 * MmshimSehSave is exported (its address is in the symbol table), so under
 * IBT it must begin with ENDBR. SYM_FUNC_START placed one up to 6.x; from
 * 7.x only SYM_TYPED_FUNC_START does (objtool: "data relocation to !ENDBR").
 * 6.1 and later define SYM_TYPED_FUNC_START (with <linux/cfi_types.h>);
 * 5.10 has neither it nor IBT.
 */
#if __has_include(<linux/cfi_types.h>)
#include <linux/cfi_types.h> /* SYM_TYPED_START, which SYM_TYPED_FUNC_START uses */
#endif
#ifndef SYM_TYPED_FUNC_START
#define SYM_TYPED_FUNC_START(name) SYM_FUNC_START(name)
#endif

/* int MmshimSehSave(MMSHIM_SEH_FRAME *frame) */
SYM_TYPED_FUNC_START(MmshimSehSave)
	movq	(%rsp), %rax
	movq	%rax, SEH_RIP(%rdi)
	leaq	8(%rsp), %rax
	movq	%rax, SEH_RSP(%rdi)
	movq	%rbx, SEH_RBX(%rdi)
	movq	%rbp, SEH_RBP(%rdi)
	movq	%r12, SEH_R12(%rdi)
	movq	%r13, SEH_R13(%rdi)
	movq	%r14, SEH_R14(%rdi)
	movq	%r15, SEH_R15(%rdi)
	xorl	%eax, %eax
	RET
SYM_FUNC_END(MmshimSehSave)

/* void mmshim_seh_jump(const unsigned long *context): does not return */
SYM_FUNC_START(mmshim_seh_jump)
	movq	SEH_RSP(%rdi), %rcx
	movq	SEH_RIP(%rdi), %rdx
	movq	%rdx, -8(%rcx)
	movq	SEH_RBX(%rdi), %rbx
	movq	SEH_RBP(%rdi), %rbp
	movq	SEH_R12(%rdi), %r12
	movq	SEH_R13(%rdi), %r13
	movq	SEH_R14(%rdi), %r14
	movq	SEH_R15(%rdi), %r15
	leaq	-8(%rcx), %rsp
	movl	$1, %eax
	RET
SYM_FUNC_END(mmshim_seh_jump)
/* It switches stacks by design: objtool cannot follow it. */
STACK_FRAME_NON_STANDARD mmshim_seh_jump
