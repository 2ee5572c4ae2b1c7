// SPDX-License-Identifier: GPL-2.0
/*
 * vocab.c - the current task for the base vocabulary (ExGetPreviousMode,
 * PsGetCurrentProcessId, PsGetCurrentThreadId). One Linux query each.
 */
#include <linux/sched.h>
#include <linux/pid.h>
#include <linux/preempt.h>
#include "platform.h"

/**
 * mmshim_plat_user_context() - in_task(), not PF_KTHREAD, and current->mm.
 *
 * A kernel thread that borrowed an mm (kthread_use_mm) is still a kernel
 * thread. Atomic-safe.
 */
int mmshim_plat_user_context(void)
{
	return in_task() && !(current->flags & PF_KTHREAD) && current->mm;
}

/** mmshim_plat_current_tgid() - task_tgid_nr(current). Atomic-safe. */
unsigned long mmshim_plat_current_tgid(void)
{
	return task_tgid_nr(current);
}

/** mmshim_plat_current_tid() - task_pid_nr(current). Atomic-safe. */
unsigned long mmshim_plat_current_tid(void)
{
	return task_pid_nr(current);
}
