// SPDX-License-Identifier: GPL-2.0
/*
 * stress_threads.c - the PASSIVE_LEVEL side of the stress: worker threads
 * bound to every CPU, each cycling through every thread family, and pairs
 * of threads on two CPUs that race MmUnlockPages against a map call on the
 * same MDL. Workers borrow the loading process's address space
 * (kthread_use_mm) for user memory and user mappings.
 */
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/cpumask.h>
#include <asm/pgtable.h>
#include "stress.h"

#define RES_PAGES 4 /* each worker's reservation */

struct worker {
	struct task_struct *task;
	unsigned int id;
	PVOID reservation;
};

static unsigned long user_map(unsigned long pages, unsigned long prot)
{
	unsigned long a = vm_mmap(NULL, 0, pages * PAGE_SIZE, prot, MAP_ANONYMOUS | MAP_PRIVATE, 0);

	return IS_ERR_VALUE(a) ? 0 : a;
}

/* A kernel buffer: vmalloc (scattered frames) or kmalloc. */
static void *kbuf_alloc(size_t bytes, bool scattered)
{
	return scattered ? vmalloc(bytes) : kmalloc(bytes, GFP_KERNEL);
}

static void kbuf_free(void *p)
{
	kvfree(p);
}

/* Lock [va, va + len) in @mode for write; NULL (after a CHECK) if it fails. */
static PMDL lock_range(enum stress_family f, void *va, ULONG len, KPROCESSOR_MODE mode)
{
	PMDL m = IoAllocateMdl(va, len, FALSE, FALSE, NULL);
	NTSTATUS st;

	if (!CHECK(f, m, "IoAllocateMdl(%px, %u) failed", va, len))
		return NULL;
	st = stress_seh_probe(m, mode, IoWriteAccess);
	if (!CHECK(f, st == STATUS_SUCCESS && (m->MdlFlags & MDL_PAGES_LOCKED),
		   "MmProbeAndLockPages(%s, %u bytes) raised 0x%x", mode == UserMode ? "UserMode" : "KernelMode",
		   len, (u32)st)) {
		IoFreeMdl(m);
		return NULL;
	}
	return m;
}

static void unlock_free(enum stress_family f, PMDL m)
{
	MmUnlockPages(m);
	CHECK(f, !(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA)),
	      "MDL flags 0x%x after MmUnlockPages", m->MdlFlags);
	IoFreeMdl(m);
}

/* The MDL's PFN entries name the pages of the kernel buffer it describes. */
static void check_kernel_pfns(enum stress_family f, PMDL m)
{
	u8 *base = (u8 *)m->StartVa;
	ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(m), m->ByteCount), i;

	for (i = 0; i < pages; i++)
		if (!CHECK(f, MmGetMdlPfnArray(m)[i] == stress_kva_pfn(base + i * PAGE_SIZE),
			   "PFN %u is 0x%llx, the buffer's page is 0x%lx", i,
			   (unsigned long long)MmGetMdlPfnArray(m)[i], stress_kva_pfn(base + i * PAGE_SIZE)))
			return;
}

/* Hand a locked MDL to the timers (they map it, check, write a reply,
 * unlock and free it) and check the reply through @reread. */
static bool via_timer(enum stress_family f, PMDL m, u32 seed, u32 *reply)
{
	struct stress_completion c = { .mdl = m, .len = m->ByteCount, .seed = seed, .reply = stress_rand(0) };

	stress_queue_completion(&c);
	if (!stress_wait_completion(&c)) {
		CHECK(f, false, "the timers did not complete a queued MDL within 60 s");
		return false;
	}
	if (c.replied)
		CHECK(f, c.ok, "the timer read something else than the thread wrote through its mapping");
	*reply = c.reply;
	return c.replied;
}

/* ---- Families ---------------------------------------------------------- */

static void op_klock(struct worker *w)
{
	unsigned int pages = 1 + stress_rand(4), off = stress_rand(PAGE_SIZE / 2);
	ULONG len = pages * PAGE_SIZE - off - stress_rand(PAGE_SIZE / 2);
	u8 *buf = kbuf_alloc(pages * PAGE_SIZE, stress_rand(2));
	u32 seed = stress_rand(0), reply;
	long bad;
	PMDL m;

	if (!CHECK(F_KLOCK, buf, "no memory"))
		return;
	stress_op(F_KLOCK);
	stress_fill(buf + off, len, seed);
	m = lock_range(F_KLOCK, buf + off, len, KernelMode);
	if (!m)
		goto out;
	check_kernel_pfns(F_KLOCK, m);
	bad = stress_mdl_linear_cmp(m, seed);
	CHECK(F_KLOCK, bad < 0, "byte %ld through the PFN array differs", bad);
	if (stress_rand(3) == 0) {
		if (via_timer(F_KLOCK, m, seed, &reply)) {
			bad = stress_cmp(buf + off, len, reply);
			CHECK(F_KLOCK, bad < 0, "byte %ld of the timer's reply differs", bad);
		}
	} else {
		unlock_free(F_KLOCK, m);
	}
out:
	kbuf_free(buf);
}

