// SPDX-License-Identifier: GPL-2.0
/* seh.c - thread identity and the checked jump behind mmshim's __try. */
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/preempt.h>
#include <linux/kasan.h>
#include <linux/string.h>
#ifdef CONFIG_X86_64
#include <asm/asm.h>
#include <asm/stacktrace.h>
#include <asm/unwind.h>
#endif
#ifdef CONFIG_ARM64
#include <linux/hardirq.h>
#include <asm/memory.h>
#include <asm/stack_pointer.h>
#endif
#include "compat.h" /* Linux headers before wdm.h, whose PAGE_ALIGN is the WDK's */
#include <wdm.h> /* MMSHIM_SEH_CONTEXT_WORDS */
#include "platform.h"

void mmshim_seh_jump(const unsigned long *context); /* seh_x86_64.S, seh_arm64.S */

/**
 * mmshim_plat_thread_key() - current task plus interrupt level.
 *
 * task_struct is at least 64-byte aligned, so the low bits are free for
 * "in hardirq", "in softirq" and "in NMI". Atomic-safe.
 */
mmshim_uptr mmshim_plat_thread_key(void)
{
	return (unsigned long)current | (in_hardirq() ? 1 : 0) |
	       (in_serving_softirq() ? 2 : 0) | (in_nmi() ? 4 : 0);
}

/*
 * The bounds [*begin, *end) of the stack the CPU is running on. That is the
 * task's own stack in thread context (and in softirqs run by ksoftirqd),
 * but on x86_64 hard interrupts, and softirqs run on their way out, use the
 * per-CPU IRQ stack, and NMIs and some exceptions their own stacks: there
 * the unwinder, which knows every stack type of the architecture, is asked
 * (x86's get_stack_info() is not exported; __unwind_start() is, and fills
 * in the same stack_info for the current stack pointer). On arm64 hard
 * interrupts and the softirqs run on their way out use the per-CPU IRQ
 * stack too; its pointer (irq_stack_ptr) is not exported, but with
 * CONFIG_VMAP_STACK (Debian's) every IRQ stack is IRQ_STACK_SIZE bytes
 * allocated at a THREAD_ALIGN boundary (arch_alloc_vmap_stack()), so its
 * bounds follow from any address in it. Without VMAP_STACK they are not
 * known and a __try in interrupt context cannot be resumed on arm64
 * (reported as unhandled; docs/exceptions.md). Atomic-safe, including in
 * hard IRQ.
 */
static bool mmshim_current_stack(unsigned long sp, unsigned long *begin, unsigned long *end)
{
	unsigned long base = (unsigned long)task_stack_page(current);

	if (sp >= base && sp < base + THREAD_SIZE) {
		*begin = base;
		*end = base + THREAD_SIZE;
		return true;
	}
#ifdef CONFIG_X86_64
	{
		struct unwind_state state;

		unwind_start(&state, current, NULL, NULL);
		if (!unwind_done(&state) && sp >= (unsigned long)state.stack_info.begin &&
		    sp < (unsigned long)state.stack_info.end) {
			*begin = (unsigned long)state.stack_info.begin;
			*end = (unsigned long)state.stack_info.end;
			return true;
		}
	}
#endif
#if defined(CONFIG_ARM64) && defined(CONFIG_VMAP_STACK)
	BUILD_BUG_ON(THREAD_ALIGN % IRQ_STACK_SIZE);
	if ((in_hardirq() || in_serving_softirq()) && !in_nmi()) {
		*begin = sp & ~(IRQ_STACK_SIZE - 1);
		*end = *begin + IRQ_STACK_SIZE;
		return true;
	}
#endif
	return false;
}

/**
 * mmshim_plat_seh_resume() - jump to a saved __try context.
 * @context: MMSHIM_SEH_FRAME.Context
 *
 * Refuses (returns) unless the frame and its saved stack pointer lie above
 * the current stack pointer on the stack the CPU is running on (the task
 * stack, or in an interrupt the IRQ stack). Under generic KASAN, the shadow
 * of the stack being abandoned is cleared first: the functions skipped never
 * ran their epilogues, which would have unpoisoned their stack redzones.
 * Atomic-safe, also in softirq and hard IRQ context.
 */
void mmshim_plat_seh_resume(const mmshim_uptr *context)
{
	unsigned long sp = current_stack_pointer;
	unsigned long target = context[1];
	unsigned long ctx = (unsigned long)context;
	unsigned long begin, end;

	if (!mmshim_current_stack(sp, &begin, &end) ||
	    ctx <= sp || ctx + MMSHIM_SEH_CONTEXT_WORDS * sizeof(*context) > end ||
	    target <= sp || target > end)
		return;
#ifdef CONFIG_KASAN_GENERIC
	{
		unsigned long lo = sp & ~((1UL << KASAN_SHADOW_SCALE_SHIFT) - 1);

		__memset(kasan_mem_to_shadow((void *)lo), 0,
			 (target - lo) >> KASAN_SHADOW_SCALE_SHIFT);
	}
#endif
	mmshim_seh_jump(context);
}
