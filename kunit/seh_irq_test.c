// SPDX-License-Identifier: GPL-2.0
/*
 * seh_irq_test.c - KUnit suite "mmshim_seh_irq": __try/__except,
 * ExRaiseStatus and the raising routines (ProbeForRead,
 * MmProbeAndLockPages) in a timer_list callback (softirq, where a ported
 * DPC runs) and an hrtimer callback (hard IRQ, where an ISR runs), a hard
 * and a soft interrupt arriving while a thread is inside its own __try, and
 * raises nothing catches in those contexts.
 *
 * On x86_64 both callbacks normally run on the per-CPU IRQ stack, not on
 * the interrupted task's stack; each callback records which stack it ran
 * on, so a run where the softirq happened to be deferred to ksoftirqd (task
 * stack) still checks the logic but says so.
 */
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/completion.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/sched/task_stack.h>
#include <linux/preempt.h>
#include <linux/ktime.h>
#include "mmshim_kunit.h"

#define STATUS_IRQ_CAUGHT ((NTSTATUS)0xE0010001L)
#define STATUS_IRQ_INNER ((NTSTATUS)0xE0010002L)
#define STATUS_IRQ_UNCAUGHT_SOFT ((NTSTATUS)0xE0010003L)
#define STATUS_IRQ_UNCAUGHT_HARD ((NTSTATUS)0xE0010004L)
#define STATUS_IRQ_THREAD ((NTSTATUS)0xE0010005L)
#define STATUS_IRQ_DEEP ((NTSTATUS)0xE0010006L)

/* What one callback saw. Written only by the callback, read after it ran. */
struct irq_seh_result {
	int ran;
	int in_softirq, in_hardirq;
	int on_task_stack;          /* ran on the interrupted task's stack */
	struct task_struct *interrupted;
	int after_raise, handler;   /* ExRaiseStatus inside __try */
	NTSTATUS code;
	int deep_handler;           /* raise through nested calls */
	NTSTATUS deep_code;
	int inner_handler, outer_handler; /* CONTINUE_SEARCH to an outer __try */
	NTSTATUS outer_code;
	NTSTATUS probe_code;        /* ProbeForRead of a kernel address */
	NTSTATUS lock_code;         /* MmProbeAndLockPages(IoWriteAccess) of RO memory */
	int lock_unlocked;          /* the refused lock left the MDL unlocked */
	int uncaught_returned;      /* ExRaiseStatus with no __try returned */
	int stack_used;
};

struct irq_seh_ctx {
	struct timer_list timer;
	struct hrtimer hrtimer;
	struct completion done;
	struct irq_seh_result r;
	PMDL ro_mdl;               /* MDL over a read-only kernel mapping */
	NTSTATUS uncaught;         /* status for the raise without __try */
};

static noinline void irq_raise_deep(int depth)
{
	volatile char pad[48];

	memset((char *)pad, depth, sizeof(pad));
	if (depth > 0)
		irq_raise_deep(depth - 1);
	else
		ExRaiseStatus(STATUS_IRQ_DEEP);
	pad[0]++;
}

/* Uses the IRQ stack the raises abandoned: KASAN must not object. */
static noinline int irq_use_stack(void)
{
	volatile char buf[256];
	int i, sum = 0;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i;
	for (i = 0; i < sizeof(buf); i++)
		sum += buf[i];
	return sum;
}

static noinline NTSTATUS irq_probe_kernel_address(void *kaddr)
{
	volatile NTSTATUS status = STATUS_SUCCESS;

	__try {
		ProbeForRead(kaddr, 16, 1);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		status = GetExceptionCode();
	}
	return status;
}

static noinline NTSTATUS irq_lock_read_only(PMDL mdl)
{
	volatile NTSTATUS status = STATUS_SUCCESS;

	__try {
		MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		status = GetExceptionCode();
	}
	return status;
}

