// SPDX-License-Identifier: GPL-2.0
/*
 * stress_irq.c - the interrupt side of the stress. On every CPU a pinned
 * timer_list (softirq, where a ported DPC runs: DISPATCH_LEVEL) does the
 * routines Windows allows at DISPATCH_LEVEL - locking nonpaged memory,
 * mapping and unmapping, reserved mappings, partial MDLs, nonpaged pool,
 * page allocation, unlocking MDLs threads locked - and a pinned hard
 * hrtimer (hard interrupt, where an ISR runs) reads registers and mapped
 * memory. Buffers are allocated at start, in thread context.
 */
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/smp.h>
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include "stress.h"


#define T_PAGES 3      /* the timer's scratch buffer */
#define SRC_PAGES 4    /* the partial MDLs' locked source */
#define H_PAGES 2      /* the hrtimer's mapped buffer */
#define H_SEED 0x5eed1234

struct irq_ctx {
	struct timer_list timer;
	struct hrtimer hr;
	unsigned int cpu, tick, hr_tick;
	ktime_t period;
	u8 *vbuf;        /* T_PAGES, scattered */
	PVOID reservation;
	u8 *src_buf;     /* SRC_PAGES, the pattern of src_seed */
	PMDL src;        /* locked over src_buf */
	u32 src_seed;
	u8 *hbuf;        /* H_PAGES, the pattern of H_SEED, never written */
	PMDL hmdl;       /* locked and mapped at hva */
	u8 *hva;
	bool timer_on, hr_on;
};

static unsigned int stress_timer_jiffies = 1;
module_param_named(timer_jiffies, stress_timer_jiffies, uint, 0444);
MODULE_PARM_DESC(timer_jiffies, "timer_list period in jiffies (default 1)");

static struct irq_ctx *ctxs;
static unsigned int n_ctx;
static bool irq_stopping;

/* ---- timer_list: DISPATCH_LEVEL ---------------------------------------- */

/* Lock [va, va + len) (nonpaged) at DISPATCH_LEVEL; the status-returning
 * form, because the raise form's __try is tested on its own (T_SEH). */
static PMDL t_lock(enum stress_family f, void *va, ULONG len)
{
	PMDL m = IoAllocateMdl(va, len, FALSE, FALSE, NULL);
	NTSTATUS st;

	if (!m) {
		atomic_long_inc(&stress_fams[f].nulls);
		return NULL;
	}
	st = MmshimProbeAndLockPages(m, KernelMode, IoWriteAccess);
	if (!CHECK(f, st == STATUS_SUCCESS, "MmshimProbeAndLockPages at DISPATCH_LEVEL: 0x%x", (u32)st)) {
		IoFreeMdl(m);
		return NULL;
	}
	return m;
}

#define T_PRIORITY (NormalPagePriority | MdlMappingNoExecute)

static void t_map(struct irq_ctx *c)
{
	unsigned int off = stress_rand(PAGE_SIZE);
	ULONG len = 1 + stress_rand(T_PAGES * PAGE_SIZE - off - 1);
	u32 seed = stress_rand(0), seed2 = stress_rand(0);
	u8 *va;
	long bad;
	PMDL m;

	stress_op(F_T_MAP);
	stress_fill(c->vbuf + off, len, seed);
	m = t_lock(F_T_MAP, c->vbuf + off, len);
	if (!m)
		return;
	va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, T_PRIORITY);
	if (!va) {
		atomic_long_inc(&stress_fams[F_T_MAP].nulls);
	} else {
		bad = stress_cmp(va, len, seed);
		CHECK(F_T_MAP, bad < 0, "byte %ld through the mapping differs", bad);
		stress_fill(va, len, seed2);
		bad = stress_cmp(c->vbuf + off, len, seed2);
		CHECK(F_T_MAP, bad < 0, "byte %ld written through the mapping differs", bad);
		MmUnmapLockedPages(va, m);
	}
	MmUnlockPages(m);
	CHECK(F_T_MAP, !(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA)), "flags 0x%x",
	      m->MdlFlags);
	IoFreeMdl(m);
}

