// SPDX-License-Identifier: GPL-2.0
/*
 * irql_test.c - KUnit suite "mmshim_irql": KeGetCurrentIrql in every Linux
 * context (process, preemption/softirqs/interrupts disabled, softirq, hard
 * IRQ), KeRaiseIrql/KeLowerIrql and what DISPATCH_LEVEL really blocks (a
 * softirq raised on this CPU waits until the level drops), KSPIN_LOCK and
 * queued spin locks contended from two CPUs, misuse reports, delays,
 * ASSERT/PAGED_CODE and DbgPrint.
 *
 * Nothing KUnit-related (KUNIT_EXPECT allocates when it fails) runs at a
 * raised IRQL: values are recorded there and checked after lowering.
 */
#include <linux/preempt.h>
#include <linux/bottom_half.h>
#include <linux/irqflags.h>
#include <linux/hardirq.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/timer.h>
#include <linux/smp.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/timekeeping.h>
#include <linux/spinlock.h>
#include <linux/sched/mm.h>
#include <linux/mman.h>
#include <linux/mm.h>
#include <linux/uaccess.h>
#include "mmshim_kunit.h"

/* ---- KeGetCurrentIrql in each Linux context ---------------------------------- */

static DEFINE_SPINLOCK(irql_test_linux_lock);

static void irql_process_contexts(struct kunit *test)
{
	KIRQL passive, preempt_off, bh_off, irqs_off, spin, after;
	unsigned long flags;

	passive = KeGetCurrentIrql();
	preempt_disable();
	preempt_off = KeGetCurrentIrql();
	preempt_enable();
	local_bh_disable();
	bh_off = KeGetCurrentIrql();
	local_bh_enable();
	local_irq_save(flags);
	irqs_off = KeGetCurrentIrql();
	local_irq_restore(flags);
	spin_lock(&irql_test_linux_lock);
	spin = KeGetCurrentIrql();
	spin_unlock(&irql_test_linux_lock);
	after = KeGetCurrentIrql();

	KUNIT_EXPECT_EQ(test, passive, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, preempt_off, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, bh_off, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, irqs_off, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, spin, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, after, PASSIVE_LEVEL);
}

/* What a softirq or hard-IRQ callback saw. */
struct irql_seen {
	int ran, in_softirq, in_hardirq;
	KIRQL irql;
	KIRQL raised_old, raised, lowered; /* KeRaiseIrql(HIGH_LEVEL) and back */
	KIRQL lock_old, lock_held, lock_after;
	KSPIN_LOCK lock, lock_word;
	struct completion done;
};

static void irql_seen_record(struct irql_seen *s)
{
	KIRQL old;

	s->in_softirq = in_serving_softirq() ? 1 : 0;
	s->in_hardirq = in_hardirq() ? 1 : 0;
	s->irql = KeGetCurrentIrql();
	KeRaiseIrql(HIGH_LEVEL, &old);
	s->raised_old = old;
	s->raised = KeGetCurrentIrql();
	KeLowerIrql(old);
	s->lowered = KeGetCurrentIrql();
	/* In a hard IRQ this is misuse (0xC4/0x42, reported): the lock is
	 * still taken and released, and the IRQL left alone. */
	KeAcquireSpinLock(&s->lock, &old);
	s->lock_old = old;
	s->lock_held = KeGetCurrentIrql();
	s->lock_word = s->lock;
	KeReleaseSpinLock(&s->lock, old);
	s->lock_after = KeGetCurrentIrql();
	s->ran = 1;
}

struct irql_timer {
	struct timer_list timer;
	struct irql_seen seen;
};

static void irql_timer_fn(struct timer_list *t)
{
	struct irql_timer *it = timer_container_of(it, t, timer);

	irql_seen_record(&it->seen);
	complete(&it->seen.done);
}