/* Everything a callback does; the same for softirq and hard IRQ. */
static noinline void irq_seh_body(struct irq_seh_ctx *c)
{
	struct irq_seh_result *r = &c->r;
	unsigned long sp = current_stack_pointer;
	unsigned long base = (unsigned long)task_stack_page(current);

	r->interrupted = current;
	r->in_softirq = in_serving_softirq() ? 1 : 0;
	r->in_hardirq = in_hardirq() ? 1 : 0;
	r->on_task_stack = sp >= base && sp < base + THREAD_SIZE;

	__try {
		ExRaiseStatus(STATUS_IRQ_CAUGHT);
		r->after_raise = 1;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		r->handler = 1;
		r->code = GetExceptionCode();
	}

	__try {
		irq_raise_deep(5);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		r->deep_handler = 1;
		r->deep_code = GetExceptionCode();
	}
	r->stack_used = irq_use_stack();

	__try {
		__try {
			ExRaiseStatus(STATUS_IRQ_INNER);
		} __except (EXCEPTION_CONTINUE_SEARCH) {
			r->inner_handler = 1;
		}
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		r->outer_handler = 1;
		r->outer_code = GetExceptionCode();
	}

	r->probe_code = irq_probe_kernel_address(c);
	if (c->ro_mdl) {
		r->lock_code = irq_lock_read_only(c->ro_mdl);
		r->lock_unlocked = !(c->ro_mdl->MdlFlags & MDL_PAGES_LOCKED);
	}

	/* No __try at this interrupt level: reported, and the call returns. */
	if (c->uncaught) {
		ExRaiseStatus(c->uncaught);
		r->uncaught_returned = 1;
	}
	WRITE_ONCE(r->ran, 1);
}

static void irq_seh_timer_fn(struct timer_list *t)
{
	struct irq_seh_ctx *c = timer_container_of(c, t, timer);

	irq_seh_body(c);
	complete(&c->done);
}

static enum hrtimer_restart irq_seh_hrtimer_fn(struct hrtimer *t)
{
	struct irq_seh_ctx *c = container_of(t, struct irq_seh_ctx, hrtimer);

	irq_seh_body(c);
	complete(&c->done);
	return HRTIMER_NORESTART;
}

static ULONG unhandled(NTSTATUS status)
{
	return MmshimVerifierReportCount(KMODE_EXCEPTION_NOT_HANDLED, (ULONG)status);
}

/* A context with an MDL over a read-only vmap of a fresh page. */
static struct irq_seh_ctx *irq_ctx_new(struct kunit *test, NTSTATUS uncaught)
{
	struct irq_seh_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct page *page;
	void *ro;

	KUNIT_ASSERT_NOT_NULL(test, c);
	init_completion(&c->done);
	c->uncaught = uncaught;
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	ro = vmap(&page, 1, VM_MAP, PAGE_KERNEL_RO);
	if (!ro)
		__free_page(page);
	KUNIT_ASSERT_NOT_NULL(test, ro);
	c->ro_mdl = IoAllocateMdl(ro, 64, FALSE, FALSE, NULL);
	if (!c->ro_mdl) {
		vunmap(ro);
		__free_page(page);
	}
	KUNIT_ASSERT_NOT_NULL(test, c->ro_mdl);
	return c;
}

static void irq_ctx_free(struct irq_seh_ctx *c)
{
	void *ro = MmGetMdlVirtualAddress(c->ro_mdl);
	struct page *page = vmalloc_to_page(ro);

	IoFreeMdl(c->ro_mdl);
	vunmap(ro);
	__free_page(page);
}

static void check_result(struct kunit *test, const struct irq_seh_result *r, bool hard)
{
	KUNIT_ASSERT_EQ(test, r->ran, 1);
	if (hard)
		KUNIT_EXPECT_EQ(test, r->in_hardirq, 1);
	else
		KUNIT_EXPECT_EQ(test, r->in_softirq, 1);
	kunit_info(test, "%s callback ran on the %s stack", hard ? "hrtimer" : "timer_list",
		   r->on_task_stack ? "task" : "interrupt");
	/* The rest of the __try body is skipped; the handler runs. */
	KUNIT_EXPECT_EQ(test, r->after_raise, 0);
	KUNIT_EXPECT_EQ(test, r->handler, 1);
	KUNIT_EXPECT_EQ(test, r->code, STATUS_IRQ_CAUGHT);
	KUNIT_EXPECT_EQ(test, r->deep_handler, 1);
	KUNIT_EXPECT_EQ(test, r->deep_code, STATUS_IRQ_DEEP);
	KUNIT_EXPECT_NE(test, r->stack_used, 0);
	KUNIT_EXPECT_EQ(test, r->inner_handler, 0);
	KUNIT_EXPECT_EQ(test, r->outer_handler, 1);
	KUNIT_EXPECT_EQ(test, r->outer_code, STATUS_IRQ_INNER);
	/* The raising routines raise to the interrupt's own __try. */
	KUNIT_EXPECT_EQ(test, r->probe_code, STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, r->lock_code, STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, r->lock_unlocked, 1);
}

