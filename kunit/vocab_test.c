// SPDX-License-Identifier: GPL-2.0
/*
 * vocab_test.c - KUnit suite "mmshim_vocab": the base vocabulary of wdm.h
 * on a real kernel. Interlocked* from two CPUs at once; the Rtl memory
 * routines (RtlCompareMemory counts, overlapping RtlMoveMemory);
 * MmUserProbeAddress against TASK_SIZE_MAX; PsGetCurrentProcess,
 * PsGetCurrentProcessId and ExGetPreviousMode in the process that loads the
 * test module (insmod, in its init_module system call), in a hard
 * interrupt that arrives while it runs, and in the KUnit kernel thread;
 * the process identity equal to MDL->Process after a lock;
 * MmProbeAndLockProcessPages with the current, a foreign and a NULL process;
 * MmSecureVirtualMemory / MmUnsecureVirtualMemory, with bad input.
 */
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/hrtimer.h>
#include <linux/delay.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <ntddk.h>
#include "mmshim_kunit.h"

/* ---- what the loading process saw (suite_init runs in insmod) ---------- */

static struct mm_struct *vocab_mm;
static struct {
	KPROCESSOR_MODE mode;
	PEPROCESS process;
	HANDLE pid, tid;
	pid_t tgid, task_pid;
	bool user_task;
	/* from a hard interrupt that arrived while insmod ran */
	bool irq_ran, irq_hit_insmod;
	KPROCESSOR_MODE irq_mode;
	PEPROCESS irq_process;
} insmod;
static struct task_struct *insmod_task;

static enum hrtimer_restart vocab_irq_fn(struct hrtimer *t)
{
	insmod.irq_hit_insmod = current == insmod_task && in_hardirq();
	insmod.irq_mode = ExGetPreviousMode();
	insmod.irq_process = PsGetCurrentProcess();
	WRITE_ONCE(insmod.irq_ran, true);
	return HRTIMER_NORESTART;
}