static void irql_softirq_context(struct kunit *test)
{
	struct irql_timer *it = kunit_kzalloc(test, sizeof(*it), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, it);
	init_completion(&it->seen.done);
	timer_setup(&it->timer, irql_timer_fn, 0);
	mod_timer(&it->timer, jiffies + 1);
	KUNIT_EXPECT_NE(test, wait_for_completion_timeout(&it->seen.done, 10 * HZ), 0UL);
	timer_delete_sync(&it->timer);

	KUNIT_EXPECT_EQ(test, it->seen.in_softirq, 1);
	KUNIT_EXPECT_EQ(test, it->seen.irql, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, it->seen.raised_old, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, it->seen.raised, HIGH_LEVEL);
	KUNIT_EXPECT_EQ(test, it->seen.lowered, DISPATCH_LEVEL);
	/* A DPC's spin lock: OldIrql is DISPATCH_LEVEL. */
	KUNIT_EXPECT_EQ(test, it->seen.lock_old, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, it->seen.lock_held, DISPATCH_LEVEL);
	KUNIT_EXPECT_NE(test, it->seen.lock_word, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, it->seen.lock_after, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, it->seen.lock, (KSPIN_LOCK)0);
}

struct irql_irq_work {
	struct irq_work work;
	struct irql_seen seen;
};

static void irql_irq_work_fn(struct irq_work *w)
{
	struct irql_irq_work *iw = container_of(w, struct irql_irq_work, work);

	irql_seen_record(&iw->seen);
}

static ULONG irql_acquire_too_high(void)
{
	return MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					 MMSHIM_VRF_SPINLOCK_ACQUIRE_TOO_HIGH);
}

static void irql_check_hardirq(struct kunit *test, const struct irql_seen *s, ULONG too_high)
{
	KUNIT_EXPECT_EQ(test, s->ran, 1);
	KUNIT_EXPECT_EQ(test, s->in_hardirq, 1);
	KUNIT_EXPECT_EQ(test, s->irql, MMSHIM_DIRQL);
	KUNIT_EXPECT_EQ(test, s->raised_old, MMSHIM_DIRQL);
	KUNIT_EXPECT_EQ(test, s->raised, HIGH_LEVEL);
	KUNIT_EXPECT_EQ(test, s->lowered, MMSHIM_DIRQL);
	KUNIT_EXPECT_EQ(test, irql_acquire_too_high(), too_high + 1);
	KUNIT_EXPECT_EQ(test, s->lock_old, MMSHIM_DIRQL);
	KUNIT_EXPECT_EQ(test, s->lock_held, MMSHIM_DIRQL);
	KUNIT_EXPECT_NE(test, s->lock_word, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, s->lock, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, s->lock_after, MMSHIM_DIRQL);
}

static void irql_hardirq_irq_work(struct kunit *test)
{
	struct irql_irq_work *iw = kunit_kzalloc(test, sizeof(*iw), GFP_KERNEL);
	ULONG too_high;

	KUNIT_ASSERT_NOT_NULL(test, iw);
	iw->work = IRQ_WORK_INIT_HARD(irql_irq_work_fn);
	too_high = irql_acquire_too_high();
	irq_work_queue(&iw->work);
	irq_work_sync(&iw->work);
	irql_check_hardirq(test, &iw->seen, too_high);
}

static void irql_ipi_fn(void *info)
{
	irql_seen_record(info);
}

static void irql_hardirq_ipi(struct kunit *test)
{
	struct irql_seen *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	int self, cpu, other = -1, rc;
	ULONG too_high;

	KUNIT_ASSERT_NOT_NULL(test, s);
	too_high = irql_acquire_too_high();
	/* Pinned to this CPU until the call returns: had the thread moved
	 * to @other in between, the function would run here, locally with
	 * interrupts off, not in an IPI. */
	self = get_cpu();
	for_each_online_cpu(cpu)
		if (cpu != self) {
			other = cpu;
			break;
		}
	rc = other < 0 ? -ENODEV : smp_call_function_single(other, irql_ipi_fn, s, 1);
	put_cpu();
	if (other < 0) {
		kunit_skip(test, "one CPU: no IPI to another");
		return;
	}
	KUNIT_ASSERT_EQ(test, rc, 0);
	irql_check_hardirq(test, s, too_high);
}