static void op_npp(struct worker *w)
{
	ULONG len = 1 + stress_rand(2 * PAGE_SIZE);
	u8 *buf = kmalloc(len, GFP_KERNEL), *sys;
	u32 seed = stress_rand(0);
	long bad;
	PMDL m;

	if (!CHECK(F_NPP, buf, "no memory"))
		return;
	stress_op(F_NPP);
	m = IoAllocateMdl(buf, len, FALSE, FALSE, NULL);
	if (!CHECK(F_NPP, m, "IoAllocateMdl failed"))
		goto out;
	MmBuildMdlForNonPagedPool(m);
	CHECK(F_NPP, m->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, "flags 0x%x", m->MdlFlags);
	check_kernel_pfns(F_NPP, m);
	sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	CHECK(F_NPP, sys == buf, "MmGetSystemAddressForMdlSafe %px, buffer %px", sys, buf);
	stress_fill(buf, len, seed);
	bad = stress_mdl_linear_cmp(m, seed);
	CHECK(F_NPP, bad < 0, "byte %ld through the PFN array differs", bad);
	IoFreeMdl(m);
out:
	kfree(buf);
}

static void op_ulock(struct worker *w)
{
	unsigned int pages = 1 + stress_rand(4), off = stress_rand(PAGE_SIZE);
	ULONG len = pages * PAGE_SIZE - off;
	unsigned long u;
	u32 seed = stress_rand(0), seed2 = stress_rand(0), reply;
	u8 *tmp, *sys;
	long bad;
	PMDL m;

	if (!stress_mm)
		return;
	tmp = kvmalloc(len, GFP_KERNEL);
	u = user_map(pages, PROT_READ | PROT_WRITE);
	if (!CHECK(F_ULOCK, tmp && u, "no memory (vm_mmap)"))
		goto out;
	stress_op(F_ULOCK);
	stress_fill(tmp, len, seed);
	if (!CHECK(F_ULOCK, !copy_to_user((void __user *)(u + off), tmp, len), "copy_to_user failed"))
		goto out;
	m = lock_range(F_ULOCK, (void *)(u + off), len, UserMode);
	if (!m)
		goto out;
	bad = stress_mdl_linear_cmp(m, seed);
	CHECK(F_ULOCK, bad < 0, "byte %ld through the PFN array differs", bad);
	if (stress_rand(3) == 0) {
		/* The timers unlock it (a DPC completing the request). */
		if (!via_timer(F_ULOCK, m, seed, &seed2))
			goto out;
	} else {
		sys = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
		if (CHECK(F_ULOCK, sys, "MmGetSystemAddressForMdlSafe returned NULL")) {
			bad = stress_cmp(sys, len, seed);
			CHECK(F_ULOCK, bad < 0, "byte %ld through the system mapping differs", bad);
			stress_fill(sys, len, seed2);
			MmUnmapLockedPages(sys, m);
		}
		unlock_free(F_ULOCK, m);
		if (!sys)
			goto out;
	}
	/* What the kernel wrote is what the process reads. */
	reply = seed2;
	if (CHECK(F_ULOCK, !copy_from_user(tmp, (void __user *)(u + off), len), "copy_from_user failed")) {
		bad = stress_cmp(tmp, len, reply);
		CHECK(F_ULOCK, bad < 0, "byte %ld the process reads differs from what the kernel wrote", bad);
	}
out:
	if (u)
		vm_munmap(u, pages * PAGE_SIZE);
	kvfree(tmp);
}

static void op_sysmap(enum stress_family f, bool scattered)
{
	unsigned int order = stress_rand(3), pages = scattered ? 2 + stress_rand(7) : 1U << order;
	unsigned int off = stress_rand(PAGE_SIZE);
	ULONG len = pages * PAGE_SIZE - off - (pages > 1 ? stress_rand(PAGE_SIZE) : 0);
	bool no_write = stress_rand(4) == 0;
	struct page *pg = NULL;
	u32 seed = stress_rand(0), seed2 = stress_rand(0);
	u8 *buf, *sys;
	long bad;
	PMDL m;

	if (scattered) {
		buf = vmalloc(pages * PAGE_SIZE);
	} else {
		pg = alloc_pages(GFP_KERNEL, order);
		buf = pg ? page_address(pg) : NULL;
	}
	if (!CHECK(f, buf, "no memory"))
		return;
	stress_op(f);
	stress_fill(buf + off, len, seed);
	m = lock_range(f, buf + off, len, KernelMode);
	if (!m)
		goto out;
	sys = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE,
					   NormalPagePriority | (no_write ? MdlMappingNoWrite : 0));
	if (CHECK(f, sys, "MmMapLockedPagesSpecifyCache returned NULL")) {
		if (!scattered && !no_write)
			CHECK(f, sys == buf + off, "a contiguous MDL mapped at %px, not the linear map %px", sys,
			      buf + off);
		CHECK(f, m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA, "flags 0x%x", m->MdlFlags);
		bad = stress_cmp(sys, len, seed);
		CHECK(f, bad < 0, "byte %ld through the mapping differs", bad);
		if (!no_write) {
			stress_fill(sys, len, seed2);
			bad = stress_cmp(buf + off, len, seed2);
			CHECK(f, bad < 0, "byte %ld written through the mapping differs in the buffer", bad);
		}
		MmUnmapLockedPages(sys, m);
		CHECK(f, !(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA), "flags 0x%x after unmap", m->MdlFlags);
	}
	unlock_free(f, m);