static void t_reserve(struct irq_ctx *c)
{
	unsigned int off = stress_rand(PAGE_SIZE);
	ULONG len = 1 + stress_rand(T_PAGES * PAGE_SIZE - off - 1);
	u32 seed = stress_rand(0), seed2 = stress_rand(0);
	u8 *va;
	long bad;
	PMDL m;

	if (!c->reservation)
		return;
	stress_op(F_T_RESERVE);
	stress_fill(c->vbuf + off, len, seed);
	m = t_lock(F_T_RESERVE, c->vbuf + off, len);
	if (!m)
		return;
	va = MmMapLockedPagesWithReservedMapping(c->reservation, STRESS_TAG, m, MmCached);
	if (CHECK(F_T_RESERVE, va == (u8 *)c->reservation + off, "mapped at %px, reservation %px + %u", va,
		  c->reservation, off)) {
		bad = stress_cmp(va, len, seed);
		CHECK(F_T_RESERVE, bad < 0, "byte %ld through the reservation differs", bad);
		stress_fill(va, len, seed2);
		bad = stress_cmp(c->vbuf + off, len, seed2);
		CHECK(F_T_RESERVE, bad < 0, "byte %ld written through the reservation differs", bad);
		MmUnmapReservedMapping(c->reservation, STRESS_TAG, m);
	}
	MmUnlockPages(m);
	IoFreeMdl(m);
}

static void t_pool(struct irq_ctx *c)
{
	u8 *p[3];
	size_t len[3];
	u32 seed = stress_rand(0);
	unsigned int i;
	long bad;

	stress_op(F_T_POOL);
	for (i = 0; i < 3; i++) {
		len[i] = 1 + stress_rand(i == 2 ? 2 * PAGE_SIZE : 512);
		p[i] = ExAllocatePool2(POOL_FLAG_NON_PAGED, len[i], STRESS_TAG);
		if (!p[i])
			atomic_long_inc(&stress_fams[F_T_POOL].nulls);
		else
			stress_fill(p[i], len[i], seed + i);
	}
	for (i = 0; i < 3; i++) {
		if (!p[i])
			continue;
		bad = stress_cmp(p[i], len[i], seed + i);
		CHECK(F_T_POOL, bad < 0, "byte %ld of a %zu-byte block changed", bad, len[i]);
		ExFreePoolWithTag(p[i], STRESS_TAG);
	}
}

static void t_partial(struct irq_ctx *c)
{
	size_t start = stress_rand((SRC_PAGES - 1) * PAGE_SIZE);
	ULONG len = 1 + stress_rand(SRC_PAGES * PAGE_SIZE - start - 1);
	PMDL part;
	u8 *va;
	long bad;

	if (!c->src)
		return;
	stress_op(F_T_PARTIAL);
	part = IoAllocateMdl(c->src_buf + start, len, FALSE, FALSE, NULL);
	if (!part) {
		atomic_long_inc(&stress_fams[F_T_PARTIAL].nulls);
		return;
	}
	IoBuildPartialMdl(c->src, part, c->src_buf + start, len);
	va = MmGetSystemAddressForMdlSafe(part, T_PRIORITY);
	if (!va) {
		atomic_long_inc(&stress_fams[F_T_PARTIAL].nulls);
	} else {
		bad = stress_cmp_from(va, len, c->src_seed, start);
		CHECK(F_T_PARTIAL, bad < 0, "byte %ld of the partial mapping (from %zu) differs", bad, start);
	}
	MmPrepareMdlForReuse(part);
	IoFreeMdl(part);
}

static void t_complete(struct irq_ctx *c)
{
	struct stress_completion *q = stress_take_completion();
	PMDL m;
	u8 *va;

	if (!q)
		return;
	stress_op(F_T_COMPLETE);
	m = q->mdl;
	va = MmGetSystemAddressForMdlSafe(m, T_PRIORITY);
	if (!va) {
		atomic_long_inc(&stress_fams[F_T_COMPLETE].nulls);
	} else {
		long bad = stress_cmp(va, q->len, q->seed);

		q->ok = CHECK(F_T_COMPLETE, bad < 0, "byte %ld of a thread-locked MDL differs", bad);
		stress_fill(va, q->len, q->reply);
		q->replied = true;
		MmUnmapLockedPages(va, m);
	}
	MmUnlockPages(m);
	CHECK(F_T_COMPLETE, !(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA)), "flags 0x%x",
	      m->MdlFlags);
	IoFreeMdl(m);
	complete(&q->done);
}