/* ---- raise and lower -------------------------------------------------------------- */

static void irql_raise_lower_round_trip(struct kunit *test)
{
	KIRQL old_dpc, old_high, at_dpc, at_high, back_dpc, back;
	int dpc_preemptible, dpc_bh, dpc_irqs_off, high_irqs_off, back_irqs_off;
	int back_preemptible, back_bh;

	KeRaiseIrql(DISPATCH_LEVEL, &old_dpc);
	at_dpc = KeGetCurrentIrql();
	dpc_preemptible = preemptible();
	dpc_bh = softirq_count() != 0;
	dpc_irqs_off = irqs_disabled();
	KeRaiseIrql(HIGH_LEVEL, &old_high);
	at_high = KeGetCurrentIrql();
	high_irqs_off = irqs_disabled();
	KeLowerIrql(old_high);
	back_dpc = KeGetCurrentIrql();
	back_irqs_off = irqs_disabled();
	KeLowerIrql(old_dpc);
	back = KeGetCurrentIrql();
	back_preemptible = preemptible();
	back_bh = softirq_count() != 0;

	KUNIT_EXPECT_EQ(test, old_dpc, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, at_dpc, DISPATCH_LEVEL);
	KUNIT_EXPECT_FALSE_MSG(test, dpc_preemptible, "DISPATCH_LEVEL must disable preemption");
	KUNIT_EXPECT_TRUE_MSG(test, dpc_bh, "DISPATCH_LEVEL must disable softirqs");
	KUNIT_EXPECT_FALSE(test, dpc_irqs_off);
	KUNIT_EXPECT_EQ(test, old_high, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, at_high, HIGH_LEVEL);
	KUNIT_EXPECT_TRUE_MSG(test, high_irqs_off, "above DISPATCH_LEVEL interrupts are off");
	KUNIT_EXPECT_EQ(test, back_dpc, DISPATCH_LEVEL);
	KUNIT_EXPECT_FALSE(test, back_irqs_off);
	KUNIT_EXPECT_EQ(test, back, PASSIVE_LEVEL);
	KUNIT_EXPECT_TRUE(test, back_preemptible);
	KUNIT_EXPECT_FALSE(test, back_bh);

	/* KeRaiseIrqlToDpcLevel, and APC_LEVEL (per thread, may sleep). */
	old_dpc = KeRaiseIrqlToDpcLevel();
	at_dpc = KeGetCurrentIrql();
	KeLowerIrql(old_dpc);
	KUNIT_EXPECT_EQ(test, old_dpc, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, at_dpc, DISPATCH_LEVEL);
	KeRaiseIrql(APC_LEVEL, &old_dpc);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), APC_LEVEL);
	msleep(1); /* APC_LEVEL may sleep */
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), APC_LEVEL);
	KeLowerIrql(old_dpc);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void irql_tasklet_fn(struct tasklet_struct *t)
{
	WRITE_ONCE(*(int *)t->data, 1);
}

/* At DISPATCH_LEVEL a softirq raised on this CPU waits, however long, until
 * the level drops, as a DPC waits on Windows. */
static void irql_dispatch_holds_off_softirqs(struct kunit *test)
{
	struct tasklet_struct *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int *ran = kunit_kzalloc(test, sizeof(*ran), GFP_KERNEL);
	int ran_while_raised;
	unsigned long deadline;
	KIRQL old;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_NOT_NULL(test, ran);
	tasklet_setup(t, irql_tasklet_fn);
	t->data = (unsigned long)ran;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	tasklet_schedule(t); /* on this CPU: we cannot migrate now */
	mdelay(30);          /* ticks come and go; none may run it */
	ran_while_raised = READ_ONCE(*ran);
	KeLowerIrql(old);
	deadline = jiffies + 10 * HZ;
	while (!READ_ONCE(*ran) && time_before(jiffies, deadline))
		msleep(1);
	KUNIT_EXPECT_EQ_MSG(test, ran_while_raised, 0, "a softirq ran at DISPATCH_LEVEL");
	KUNIT_EXPECT_EQ(test, READ_ONCE(*ran), 1);
	tasklet_kill(t);
}

