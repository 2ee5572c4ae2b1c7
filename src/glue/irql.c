// SPDX-License-Identifier: GPL-2.0
/*
 * irql.c - the Linux primitives behind IRQL, KSPIN_LOCK, delays and debug
 * output (src/core/irql.cpp has the Windows rules; docs/irql.md).
 */
#include <linux/kernel.h>
#include <linux/preempt.h>
#include <linux/bottom_half.h>
#include <linux/irqflags.h>
#include <linux/hardirq.h>
#include <linux/percpu.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/kallsyms.h>
#include <linux/module.h>
#include <linux/printk.h>
#include <linux/string.h>
#include "platform.h"
#include "compat.h"

/**
 * mmshim_plat_irql_context() - what Linux says about the calling context.
 *
 * The context (task, serving a softirq, hard IRQ, NMI) in the low bits;
 * MMSHIM_CTX_ATOMIC when the caller cannot sleep (the same test as
 * mmshim_plat_may_sleep()), MMSHIM_CTX_BH_OFF when softirqs cannot run here
 * (softirq_count()), MMSHIM_CTX_IRQS_OFF when interrupts are disabled.
 * Atomic-safe.
 */
unsigned int mmshim_plat_irql_context(void)
{
	unsigned int ctx;

	if (in_nmi())
		ctx = MMSHIM_CTX_NMI;
	else if (in_hardirq())
		ctx = MMSHIM_CTX_HARDIRQ;
	else if (in_serving_softirq())
		ctx = MMSHIM_CTX_SOFTIRQ;
	else
		ctx = MMSHIM_CTX_TASK;
	if (!mmshim_plat_may_sleep())
		ctx |= MMSHIM_CTX_ATOMIC;
	if (softirq_count())
		ctx |= MMSHIM_CTX_BH_OFF;
	if (irqs_disabled())
		ctx |= MMSHIM_CTX_IRQS_OFF;
	return ctx;
}

/**
 * mmshim_plat_irql_low_context() - interrupts on, in a task or a softirq?
 *
 * Then the IRQL is at most DISPATCH_LEVEL: every raise above it turns
 * interrupts off. Atomic-safe.
 */
int mmshim_plat_irql_low_context(void)
{
	return !in_nmi() && !in_hardirq() && !irqs_disabled();
}

struct mmshim_irql_percpu {
	struct mmshim_irql_cpu ctx[4]; /* indexed by enum mmshim_irql_context */
};
static DEFINE_PER_CPU(struct mmshim_irql_percpu, mmshim_irql_cpus);

/**
 * mmshim_plat_irql_cpu() - this CPU's raised-IRQL record for the current context.
 *
 * The caller cannot be preempted (it holds a dispatch block or runs in an
 * interrupt), so the CPU does not change under it. Atomic-safe.
 */
struct mmshim_irql_cpu *mmshim_plat_irql_cpu(void)
{
	unsigned int i = mmshim_plat_irql_context() & MMSHIM_CTX_MASK;

	return &this_cpu_ptr(&mmshim_irql_cpus)->ctx[i];
}

#define MMSHIM_DISPATCH_BH 1      /* local_bh_disable() */
#define MMSHIM_DISPATCH_PREEMPT 2 /* preempt_disable() */

/**
 * mmshim_plat_irql_block_dispatch() - Windows DISPATCH_LEVEL on this CPU.
 *
 * local_bh_disable(): no preemption and no softirq until undone. Where
 * softirqs cannot run anyway and local_bh_enable() would be illegal
 * (interrupts off, hard IRQ, NMI), preempt_disable(). Returns the cookie
 * for mmshim_plat_irql_unblock_dispatch(). Atomic-safe.
 */
int mmshim_plat_irql_block_dispatch(void)
{
	if (in_nmi() || in_hardirq() || irqs_disabled()) {
		preempt_disable();
		return MMSHIM_DISPATCH_PREEMPT;
	}
	local_bh_disable();
	return MMSHIM_DISPATCH_BH;
}

/**
 * mmshim_plat_irql_unblock_dispatch() - undo mmshim_plat_irql_block_dispatch().
 * @cookie: its return value
 *
 * local_bh_enable() runs the softirqs raised meanwhile (as Windows runs
 * pending DPCs when the IRQL drops below DISPATCH_LEVEL) and may
 * reschedule. Atomic-safe.
 */
void mmshim_plat_irql_unblock_dispatch(int cookie)
{
	if (cookie == MMSHIM_DISPATCH_BH)
		local_bh_enable();
	else if (cookie == MMSHIM_DISPATCH_PREEMPT)
		preempt_enable();
}

/** mmshim_plat_irql_block_interrupts() - local_irq_save(). Atomic-safe. */
unsigned long mmshim_plat_irql_block_interrupts(void)
{
	unsigned long flags;

	local_irq_save(flags);
	return flags;
}