/* A timer_list callback (softirq): what a ported DPC does. */
static void seh_in_timer_callback(struct kunit *test)
{
	struct irq_seh_ctx *c = irq_ctx_new(test, STATUS_IRQ_UNCAUGHT_SOFT);
	ULONG caught0 = unhandled(STATUS_IRQ_CAUGHT), uncaught0 = unhandled(STATUS_IRQ_UNCAUGHT_SOFT);

	timer_setup(&c->timer, irq_seh_timer_fn, 0);
	mod_timer(&c->timer, jiffies + 1);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&c->done, 10 * HZ), 0UL);
	timer_delete_sync(&c->timer);
	check_result(test, &c->r, false);
	/* Nothing caught by mistake, nothing reported by mistake. */
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_CAUGHT), caught0);
	/* The raise with no __try: one report, and execution went on. */
	KUNIT_EXPECT_EQ(test, c->r.uncaught_returned, 1);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_UNCAUGHT_SOFT), uncaught0 + 1);
	irq_ctx_free(c);
}

/* An hrtimer callback (hard IRQ): what a ported ISR does. */
static void seh_in_hrtimer_callback(struct kunit *test)
{
	struct irq_seh_ctx *c = irq_ctx_new(test, STATUS_IRQ_UNCAUGHT_HARD);
	ULONG caught0 = unhandled(STATUS_IRQ_CAUGHT), uncaught0 = unhandled(STATUS_IRQ_UNCAUGHT_HARD);

	hrtimer_setup(&c->hrtimer, irq_seh_hrtimer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	hrtimer_start(&c->hrtimer, ns_to_ktime(200 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&c->done, 10 * HZ), 0UL);
	hrtimer_cancel(&c->hrtimer);
	check_result(test, &c->r, true);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_CAUGHT), caught0);
	KUNIT_EXPECT_EQ(test, c->r.uncaught_returned, 1);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_UNCAUGHT_HARD), uncaught0 + 1);
	irq_ctx_free(c);
}

/*
 * This thread sits inside its own __try, with preemption off so the
 * interrupts come on this CPU over this thread, while a pinned hrtimer (hard
 * IRQ) and a pinned timer_list (softirq on the way out of an interrupt) run
 * their own __try/raise and a raise with no __try. Neither lands in the
 * thread's frame; the thread's own raise afterwards is still caught by it.
 */
static struct irq_seh_ctx *nested_soft, *nested_hard;
static int nested_thread_handler, nested_after_wait;
static NTSTATUS nested_thread_code;