static void irql_misuse_reported(struct kunit *test)
{
	KIRQL old, bad = 0;
	ULONG raise_bad, lower_bad;

	/* KeRaiseIrql below the current IRQL: reported, nothing changes. */
	raise_bad = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					      MMSHIM_VRF_RAISE_IRQL_INVALID);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeRaiseIrql(PASSIVE_LEVEL, &bad);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							MMSHIM_VRF_RAISE_IRQL_INVALID),
			raise_bad + 1);
	KUNIT_EXPECT_EQ(test, bad, DISPATCH_LEVEL);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);

	/* KeLowerIrql above the current IRQL. */
	lower_bad = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					      MMSHIM_VRF_LOWER_IRQL_INVALID);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_LOWER_IRQL_INVALID,
		      KeLowerIrql(DISPATCH_LEVEL));
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	KUNIT_EXPECT_TRUE(test, preemptible());
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							MMSHIM_VRF_LOWER_IRQL_INVALID),
			lower_bad + 1);
}

/* ---- spin locks ---------------------------------------------------------------- */

static void irql_spin_lock_basics(struct kunit *test)
{
	KSPIN_LOCK lock;
	KLOCK_QUEUE_HANDLE h;
	KIRQL old, held, qheld;
	KSPIN_LOCK word;
	BOOLEAN try_free, try_held, test_held;
	ULONG owned, not_owned, rel_irql;

	KeInitializeSpinLock(&lock);
	KUNIT_EXPECT_EQ(test, lock, (KSPIN_LOCK)0);
	KeAcquireSpinLock(&lock, &old);
	held = KeGetCurrentIrql();
	word = lock;
	test_held = KeTestSpinLock(&lock);
	try_held = KeTryToAcquireSpinLockAtDpcLevel(&lock);
	KeReleaseSpinLock(&lock, old);
	KUNIT_EXPECT_EQ(test, old, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, held, DISPATCH_LEVEL);
	KUNIT_EXPECT_NE(test, word, (KSPIN_LOCK)0);
	KUNIT_EXPECT_FALSE(test, test_held);
	KUNIT_EXPECT_FALSE(test, try_held);
	KUNIT_EXPECT_EQ(test, lock, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);

	/* Try-acquire at DISPATCH_LEVEL. */
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	try_free = KeTryToAcquireSpinLockAtDpcLevel(&lock);
	word = lock;
	if (try_free)
		KeReleaseSpinLockFromDpcLevel(&lock);
	KeLowerIrql(old);
	KUNIT_EXPECT_TRUE(test, try_free);
	KUNIT_EXPECT_NE(test, word, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, lock, (KSPIN_LOCK)0);

	/* Queued. */
	KeAcquireInStackQueuedSpinLock(&lock, &h);
	qheld = KeGetCurrentIrql();
	word = lock;
	KeReleaseInStackQueuedSpinLock(&h);
	KUNIT_EXPECT_EQ(test, h.OldIrql, PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, qheld, DISPATCH_LEVEL);
	KUNIT_EXPECT_NE(test, word, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, lock, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);

	/* Misuse: double release, release of an unheld lock, recursion. */
	rel_irql = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					     MMSHIM_VRF_SPINLOCK_RELEASE_IRQL);
	KeAcquireSpinLock(&lock, &old);
	KeReleaseSpinLock(&lock, old);
	KeReleaseSpinLock(&lock, old);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							MMSHIM_VRF_SPINLOCK_RELEASE_IRQL),
			rel_irql + 1);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);

	not_owned = MmshimVerifierReportCount(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)&lock);
	owned = MmshimVerifierReportCount(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)&lock);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	KeReleaseSpinLockFromDpcLevel(&lock);  /* not held */
	KeAcquireSpinLockAtDpcLevel(&lock);
	KeAcquireSpinLockAtDpcLevel(&lock);    /* recursive: reported, not a hang */
	KeReleaseSpinLockFromDpcLevel(&lock);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(SPIN_LOCK_NOT_OWNED, (ULONG_PTR)&lock),
			not_owned + 1);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(SPIN_LOCK_ALREADY_OWNED, (ULONG_PTR)&lock),
			owned + 1);
	KUNIT_EXPECT_EQ(test, lock, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	EXPECT_REPORT(test, SPIN_LOCK_NOT_OWNED, (ULONG_PTR)&h, KeReleaseInStackQueuedSpinLock(&h));
	/* AtDpcLevel at PASSIVE_LEVEL: reported, and mmshim raises to
	 * DISPATCH_LEVEL until the release. */
	rel_irql = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					     MMSHIM_VRF_SPINLOCK_AT_DPC_TOO_LOW);
	KeAcquireSpinLockAtDpcLevel(&lock);
	held = KeGetCurrentIrql();
	word = lock;
	KeReleaseSpinLockFromDpcLevel(&lock);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							MMSHIM_VRF_SPINLOCK_AT_DPC_TOO_LOW),
			rel_irql + 1);
	KUNIT_EXPECT_EQ(test, held, DISPATCH_LEVEL);
	KUNIT_EXPECT_NE(test, word, (KSPIN_LOCK)0);
	KUNIT_EXPECT_EQ(test, KeGetCurrentIrql(), PASSIVE_LEVEL);
	KUNIT_EXPECT_EQ(test, lock, (KSPIN_LOCK)0);
}