out:
	if (scattered)
		vfree(buf);
	else
		__free_pages(pg, order);
}

static void op_sysmap_scattered(struct worker *w)
{
	op_sysmap(F_SYSMAP_SCATTERED, true);
}

static void op_sysmap_contig(struct worker *w)
{
	op_sysmap(F_SYSMAP_CONTIG, false);
}

/* User mapping in __try; *status is what it raised. */
static PVOID map_user(PMDL m, ULONG priority, NTSTATUS *status)
{
	volatile NTSTATUS s = STATUS_SUCCESS;
	PVOID volatile va = NULL;

	__try {
		va = MmMapLockedPagesSpecifyCache(m, UserMode, MmCached, NULL, FALSE, priority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		s = GetExceptionCode();
	}
	*status = s;
	return va;
}

/* A user mapping of @m (whose data is @seed over @len bytes at @kva): the
 * process reads what the kernel wrote and, writable, the kernel what the
 * process wrote. */
static void user_map_round(enum stress_family f, PMDL m, u8 *kva, ULONG len, u32 seed)
{
	bool no_write = stress_rand(4) == 0;
	u32 seed2 = stress_rand(0);
	NTSTATUS st;
	u8 *tmp = kvmalloc(len, GFP_KERNEL);
	unsigned long u;
	long bad;

	if (!CHECK(f, tmp, "no memory"))
		return;
	u = (unsigned long)map_user(m, NormalPagePriority | (no_write ? MdlMappingNoWrite : 0), &st);
	if (!CHECK(f, u && st == STATUS_SUCCESS, "user mapping failed: 0x%x", (u32)st))
		goto out;
	CHECK(f, u < TASK_SIZE, "user mapping at %lx", u);
	if (CHECK(f, !copy_from_user(tmp, (void __user *)u, len), "the process cannot read its mapping")) {
		bad = stress_cmp(tmp, len, seed);
		CHECK(f, bad < 0, "byte %ld the process reads differs", bad);
	}
	stress_fill(tmp, len, seed2);
	if (no_write) {
		CHECK(f, copy_to_user((void __user *)u, tmp, 1), "a MdlMappingNoWrite mapping is writable");
	} else if (CHECK(f, !copy_to_user((void __user *)u, tmp, len), "the process cannot write its mapping")) {
		bad = stress_cmp(kva, len, seed2);
		CHECK(f, bad < 0, "byte %ld the process wrote differs in the kernel buffer", bad);
		stress_fill(kva, len, seed); /* as before, for the caller */
	}
	MmUnmapLockedPages((PVOID)u, m);
out:
	kvfree(tmp);
}

static void op_usermap(struct worker *w)
{
	unsigned int pages = 1 + stress_rand(4);
	ULONG len = pages * PAGE_SIZE; /* whole pages: kernel memory is not mapped partly */
	u8 *buf = vmalloc(len);
	u32 seed = stress_rand(0);
	PMDL m;

	if (!stress_mm || !CHECK(F_USERMAP, buf, "no memory")) {
		vfree(buf);
		return;
	}
	stress_op(F_USERMAP);
	stress_fill(buf, len, seed);
	m = lock_range(F_USERMAP, buf, len, KernelMode);
	if (m) {
		user_map_round(F_USERMAP, m, buf, len, seed);
		unlock_free(F_USERMAP, m);
	}
	vfree(buf);
}

static void op_reserve(struct worker *w)
{
	unsigned int pages = 1 + stress_rand(RES_PAGES), off = stress_rand(PAGE_SIZE);
	ULONG len = pages * PAGE_SIZE - off - (pages > 1 ? stress_rand(PAGE_SIZE) : 0);
	u8 *buf = kbuf_alloc(pages * PAGE_SIZE, stress_rand(4) != 0), *va;
	u32 seed = stress_rand(0), seed2 = stress_rand(0);
	long bad;
	PMDL m;

	if (!w->reservation || !CHECK(F_RESERVE, buf, "no memory"))
		goto out;
	stress_op(F_RESERVE);
	stress_fill(buf + off, len, seed);
	m = lock_range(F_RESERVE, buf + off, len, KernelMode);
	if (!m)
		goto out;
	va = MmMapLockedPagesWithReservedMapping(w->reservation, STRESS_TAG, m, MmCached);
	if (CHECK(F_RESERVE, va == (u8 *)w->reservation + off, "mapped at %px, reservation %px + %u", va,
		  w->reservation, off)) {
		bad = stress_cmp(va, len, seed);
		CHECK(F_RESERVE, bad < 0, "byte %ld through the reservation differs", bad);
		stress_fill(va, len, seed2);
		bad = stress_cmp(buf + off, len, seed2);
		CHECK(F_RESERVE, bad < 0, "byte %ld written through the reservation differs", bad);
		MmUnmapReservedMapping(w->reservation, STRESS_TAG, m);
	}
	unlock_free(F_RESERVE, m);
out:
	kbuf_free(buf);
}

static void op_partial(struct worker *w)
{
	const unsigned int pages = 6;
	u8 *buf = vmalloc(pages * PAGE_SIZE), *sys, *src_sys = NULL;
	u32 seed = stress_rand(0);
	unsigned int i;
	long bad;
	PMDL src, part = NULL;

	if (!CHECK(F_PARTIAL, buf, "no memory"))
		return;
	stress_op(F_PARTIAL);
	stress_fill(buf, pages * PAGE_SIZE, seed);
	src = lock_range(F_PARTIAL, buf, pages * PAGE_SIZE, KernelMode);
	if (!src)
		goto out;
	/* Sometimes the source is mapped first: partial MDLs then share it. */
	if (stress_rand(3) == 0) {
		src_sys = MmGetSystemAddressForMdlSafe(src, NormalPagePriority);
		CHECK(F_PARTIAL, src_sys, "mapping the source failed");
	}
	part = IoAllocateMdl(buf, pages * PAGE_SIZE, FALSE, FALSE, NULL);
	if (!CHECK(F_PARTIAL, part, "IoAllocateMdl failed"))
		goto unlock;
	for (i = 0; i < 3; i++) {
		size_t start = stress_rand((pages - 1) * PAGE_SIZE);
		ULONG len = 1 + stress_rand(pages * PAGE_SIZE - start - 1);

		IoBuildPartialMdl(src, part, buf + start, len);
		if (!CHECK(F_PARTIAL, (part->MdlFlags & MDL_PARTIAL) && part->ByteCount == len,
			   "IoBuildPartialMdl: flags 0x%x, %u bytes", part->MdlFlags, part->ByteCount))
			break;
		sys = MmGetSystemAddressForMdlSafe(part, NormalPagePriority);
		if (CHECK(F_PARTIAL, sys, "mapping the partial MDL failed")) {
			bad = stress_cmp_from(sys, len, seed, start);
			CHECK(F_PARTIAL, bad < 0, "byte %ld of the partial mapping (from %zu) differs", bad, start);
			if (src_sys)
				CHECK(F_PARTIAL, sys == src_sys + start, "partial at %px, source mapped at %px + %zu",
				      sys, src_sys, start);
		}
		MmPrepareMdlForReuse(part);
	}
	/* A user mapping of whole pages of the partial MDL. */
	if (stress_mm && stress_rand(2) == 0) {
		size_t start = stress_rand(pages - 1) * PAGE_SIZE;
		ULONG len = (1 + stress_rand(pages - start / PAGE_SIZE)) * PAGE_SIZE;
		NTSTATUS st;
		u8 *tmp = kvmalloc(len, GFP_KERNEL);
		unsigned long u;

		IoBuildPartialMdl(src, part, buf + start, len);
		u = (unsigned long)map_user(part, NormalPagePriority | MdlMappingNoWrite, &st);
		if (CHECK(F_PARTIAL, u && st == STATUS_SUCCESS, "user mapping of a partial MDL failed: 0x%x",
			  (u32)st)) {
			if (CHECK(F_PARTIAL, tmp && !copy_from_user(tmp, (void __user *)u, len),
				  "the process cannot read the partial MDL's mapping")) {
				bad = stress_cmp_from(tmp, len, seed, start);
				CHECK(F_PARTIAL, bad < 0, "byte %ld the process reads differs", bad);
			}
			MmUnmapLockedPages((PVOID)u, part);
		}
		kvfree(tmp);
	}
	IoFreeMdl(part);
unlock:
	if (src_sys)
		MmUnmapLockedPages(src_sys, src);
	unlock_free(F_PARTIAL, src);
out:
	vfree(buf);
}

static void op_pool(struct worker *w)
{
	struct {
		u8 *p;
		size_t len;
		u32 seed;
	} a[6];
	unsigned int i, n = ARRAY_SIZE(a);
	long bad;

	stress_op(F_POOL);
	for (i = 0; i < n; i++) {
		POOL_FLAGS flags = stress_rand(2) ? POOL_FLAG_NON_PAGED : POOL_FLAG_PAGED;

		a[i].len = stress_rand(2) ? 1 + stress_rand(256) : 1 + stress_rand(3 * PAGE_SIZE);
		a[i].seed = stress_rand(0);
		a[i].p = ExAllocatePool2(flags, a[i].len, STRESS_TAG);
		if (CHECK(F_POOL, a[i].p, "ExAllocatePool2(%zu) failed", a[i].len)) {
			CHECK(F_POOL, !((unsigned long)a[i].p & (MEMORY_ALLOCATION_ALIGNMENT - 1)),
			      "block %px not 16-byte aligned", a[i].p);
			CHECK(F_POOL, !memchr_inv(a[i].p, 0, a[i].len), "ExAllocatePool2 memory not zeroed");
			stress_fill(a[i].p, a[i].len, a[i].seed);
		}
	}
	for (i = 0; i < n; i++) {
		unsigned int j = (i * 5 + 3) % n; /* another order */

		if (!a[j].p)
			continue;
		bad = stress_cmp(a[j].p, a[j].len, a[j].seed);
		CHECK(F_POOL, bad < 0, "byte %ld of a %zu-byte block changed", bad, a[j].len);
		if (j & 1)
			ExFreePool(a[j].p);
		else
			ExFreePoolWithTag(a[j].p, STRESS_TAG);
	}
}

static u32 edu_factorial(volatile u32 *regs, u32 n)
{
	unsigned long deadline = jiffies + 5 * HZ;

	regs[0x08 / 4] = n;
	while ((regs[0x20 / 4] & 1) && time_before(jiffies, deadline))
		usleep_range(20, 100);
	return regs[0x08 / 4];
}

static void op_iospace(struct worker *w)
{
	static const u32 fact[] = { 1, 1, 2, 6, 24, 120, 720, 5040, 40320, 362880, 3628800 };
	PHYSICAL_ADDRESS bar = { .QuadPart = (LONGLONG)stress_edu_bar };
	bool ex = stress_rand(2);
	volatile u32 *regs;
	u32 n = stress_rand(ARRAY_SIZE(fact)), v = stress_rand(0);

	if (!stress_edu_bar)
		return;
	stress_op(F_IOSPACE);
	regs = ex ? MmMapIoSpaceEx(bar, PAGE_SIZE, PAGE_READWRITE | PAGE_NOCACHE)
		  : MmMapIoSpace(bar, PAGE_SIZE, MmNonCached);
	if (!CHECK(F_IOSPACE, regs, "%s of the edu BAR failed", ex ? "MmMapIoSpaceEx" : "MmMapIoSpace"))
		return;
	CHECK(F_IOSPACE, regs[0] == 0x010000edU, "identity register 0x%x", regs[0]);
	CHECK(F_IOSPACE, stress_edu_inverse(regs, v), "inverse register wrong for 0x%x", v);
	CHECK(F_IOSPACE, MmGetPhysicalAddress((PVOID)&regs[2]).QuadPart == (LONGLONG)stress_edu_bar + 8,
	      "MmGetPhysicalAddress of a register");
	mutex_lock(&stress_edu_factorial);
	CHECK(F_IOSPACE, edu_factorial(regs, n) == fact[n], "factorial of %u", n);
	mutex_unlock(&stress_edu_factorial);
	MmUnmapIoSpace((PVOID)regs, PAGE_SIZE);
}

static void op_pagealloc(struct worker *w)
{
	SIZE_T asked = (1 + stress_rand(16)) * PAGE_SIZE;
	MEMORY_CACHING_TYPE cache = stress_rand(8) == 0 ? MmNonCached : MmCached;
	PHYSICAL_ADDRESS lo = { .QuadPart = 0 }, hi = { .QuadPart = stress_rand(2) ? -1LL : 0xFFFFFFFFLL },
			 skip = { .QuadPart = 0 };
	u32 seed = stress_rand(0);
	u8 *va;
	long bad;
	PMDL m;

	stress_op(F_PAGEALLOC);
	m = MmAllocatePagesForMdlEx(lo, hi, skip, asked, cache, 0);
	if (!CHECK(F_PAGEALLOC, m, "MmAllocatePagesForMdlEx(%zu bytes) returned NULL", (size_t)asked))
		return;
	CHECK(F_PAGEALLOC, m->ByteCount > 0 && m->ByteCount <= asked && !(m->ByteCount & ~PAGE_MASK),
	      "ByteCount %u for %zu asked", m->ByteCount, (size_t)asked);
	va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
	if (CHECK(F_PAGEALLOC, va, "mapping the pages failed")) {
		CHECK(F_PAGEALLOC, !memchr_inv(va, 0, m->ByteCount), "pages not zeroed");
		stress_fill(va, m->ByteCount, seed);
		bad = stress_mdl_linear_cmp(m, seed);
		CHECK(F_PAGEALLOC, bad < 0, "byte %ld through the PFN array differs", bad);
		MmUnmapLockedPages(va, m);
	}
	MmFreePagesFromMdl(m);
	ExFreePool(m);
}

static void op_contig(struct worker *w)
{
	SIZE_T bytes = (1 + stress_rand(8)) * PAGE_SIZE - stress_rand(PAGE_SIZE);
	PHYSICAL_ADDRESS lo = { .QuadPart = 0 }, hi = { .QuadPart = 0xFFFFFFFFLL }, none = { .QuadPart = 0 };
	bool specify = stress_rand(2);
	MEMORY_CACHING_TYPE cache = specify && stress_rand(8) == 0 ? MmNonCached : MmCached;
	u32 seed = stress_rand(0);
	LONGLONG phys0;
	unsigned int i;
	u8 *va;
	long bad;
	PMDL m;

	stress_op(F_CONTIG);
	va = specify ? MmAllocateContiguousMemorySpecifyCache(bytes, lo, hi, none, cache)
		     : MmAllocateContiguousMemory(bytes, hi);
	if (!CHECK(F_CONTIG, va, "contiguous allocation of %zu bytes failed", (size_t)bytes))
		return;
	phys0 = MmGetPhysicalAddress(va).QuadPart;
	CHECK(F_CONTIG, phys0 && phys0 + (LONGLONG)bytes - 1 <= 0xFFFFFFFFLL, "at 0x%llx, above 4 GiB",
	      (unsigned long long)phys0);
	for (i = 1; i < DIV_ROUND_UP(bytes, PAGE_SIZE); i++)
		if (!CHECK(F_CONTIG, MmGetPhysicalAddress(va + i * PAGE_SIZE).QuadPart == phys0 + i * PAGE_SIZE,
			   "page %u not contiguous", i))
			break;
	stress_fill(va, bytes, seed);
	/* Read back through the frames an MDL over it names. */
	m = IoAllocateMdl(va, bytes, FALSE, FALSE, NULL);
	if (CHECK(F_CONTIG, m, "IoAllocateMdl failed")) {
		MmBuildMdlForNonPagedPool(m);
		CHECK(F_CONTIG, MmGetMdlPfnArray(m)[0] == (PFN_NUMBER)(phys0 >> PAGE_SHIFT), "PFN 0x%llx",
		      (unsigned long long)MmGetMdlPfnArray(m)[0]);
		bad = stress_mdl_linear_cmp(m, seed);
		CHECK(F_CONTIG, bad < 0, "byte %ld through the PFN array differs", bad);
		IoFreeMdl(m);
	}
	MmFreeContiguousMemory(va);
}

static void op_seh(struct worker *w)
{
	static const NTSTATUS codes[] = { STATUS_ACCESS_VIOLATION, STATUS_INSUFFICIENT_RESOURCES,
					  STATUS_INVALID_PARAMETER, (NTSTATUS)0xE0001234 };

	stress_seh_round(F_SEH, codes[stress_rand(ARRAY_SIZE(codes))], stress_rand(6), stress_rand(2));
}

static void probe_fails(PMDL m, KPROCESSOR_MODE mode, LOCK_OPERATION op, const char *what)
{
	NTSTATUS st = stress_seh_probe(m, mode, op);

	stress_op(F_SEH_PROBE);
	CHECK(F_SEH_PROBE, st == STATUS_ACCESS_VIOLATION, "%s: raised 0x%x, not STATUS_ACCESS_VIOLATION", what,
	      (u32)st);
	CHECK(F_SEH_PROBE, !(m->MdlFlags & MDL_PAGES_LOCKED), "%s: the MDL is locked (flags 0x%x)", what,
	      m->MdlFlags);
	if (m->MdlFlags & MDL_PAGES_LOCKED)
		MmUnlockPages(m);
}

static void op_seh_probe(struct worker *w)
{
	u8 *kbuf = kmalloc(64, GFP_KERNEL);
	unsigned long ro, none;
	PMDL m;

	if (!stress_mm || !CHECK(F_SEH_PROBE, kbuf, "no memory")) {
		kfree(kbuf);
		return;
	}
	m = IoAllocateMdl(kbuf, 64, FALSE, FALSE, NULL);
	if (CHECK(F_SEH_PROBE, m, "IoAllocateMdl failed")) {
		probe_fails(m, UserMode, IoReadAccess, "UserMode probe of a kernel address");
		IoFreeMdl(m);
	}
	ro = user_map(2, PROT_READ);
	none = user_map(1, PROT_NONE);
	if (CHECK(F_SEH_PROBE, ro && none, "vm_mmap failed")) {
		m = IoAllocateMdl((PVOID)(ro + 8), PAGE_SIZE, FALSE, FALSE, NULL);
		if (CHECK(F_SEH_PROBE, m, "IoAllocateMdl failed")) {
			probe_fails(m, UserMode, IoWriteAccess, "write probe of read-only user memory");
			IoFreeMdl(m);
		}
		m = IoAllocateMdl((PVOID)none, 16, FALSE, FALSE, NULL);
		if (CHECK(F_SEH_PROBE, m, "IoAllocateMdl failed")) {
			probe_fails(m, UserMode, IoReadAccess, "probe of PROT_NONE user memory");
			IoFreeMdl(m);
		}
	}
	if (ro)
		vm_munmap(ro, 2 * PAGE_SIZE);
	if (none)
		vm_munmap(none, PAGE_SIZE);
	kfree(kbuf);
}

typedef void (*op_fn)(struct worker *w);
static const op_fn ops[] = {
	op_klock, op_npp, op_ulock, op_sysmap_scattered, op_sysmap_contig, op_usermap, op_reserve,
	op_partial, op_pool, op_iospace, op_pagealloc, op_contig, op_seh, op_seh_probe,
};

/* Sleep until kthread_stop (a thread must not exit before it). */
static void park_until_stopped(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule_timeout(HZ / 10);
		__set_current_state(TASK_RUNNING);
	}
}