static int vocab_suite_init(struct kunit_suite *suite)
{
	static struct hrtimer timer;
	int i;

	insmod_task = current;
	insmod.user_task = current->mm && !(current->flags & PF_KTHREAD);
	insmod.mode = ExGetPreviousMode();
	insmod.process = PsGetCurrentProcess();
	insmod.pid = PsGetCurrentProcessId();
	insmod.tid = PsGetCurrentThreadId();
	insmod.tgid = current->tgid;
	insmod.task_pid = current->pid;
	vocab_mm = mmshim_user_mm_get();
	/* A hard-IRQ timer on this CPU, waited for on this CPU: it
	 * interrupts insmod itself. */
	hrtimer_setup(&timer, vocab_irq_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	preempt_disable();
	hrtimer_start(&timer, ns_to_ktime(100 * NSEC_PER_USEC), HRTIMER_MODE_REL_PINNED_HARD);
	for (i = 0; i < 200000 && !READ_ONCE(insmod.irq_ran); i++)
		udelay(1);
	preempt_enable();
	hrtimer_cancel(&timer);
	return 0;
}

static void vocab_suite_exit(struct kunit_suite *suite)
{
	mmshim_user_mm_put(&vocab_mm);
}

static bool attach(struct kunit *test)
{
	return mmshim_user_attach(test, vocab_mm);
}

static void detach(void)
{
	mmshim_user_detach();
}

static unsigned long user_map(unsigned long pages, unsigned long prot)
{
	unsigned long addr = vm_mmap(NULL, 0, pages * PAGE_SIZE, prot, MAP_ANONYMOUS | MAP_PRIVATE, 0);

	return IS_ERR_VALUE(addr) ? 0 : addr;
}

/* ---- Interlocked from two CPUs ----------------------------------------- */

#define VOCAB_ROUNDS 100000

struct vocab_race {
	LONG volatile counter;
	LONG64 volatile counter64;
	LONG volatile cas;
	LONG volatile bits;
	PVOID volatile slot;
	LONG volatile slot_owner_errors;
	atomic_t ready;
	struct completion done[2];
};

struct vocab_worker {
	struct vocab_race *r;
	int id;
};

static int vocab_race_fn(void *data)
{
	struct vocab_worker *w = data;
	struct vocab_race *r = w->r;
	int i;

	/* Start together. */
	atomic_inc(&r->ready);
	while (atomic_read(&r->ready) < 2)
		cpu_relax();
	for (i = 0; i < VOCAB_ROUNDS; i++) {
		LONG seen;

		InterlockedIncrement(&r->counter);
		InterlockedExchangeAdd64(&r->counter64, 3);
		do
			seen = r->cas;
		while (InterlockedCompareExchange(&r->cas, seen + 1, seen) != seen);
		InterlockedXor(&r->bits, 1 << w->id);
		/* A pointer-sized lock: only the owner may find itself there. */
		while (InterlockedCompareExchangePointer(&r->slot, w, NULL) != NULL)
			cpu_relax();
		if (r->slot != w)
			InterlockedIncrement(&r->slot_owner_errors);
		if (InterlockedExchangePointer(&r->slot, NULL) != w)
			InterlockedIncrement(&r->slot_owner_errors);
	}
	InterlockedOr(&r->bits, 0x100 << w->id);
	complete(&r->done[w->id]);
	return 0;
}

static void vocab_interlocked_two_cpus(struct kunit *test)
{
	struct vocab_race *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	struct vocab_worker w[2];
	int i;

	KUNIT_ASSERT_NOT_NULL(test, r);
	init_completion(&r->done[0]);
	init_completion(&r->done[1]);
	for (i = 0; i < 2; i++) {
		struct task_struct *t;

		w[i].r = r;
		w[i].id = i;
		t = kthread_create(vocab_race_fn, &w[i], "mmshim_vocab%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
		if (num_online_cpus() > 1)
			kthread_bind(t, i % num_online_cpus());
		wake_up_process(t);
	}
	wait_for_completion(&r->done[0]);
	wait_for_completion(&r->done[1]);
	KUNIT_EXPECT_EQ(test, r->counter, 2 * VOCAB_ROUNDS);
	KUNIT_EXPECT_EQ(test, r->counter64, 6LL * VOCAB_ROUNDS);
	KUNIT_EXPECT_EQ(test, r->cas, 2 * VOCAB_ROUNDS);
	KUNIT_EXPECT_EQ(test, r->bits, 0x300); /* each bit toggled an even number of times */
	KUNIT_EXPECT_EQ(test, r->slot_owner_errors, 0);
	KUNIT_EXPECT_NULL(test, r->slot);
}

/* ---- Rtl memory routines ------------------------------------------------ */

static void vocab_rtl_routines(struct kunit *test)
{
	u8 *a = kunit_kmalloc(test, 256, GFP_KERNEL), *b = kunit_kmalloc(test, 256, GFP_KERNEL);
	u8 tiny[16];
	SIZE_T at;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	for (i = 0; i < 256; i++)
		a[i] = (u8)(i * 13 + 7);
	RtlCopyMemory(b, a, 256);
	KUNIT_EXPECT_EQ(test, RtlCompareMemory(a, b, 256), (SIZE_T)256);
	KUNIT_EXPECT_TRUE(test, RtlEqualMemory(a, b, 256));
	for (at = 0; at < 256; at += 5) {
		b[at] ^= 1;
		KUNIT_EXPECT_EQ(test, RtlCompareMemory(a, b, 256), at);
		KUNIT_EXPECT_EQ(test, RtlCompareMemory(a, b, at), at); /* stops before it */
		KUNIT_EXPECT_FALSE(test, RtlEqualMemory(a, b, 256));
		b[at] ^= 1;
	}
	/* Overlapping moves, both directions. */
	RtlMoveMemory(b + 3, b, 200);
	KUNIT_EXPECT_EQ(test, RtlCompareMemory(b + 3, a, 200), (SIZE_T)200);
	RtlCopyMemory(b, a, 256);
	RtlMoveMemory(b, b + 3, 200);
	KUNIT_EXPECT_EQ(test, RtlCompareMemory(b, a + 3, 200), (SIZE_T)200);
	RtlFillMemory(tiny, sizeof(tiny), 0x5A);
	RtlZeroMemory(tiny + 4, 4);
	KUNIT_EXPECT_EQ(test, tiny[3], 0x5A);
	KUNIT_EXPECT_EQ(test, tiny[4], 0);
	KUNIT_EXPECT_EQ(test, tiny[7], 0);
	KUNIT_EXPECT_EQ(test, tiny[8], 0x5A);
	KUNIT_EXPECT_PTR_EQ(test, RtlSecureZeroMemory(a, 256), (PVOID)a);
	KUNIT_EXPECT_NULL(test, memchr_inv(a, 0, 256));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, RtlCompareMemory(NULL, b, 8), (SIZE_T)0));
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, RtlCompareMemory(NULL, NULL, 0), (SIZE_T)0));
}

