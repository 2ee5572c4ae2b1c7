// SPDX-License-Identifier: GPL-2.0
/* seh.c - thread identity and the checked jump behind mmshim's __try. */
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/preempt.h>
#include <linux/kasan.h>
#include <linux/string.h>
#include <asm/asm.h>
#include "platform.h"

void mmshim_seh_jump(const unsigned long *context); /* seh_x86_64.S */

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

/**
 * mmshim_plat_seh_resume() - jump to a saved __try context.
 * @context: MMSHIM_SEH_FRAME.Context
 *
 * Refuses (returns) unless the frame and its saved stack pointer lie on the
 * current task's stack above the current stack pointer. Under generic
 * KASAN, the shadow of the stack being abandoned is cleared first: the
 * functions skipped never ran their epilogues, which would have unpoisoned
 * their stack redzones. Atomic-safe.
 */
void mmshim_plat_seh_resume(const mmshim_uptr *context)
{
	unsigned long sp = current_stack_pointer;
	unsigned long target = context[1];

	if (!object_is_on_stack(context) || !object_is_on_stack((void *)(target - 8)) ||
	    target <= sp || (unsigned long)context <= sp)
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