static int worker_fn(void *arg)
{
	struct worker *w = arg;
	unsigned int i = w->id;

	if (stress_mm)
		kthread_use_mm(stress_mm);
	w->reservation = MmAllocateMappingAddress(RES_PAGES * PAGE_SIZE, STRESS_TAG);
	CHECK(F_RESERVE, w->reservation, "MmAllocateMappingAddress failed");
	while (!READ_ONCE(stress_stop)) {
		ops[i++ % ARRAY_SIZE(ops)](w);
		cond_resched();
	}
	if (w->reservation)
		MmFreeMappingAddress(w->reservation, STRESS_TAG);
	if (stress_mm)
		kthread_unuse_mm(stress_mm);
	park_until_stopped();
	return 0;
}

/* ---- Races: MmUnlockPages on one CPU, a map call on another ------------ */

struct race {
	enum stress_family f;
	struct task_struct *owner, *peer;
	atomic_t round;  /* the owner starts round n by setting it to n */
	atomic_t ready;  /* the peer is about to unlock in round n */
	atomic_t done;   /* the peer unlocked in round n */
	bool quit;
	PMDL mdl;
	unsigned int peer_delay;
	PVOID reservation;
};

static void spin_delay(unsigned int n)
{
	while (n--)
		cpu_relax();
}