/* ---- boundaries, process identity, previous mode ------------------------ */

static void vocab_address_boundaries(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, MmUserProbeAddress, (ULONG_PTR)TASK_SIZE_MAX);
	KUNIT_EXPECT_EQ(test, (ULONG_PTR)MmHighestUserAddress, (ULONG_PTR)TASK_SIZE_MAX - 1);
	KUNIT_EXPECT_EQ(test, (ULONG_PTR)MmSystemRangeStart, (ULONG_PTR)TASK_SIZE_MAX);
	KUNIT_EXPECT_EQ(test, MM_USER_PROBE_ADDRESS, MmUserProbeAddress);
}

static void vocab_previous_mode_and_process(struct kunit *test)
{
	PEPROCESS sys;

	if (!vocab_mm || !insmod.user_task)
		kunit_skip(test, "the test module was not loaded by a user process");
	/* insmod, in its init_module system call. */
	KUNIT_EXPECT_EQ(test, insmod.mode, (KPROCESSOR_MODE)UserMode);
	KUNIT_EXPECT_PTR_EQ(test, insmod.process, (PEPROCESS)vocab_mm);
	KUNIT_EXPECT_EQ(test, (unsigned long)insmod.pid, (unsigned long)insmod.tgid);
	KUNIT_EXPECT_EQ(test, (unsigned long)insmod.tid, (unsigned long)insmod.task_pid);
	/* A hard interrupt on top of insmod: kernel mode, the interrupted process. */
	if (insmod.irq_ran && insmod.irq_hit_insmod) {
		KUNIT_EXPECT_EQ(test, insmod.irq_mode, (KPROCESSOR_MODE)KernelMode);
		KUNIT_EXPECT_PTR_EQ(test, insmod.irq_process, insmod.process);
	} else {
		kunit_info(test, "the timer interrupt did not land on insmod (ran %d); not checked",
			   insmod.irq_ran);
	}

	/* This KUnit kernel thread: kernel mode, the System stand-in. */
	KUNIT_EXPECT_EQ(test, ExGetPreviousMode(), (KPROCESSOR_MODE)KernelMode);
	sys = PsGetCurrentProcess();
	KUNIT_EXPECT_NOT_NULL(test, sys);
	KUNIT_EXPECT_PTR_NE(test, sys, insmod.process);
	KUNIT_EXPECT_PTR_EQ(test, IoGetCurrentProcess(), sys);
	KUNIT_EXPECT_EQ(test, (unsigned long)PsGetCurrentProcessId(), (unsigned long)current->tgid);
	KUNIT_EXPECT_EQ(test, (unsigned long)PsGetCurrentThreadId(), (unsigned long)current->pid);
	KUNIT_EXPECT_NE(test, (unsigned long)PsGetCurrentProcessId(), (unsigned long)insmod.tgid);

	/* Borrowing insmod's address space: its process, still kernel mode. */
	mmshim_user_attach(test, vocab_mm);
	KUNIT_EXPECT_PTR_EQ(test, PsGetCurrentProcess(), insmod.process);
	KUNIT_EXPECT_EQ(test, ExGetPreviousMode(), (KPROCESSOR_MODE)KernelMode);
	mmshim_user_detach();
	KUNIT_EXPECT_PTR_EQ(test, PsGetCurrentProcess(), sys);
}