/* Two threads on two CPUs increment one counter under one KSPIN_LOCK. The
 * increment is a read, a pause and a write, so any overlap loses counts. */
#define IRQL_CONTENTION_ROUNDS 5000

struct irql_contention {
	KSPIN_LOCK lock;
	unsigned long counter;
	unsigned long busy_seen[2];
	int queued;
	atomic_t started;
	struct completion done[2];
};

struct irql_worker {
	struct irql_contention *c;
	int index;
};

static int irql_contention_thread(void *arg)
{
	struct irql_worker *w = arg;
	struct irql_contention *c = w->c;
	unsigned long v;
	int i;

	atomic_inc(&c->started);
	while (atomic_read(&c->started) < 2)
		cpu_relax();
	for (i = 0; i < IRQL_CONTENTION_ROUNDS; i++) {
		KLOCK_QUEUE_HANDLE h;
		KIRQL old;

		if (!KeTestSpinLock(&c->lock))
			c->busy_seen[w->index]++;
		if (c->queued)
			KeAcquireInStackQueuedSpinLock(&c->lock, &h);
		else
			KeAcquireSpinLock(&c->lock, &old);
		v = READ_ONCE(c->counter);
		cpu_relax();
		WRITE_ONCE(c->counter, v + 1);
		if (c->queued)
			KeReleaseInStackQueuedSpinLock(&h);
		else
			KeReleaseSpinLock(&c->lock, old);
		if ((i & 255) == 0)
			cond_resched();
	}
	return mmshim_thread_done(&c->done[w->index]);
}

static void irql_contend(struct kunit *test, int queued)
{
	struct irql_contention *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct irql_worker w[2];
	int (*const fn[2])(void *) = { irql_contention_thread, irql_contention_thread };
	void *const arg[2] = { &w[0], &w[1] };
	struct completion *done[2];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, c);
	if (num_online_cpus() < 2) {
		kunit_skip(test, "needs two CPUs");
		return;
	}
	c->queued = queued;
	for (i = 0; i < 2; i++) {
		w[i].c = c;
		w[i].index = i;
		done[i] = &c->done[i];
	}
	mmshim_run_on_two_cpus(test, fn, arg, done, "mmshim_irql");
	KUNIT_EXPECT_EQ(test, c->counter, 2UL * IRQL_CONTENTION_ROUNDS);
	KUNIT_EXPECT_EQ(test, c->lock, (KSPIN_LOCK)0);
	kunit_info(test, "lock seen busy %lu + %lu times\n", c->busy_seen[0], c->busy_seen[1]);
}

static void irql_spin_lock_contended(struct kunit *test)
{
	irql_contend(test, 0);
}