/* Wait until @v reads @want; yields now and then (the CPUs are shared). */
static void wait_for(atomic_t *v, int want)
{
	unsigned int spins = 0;

	while (atomic_read_acquire(v) != want) {
		cpu_relax();
		if (++spins % 256 == 0)
			cond_resched();
	}
}

static int race_peer_fn(void *arg)
{
	struct race *r = arg;
	int last = 0;

	for (;;) {
		unsigned int spins = 0;

		while (atomic_read_acquire(&r->round) == last) {
			cpu_relax();
			if (++spins % 64 == 0)
				usleep_range(50, 200);
		}
		last = atomic_read(&r->round);
		if (READ_ONCE(r->quit))
			break;
		atomic_set_release(&r->ready, last);
		spin_delay(r->peer_delay);
		MmUnlockPages(r->mdl);
		atomic_set_release(&r->done, last);
	}
	park_until_stopped();
	return 0;
}

/* Is a kernel virtual address mapped (a PTE present)? */
static bool kva_mapped(const void *va)
{
	unsigned int level;
	pte_t *pte = lookup_address((unsigned long)va, &level);

	return pte && pte_present(*pte);
}

static void race_round(struct race *r, int n)
{
	enum stress_family f = r->f;
	unsigned int pages = 1 + stress_rand(4);
	ULONG len = pages * PAGE_SIZE;
	u8 *buf = vmalloc(len), *va = NULL;
	u32 seed = stress_rand(0);
	NTSTATUS st = STATUS_SUCCESS;
	bool clean;
	long bad;
	PMDL m;

	if (!CHECK(f, buf, "no memory"))
		return;
	stress_op(f);
	stress_fill(buf, len, seed);
	m = lock_range(f, buf, len, KernelMode);
	if (!m) {
		vfree(buf);
		return;
	}
	r->mdl = m;
	r->peer_delay = stress_rand(4000);
	atomic_set_release(&r->round, n);
	wait_for(&r->ready, n);
	spin_delay(stress_rand(4000));
	switch (f) {
	case F_RACE_KERNEL:
		va = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
		break;
	case F_RACE_USER:
		va = map_user(m, NormalPagePriority, &st);
		break;
	default:
		va = MmMapLockedPagesWithReservedMapping(r->reservation, STRESS_TAG, m, MmCached);
		break;
	}
	wait_for(&r->done, n);
	/*
	 * The unlock has happened. Whatever the map call returned, nothing may
	 * still map the frames: a user mapping is gone (reads fault), the
	 * reservation maps nothing, and the MDL is neither locked nor mapped.
	 */
	clean = CHECK(f, !(m->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA)),
		      "MDL flags 0x%x after the race (map returned %px)", m->MdlFlags, va);
	if (f == F_RACE_USER && va) {
		u8 c;

		CHECK(f, copy_from_user(&c, (u8 __user *)va, 1) != 0,
		      "the user mapping at %px still reads the frames after MmUnlockPages", va);
		vm_munmap((unsigned long)va & PAGE_MASK, len); /* the revoked VMA stays the process's */
	}
	if (f == F_RACE_RESERVED) {
		unsigned int i;

		for (i = 0; i < pages; i++)
			if (!CHECK(f, !kva_mapped((u8 *)r->reservation + i * PAGE_SIZE),
				   "the reservation still maps page %u after MmUnlockPages (map returned %px)", i, va))
				break;
		if (i < pages) /* clean up what the race left */
			MmUnmapReservedMapping(r->reservation, STRESS_TAG, m);
	}
	/* The MDL is as good as new: lock, map and read it again. */
	if (!clean) {
		/* Flags left behind (a racing map set them again): MappedSystemVa
		 * may be stale, so nothing is read through it. */
		if (m->MdlFlags & MDL_PAGES_LOCKED)
			MmUnlockPages(m);
		m->MdlFlags &= ~(MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA);
		IoFreeMdl(m);
	} else if (stress_seh_probe(m, KernelMode, IoReadAccess) == STATUS_SUCCESS) {
		va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
		if (CHECK(f, va, "mapping the MDL again after the race failed")) {
			bad = stress_cmp(va, len, seed);
			CHECK(f, bad < 0, "byte %ld differs after the race", bad);
		}
		unlock_free(f, m);
	} else {
		CHECK(f, false, "locking the MDL again after the race failed");
		IoFreeMdl(m);
	}
	vfree(buf);
}