/* MmProbeAndLockProcessPages in __try: the status it raised, or STATUS_SUCCESS. */
static noinline NTSTATUS lock_process(PMDL m, PEPROCESS process, KPROCESSOR_MODE mode, LOCK_OPERATION op)
{
	volatile NTSTATUS s = STATUS_SUCCESS;

	__try {
		MmProbeAndLockProcessPages(m, process, mode, op);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	return s;
}

static void vocab_lock_process_pages(struct kunit *test)
{
	static int not_a_process;
	const PEPROCESS foreign = (PEPROCESS)&not_a_process;
	unsigned long u;
	PMDL m = NULL, k = NULL;
	void *kbuf;
	PEPROCESS sys = PsGetCurrentProcess();

	kbuf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, kbuf);
	if (!attach(test))
		return;
	u = user_map(2, PROT_READ | PROT_WRITE);
	KUNIT_EXPECT_NE(test, u, 0UL);
	if (!u)
		goto out;
	m = IoAllocateMdl((PVOID)(u + 8), PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_EXPECT_NOT_NULL(test, m);
	if (!m)
		goto out;

	/* The current process: locked, and MDL->Process is PsGetCurrentProcess(). */
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, lock_process(m, PsGetCurrentProcess(), UserMode,
								  IoWriteAccess),
					       STATUS_SUCCESS));
	KUNIT_EXPECT_TRUE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_PTR_EQ(test, m->Process, PsGetCurrentProcess());
	KUNIT_EXPECT_PTR_EQ(test, m->Process, insmod.process);
	if (m->MdlFlags & MDL_PAGES_LOCKED)
		MmUnlockPages(m);

	/* Another process, or the System process (no user space): refused. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_FOREIGN_PROCESS,
		      KUNIT_EXPECT_EQ(test, lock_process(m, foreign, UserMode, IoWriteAccess),
				      STATUS_ACCESS_VIOLATION));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_FOREIGN_PROCESS,
		      KUNIT_EXPECT_EQ(test, lock_process(m, sys, KernelMode, IoReadAccess),
				      STATUS_ACCESS_VIOLATION));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_EQ(test, lock_process(m, NULL, UserMode, IoWriteAccess),
				      STATUS_ACCESS_VIOLATION));
	KUNIT_EXPECT_FALSE(test, m->MdlFlags & MDL_PAGES_LOCKED);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), (SIZE_T)0);

	/* Kernel addresses are shared by every process. */
	k = IoAllocateMdl(kbuf, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_EXPECT_NOT_NULL(test, k);
	if (k) {
		EXPECT_NO_REPORT(test, KUNIT_EXPECT_EQ(test, lock_process(k, foreign, KernelMode, IoReadAccess),
						       STATUS_SUCCESS));
		if (k->MdlFlags & MDL_PAGES_LOCKED)
			MmUnlockPages(k);
	}
out:
	if (m)
		IoFreeMdl(m);
	if (k)
		IoFreeMdl(k);
	if (u)
		vm_munmap(u, 2 * PAGE_SIZE);
	detach();
	/* Back in a kernel thread without an address space: "the current
	 * process" is the System stand-in, which has no user pages. */
	m = IoAllocateMdl((PVOID)0x10000, PAGE_SIZE, FALSE, FALSE, NULL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_FOREIGN_PROCESS,
		      KUNIT_EXPECT_EQ(test, lock_process(m, PsGetCurrentProcess(), KernelMode, IoReadAccess),
				      STATUS_ACCESS_VIOLATION));
	IoFreeMdl(m);
}

/* ---- MmSecureVirtualMemory --------------------------------------------- */