static void t_pagealloc(struct irq_ctx *c)
{
	PHYSICAL_ADDRESS lo = { .QuadPart = 0 }, hi = { .QuadPart = -1LL }, skip = { .QuadPart = 0 };
	SIZE_T asked = (1 + stress_rand(2)) * PAGE_SIZE;
	u32 seed = stress_rand(0);
	u8 *va;
	long bad;
	PMDL m;

	stress_op(F_T_PAGEALLOC);
	m = MmAllocatePagesForMdlEx(lo, hi, skip, asked, MmCached, MM_ALLOCATE_NO_WAIT);
	if (!m) {
		atomic_long_inc(&stress_fams[F_T_PAGEALLOC].nulls);
		return;
	}
	CHECK(F_T_PAGEALLOC, m->ByteCount && m->ByteCount <= asked, "ByteCount %u for %zu", m->ByteCount,
	      (size_t)asked);
	va = MmGetSystemAddressForMdlSafe(m, T_PRIORITY);
	if (!va) {
		atomic_long_inc(&stress_fams[F_T_PAGEALLOC].nulls);
	} else {
		CHECK(F_T_PAGEALLOC, !memchr_inv(va, 0, m->ByteCount), "pages not zeroed");
		stress_fill(va, m->ByteCount, seed);
		bad = stress_mdl_linear_cmp(m, seed);
		CHECK(F_T_PAGEALLOC, bad < 0, "byte %ld through the PFN array differs", bad);
		MmUnmapLockedPages(va, m);
	}
	MmFreePagesFromMdl(m);
	ExFreePool(m);
}

static void t_seh(struct irq_ctx *c)
{
	if (stress_irq_seh)
		stress_seh_round(F_T_SEH, STATUS_INSUFFICIENT_RESOURCES, stress_rand(4), stress_rand(2));
}

static void timer_fn(struct timer_list *t)
{
	struct irq_ctx *c = timer_container_of(c, t, timer);

	switch (c->tick++ % 6) {
	case 0:
		t_map(c);
		break;
	case 1:
		t_reserve(c);
		break;
	case 2:
		t_pool(c);
		break;
	case 3:
		t_partial(c);
		break;
	case 4:
		t_pagealloc(c);
		break;
	default:
		t_seh(c);
		break;
	}
	/* Thread-locked MDLs come every tick: the threads wait for them. */
	t_complete(c);
	t_complete(c);
	if (!READ_ONCE(irq_stopping))
		mod_timer(t, jiffies + max(stress_timer_jiffies, 1U));
}

/* ---- hrtimer: hard interrupt ------------------------------------------- */

static void h_io(struct irq_ctx *c)
{
	volatile u32 *regs = stress_edu_regs;
	u32 v = stress_rand(0);

	if (!regs)
		return;
	stress_op(F_H_IO);
	CHECK(F_H_IO, regs[0] == 0x010000edU, "identity register 0x%x", regs[0]);
	CHECK(F_H_IO, stress_edu_inverse(regs, v), "inverse register wrong for 0x%x", v);
}

static void h_read(struct irq_ctx *c)
{
	size_t off = stress_rand(H_PAGES * PAGE_SIZE - 64);
	unsigned long pfn = MmGetMdlPfnArray(c->hmdl)[off >> PAGE_SHIFT];
	LONGLONG phys;
	long bad;

	stress_op(F_H_READ);
	bad = stress_cmp_from(c->hva + off, 64, H_SEED, off);
	CHECK(F_H_READ, bad < 0, "byte %ld at %zu through the system mapping differs", bad, off);
	phys = MmGetPhysicalAddress(c->hva + off).QuadPart;
	CHECK(F_H_READ, phys == (LONGLONG)(PFN_PHYS(pfn) + (off & ~PAGE_MASK)),
	      "MmGetPhysicalAddress 0x%llx, the PFN array says 0x%llx", (unsigned long long)phys,
	      (unsigned long long)(PFN_PHYS(pfn) + (off & ~PAGE_MASK)));
}

static void h_seh(struct irq_ctx *c)
{
	if (stress_irq_seh)
		stress_seh_round(F_H_SEH, STATUS_ACCESS_VIOLATION, stress_rand(4), stress_rand(2));
}

static enum hrtimer_restart hr_fn(struct hrtimer *t)
{
	struct irq_ctx *c = container_of(t, struct irq_ctx, hr);

	switch (c->hr_tick++ % 3) {
	case 0:
		h_io(c);
		break;
	case 1:
		h_read(c);
		break;
	default:
		h_seh(c);
		break;
	}
	if (READ_ONCE(irq_stopping))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, c->period);
	return HRTIMER_RESTART;
}