static int race_owner_fn(void *arg)
{
	struct race *r = arg;
	int n = 0;

	if (r->f == F_RACE_USER)
		kthread_use_mm(stress_mm);
	if (r->f == F_RACE_RESERVED) {
		r->reservation = MmAllocateMappingAddress(4 * PAGE_SIZE, STRESS_TAG);
		CHECK(r->f, r->reservation, "MmAllocateMappingAddress failed");
	}
	while (!READ_ONCE(stress_stop) && (r->f != F_RACE_RESERVED || r->reservation)) {
		race_round(r, ++n);
		cond_resched();
	}
	WRITE_ONCE(r->quit, true);
	atomic_set_release(&r->round, n + 1);
	if (r->reservation)
		MmFreeMappingAddress(r->reservation, STRESS_TAG);
	if (r->f == F_RACE_USER)
		kthread_unuse_mm(stress_mm);
	park_until_stopped();
	return 0;
}

/* ---- Start and stop ---------------------------------------------------- */

static struct worker *workers_arr;
static unsigned int n_workers;
static struct race races[3];
static unsigned int n_races;

int stress_threads_start(unsigned int per_cpu)
{
	unsigned int cpu, k, i = 0, c = 0;
	static const enum stress_family kinds[] = { F_RACE_KERNEL, F_RACE_USER, F_RACE_RESERVED };
	unsigned int cpus[2];

	n_workers = per_cpu * num_online_cpus();
	workers_arr = kcalloc(n_workers, sizeof(*workers_arr), GFP_KERNEL);
	if (!workers_arr)
		return -ENOMEM;
	for_each_online_cpu(cpu) {
		if (c < 2)
			cpus[c++] = cpu;
		for (k = 0; k < per_cpu && i < n_workers; k++, i++) {
			struct worker *w = &workers_arr[i];

			w->id = i * 5; /* workers start in different families */
			w->task = kthread_create(worker_fn, w, "mmshim-stress/%u", i);
			if (IS_ERR(w->task)) {
				w->task = NULL;
				return -ENOMEM;
			}
			get_task_struct(w->task);
			kthread_bind(w->task, cpu);
			wake_up_process(w->task);
		}
	}
	if (c < 2)
		return 0;
	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		struct race *r = &races[n_races];

		if (stress_fams[kinds[k]].skip)
			continue;
		r->f = kinds[k];
		r->owner = kthread_create(race_owner_fn, r, "mmshim-race/%u", k);
		if (IS_ERR(r->owner)) {
			r->owner = NULL;
			return -ENOMEM;
		}
		r->peer = kthread_create(race_peer_fn, r, "mmshim-unlock/%u", k);
		if (IS_ERR(r->peer)) {
			kthread_stop(r->owner);
			r->owner = r->peer = NULL;
			return -ENOMEM;
		}
		get_task_struct(r->owner);
		get_task_struct(r->peer);
		kthread_bind(r->owner, cpus[0]);
		kthread_bind(r->peer, cpus[1]);
		n_races++;
		wake_up_process(r->peer);
		wake_up_process(r->owner);
	}
	return 0;
}

void stress_threads_stop(void)
{
	unsigned int i;

	WRITE_ONCE(stress_stop, true);
	for (i = 0; i < n_races; i++) {
		kthread_stop(races[i].owner); /* the owner ends the peer's wait (quit) */
		kthread_stop(races[i].peer);
		put_task_struct(races[i].owner);
		put_task_struct(races[i].peer);
	}
	for (i = 0; workers_arr && i < n_workers; i++) {
		if (!workers_arr[i].task)
			continue;
		kthread_stop(workers_arr[i].task);
		put_task_struct(workers_arr[i].task);
	}
	kfree(workers_arr);
	workers_arr = NULL;
}