static void vocab_secure_virtual_memory(struct kunit *test)
{
	unsigned long rw, ro, gap;
	HANDLE h = NULL, hr = NULL;
	SIZE_T locked0 = MmshimLockedMdlCount();
	char c = 0;
	static DEFINE_SPINLOCK(lock);

	if (!attach(test))
		return;
	rw = user_map(3, PROT_READ | PROT_WRITE);
	ro = user_map(1, PROT_READ);
	KUNIT_EXPECT_NE(test, rw, 0UL);
	KUNIT_EXPECT_NE(test, ro, 0UL);
	if (!rw || !ro)
		goto out;
	KUNIT_EXPECT_EQ(test, put_user((char)0x33, (char __user *)(rw + PAGE_SIZE)), 0);

	EXPECT_NO_REPORT(test, h = MmSecureVirtualMemory((PVOID)(rw + 100), 2 * PAGE_SIZE, PAGE_READWRITE));
	KUNIT_EXPECT_NOT_NULL(test, h);
	KUNIT_EXPECT_EQ(test, MmshimSecuredRangeCount(), (SIZE_T)1);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), locked0 + 1);
	/* Read-only memory: securable for reading only; NULL without a report. */
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory((PVOID)ro, 16, PAGE_READWRITE)));
	EXPECT_NO_REPORT(test, hr = MmSecureVirtualMemory((PVOID)ro, 16, PAGE_READONLY));
	KUNIT_EXPECT_NOT_NULL(test, hr);
	/* Unmapped memory: NULL. 4 GiB away from the mapping, above it unless
	 * that leaves user space (arm64 maps from the top of its 48-bit space
	 * down), then below. */
	gap = rw + 3 * PAGE_SIZE + 0x100000000UL;
	if (gap + PAGE_SIZE > TASK_SIZE)
		gap = rw - 0x100000000UL;
	EXPECT_NO_REPORT(test, KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory((PVOID)gap, PAGE_SIZE, PAGE_READONLY)));

	/* Bad input, reported. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory(NULL, PAGE_SIZE, PAGE_READONLY)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory((PVOID)rw, 0, PAGE_READONLY)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory((PVOID)rw, PAGE_SIZE, PAGE_EXECUTE_READ)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory((PVOID)&c, 1, PAGE_READONLY)));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_BAD_ARGUMENT,
		      KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory((PVOID)(TASK_SIZE_MAX - PAGE_SIZE),
								    2 * PAGE_SIZE, PAGE_READONLY)));
	spin_lock(&lock);
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
		      KUNIT_EXPECT_NULL(test, MmSecureVirtualMemory((PVOID)rw, PAGE_SIZE, PAGE_READONLY)));
	spin_unlock(&lock);

	/*
	 * Linux lets the process unmap a secured range (documented): the
	 * unmap succeeds, the pinned frames stay until the handle goes.
	 */
	KUNIT_EXPECT_EQ(test, vm_munmap(rw, 3 * PAGE_SIZE), 0);
	rw = 0;
	EXPECT_NO_REPORT(test, MmUnsecureVirtualMemory(h));
	EXPECT_NO_REPORT(test, MmUnsecureVirtualMemory(hr));
	KUNIT_EXPECT_EQ(test, MmshimSecuredRangeCount(), (SIZE_T)0);
	KUNIT_EXPECT_EQ(test, MmshimLockedMdlCount(), locked0);
	/* Twice, NULL, or not a handle: reported, nothing else. */
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SECURE_HANDLE_UNKNOWN,
		      MmUnsecureVirtualMemory(h));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_NULL_ARGUMENT,
		      MmUnsecureVirtualMemory(NULL));
	EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_SECURE_HANDLE_UNKNOWN,
		      MmUnsecureVirtualMemory((HANDLE)&c));
	h = hr = NULL;
out:
	if (h)
		MmUnsecureVirtualMemory(h);
	if (hr)
		MmUnsecureVirtualMemory(hr);
	if (rw)
		vm_munmap(rw, 3 * PAGE_SIZE);
	if (ro)
		vm_munmap(ro, PAGE_SIZE);
	detach();
}

/* Released from a spinlock: reported (Windows wants <= APC_LEVEL), and
 * still released, the unpin finishing in mmshim's worker. */
static void vocab_unsecure_atomic(struct kunit *test)
{
	unsigned long rw;
	HANDLE h;
	static DEFINE_SPINLOCK(lock);

	if (!attach(test))
		return;
	rw = user_map(1, PROT_READ | PROT_WRITE);
	KUNIT_EXPECT_NE(test, rw, 0UL);
	if (rw) {
		h = MmSecureVirtualMemory((PVOID)rw, PAGE_SIZE, PAGE_READWRITE);
		KUNIT_EXPECT_NOT_NULL(test, h);
		if (h) {
			spin_lock(&lock);
			EXPECT_REPORT(test, DRIVER_VERIFIER_DETECTED_VIOLATION, MMSHIM_VRF_IRQL_TOO_HIGH,
				      MmUnsecureVirtualMemory(h));
			spin_unlock(&lock);
		}
		KUNIT_EXPECT_EQ(test, MmshimSecuredRangeCount(), (SIZE_T)0);
		vm_munmap(rw, PAGE_SIZE);
	}
	detach();
}

static struct kunit_case vocab_cases[] = {
	KUNIT_CASE(vocab_interlocked_two_cpus),
	KUNIT_CASE(vocab_rtl_routines),
	KUNIT_CASE(vocab_address_boundaries),
	KUNIT_CASE(vocab_previous_mode_and_process),
	KUNIT_CASE(vocab_lock_process_pages),
	KUNIT_CASE(vocab_secure_virtual_memory),
	KUNIT_CASE(vocab_unsecure_atomic),
	{}
};

static struct kunit_suite vocab_suite = {
	.name = "mmshim_vocab",
	MMSHIM_SUITE_HOOKS(vocab_suite)
	.init = mmshim_test_init,
	.exit = mmshim_test_exit,
	.test_cases = vocab_cases,
};
mmshim_kunit_suite_with_hooks(vocab_suite);