/** mmshim_plat_irql_unblock_interrupts() - local_irq_restore(). Atomic-safe. */
void mmshim_plat_irql_unblock_interrupts(unsigned long flags)
{
	local_irq_restore(flags);
}

/** mmshim_plat_cpu_relax() - cpu_relax() in a spin-wait loop. Atomic-safe. */
void mmshim_plat_cpu_relax(void)
{
	cpu_relax();
}

/**
 * mmshim_plat_stall_us() - busy-wait.
 * @us: microseconds
 *
 * udelay() in chunks of at most a millisecond (udelay's argument has an
 * architecture limit) until the monotonic clock says @us have passed:
 * udelay's loop count is calibrated at boot and comes up short when the
 * CPU runs slower later (a loaded virtual machine), and Windows promises
 * at least the time asked. Atomic-safe (the NMI-safe clock read).
 */
void mmshim_plat_stall_us(unsigned long us)
{
	const u64 end = ktime_get_mono_fast_ns() + (u64)us * NSEC_PER_USEC;
	u64 now;

	while ((now = ktime_get_mono_fast_ns()) < end)
		udelay(min_t(u64, div_u64(end - now + NSEC_PER_USEC - 1, NSEC_PER_USEC), 1000));
}

/**
 * mmshim_plat_sleep() - sleep on an hrtimer.
 * @ns: relative nanoseconds, or CLOCK_REALTIME nanoseconds if @absolute
 * @absolute: @ns is a wall-clock time (a later clock change moves the wake-up)
 * @interruptible: a signal ends the sleep early (TASK_INTERRUPTIBLE); else
 *	TASK_IDLE, which nothing but the timer ends and the hung-task
 *	detector ignores
 *
 * 0 relative calls yield(). Returns 1 if a signal ended the sleep, else 0.
 * May sleep.
 */
int mmshim_plat_sleep(unsigned long long ns, int absolute, int interruptible)
{
	clockid_t clock = absolute ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	ktime_t until;

	if (!absolute && ns == 0) {
		yield();
		return 0;
	}
	until = ns > (unsigned long long)KTIME_MAX ? KTIME_MAX : (ktime_t)ns;
	if (!absolute)
		until = ktime_add_safe(ktime_get(), until);
	for (;;) {
		set_current_state(interruptible ? TASK_INTERRUPTIBLE : TASK_IDLE);
		if (!schedule_hrtimeout_range_clock(&until, 0, HRTIMER_MODE_ABS, clock))
			return 0;
		if (interruptible && signal_pending(current))
			return 1;
	}
}

/** mmshim_plat_realtime_ns() - ktime_get_real_ns(). Atomic-safe. */
unsigned long long mmshim_plat_realtime_ns(void)
{
	return ktime_get_real_ns();
}

/* The name of the module containing @addr into @buf ("kernel" if none). */
static void mmshim_module_of(void *addr, char *buf, size_t len)
{
	char sym[KSYM_SYMBOL_LEN];
	char *open, *close;

	sprint_symbol_no_offset(sym, (unsigned long)addr);
	open = strrchr(sym, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!open || !close) {
		strscpy(buf, "kernel", len);
		return;
	}
	*close = '\0';
	strscpy(buf, open + 1, len);
}

/**
 * mmshim_plat_debug_print() - printk a driver's DbgPrint.
 * @level: printk level (MMSHIM_PRINTK_*)
 * @caller: an address in the calling module, whose name prefixes the line
 * @fmt: the driver's format (Linux vsnprintf conversions)
 * @ap: its arguments
 *
 * Atomic-safe.
 */
void mmshim_plat_debug_print(unsigned int level, void *caller, const char *fmt, va_list ap)
{
	char mod[MODULE_NAME_LEN];
	struct va_format vaf;
	va_list aq;

	mmshim_module_of(caller, mod, sizeof(mod));
	va_copy(aq, ap);
	vaf.fmt = fmt;
	vaf.va = &aq;
	/* printk parses the level prefix after formatting. */
	printk(KERN_SOH "%c%s: %pV", '0' + (level & 7), mod, &vaf);
	va_end(aq);
}

/**
 * mmshim_plat_print_assertion() - one pr_err line for a failed ASSERT or PAGED_CODE.
 * @kind: "ASSERT", "PAGED_CODE"
 * @expr: the expression's text
 * @file: source file
 * @line: line number
 * @message: ASSERTMSG's message, or NULL
 * @caller: the driver's return address (%pS)
 *
 * Atomic-safe.
 */
void mmshim_plat_print_assertion(const char *kind, const char *expr, const char *file,
				 unsigned long line, const char *message, void *caller)
{
	pr_err("mmshim: %s failed: %s at %s:%lu%s%s (in %pS)\n", kind, expr ? expr : "?",
	       file ? file : "?", line, message ? ": " : "", message ? message : "", caller);
}