static void irql_queued_spin_lock_contended(struct kunit *test)
{
	irql_contend(test, 1);
}

/* ---- mmshim sees a raised IRQL as atomic ----------------------------------------- */

static struct mm_struct *irql_user_mm;

static int irql_suite_init(struct kunit_suite *suite)
{
	irql_user_mm = mmshim_user_mm_get();
	return 0;
}

static void irql_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&irql_user_mm);
}

/* MmProbeAndLockPages of user memory at DISPATCH_LEVEL is refused as in
 * any atomic context (it would have to fault pages in). */
static void irql_probe_user_at_dispatch_refused(struct kunit *test)
{
	unsigned long u;
	NTSTATUS st = STATUS_SUCCESS;
	ULONG before;
	PMDL m = NULL;
	KIRQL old;

	if (!mmshim_user_attach(test, irql_user_mm))
		return;
	u = vm_mmap(NULL, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(u)) {
		KUNIT_FAIL(test, "vm_mmap failed");
		goto out;
	}
	KUNIT_EXPECT_EQ(test, clear_user((void __user *)u, 2 * PAGE_SIZE), 0UL);
	m = IoAllocateMdl((PVOID)u, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_EXPECT_NOT_NULL(test, m);
	if (!m)
		goto out;
	before = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					   MMSHIM_VRF_IRQL_TOO_HIGH);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	st = MmshimProbeAndLockPages(m, UserMode, IoWriteAccess);
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, st, STATUS_ACCESS_VIOLATION);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							MMSHIM_VRF_IRQL_TOO_HIGH),
			before + 1);
	KUNIT_EXPECT_EQ(test, m->MdlFlags & MDL_PAGES_LOCKED, 0);
	/* The same at PASSIVE_LEVEL works. */
	st = MmshimProbeAndLockPages(m, UserMode, IoWriteAccess);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	if (st == STATUS_SUCCESS)
		MmUnlockPages(m);
out:
	if (m)
		IoFreeMdl(m);
	if (!IS_ERR_VALUE(u))
		vm_munmap(u, 2 * PAGE_SIZE);
	mmshim_user_detach();
}

/* ---- delays ---------------------------------------------------------------- */

#define WINDOWS_EPOCH_OFFSET 116444736000000000LL /* 1970 - 1601 in 100 ns */

static void irql_delay_execution(struct kunit *test)
{
	LARGE_INTEGER t;
	ktime_t start;
	s64 us;
	NTSTATUS st;
	ULONG refused;
	KIRQL old;

	/* Relative: 20 ms. */
	t.QuadPart = -20 * 1000 * 10;
	start = ktime_get();
	st = KeDelayExecutionThread(KernelMode, FALSE, &t);
	us = ktime_us_delta(ktime_get(), start);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_EXPECT_GE(test, us, 20000LL);

	/* Absolute: 30 ms from now, in Windows system time. */
	start = ktime_get();
	t.QuadPart = (LONGLONG)(ktime_get_real_ns() / 100) + WINDOWS_EPOCH_OFFSET + 30 * 1000 * 10;
	st = KeDelayExecutionThread(KernelMode, TRUE, &t);
	us = ktime_us_delta(ktime_get(), start);
	KUNIT_EXPECT_EQ(test, st, STATUS_SUCCESS);
	KUNIT_EXPECT_GE(test, us, 29000LL);

	/* Absolute in the past: returns at once. Zero: yields. */
	t.QuadPart = WINDOWS_EPOCH_OFFSET;
	KUNIT_EXPECT_EQ(test, KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);
	t.QuadPart = 0;
	KUNIT_EXPECT_EQ(test, KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);

	/* Refused at DISPATCH_LEVEL, with a report (and no sleep in atomic
	 * context: the debug kernel would say so on the console). */
	refused = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_WAIT_IRQL);
	t.QuadPart = -20 * 1000 * 10;
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	st = KeDelayExecutionThread(KernelMode, FALSE, &t);
	KeLowerIrql(old);
	KUNIT_EXPECT_FALSE(test, NT_SUCCESS(st));
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							MMSHIM_VRF_WAIT_IRQL),
			refused + 1);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      st = KeDelayExecutionThread(KernelMode, FALSE, NULL));
}