/* Runs on c->cpu (IPI): start its pinned timers there. */
static void start_on_cpu(void *arg)
{
	struct irq_ctx *c = arg;

	hrtimer_start(&c->hr, c->period, HRTIMER_MODE_REL_PINNED_HARD);
}

/* ---- Start and stop ---------------------------------------------------- */

static int setup_ctx(struct irq_ctx *c)
{
	c->vbuf = vmalloc(T_PAGES * PAGE_SIZE);
	c->src_buf = vmalloc(SRC_PAGES * PAGE_SIZE);
	c->hbuf = vmalloc(H_PAGES * PAGE_SIZE);
	if (!c->vbuf || !c->src_buf || !c->hbuf)
		return -ENOMEM;
	c->reservation = MmAllocateMappingAddress(T_PAGES * PAGE_SIZE, STRESS_TAG);
	CHECK(F_T_RESERVE, c->reservation, "MmAllocateMappingAddress failed");
	c->src_seed = stress_rand(0);
	stress_fill(c->src_buf, SRC_PAGES * PAGE_SIZE, c->src_seed);
	c->src = IoAllocateMdl(c->src_buf, SRC_PAGES * PAGE_SIZE, FALSE, FALSE, NULL);
	if (c->src && MmshimProbeAndLockPages(c->src, KernelMode, IoReadAccess) != STATUS_SUCCESS) {
		IoFreeMdl(c->src);
		c->src = NULL;
	}
	CHECK(F_T_PARTIAL, c->src, "locking the partial MDLs' source failed");
	stress_fill(c->hbuf, H_PAGES * PAGE_SIZE, H_SEED);
	c->hmdl = IoAllocateMdl(c->hbuf, H_PAGES * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!c->hmdl || MmshimProbeAndLockPages(c->hmdl, KernelMode, IoReadAccess) != STATUS_SUCCESS)
		return -ENOMEM;
	c->hva = MmGetSystemAddressForMdlSafe(c->hmdl, NormalPagePriority | MdlMappingNoWrite);
	if (!c->hva)
		return -ENOMEM;
	return 0;
}

static void teardown_ctx(struct irq_ctx *c)
{
	if (c->hmdl) {
		if (c->hmdl->MdlFlags & MDL_PAGES_LOCKED) {
			if (c->hva)
				MmUnmapLockedPages(c->hva, c->hmdl);
			MmUnlockPages(c->hmdl);
		}
		IoFreeMdl(c->hmdl);
	}
	if (c->src) {
		MmUnlockPages(c->src);
		IoFreeMdl(c->src);
	}
	if (c->reservation)
		MmFreeMappingAddress(c->reservation, STRESS_TAG);
	vfree(c->vbuf);
	vfree(c->src_buf);
	vfree(c->hbuf);
}

int stress_irq_start(unsigned int hrtimer_us)
{
	unsigned int cpu, i = 0;
	int err;

	n_ctx = num_online_cpus();
	ctxs = kcalloc(n_ctx, sizeof(*ctxs), GFP_KERNEL);
	if (!ctxs)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		struct irq_ctx *c = &ctxs[i++];

		if (i > n_ctx)
			break;
		c->cpu = cpu;
		c->period = ns_to_ktime((u64)max(hrtimer_us, 100U) * NSEC_PER_USEC);
		err = setup_ctx(c);
		if (err)
			return err;
		timer_setup(&c->timer, timer_fn, TIMER_PINNED);
		c->timer.expires = jiffies + 1;
		add_timer_on(&c->timer, cpu);
		c->timer_on = true;
		hrtimer_setup(&c->hr, hr_fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED_HARD);
		c->hr_on = true;
		smp_call_function_single(cpu, start_on_cpu, c, 1);
	}
	return 0;
}

void stress_irq_stop(void)
{
	unsigned int i;
	struct stress_completion *q;

	WRITE_ONCE(irq_stopping, true);
	for (i = 0; ctxs && i < n_ctx; i++) {
		if (ctxs[i].timer_on)
			timer_delete_sync(&ctxs[i].timer);
		if (ctxs[i].hr_on)
			hrtimer_cancel(&ctxs[i].hr);
	}
	/* Nothing is queued any more (the threads waited), but be sure. */
	while ((q = stress_take_completion())) {
		MmUnlockPages(q->mdl);
		IoFreeMdl(q->mdl);
		complete(&q->done);
	}
	for (i = 0; ctxs && i < n_ctx; i++)
		teardown_ctx(&ctxs[i]);
	kfree(ctxs);
	ctxs = NULL;
}