static void seh_interrupt_over_thread_try(struct kunit *test)
{
	ULONG soft0 = unhandled(STATUS_IRQ_UNCAUGHT_SOFT), hard0 = unhandled(STATUS_IRQ_UNCAUGHT_HARD);
	ULONG thread0 = unhandled(STATUS_IRQ_THREAD);
	u64 deadline;

	nested_soft = irq_ctx_new(test, STATUS_IRQ_UNCAUGHT_SOFT);
	nested_hard = irq_ctx_new(test, STATUS_IRQ_UNCAUGHT_HARD);
	nested_thread_handler = nested_after_wait = 0;
	nested_thread_code = 0;
	timer_setup(&nested_soft->timer, irq_seh_timer_fn, TIMER_PINNED);
	hrtimer_setup(&nested_hard->hrtimer, irq_seh_hrtimer_fn, CLOCK_MONOTONIC,
		      HRTIMER_MODE_REL_PINNED_HARD);

	preempt_disable();
	__try {
		mod_timer(&nested_soft->timer, jiffies + 1);
		hrtimer_start(&nested_hard->hrtimer, ns_to_ktime(200 * NSEC_PER_USEC),
			      HRTIMER_MODE_REL_PINNED_HARD);
		deadline = ktime_get_ns() + 3 * NSEC_PER_SEC;
		while ((!READ_ONCE(nested_soft->r.ran) || !READ_ONCE(nested_hard->r.ran)) &&
		       ktime_get_ns() < deadline)
			cpu_relax();
		nested_after_wait = 1;
		ExRaiseStatus(STATUS_IRQ_THREAD);
		nested_after_wait = 2;
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		nested_thread_handler = 1;
		nested_thread_code = GetExceptionCode();
	}
	preempt_enable();

	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&nested_soft->done, 10 * HZ), 0UL);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&nested_hard->done, 10 * HZ), 0UL);
	timer_delete_sync(&nested_soft->timer);
	hrtimer_cancel(&nested_hard->hrtimer);

	/* The thread's __try saw only its own raise. */
	KUNIT_EXPECT_EQ(test, nested_after_wait, 1);
	KUNIT_EXPECT_EQ(test, nested_thread_handler, 1);
	KUNIT_EXPECT_EQ(test, nested_thread_code, STATUS_IRQ_THREAD);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_THREAD), thread0);
	/* Each interrupt's raises went to its own frames or were reported. */
	check_result(test, &nested_soft->r, false);
	check_result(test, &nested_hard->r, true);
	KUNIT_EXPECT_PTR_EQ(test, nested_hard->r.interrupted, current);
	kunit_info(test, "the softirq ran %s", nested_soft->r.interrupted == current ?
		   "over this thread" : "in another task (ksoftirqd)");
	KUNIT_EXPECT_EQ(test, nested_soft->r.uncaught_returned, 1);
	KUNIT_EXPECT_EQ(test, nested_hard->r.uncaught_returned, 1);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_UNCAUGHT_SOFT), soft0 + 1);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_UNCAUGHT_HARD), hard0 + 1);
	irq_ctx_free(nested_soft);
	irq_ctx_free(nested_hard);
}

/* Many raises in a row in hard IRQ: no frame or report left behind. */
static void seh_hrtimer_repeated(struct kunit *test)
{
	struct irq_seh_ctx *c = irq_ctx_new(test, 0);
	ULONG caught0 = unhandled(STATUS_IRQ_CAUGHT), thread0;
	int i;

	hrtimer_setup(&c->hrtimer, irq_seh_hrtimer_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	for (i = 0; i < 50; i++) {
		memset(&c->r, 0, sizeof(c->r));
		reinit_completion(&c->done);
		hrtimer_start(&c->hrtimer, ns_to_ktime(50 * NSEC_PER_USEC), HRTIMER_MODE_REL_HARD);
		KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&c->done, 10 * HZ), 0UL);
		KUNIT_ASSERT_EQ(test, c->r.handler, 1);
		KUNIT_ASSERT_EQ(test, c->r.after_raise, 0);
		KUNIT_ASSERT_EQ(test, c->r.outer_handler, 1);
	}
	hrtimer_cancel(&c->hrtimer);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_CAUGHT), caught0);
	/* No interrupt frame was left on a chain this thread could reach. */
	thread0 = unhandled(STATUS_IRQ_THREAD);
	ExRaiseStatus(STATUS_IRQ_THREAD);
	KUNIT_EXPECT_EQ(test, unhandled(STATUS_IRQ_THREAD), thread0 + 1);
	irq_ctx_free(c);
}

static struct kunit_case seh_irq_cases[] = {
	KUNIT_CASE(seh_in_timer_callback),
	KUNIT_CASE(seh_in_hrtimer_callback),
	KUNIT_CASE(seh_interrupt_over_thread_try),
	KUNIT_CASE(seh_hrtimer_repeated),
	{}
};

static struct kunit_suite seh_irq_suite = {
	.name = "mmshim_seh_irq",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = seh_irq_cases,
};
kunit_test_suite(seh_irq_suite);