static void irql_stall_execution(struct kunit *test)
{
	ktime_t start;
	s64 us;
	KIRQL old;

	KeRaiseIrql(DISPATCH_LEVEL, &old);
	start = ktime_get();
	KeStallExecutionProcessor(2500); /* crosses the 1 ms udelay chunk */
	us = ktime_us_delta(ktime_get(), start);
	KeLowerIrql(old);
	KUNIT_EXPECT_GE(test, us, 2400LL);
}

/* ---- ASSERT, PAGED_CODE, DbgPrint -------------------------------------------- */

static noinline void irql_paged_routine(void)
{
	PAGED_CODE();
}

static void irql_paged_code_and_assert(struct kunit *test)
{
	ULONG before;
	KIRQL old;
	int x = 1;

	EXPECT_NO_REPORT(test, irql_paged_routine());
	before = MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
					   MMSHIM_VRF_PAGED_CODE_IRQL);
	KeRaiseIrql(DISPATCH_LEVEL, &old);
	irql_paged_routine();
	KeLowerIrql(old);
	KUNIT_EXPECT_EQ(test, MmshimVerifierReportCount(DRIVER_VERIFIER_DETECTED_VIOLATION,
							MMSHIM_VRF_PAGED_CODE_IRQL),
			before + 1);

	EXPECT_NO_REPORT(test, ASSERT(x == 1));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_ASSERTION_FAILED,
		      NT_ASSERT(x == 2));
	{
		MMSHIM_VERIFIER_REPORT r;

		KUNIT_ASSERT_TRUE(test, MmshimVerifierLastReport(&r));
		KUNIT_EXPECT_STREQ(test, (const char *)r.Parameters[1], "x == 2");
		KUNIT_EXPECT_NOT_NULL(test, strstr((const char *)r.Parameters[2], "irql_test.c"));
		KUNIT_EXPECT_GT(test, r.Parameters[3], 0UL);
	}
}

static void irql_debug_print(struct kunit *test)
{
	KIRQL old;
	ULONG a, b;

	a = DbgPrint("mmshim_irql: DbgPrint %d\n", 1);
	KeRaiseIrql(HIGH_LEVEL, &old);
	b = DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "mmshim_irql: DbgPrintEx at HIGH_LEVEL %s\n", "ok");
	KeLowerIrql(old);
	KdPrint(("mmshim_irql: KdPrint %u\n", 3u));
	KUNIT_EXPECT_EQ(test, a, (ULONG)STATUS_SUCCESS);
	KUNIT_EXPECT_EQ(test, b, (ULONG)STATUS_SUCCESS);
	KeFlushIoBuffers((PMDL)NULL, TRUE, TRUE);
}

static struct kunit_case irql_cases[] = {
	KUNIT_CASE(irql_process_contexts),
	KUNIT_CASE(irql_softirq_context),
	KUNIT_CASE(irql_hardirq_irq_work),
	KUNIT_CASE(irql_hardirq_ipi),
	KUNIT_CASE(irql_raise_lower_round_trip),
	KUNIT_CASE(irql_dispatch_holds_off_softirqs),
	KUNIT_CASE(irql_misuse_reported),
	KUNIT_CASE(irql_spin_lock_basics),
	KUNIT_CASE(irql_spin_lock_contended),
	KUNIT_CASE(irql_queued_spin_lock_contended),
	KUNIT_CASE(irql_probe_user_at_dispatch_refused),
	KUNIT_CASE(irql_delay_execution),
	KUNIT_CASE(irql_stall_execution),
	KUNIT_CASE(irql_paged_code_and_assert),
	KUNIT_CASE(irql_debug_print),
	{}
};

static struct kunit_suite irql_suite = {
	.name = "mmshim_irql",
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	MMSHIM_SUITE_HOOKS(irql_suite)
	.test_cases = irql_cases,
};
mmshim_kunit_suite_with_hooks(irql_suite);
